-- A module of steps (not a build script): app.build.lua requires it. In the DAG of
-- app.build.lua, the node of the mkfile below opens this file at line 6.
local M = {}

function M.with_config(state)
  local configured = state:mkfile("/app/config", bk.arg("CONFIG", "debug=false"))
  return configured
end

return M
