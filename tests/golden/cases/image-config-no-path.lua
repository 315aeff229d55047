-- An image config whose env has no PATH: the default PATH is added, as after Dockerfile's FROM.
local base = bk.image("example.com/base:1")
bk.export(base:run("env", { env = { EXTRA = "1" } }))
