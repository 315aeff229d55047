---@meta _

-- LuaLS type definitions for luakit's `bk` build API.
--
-- These stubs are the single source of truth for the API: editor completion,
-- hover and documentation come from here, and the test suite checks that every
-- function, method and option key declared here exists in the runtime (and
-- vice versa).
--
-- A luakit script describes a BuildKit LLB graph. Nothing runs while the script
-- runs: `bk.*` functions and `State` methods only build the graph, and
-- `bk.export` picks the state that becomes the build result.
--
-- Notes that apply everywhere:
-- * Lua has no octal literals. File modes are given as a string, which is parsed
--   as octal (`"0755"`, `"644"`), or as a number, which is taken as given
--   (`493` is 0755). A number literal `0755` means decimal 755 and is almost
--   certainly wrong.
-- * Relative paths in `copy`, `mkdir`, `mkfile` and `rm` are relative to the
--   image's working directory when its config is known, else to `/`.

--------------------------------------------------------------------------------
-- Shared types
--------------------------------------------------------------------------------

---An opaque build state: a filesystem snapshot in the build graph.
---
---States are immutable values. Every method returns a **new** State and leaves
---the receiver unchanged, so a state can be reused as the base of several
---branches. States have no readable fields; `tostring(state)` gives a short
---debugging label.
---
---```lua
---local base = bk.image("alpine:3.19")
---local a = base:run("apk add --no-cache curl")   -- base is unchanged
---local b = base:mkdir("/data")                   -- another branch from base
---```
---@class State
local State = {}

---An opaque mount, created by `bk.cache`, `bk.secret`, `bk.ssh`, `bk.tmpfs` or
---`bk.bind`, and used in the `mounts` option of `State:run`. Mounts have no
---readable fields or methods.
---
---```lua
---local built = src:run("make", { mounts = { bk.cache("/root/.cache") } })
---```
---@class Mount

---An opaque target platform created by `bk.platform`. Its fields (os, arch,
---variant) are **not** readable; `tostring(p)` gives `"os/arch"` or
---`"os/arch/variant"`. Use it as the `platform` option of `bk.image`.
---
---```lua
---local p = bk.platform("linux/arm64")
---print(tostring(p)) --> linux/arm64
---```
---@class Platform

---A file mode. Lua has no octal literals: a string is parsed as octal
---(`"0755"`, `"644"`); a number is taken as given, so `493` means 0755.
---Writing `0755` as a number means decimal 755 and is almost certainly wrong.
---@alias bk.FileMode string|integer

---A platform: a string `"os/arch[/variant]"` such as `"linux/arm64"` or
---`"linux/arm/v7"`, a table `{ os = "linux", arch = "arm64", variant = nil }`,
---or a `Platform` from `bk.platform`.
---@alias bk.PlatformSpec string|{os:string,arch:string,variant?:string}|Platform

---A file owner: a string `"user[:group]"` (names or numeric ids, e.g.
---`"app:app"` or `"1000:1000"`), an integer uid, or a table
---`{ user = "app", group = 1000 }`.
---@alias bk.Owner string|integer|{user?:string|integer,group?:string|integer}

---Environment variables: a map `{ KEY = "value" }` (applied with keys sorted,
---so the result is deterministic) or a list of `"KEY=value"` strings (applied
---in list order).
---@alias bk.Env table<string,string>|string[]

---Image pull policy: `"default"` (use a local copy if present, else pull),
---`"pull"` (always check the registry), `"local"` (prefer the local copy).
---@alias bk.ResolveMode "default"|"pull"|"local"

---Cache mount sharing: `"shared"` (concurrent writers share one cache),
---`"private"` (a concurrent writer gets a fresh cache), `"locked"` (concurrent
---writers wait for each other).
---@alias bk.CacheSharing "shared"|"private"|"locked"

---Network mode of a `run` step: `"sandbox"` (default, an isolated network with
---outbound access), `"host"` (the host's network; needs the daemon's
---`network.host` entitlement), `"none"` (no network).
---@alias bk.NetworkMode "sandbox"|"host"|"none"

---Security mode of a `run` step: `"sandbox"` (default) or `"insecure"`
---(privileged; needs the daemon's `security.insecure` entitlement).
---@alias bk.SecurityMode "sandbox"|"insecure"

---One ulimit: a single integer (soft = hard) or `{ soft = n, hard = m }`.
---@alias bk.Ulimit integer|{soft:integer,hard:integer}

---A secret exposed as an environment variable: the secret id, or
---`{ id = "npm_token", optional = true }`.
---@alias bk.SecretEnv string|{id:string,optional?:boolean}

--------------------------------------------------------------------------------
-- The bk table
--------------------------------------------------------------------------------

---The luakit build API. Available as the global `bk` in every build script.
bk = {}

--------------------------------------------------------------------------------
-- Sources
--------------------------------------------------------------------------------

---Options for `bk.image`.
---
---```lua
---bk.image("alpine:3.19", { platform = "linux/arm64", resolve_mode = "pull" })
---```
---@class (exact) bk.ImageOptions
---@field platform? bk.PlatformSpec Platform to pull, as `"os/arch[/variant]"`, `{os=,arch=,variant=}` or a `bk.platform(...)` value. Default: the build's target platform. Example: `platform = "linux/arm64"`.
---@field resolve_mode? bk.ResolveMode When to consult the registry: `"default"`, `"pull"` (always check) or `"local"` (prefer a local copy). Default: `"default"`.
---@field resolve_digest? boolean Accepted for compatibility with scripts written for the Go luakit. When true and an image-config resolver is available, the image config is looked up, giving later `run`s its env, working dir and user (as Dockerfile `FROM` does); `false` skips the lookup. Default: `true`.

---A container image from a registry, as the root filesystem of a new state.
---`ref` is a Docker-style reference, normalized the way Docker does it:
---`alpine` becomes `docker.io/library/alpine:latest`, `ghcr.io/o/r` becomes
---`ghcr.io/o/r:latest`, and a `@sha256:...` digest is kept.
---When the image config is known, `run` steps on this state start with the
---image's environment and working directory.
---
---```lua
---local base = bk.image("golang:1.22-alpine")
---local arm = bk.image("alpine", { platform = "linux/arm64" })
---```
---@nodiscard
---@param ref string Image reference, e.g. `"alpine:3.19"` or `"ghcr.io/org/app@sha256:..."`.
---@param opts? bk.ImageOptions
---@return State
function bk.image(ref, opts) end

---Options for `bk.local_`.
---
---```lua
---bk.local_("context", { include = { "go.mod", "go.sum" }, exclude = { "**/*_test.go" } })
---```
---@class (exact) bk.LocalOptions
---@field include? string[] Only transfer paths matching these patterns (`.dockerignore` syntax). Default: everything. Example: `include = { "src/", "*.toml" }`.
---@field exclude? string[] Do not transfer paths matching these patterns. Default: nothing excluded. Example: `exclude = { ".git", "node_modules" }`.
---@field shared_key_hint? string Key under which BuildKit keeps the transferred files between builds, so that repeated transfers of the same directory are incremental. Default: none (BuildKit derives one). Example: `shared_key_hint = "app-src"`.
---@field follow_paths? string[] Paths (or patterns) whose symlinks are followed and whose targets are transferred too. Default: none. Example: `follow_paths = { "Dockerfile" }`.

---A directory from the client, named on the command line
---(`buildctl build --local NAME=DIR`; `context` is the usual name). The name is
---`local_` because `local` is a Lua keyword.
---
---```lua
---local src = bk.local_("context", { exclude = { ".git" } })
---local img = bk.image("alpine"):copy(src, ".", "/app")
---```
---@nodiscard
---@param name string The local's name, e.g. `"context"`.
---@param opts? bk.LocalOptions
---@return State
function bk.local_(name, opts) end

---Options for `bk.git`.
---
---```lua
---bk.git("https://github.com/moby/buildkit.git", { ref = "v0.13.0", keep_git_dir = true })
---```
---@class (exact) bk.GitOptions
---@field ref? string Branch, tag or commit to check out. Default: the remote's default branch. Example: `ref = "v1.2.3"`.
---@field subdir? string Only this subdirectory of the repository becomes the state's root. Default: the whole repository. Example: `subdir = "docs"`.
---@field keep_git_dir? boolean Keep the `.git` directory in the checkout. Default: `false`.
---@field checksum? string Commit sha the checked-out ref must resolve to; the build fails otherwise. Default: no check. Example: `checksum = "a1b2c3..."`.
---@field skip_submodules? boolean Do not check out submodules. Default: `false` (submodules are checked out).
---@field auth_token_secret? string Id of the build secret holding a token for HTTPS authentication. Default: `"GIT_AUTH_TOKEN"`.
---@field auth_header_secret? string Id of the build secret holding a full HTTP `Authorization` header. Default: `"GIT_AUTH_HEADER"`.
---@field known_ssh_hosts? string `known_hosts` lines used to verify the server for SSH URLs. Default: none. Example: `known_ssh_hosts = "github.com ssh-ed25519 AAAA..."`.
---@field mount_ssh_sock? string Id of the SSH agent socket (`buildctl --ssh ID`) used for SSH URLs. Default: `"default"` for SSH URLs.

---A Git repository checked out at a ref.
---
---```lua
---local repo = bk.git("https://github.com/moby/buildkit.git", { ref = "v0.13.0" })
---local private = bk.git("git@github.com:org/private.git", { ref = "main" })
---```
---@nodiscard
---@param url string Repository URL: `https://...`, `ssh://...`, `git@host:path` or `git://...`.
---@param opts? bk.GitOptions
---@return State
function bk.git(url, opts) end

---Options for `bk.http` and `bk.https`.
---
---```lua
---bk.https("https://example.com/tool", { checksum = "sha256:...", filename = "tool", chmod = "0755" })
---```
---@class (exact) bk.HTTPOptions
---@field checksum? string Expected digest of the download; the build fails on mismatch. Default: no check. Example: `checksum = "sha256:e3b0c442..."`.
---@field filename? string Name of the downloaded file in the state's root. Default: derived from the URL. Example: `filename = "tool.tar.gz"`.
---@field chmod? bk.FileMode Mode of the downloaded file: a string parsed as octal, or a number taken as given. Default: `"0600"` (BuildKit's). Example: `chmod = "0755"`.
---@field uid? integer Owner uid of the downloaded file. Default: `0`.
---@field gid? integer Owner gid of the downloaded file. Default: `0`.
---@field headers? table<string,string> Request headers. Only `Accept` and `User-Agent` are honoured by BuildKit; any other header is an error. Default: none. Example: `headers = { Accept = "application/octet-stream" }`.
---@field auth_header_secret? string Id of a build secret whose value is sent as the `Authorization` header. Default: none.

---A single file downloaded over HTTP(S), placed in the root of a new state.
---`bk.http` and `bk.https` are identical; both accept both schemes.
---
---```lua
---local dl = bk.https("https://example.com/tool-1.0", { filename = "tool", chmod = "0755" })
---local img = bk.image("alpine"):copy(dl, "tool", "/usr/local/bin/tool")
---```
---@nodiscard
---@param url string `http://` or `https://` URL.
---@param opts? bk.HTTPOptions
---@return State
function bk.http(url, opts) end

---Same as `bk.http`: a single file downloaded over HTTP(S).
---
---```lua
---local dl = bk.https("https://example.com/archive.tar.gz", { checksum = "sha256:..." })
---```
---@nodiscard
---@param url string `http://` or `https://` URL.
---@param opts? bk.HTTPOptions
---@return State
function bk.https(url, opts) end

---An empty filesystem. Useful as the base of minimal images or of file-only
---states.
---
---```lua
---local out = bk.scratch():copy(built, "/out/app", "/app")
---bk.export(out, { entrypoint = { "/app" } })
---```
---@nodiscard
---@return State
function bk.scratch() end

--------------------------------------------------------------------------------
-- Graph
--------------------------------------------------------------------------------

---Layers several states on top of each other, like BuildKit's MergeOp: later
---states win where paths overlap. Takes at least 2 states, as arguments or as
---one array table.
---
---```lua
---local all = bk.merge(base, tools, config)
---local same = bk.merge({ base, tools, config })
---```
---@nodiscard
---@param ... State At least 2 states (or a single array table of states).
---@return State
---@overload fun(states: State[]): State
function bk.merge(...) end

---The changes that turn `lower` into `upper`, like BuildKit's DiffOp. Merge the
---result onto another state to apply just those changes.
---
---```lua
---local base = bk.image("alpine")
---local installed = base:run("apk add --no-cache curl")
---local curl_only = bk.diff(base, installed)
---local img = bk.merge(bk.image("alpine:3.19"), curl_only)
---```
---@nodiscard
---@param lower State
---@param upper State
---@return State
function bk.diff(lower, upper) end

---Image config for `bk.export`. Unset fields are omitted from the config.
---
---```lua
---bk.export(final, {
---  entrypoint = { "/server" },
---  env = { PORT = "8080" },
---  user = "nobody",
---  expose = { "8080/tcp" },
---  labels = { ["org.opencontainers.image.source"] = "https://github.com/org/app" },
---})
---```
---@class (exact) bk.ImageConfig
---@field entrypoint? string[] Entrypoint argv. Default: unset. Example: `entrypoint = { "/server" }`.
---@field cmd? string[] Default arguments (CMD). Default: unset. Example: `cmd = { "--port", "8080" }`.
---@field env? bk.Env Environment: a map (keys sorted) or a list of `"K=V"`. Default: none. Example: `env = { PATH = "/usr/bin:/bin" }`.
---@field user? string User (and group) the container runs as. Default: unset. Example: `user = "1000:1000"`.
---@field workdir? string Working directory. Default: unset. Example: `workdir = "/app"`.
---@field expose? string[] Exposed ports as `"port/proto"`; a bare `"8080"` means tcp. Default: none. Example: `expose = { "8080/tcp", "53/udp" }`.
---@field labels? table<string,string> Image labels. Default: none. Example: `labels = { version = "1.0" }`.
---@field volumes? string[] Volume mount points. Default: none. Example: `volumes = { "/data" }`.
---@field stop_signal? string Signal that stops the container. Default: unset (SIGTERM). Example: `stop_signal = "SIGINT"`.
---@field os? string Image OS. Default: the build's target platform's OS. Example: `os = "linux"`.
---@field arch? string Image architecture. Default: the build's target platform's architecture. Example: `arch = "arm64"`.
---@field variant? string Architecture variant. Default: the target platform's variant, if any. Example: `variant = "v7"`.

---Marks `state` as the build result, with an optional image config. Call it
---exactly once per script; a second call is an error.
---
---```lua
---bk.export(final, { entrypoint = { "/server" }, expose = { "8080" } })
---```
---@param state State The state to export.
---@param opts? bk.ImageConfig Image config (entrypoint, env, ports, ...).
function bk.export(state, opts) end

---A platform value for the `platform` option of `bk.image`: either one
---`"os/arch[/variant]"` string, or os, arch and variant as separate strings.
---The result is opaque; `tostring(p)` gives `"os/arch[/variant]"`.
---
---```lua
---local arm64 = bk.platform("linux/arm64")
---local armv7 = bk.platform("linux", "arm", "v7")
---local img = bk.image("alpine", { platform = armv7 })
---```
---@nodiscard
---@param spec_or_os string `"os/arch[/variant]"`, or the OS when `arch` is given.
---@param arch? string Architecture, e.g. `"arm64"`.
---@param variant? string Variant, e.g. `"v7"`.
---@return Platform
---@overload fun(spec: string): Platform
---@overload fun(os: string, arch: string, variant?: string): Platform
function bk.platform(spec_or_os, arch, variant) end

---A build argument (`luakit build --arg NAME=VALUE`), or `default` when it was
---not given (`nil` without a default). `os.getenv(name)` also returns build
---arguments, for compatibility with scripts written for the Go luakit.
---
---```lua
---local version = bk.arg("VERSION", "dev")
---local base = bk.image("golang:" .. bk.arg("GO_VERSION", "1.22") .. "-alpine")
---```
---@param name string Argument name.
---@param default? string Value when the argument was not given.
---@return string|nil
---@overload fun(name: string, default: string): string
function bk.arg(name, default) end

--------------------------------------------------------------------------------
-- Mounts
--------------------------------------------------------------------------------

---Options for `bk.cache`.
---
---```lua
---bk.cache("/go/pkg/mod", { id = "gomod", sharing = "locked" })
---```
---@class (exact) bk.CacheOptions
---@field id? string Cache id; mounts with the same id share contents across steps and builds. Default: the destination path. Ids are namespaced exactly as Dockerfile `RUN --mount=type=cache` does (a `/` is prepended), so luakit and Dockerfile builds on one daemon share caches with the same id. Example: `id = "gomod"`.
---@field sharing? bk.CacheSharing How concurrent builds share the cache: `"shared"`, `"private"` or `"locked"`. Default: `"shared"`.

---A persistent cache directory mounted at `dest` during a `run`. Its contents
---survive between builds and are not part of the result.
---
---```lua
---local deps = src:run("go mod download", {
---  cwd = "/app",
---  mounts = { bk.cache("/go/pkg/mod", { id = "gomod" }) },
---})
---```
---@nodiscard
---@param dest string Mount path inside the container.
---@param opts? bk.CacheOptions
---@return Mount
function bk.cache(dest, opts) end

---Options for `bk.secret`.
---
---```lua
---bk.secret("/run/secrets/npmrc", { id = "npmrc", mode = "0440", gid = 1000 })
---```
---@class (exact) bk.SecretOptions
---@field id? string Secret id (`buildctl --secret id=ID,src=FILE`). Default: the base name of `dest` (`"/run/secrets/token"` → `"token"`). Example: `id = "npmrc"`.
---@field uid? integer Owner uid of the secret file. Default: `0`.
---@field gid? integer Owner gid of the secret file. Default: `0`.
---@field mode? bk.FileMode File mode: a string parsed as octal, or a number taken as given. Default: `"0400"`. Example: `mode = "0440"`.
---@field optional? boolean Do not fail when the secret is not provided. Default: `false`.

---A build secret mounted as a file at `dest` during a `run`. The secret never
---ends up in the result or in the cache key.
---
---```lua
---local out = base:run("cat /run/secrets/token > /dev/null", {
---  mounts = { bk.secret("/run/secrets/token") },
---})
---```
---@nodiscard
---@param dest string Path of the secret file inside the container.
---@param opts? bk.SecretOptions
---@return Mount
function bk.secret(dest, opts) end

---Options for `bk.ssh`.
---
---```lua
---bk.ssh({ id = "github", optional = true })
---```
---@class (exact) bk.SSHOptions
---@field dest? string Socket path inside the container; `SSH_AUTH_SOCK` is set to it. Default: `"/run/buildkit/ssh_agent.N"`, N counting the ssh mounts of the step from 0. Example: `dest = "/run/ssh.sock"`.
---@field id? string SSH agent id (`buildctl --ssh ID=...`). Default: `"default"`.
---@field uid? integer Owner uid of the socket. Default: `0`.
---@field gid? integer Owner gid of the socket. Default: `0`.
---@field mode? bk.FileMode Socket mode: a string parsed as octal, or a number taken as given. Default: `"0600"`.
---@field optional? boolean Do not fail when the client forwards no such agent. Default: `false`.

---The client's SSH agent (`buildctl --ssh default`) forwarded into a `run`.
---`SSH_AUTH_SOCK` is set to the socket path.
---
---```lua
---local out = base:run("git clone git@github.com:org/private.git /src", {
---  mounts = { bk.ssh() },
---})
---```
---@nodiscard
---@param opts? bk.SSHOptions
---@return Mount
function bk.ssh(opts) end

---Options for `bk.tmpfs`.
---
---```lua
---bk.tmpfs("/tmp", { size = 64 * 1024 * 1024 })
---```
---@class (exact) bk.TmpfsOptions
---@field size? integer Size limit in bytes. Default: unlimited. Example: `size = 64 * 1024 * 1024`.

---An in-memory filesystem mounted at `dest` during a `run`; its contents are
---discarded afterwards.
---
---```lua
---local out = base:run("make test", { mounts = { bk.tmpfs("/tmp") } })
---```
---@nodiscard
---@param dest string Mount path inside the container.
---@param opts? bk.TmpfsOptions
---@return Mount
function bk.tmpfs(dest, opts) end

---Options for `bk.bind`.
---
---```lua
---bk.bind(src, "/src", { selector = "app", readonly = false })
---```
---@class (exact) bk.BindOptions
---@field selector? string Path inside `state` to mount instead of its root. Default: the root. With `readonly = false`, `get_mount` returns the whole source state with the changes made under the selected directory. Example: `selector = "config"`.
---@field readonly? boolean Mount read-only. A writable bind mount's final contents can be read with `State:get_mount(dest)` on the `run` result. Default: `true`.

---Another state's filesystem mounted at `dest` during a `run`.
---
---```lua
---local src = bk.local_("context")
---local built = bk.image("golang:1.22"):run("go build -o /out/app ./...", {
---  cwd = "/src",
---  mounts = { bk.bind(src, "/src"), bk.bind(bk.scratch(), "/out", { readonly = false }) },
---})
---local out = built:get_mount("/out")
---```
---@nodiscard
---@param state State The state to mount.
---@param dest string Mount path inside the container.
---@param opts? bk.BindOptions
---@return Mount
function bk.bind(state, dest, opts) end

--------------------------------------------------------------------------------
-- State methods
--------------------------------------------------------------------------------

---Options for `State:run`.
---
---```lua
---st:run("make", {
---  env = { CGO_ENABLED = "0" },
---  cwd = "/src",
---  network = "none",
---  mounts = { bk.cache("/root/.cache") },
---  valid_exit_codes = "0..1",
---  ulimits = { nofile = { soft = 1024, hard = 4096 } },
---  secret_env = { NPM_TOKEN = "npm_token" },
---})
---```
---@class (exact) bk.RunOptions
---@field env? bk.Env Extra environment variables: a map (applied with keys sorted) or a list of `"K=V"`. Default: none added. Example: `env = { GOOS = "linux" }`.
---@field cwd? string Working directory. Default: the image's working dir, else `"/"`. Example: `cwd = "/app"`.
---@field user? string User (and group) to run as, `"user[:group]"`. Default: the image's user when its config is known, else unset (root). Example: `user = "nobody"`.
---@field network? bk.NetworkMode `"sandbox"`, `"host"` or `"none"`. Default: `"sandbox"`.
---@field security? bk.SecurityMode `"sandbox"` or `"insecure"` (privileged). Default: `"sandbox"`.
---@field mounts? Mount[] Mounts from `bk.cache`, `bk.secret`, `bk.ssh`, `bk.tmpfs` and `bk.bind`. Default: none. Example: `mounts = { bk.cache("/root/.npm") }`.
---@field hostname? string Container hostname. Default: BuildKit's. Example: `hostname = "builder"`.
---@field valid_exit_codes? integer|integer[]|string Exit codes counted as success: one code, a list, or an inclusive range `"a..b"`. Default: `0` only. Example: `valid_exit_codes = { 0, 1 }` or `"0..2"`.
---@field extra_hosts? table<string,string> Extra `/etc/hosts` entries, host name → IP. Default: none. Example: `extra_hosts = { ["db.local"] = "10.0.0.5" }`.
---@field ulimits? table<string,bk.Ulimit> Resource limits by name; a number sets soft and hard. Default: BuildKit's. Example: `ulimits = { nofile = { soft = 1024, hard = 4096 } }`.
---@field secret_env? table<string,bk.SecretEnv> Environment variables filled from build secrets: variable name → secret id (or `{ id =, optional = }`). Default: none. Example: `secret_env = { NPM_TOKEN = "npm_token" }`.
---@field readonly_rootfs? boolean Make the root filesystem read-only. The result is then the unchanged input; only writable bind mounts produce output (read them with `get_mount`). Default: `false`.

---Runs a command in a container on this state and returns the resulting
---filesystem. A string runs `/bin/sh -c cmd`; a table is the argv as is.
---
---```lua
---local st = bk.image("alpine:3.19")
---st = st:run("apk add --no-cache git")
---st = st:run({ "git", "--version" }, { env = { GIT_TRACE = "1" }, cwd = "/tmp" })
---```
---@nodiscard
---@param cmd string|string[] Shell command string, or argv table.
---@param opts? bk.RunOptions
---@return State
function State:run(cmd, opts) end

---Options for `State:copy`. The defaults follow Dockerfile `COPY`.
---
---```lua
---st:copy(src, "bin/", "/usr/local/bin/", { mode = "0755", owner = "app:app", exclude = { "*.md" } })
---```
---@class (exact) bk.CopyOptions
---@field mode? bk.FileMode Mode of the copied files: a string parsed as octal, or a number taken as given. Default: keep the source modes. Example: `mode = "0755"`.
---@field owner? bk.Owner Owner of the copied files: `"user[:group]"`, a uid, or `{ user =, group = }`. Default: unchanged (files keep their ownership in `from`). Example: `owner = "1000:1000"`.
---@field follow_symlink? boolean Follow a symlink given as `src`. Default: `true`.
---@field create_dest_path? boolean Create missing parent directories of `dest`. Default: `true`.
---@field allow_wildcard? boolean Treat `src` as a glob pattern (`*.go`). Default: `true`.
---@field allow_empty_wildcard? boolean Succeed when a wildcard matches nothing. Default: `true`.
---@field copy_dir_contents? boolean Copying a directory copies its contents into `dest`, like `COPY`; false copies the directory itself. Default: `true`.
---@field include? string[] Only copy paths (under `src`) matching these patterns. Default: everything. Example: `include = { "*.go" }`.
---@field exclude? string[] Skip paths (under `src`) matching these patterns. Default: nothing. Example: `exclude = { "*_test.go" }`.

---Copies `src` from the state `from` to `dest` in this state, with Dockerfile
---`COPY` semantics by default. Relative paths are relative to `/`.
---
---```lua
---local src = bk.local_("context")
---local st = bk.image("node:20"):copy(src, "package.json", "/app/")
---st = st:copy(builder, "/out/app", "/usr/local/bin/app", { mode = "0755" })
---```
---@nodiscard
---@param from State State to copy from.
---@param src string Source path (or wildcard) in `from`.
---@param dest string Destination path in this state.
---@param opts? bk.CopyOptions
---@return State
function State:copy(from, src, dest, opts) end

---Options for `State:mkdir`.
---
---```lua
---st:mkdir("/var/lib/app", { mode = "0750", make_parents = true, owner = "app" })
---```
---@class (exact) bk.MkdirOptions
---@field mode? bk.FileMode Directory mode: a string parsed as octal, or a number taken as given. Default: `"0755"`. Example: `mode = "0700"`.
---@field make_parents? boolean Create missing parent directories (like `mkdir -p`). Default: `false`.
---@field owner? bk.Owner Owner: `"user[:group]"`, a uid, or `{ user =, group = }`. Default: root (0:0). Example: `owner = "1000:1000"`.

---Creates a directory. Relative paths are relative to `/`.
---
---```lua
---local st = bk.scratch():mkdir("/etc/app", { make_parents = true })
---```
---@nodiscard
---@param path string Directory path.
---@param opts? bk.MkdirOptions
---@return State
function State:mkdir(path, opts) end

---Options for `State:mkfile`.
---
---```lua
---st:mkfile("/usr/local/bin/hello", "#!/bin/sh\necho hi\n", { mode = "0755" })
---```
---@class (exact) bk.MkfileOptions
---@field mode? bk.FileMode File mode: a string parsed as octal, or a number taken as given. Default: `"0644"`. Example: `mode = "0755"`.
---@field owner? bk.Owner Owner: `"user[:group]"`, a uid, or `{ user =, group = }`. Default: root (0:0). Example: `owner = "app:app"`.

---Creates (or overwrites) a file with the given contents. Relative paths are
---relative to `/`. The parent directory must exist.
---
---```lua
---local st = bk.image("alpine"):mkfile("/etc/motd", "hello\n")
---```
---@nodiscard
---@param path string File path.
---@param data string File contents.
---@param opts? bk.MkfileOptions
---@return State
function State:mkfile(path, data, opts) end

---Options for `State:rm`.
---
---```lua
---st:rm("/var/cache/apk/*", { allow_wildcard = true, allow_not_found = true })
---```
---@class (exact) bk.RmOptions
---@field allow_not_found? boolean Succeed when the path does not exist. Default: `false`.
---@field allow_wildcard? boolean Treat `path` as a glob pattern. Default: `false`.

---Removes a file or directory (recursively). Relative paths are relative to
---`/`.
---
---```lua
---local st = base:rm("/tmp/build", { allow_not_found = true })
---```
---@nodiscard
---@param path string Path to remove.
---@param opts? bk.RmOptions
---@return State
function State:rm(path, opts) end

---Options for `State:symlink`.
---
---```lua
---st:symlink("/opt/app/bin/app", "/usr/local/bin/app", { owner = "app:app" })
---```
---@class (exact) bk.SymlinkOptions
---@field owner? bk.Owner Owner of the link: `"user[:group]"`, a uid, or `{ user =, group = }`. Default: root (0:0). Example: `owner = "1000:1000"`.

---Creates a symbolic link at `newpath` pointing at `oldpath` (like
---`ln -s oldpath newpath`).
---
---```lua
---local st = base:symlink("/usr/bin/python3", "/usr/bin/python")
---```
---@nodiscard
---@param oldpath string The link target.
---@param newpath string Path of the link to create.
---@param opts? bk.SymlinkOptions
---@return State
function State:symlink(oldpath, newpath, opts) end

---Options for `State:with_metadata`.
---
---```lua
---st:with_metadata({ description = "install deps", progress_group = "deps", ignore_cache = true })
---```
---@class (exact) bk.MetadataOptions
---@field description? string Name shown for this step in the build progress. Default: BuildKit's (the command or operation). Example: `description = "go build"`.
---@field progress_group? string Progress group id; steps with the same group are shown together. Default: none. Example: `progress_group = "compile"`.
---@field ignore_cache? boolean Always re-run this step instead of using the cache. Default: `false`.

---Returns a new State whose operation (the one that produced this state) has
---the given progress description, progress group and cache policy. The
---receiver is unchanged.
---
---```lua
---local deps = base:run("npm ci"):with_metadata({ description = "npm ci", progress_group = "deps" })
---```
---@nodiscard
---@param opts bk.MetadataOptions
---@return State
function State:with_metadata(opts) end

---On a state returned by `run`, the final contents of the writable bind mount
---at `dest` (a `bk.bind(..., { readonly = false })` mount) as a State.
---
---```lua
---local ran = bk.image("alpine"):run("echo hi > /out/hi.txt", {
---  mounts = { bk.bind(bk.scratch(), "/out", { readonly = false }) },
---})
---local out = ran:get_mount("/out")   -- contains hi.txt
---```
---@nodiscard
---@param dest string Destination path of the mount, as given to `bk.bind`.
---@return State
function State:get_mount(dest) end
