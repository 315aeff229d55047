-- A Python app: wheels built with pip's cache and an ssh-fetched private dependency, a venv copied to slim.
local py = bk.image("python:3.12")
local reqs = bk.local_("context", { include = { "requirements.txt" } })
local venv = py:run("python -m venv /opt/venv")
local deps = venv:copy(reqs, "requirements.txt", "/tmp/requirements.txt"):run(
  "/opt/venv/bin/pip install -r /tmp/requirements.txt",
  { env = { PIP_DISABLE_PIP_VERSION_CHECK = "1" },
    mounts = { bk.cache("/root/.cache/pip"), bk.ssh() } })
local src = bk.local_("context", { include = { "app/**", "pyproject.toml" } })
local installed = deps:copy(src, ".", "/src/"):run("/opt/venv/bin/pip install --no-deps /src",
  { mounts = { bk.cache("/root/.cache/pip") } })
local slim = bk.image("python:3.12-slim")
  :run("useradd --create-home app")
  :copy(installed, "/opt/venv", "/opt/venv")
  :rm("/opt/venv/bin/pip*", { allow_wildcard = true })
bk.export(slim, { entrypoint = { "/opt/venv/bin/python", "-m", "app" }, user = "app" })
