-- The VS Code end-to-end test's script with a module: its mkfile step is made in lib/steps.lua.
local steps = require("lib.steps")
local base = bk.scratch():mkdir("/app")
bk.export(steps.with_config(base))
