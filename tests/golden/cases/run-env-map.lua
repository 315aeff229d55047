-- A map is applied in key order; setting PATH moves it to the end (llb's env list).
local base = bk.image("alpine:3.19")
bk.export(base:run("env", { env = { B = "2", A = "1", PATH = "/custom/bin" } }):run("env", { env = { Z = "" } }))
