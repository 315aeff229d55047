-- platform: linux/arm64
local src = bk.local_("context")
local tool = bk.http("https://example.com/tool.tgz")
local base = bk.image("debian:12")
bk.export(base:copy(src, ".", "/src"):copy(tool, "tool.tgz", "/opt/"):run("ls /src /opt"))
