-- The VS Code end-to-end test's script with a misspelled key on its own line (7) of a multi-line
-- run(...) call: the marker covers exactly `cwdd`, and the quick fix is offered on that line.
local base = bk.image("alpine:3.19")
local built = base:run("make", {
  env = { CC = "gcc" },
  mounts = {},
  cwdd = "/src",
})
bk.export(built)
