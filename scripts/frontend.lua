-- The luakit gateway frontend image, built by luakit's own frontend:
-- scripts/frontend-image runs this through a bootstrap build of the same image.
--
-- The client sends three folders: a minimal Debian root filesystem with
-- python3 (`rootfs`), the Python packages luakit needs (`pydeps`) and luakit
-- itself (`luakit`). Each becomes one layer, so a change to luakit pushes only
-- the small last one.
local rootfs = bk.local_("rootfs")
local pydeps = bk.local_("pydeps")
local luakit = bk.local_("luakit")

local image = bk.merge(
  bk.scratch():copy(rootfs, "/", "/"),
  bk.scratch():copy(pydeps, "/", "/opt/luakit/"),
  bk.scratch():copy(luakit, "/", "/opt/luakit/")
)

bk.export(image, {
  -- buildkitd runs the Entrypoint (never Cmd) with the gateway on stdin/stdout.
  entrypoint = { "/usr/bin/python3", "-m", "luakit_frontend" },
  env = { PYTHONPATH = "/opt/luakit" },
  labels = {
    -- The frontend reads everything through the gateway: it needs no network.
    ["moby.buildkit.frontend.network.none"] = "true",
    ["org.opencontainers.image.title"] = "luakit frontend",
  },
})
