-- An image's own platform goes to the execs built on it; file ops carry none.
local arm = bk.image("alpine:3.19", { platform = "linux/arm64" })
local armv7 = bk.image("alpine:3.19", { platform = "linux/arm/v7" })
local amd = bk.image("alpine:3.19")
bk.export(bk.merge(
  arm:run("uname -m > /arch"):mkdir("/out"),
  armv7:run("uname -m > /arch"),
  amd:run("uname -m > /arch"),
  bk.image("alpine:3.19", { platform = bk.platform("linux", "arm64") })
))
