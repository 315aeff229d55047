-- A Python service: wheels built once with pip's cache (and a private index token
-- as a secret), installed into a virtualenv, tests run against it, and the venv
-- copied into a slim image with a non-root user.

local python = "3.12"
local build = bk.image("python:" .. python .. "-bookworm")
local pip_cache = bk.cache("/root/.cache/pip", { id = "pip" })

local system = build:run("apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev", {
  mounts = { bk.cache("/var/cache/apt", { id = "apt", sharing = "locked" }) },
})

local reqs = bk.local_("context", { include = { "requirements*.txt", "constraints.txt" } })
local venv = system:run("python -m venv /opt/venv")
local wheels = venv
  :copy(reqs, ".", "/reqs/")
  :run("/opt/venv/bin/pip wheel -r /reqs/requirements.txt -c /reqs/constraints.txt -w /wheels", {
    env = { PIP_DISABLE_PIP_VERSION_CHECK = "1", PIP_INDEX_URL = "https://pypi.example.com/simple" },
    mounts = { pip_cache, bk.secret("/root/.netrc", { id = "netrc" }) },
  })

local installed = wheels:run("/opt/venv/bin/pip install --no-index --find-links /wheels -r /reqs/requirements.txt", {
  env = { PIP_DISABLE_PIP_VERSION_CHECK = "1" },
})

local source = bk.local_("context", { include = { "src/**", "tests/**", "pyproject.toml" } })
local app = installed:copy(source, ".", "/src/"):run("/opt/venv/bin/pip install --no-deps /src", {
  mounts = { pip_cache },
})

local tested = app
  :run("/opt/venv/bin/pip install -r /reqs/requirements-dev.txt", { mounts = { pip_cache } })
  :run("/opt/venv/bin/python -m pytest -q /src/tests", { cwd = "/src", env = { PYTHONDONTWRITEBYTECODE = "1" } })

local runtime = bk.image("python:" .. python .. "-slim-bookworm")
  :run("apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*")
  :run("useradd --create-home --uid 10001 app")
  :copy(app, "/opt/venv", "/opt/venv")
  :rm("/opt/venv/bin/pip*", { allow_wildcard = true })
  :mkdir("/var/lib/app", { mode = "0750" })

bk.export(bk.merge(runtime, bk.diff(app, tested)), {
  entrypoint = { "/opt/venv/bin/python", "-m", "app" },
  env = { PATH = "/opt/venv/bin:/usr/local/bin:/usr/bin:/bin", PYTHONUNBUFFERED = "1" },
  user = "app",
  workdir = "/var/lib/app",
  expose = { "8000/tcp" },
})
