-- platform: linux/arm/v7
local base = bk.image("alpine:3.19")
bk.export(base:run("apk add --no-cache make"):mkdir("/x"):run("make -v"))
