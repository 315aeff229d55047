-- The Quick Start: one command on a base image.
--   luakit build build.lua | buildctl build --local context=. --output type=local,dest=out
-- BASE defaults to alpine; pass --arg BASE=<image> to use another base.
local base = bk.image(bk.arg("BASE", "alpine:3.19"))
local result = base:run("echo 'Hello from Luakit!' > /greeting.txt")
bk.export(result)
