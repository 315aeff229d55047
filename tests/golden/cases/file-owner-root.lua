-- "root" as a file owner.
local base = bk.image("alpine:3.19")
bk.export(base:mkdir("/srv", { owner = "root:root" }):mkfile("/srv/x", "", { owner = "root" }))
