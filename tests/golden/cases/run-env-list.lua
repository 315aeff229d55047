local base = bk.image("alpine:3.19")
bk.export(base:run("env", { env = { "Z=1", "A=2=two", "Z=3" } }))
