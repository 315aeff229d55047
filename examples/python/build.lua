-- A Python service: wheels are built once in a builder with a pip cache, then
-- installed into a slim runtime that runs as an unprivileged user.
local python = bk.image("python:3.12-slim")
local ctx = bk.local_("context", { include = { "requirements.txt", "app/**" } })

local wheels = python
  :copy(ctx, "requirements.txt", "/src/requirements.txt")
  :run("pip wheel --wheel-dir /wheels -r /src/requirements.txt", {
    mounts = { bk.cache("/root/.cache/pip") },
  })

local runtime = python
  :run("useradd --create-home --uid 10001 app")
  :run("pip install --no-index --find-links /wheels -r /wheels/requirements.txt", {
    mounts = {
      bk.bind(wheels, "/wheels", { selector = "/wheels" }),
    },
  })
  :copy(ctx, "app", "/srv/app", { owner = "app:app" })

bk.export(runtime, {
  user = "app",
  workdir = "/srv",
  entrypoint = { "python", "-m", "app" },
  env = { PYTHONUNBUFFERED = "1" },
  labels = { ["org.opencontainers.image.title"] = "example" },
})
