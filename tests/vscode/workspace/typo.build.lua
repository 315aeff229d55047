-- The VS Code end-to-end test's script with a Lua syntax error (luakit's LK001, from Lua's own
-- compiler): with LuaLS (here its stand-in) installed the extension leaves syntax errors to it.
local base = bk.scratch():mkdir("/app"
bk.export(base)
