local base = bk.image("alpine:3.19")
bk.export(base:run("echo hi > /x"):run({ "/bin/echo", "a b", "c" }):run("set -e\nmake\nmake install"))
