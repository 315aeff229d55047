local base = bk.image("alpine:3.19")
local installed = base:run("apk add --no-cache curl")
local changes = bk.diff(base, installed)
local other = bk.image("debian:12")
bk.export(bk.merge(
  bk.merge(other, changes),
  bk.diff(installed, bk.scratch()),
  bk.diff(bk.scratch(), installed),
  bk.diff(changes, changes:mkdir("/x"))
))
