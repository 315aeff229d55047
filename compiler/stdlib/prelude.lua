-- luakit prelude: helpers for common builds, bundled with luakit.
--   local prelude = require("prelude")
-- Every helper returns States built with the bk API, so everything they do
-- shows up in `luakit dag` like hand-written code.

local M = {}

local function list(pkgs)
  if type(pkgs) == "string" then
    local out = {}
    for word in pkgs:gmatch("%S+") do
      out[#out + 1] = word
    end
    return out
  end
  return pkgs or {}
end

local function shell_words(pkgs)
  return table.concat(list(pkgs), " ")
end

---------------------------------------------------------------- base images

function M.from_alpine(version) return bk.image("alpine:" .. (version or "3.19")) end
function M.from_ubuntu(version) return bk.image("ubuntu:" .. (version or "24.04")) end
function M.from_debian(version) return bk.image("debian:" .. (version or "bookworm-slim")) end
function M.from_fedora(version) return bk.image("fedora:" .. (version or "39")) end

function M.standard_base(distro, version)
  local constructors = {
    alpine = M.from_alpine, ubuntu = M.from_ubuntu, debian = M.from_debian, fedora = M.from_fedora,
  }
  local make = constructors[distro]
  if not make then
    error("Unknown distro: " .. tostring(distro), 2)
  end
  return make(version)
end

---------------------------------------------------------------- packages

function M.apk_package(base, pkgs)
  local argv = { "apk", "add", "--no-cache" }
  for _, p in ipairs(list(pkgs)) do
    argv[#argv + 1] = p
  end
  return base:run(argv)
end

function M.deb_package(base, pkgs)
  return base:run(
    "apt-get update && apt-get install -y --no-install-recommends " .. shell_words(pkgs)
      .. " && rm -rf /var/lib/apt/lists/*",
    { env = { DEBIAN_FRONTEND = "noninteractive" } }
  )
end
M.deb_package_state = M.deb_package

function M.install_git(base) return M.apk_package(base, { "git" }) end
function M.install_curl(base) return M.apk_package(base, { "curl" }) end
function M.install_ca_certs(base) return M.apk_package(base, { "ca-certificates" }) end

function M.install_system_deps(base, pkgs, distro)
  distro = distro or "alpine"
  if distro == "alpine" then
    return M.apk_package(base, pkgs)
  elseif distro == "debian" or distro == "ubuntu" then
    return M.deb_package(base, pkgs)
  end
  error("Unsupported distro: " .. tostring(distro), 2)
end

---------------------------------------------------------------- users and files

function M.with_workdir(state, path)
  return state:mkdir(path, { make_parents = true })
end

function M.with_user(state, name, uid, gid)
  uid = uid or 1000
  gid = gid or uid
  return state:run(string.format("addgroup -g %d %s && adduser -D -u %d -G %s %s", gid, name, uid, name, name))
end

function M.with_alpine_user(state, name, uid, gid)
  uid = uid or 1000
  gid = gid or uid
  return state:run(string.format("addgroup -S -g %d %s && adduser -S -D -u %d -G %s %s", gid, name, uid, name, name))
end

function M.chown_path(state, path, user, group)
  return state:run({ "chown", "-R", user .. ":" .. (group or user), path })
end

function M.as_non_root(state, name, uid)
  name = name or "appuser"
  local with_user = M.with_user(state, name, uid or 1000)
  return M.chown_path(with_user, "/app", name)
end

function M.copy_all(from, to, from_path, to_path)
  return to:copy(from, from_path or "/", to_path or "/")
end

function M.layered_copy(target, _, mappings)
  local state = target
  for _, m in ipairs(mappings or {}) do
    state = state:copy(m.from, m.from_path, m.to_path, m.opts)
  end
  return state
end

---------------------------------------------------------------- composition

function M.container(base, fn) return fn(base) end

function M.multi_stage(builder_image, runtime_image, fn)
  local builder = bk.image(builder_image)
  local runtime = bk.image(runtime_image)
  local built = fn(builder, runtime)
  return runtime, built
end

function M.merge_multiple(states) return bk.merge(unpack(states)) end
function M.parallel_build(...) return bk.merge(...) end

---------------------------------------------------------------- Go

function M.go_base(version)
  return M.apk_package(bk.image("golang:" .. (version or "1.22-alpine")), { "git", "ca-certificates", "build-base" })
end

function M.go_runtime(version)
  return M.apk_package(M.from_alpine(version), { "ca-certificates", "tzdata" })
end

local GO_CACHES = function()
  return {
    bk.cache("/go/pkg/mod", { id = "gomod" }),
    bk.cache("/root/.cache/go-build", { id = "gobuild" }),
  }
end

-- Downloads modules from go.mod/go.sum first (a cached layer), then builds.
function M.go_build(builder, src, opts)
  opts = opts or {}
  local cwd = opts.cwd or "/app"
  local output = opts.output or "/out/app"
  local with_mod = builder:copy(src, "/", cwd, { include = { "go.mod", "go.sum" } })
  local deps = with_mod:run("go mod download", { cwd = cwd, mounts = GO_CACHES() })
  local with_src = deps:copy(src, "/", cwd)
  return with_src:run(
    string.format(
      "CGO_ENABLED=0 GOOS=linux go build -ldflags='%s' %s -o %s %s",
      opts.ldflags or "-s -w", opts.flags or "", output, opts.main or "."
    ),
    { cwd = cwd, mounts = GO_CACHES() }
  )
end

function M.go_binary_app(builder_version, src, opts)
  opts = opts or {}
  local output = opts.output or "/out/app"
  local built = M.go_build(M.go_base(builder_version), src, opts)
  local final = M.go_runtime(opts.runtime_version)
    :copy(built, output, opts.final_path or "/app/app", { mode = "0755" })
  if opts.user then
    final = M.chown_path(M.with_alpine_user(final, opts.user), "/app", opts.user)
  end
  return final
end

---------------------------------------------------------------- Node

function M.node_base(version) return bk.image("node:" .. (version or "20-alpine")) end
M.node_runtime = M.node_base

function M.node_build(builder, src, opts)
  opts = opts or {}
  local cwd = opts.cwd or "/app"
  local npm_cache = { bk.cache("/root/.npm", { sharing = "locked" }) }
  local with_manifest = builder:copy(src, "/", cwd, { include = { "package.json", "package-lock.json" } })
  local install = opts.install_cmd or (opts.deps_only and "npm ci --omit=dev" or "npm ci")
  local deps = with_manifest:run(install, { cwd = cwd, mounts = npm_cache })
  if opts.deps_only then
    return deps
  end
  return deps:copy(src, "/", cwd):run(opts.build_cmd or "npm run build", { cwd = cwd, mounts = npm_cache })
end

function M.node_app(version, src, opts)
  opts = opts or {}
  local built = M.node_build(M.node_base(version), src, opts)
  local final = M.node_runtime(opts.runtime_version or version)
  for _, path in ipairs({ "/app/node_modules", "/app/dist", "/app/package.json" }) do
    final = final:copy(built, path, path)
  end
  return final
end

---------------------------------------------------------------- Python

function M.python_base(version, variant)
  local image = bk.image("python:" .. (version or "3.11") .. (variant or "-slim"))
  return image:run(
    "apt-get update && apt-get install -y --no-install-recommends build-essential gcc g++ git curl wget"
      .. " && rm -rf /var/lib/apt/lists/*",
    { env = { DEBIAN_FRONTEND = "noninteractive", PYTHONUNBUFFERED = "1" } }
  )
end

function M.python_runtime(version)
  return M.deb_package(bk.image("python:" .. (version or "3.11-slim")), { "ca-certificates" })
end

function M.python_build(builder, src, opts)
  opts = opts or {}
  local cwd = opts.cwd or "/workspace"
  local with_src = builder:copy(src, "/", cwd)
  local requirements = opts.requirements
  if requirements == true then
    requirements = "requirements.txt"
  end
  local install = opts.install_cmd
  if not install and requirements then
    install = "pip install -r " .. requirements
  end
  if not install then
    return with_src
  end
  return with_src:run(install, { cwd = cwd, mounts = { bk.cache("/root/.cache/pip", { id = "pipcache" }) } })
end

function M.python_app(version, src, opts)
  opts = opts or {}
  local built = M.python_build(M.python_base(version), src, opts)
  local final = M.python_runtime(opts.runtime_version):copy(built, opts.cwd or "/workspace", "/app")
  if opts.user then
    final = M.with_user(final, opts.user)
  end
  return final
end

return M
