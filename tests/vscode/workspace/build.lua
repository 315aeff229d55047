-- The VS Code end-to-end test's build script. Line 7 has a mistake: mkdir has no option
-- `make_parentz` (the quick fix changes it to `make_parents`). NAME comes from the
-- workspace's luakit.buildArgs setting (.vscode/settings.json).
local src = bk.local_("context")
local base = bk.scratch():mkdir("/app")
local app = base:copy(src, "main.c", "/app/main.c")
local out = app:mkfile("/app/" .. bk.arg("NAME", "VERSION"), "1.0")
local built = out:mkdir("/app/bin", { make_parentz = true })
bk.export(built)
