---@meta _

-- LuaLS type definitions for luakit's `bk` build API.
--
-- These stubs are the single source of truth for the API: editor completion,
-- hover and documentation come from here, and the test suite checks that every
-- function, method, parameter and option key declared here exists in the
-- runtime (and vice versa).
--
-- A luakit script describes a BuildKit LLB graph. Nothing runs while the script
-- runs: `bk.*` functions and `State` methods only build the graph, and
-- `bk.export` picks the state that becomes the build result.
--
-- Notes that apply everywhere:
-- * Passing more arguments than a function takes is an error ("takes at most N
--   arguments (...), got M", where the `opts` parameter is named `options`);
--   trailing `nil`s count as absent. An options table with an unknown key is an
--   error that suggests the closest option name.
-- * Lua has no octal literals. File modes are given as a string, which is parsed
--   as octal (`"0755"`, `"644"`, `"0o755"`), or as a number, which is taken as
--   given (`493` is 0755). A number written like an octal literal (`0644` is the
--   number 644) gets a warning, or is an error where its decimal value is no mode
--   that place takes: write `"0644"`.
-- * The set-uid, set-gid and sticky bits (`"4755"`, `"2775"`, `"1777"`) can be set
--   only with `State:copy`'s `mode`: BuildKit drops them from `mkdir`, `mkfile`,
--   secret and ssh modes and fails a download whose `chmod` has them, so there
--   they are an error that says where they can be set.
-- * Relative paths in `copy`, `mkdir`, `mkfile`, `rm` and `symlink` are relative
--   to the image's working directory when its config is known, else to `/`.

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
---variant) are **not** readable; `tostring(p)` gives the normalized
---`"os/arch"` or `"os/arch/variant"`. Use it as the `platform` option of
---`bk.image`.
---
---```lua
---local p = bk.platform("linux/aarch64")
---print(tostring(p)) --> linux/arm64
---```
---@class Platform

---A file mode. Lua has no octal literals: a string is parsed as octal
---(`"0755"`, `"644"`, `"0o755"`); a number is taken as given, so `493` means
---0755. A number written like an octal literal (`mode = 0644` is the number
---644) gets a warning, or is an error where its decimal value is no mode that
---place takes: write modes as strings. The set-uid, set-gid and sticky bits
---(`"4755"`) are allowed only in `State:copy`'s `mode`; elsewhere only the
---permission bits (up to `"0777"`) are.
---@alias bk.FileMode string|integer

---A platform: a string `"os/arch[/variant]"` such as `"linux/arm64"` or
---`"linux/arm/v7"`, a table with only the keys `os`, `arch` and `variant`
---(`{ os = "linux", arch = "arm64" }`; not `architecture`), or a `Platform`
---from `bk.platform`. An OS or an architecture alone is an error. Names are
---normalized like containerd's: `aarch64` → `arm64`, `x86_64` → `amd64`,
---`armhf` → `arm/v7`, `armel` → `arm/v6`, `arm` → `arm/v7`, `i386` → `386`,
---`macos` → `darwin`, all lower-cased.
---@alias bk.PlatformSpec string|{os:string,arch:string,variant?:string}|Platform

---A file owner: `"user"`, `"user:group"`, `":group"` (a group alone), a numeric
---uid, or a table `{ user = ..., group = ... }` naming at least one of them.
---Each part is a name (without `:` or spaces) or a numeric id (a number or a
---string of digits, 0 to 4294967295). Names are looked up in the target's
---`/etc/passwd` and `/etc/group`; `0` is root, not "unset".
---@alias bk.Owner string|integer|{user?:string|integer,group?:string|integer}

---The user a process runs as: the forms of a file owner (`"user"`,
---`"user:group"`, a numeric uid, `{ user = ..., group = ... }`), each part a
---name or a numeric id, but it must name a user: `":group"` or `{ group = ... }`
---alone is an error. Becomes the `"user[:group]"` text of Dockerfile `USER`.
---@alias bk.User string|integer|{user:string|integer,group?:string|integer}

---A numeric uid or gid: a number or a string of digits (`1000`, `"1000"`), 0 to
---4294967295. BuildKit takes only numbers here, so a name is an error.
---@alias bk.NumericId integer|string

---Environment variables: a map `{ KEY = "value" }` (applied with keys sorted,
---so the result is deterministic; a number value is written as Lua prints it)
---or a list of `"KEY=value"` strings (applied in list order). Names must not
---contain `=`.
---@alias bk.Env table<string,string|number>|string[]

---Image pull policy.
---@alias bk.ResolveMode
---| "default" # Use a local copy of the image if there is one, else pull it (the default).
---| "pull" # Always check the registry for a newer image.
---| "local" # Prefer the local copy; pull only when there is none.

---Cache mount sharing between concurrent builds.
---@alias bk.CacheSharing
---| "shared" # Concurrent writers share one cache (the default).
---| "private" # A concurrent writer gets a fresh, separate cache.
---| "locked" # Concurrent writers wait for each other.

---Network mode of a `run` step.
---@alias bk.NetworkMode
---| "sandbox" # An isolated network with outbound access (the default).
---| "host" # The host's network; needs `--allow network.host` and the daemon's entitlement.
---| "none" # No network at all.

---Security mode of a `run` step.
---@alias bk.SecurityMode
---| "sandbox" # The default confinement.
---| "insecure" # Privileged; needs `--allow security.insecure` and the daemon's entitlement.

---One ulimit: a single integer (soft = hard) or `{ soft = n, hard = m }`
---(`hard` defaults to `soft`).
---@alias bk.Ulimit integer|{soft:integer,hard?:integer}

---A secret exposed as an environment variable: the secret id, or
---`{ id = "npm_token", optional = true }` (`id` defaults to the variable's name).
---@alias bk.SecretEnv string|{id?:string,optional?:boolean}

--------------------------------------------------------------------------------
-- The bk table
--------------------------------------------------------------------------------

-- A class, not a plain table, so that LuaLS knows exactly which functions `bk`
-- has and flags a misspelled one (`bk.imagee`) as an undefined field.
---The luakit build API. Available as the global `bk` in every build script.
---@class bk
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
---@field platform? bk.PlatformSpec Platform to pull, as `"os/arch[/variant]"`, `{ os =, arch =, variant = }` (no other keys) or a `bk.platform(...)` value; aliases are normalized like containerd's (`aarch64` → `arm64`, `armhf` → `arm/v7`). Default: the build's target platform. Example: `platform = "linux/arm64"`.
---@field resolve_mode? bk.ResolveMode When to consult the registry: `"default"`, `"pull"` (always check) or `"local"` (prefer a local copy). Default: `"default"`.
---@field resolve_digest? boolean When true, the image config is looked up (by `luakit` in the registry, by the frontend through BuildKit): later `run`s get its env, working dir and user, the exported image starts from its config, and the image is pinned to the digest that was read, as Dockerfile `FROM` does. `false` skips the lookup and the pin. Default: `true`.

---A container image from a registry, as the root filesystem of a new state.
---`ref` is a Docker-style reference, normalized the way Docker does it:
---`alpine` becomes `docker.io/library/alpine:latest`, `ghcr.io/o/r` becomes
---`ghcr.io/o/r:latest`, and a `@sha256:...` digest is kept; a
---`docker-image://` prefix is dropped. Upper-case repository names are an error.
---When the image config is known, `run` steps on this state start with the
---image's environment (the default `PATH` if it sets none), working directory
---and user, and an export of a state built on it starts from the image's config.
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
---`local_` because `local` is a Lua keyword. The name is letters, digits,
---`.`, `_` and `-`, starting with a letter or digit.
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

---A Git repository checked out at a ref. The URL may carry the ref and a
---subdirectory as `#ref[:subdir]`; a `ref` option that disagrees with the URL's is
---an error.
---
---```lua
---local repo = bk.git("https://github.com/moby/buildkit.git", { ref = "v0.13.0" })
---local private = bk.git("git@github.com:org/private.git", { ref = "main" })
---```
---@nodiscard
---@param url string Repository URL: `https://...`, `http://...`, `ssh://...`, `git://...`, `user@host:path`, or `host/path` (taken as https); optionally ending in `#ref[:subdir]`.
---@param opts? bk.GitOptions
---@return State
function bk.git(url, opts) end

---Options for `bk.http` and `bk.https`.
---
---```lua
---bk.https("https://example.com/tool", { checksum = "sha256:...", filename = "tool", chmod = "0755" })
---```
---@class (exact) bk.HTTPOptions
---@field checksum? string Expected digest of the download, `sha256:`, `sha384:` or `sha512:` followed by lower-case hex; the build fails on mismatch. Default: no check. Example: `checksum = "sha256:e3b0c442..."`.
---@field filename? string Name of the downloaded file in the state's root: a plain file name, without `/`. Default: derived from the URL. Example: `filename = "tool.tar.gz"`.
---@field chmod? bk.FileMode Mode of the downloaded file: permission bits only (up to `"0777"`; BuildKit fails a download with set-uid, set-gid or sticky bits), and not 0 (BuildKit reads 0 as "unset"). A string is octal; a number is taken as given, and one written like an octal literal (`chmod = 0755`) is a warning or an error: write `"0755"`. Default: `"0600"` (BuildKit's). Example: `chmod = "0755"`.
---@field uid? bk.NumericId Owner uid of the downloaded file: a number or a string of digits; names are an error. Default: `0`. Example: `uid = 1000`.
---@field gid? bk.NumericId Owner gid of the downloaded file: a number or a string of digits; names are an error. Default: `0`. Example: `gid = 1000`.
---@field headers? table<string,string|number> Request headers. Only `Accept` and `User-Agent` (any case) are sent by BuildKit; any other header is an error. Default: none. Example: `headers = { Accept = "application/octet-stream" }`.
---@field auth_header_secret? string Id of a build secret whose value is sent as the `Authorization` header. Default: none.

---A single file downloaded over HTTP(S), placed in the root of a new state.
---`bk.http` and `bk.https` are identical; both accept both schemes. There are no
---`username`/`password` options (BuildKit has none, and they would be stored in
---clear text): put an `Authorization` header in a secret and name it with
---`auth_header_secret`.
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
---states. It takes no arguments and is no operation at all (like
---`llb.Scratch()`).
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
---one array table. `bk.scratch()` inputs add nothing and are dropped; a merge
---of one real input is that input.
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
---result onto another state to apply just those changes. The diff from
---`bk.scratch()` is `upper` itself.
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

---Image config for `bk.export`, laid over the base image's config the way Dockerfile
---instructions change it. The base is the config of the `bk.image` the exported
---state descends from (when it was looked up), else scratch's: `WorkingDir` `/` and
---the default `PATH`. An unset field keeps the base's value, except `os`/`arch`/`variant`.
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
---@field entrypoint? string[] Entrypoint argv, a list (a single string is an error). Default: the base's; setting it without `cmd` drops the base's CMD. Example: `entrypoint = { "/server" }`.
---@field cmd? string[] Default arguments (CMD), a list (a single string is an error). Default: the base's (none when `entrypoint` is set). Example: `cmd = { "--port", "8080" }`.
---@field env? bk.Env Environment: a map (keys sorted) or a list of `"K=V"`; replaces or adds to the base's variables. Default: the base's (with the default `PATH` if it sets none). Example: `env = { PATH = "/usr/bin:/bin" }`.
---@field user? bk.User User (and group) the container runs as: `"user"`, `"user:group"`, a numeric uid, or `{ user = ..., group = ... }`, each part a name or a numeric id; it must name a user. Default: the base's. Example: `user = "1000:1000"` or `user = 1000`.
---@field workdir? string Working directory. Default: the base's (`/` for scratch). Example: `workdir = "/app"`.
---@field expose? (string|integer)[] Exposed ports (1 to 65535) as `"port/proto"` with proto `tcp`, `udp` or `sctp`; a bare `"8080"` or `8080` means tcp. Added to the base's. Example: `expose = { "8080/tcp", "53/udp", 9090 }`.
---@field labels? table<string,string|number> Image labels; a number value is written as Lua prints it. Added to the base's. Example: `labels = { version = "1.0" }`.
---@field volumes? string[] Volume mount points. Added to the base's. Example: `volumes = { "/data" }`.
---@field stop_signal? string Signal that stops the container. Default: the base's (if none, SIGTERM). Example: `stop_signal = "SIGINT"`.
---@field os? string Image OS, normalized like a platform's (`macos` → `darwin`). Default: the OS of the exported state's platform, else of the build's target platform, else `linux`. Example: `os = "linux"`.
---@field arch? string Image architecture, normalized like a platform's (`aarch64` → `arm64`, `armhf` → `arm` with variant `v7`). Default: the architecture of the exported state's platform, else of the build's target platform, else the host's. Example: `arch = "arm64"`.
---@field variant? string Architecture variant. Default: the platform's variant when `arch` is not given, else none (or the one `arch` implies). Example: `variant = "v7"`.

---Marks `state` as the build result, with an optional image config. Call it
---exactly once per script; a second call is an error.
---
---```lua
---bk.export(final, { entrypoint = { "/server" }, expose = { "8080" } })
---```
---@param state State The state to export.
---@param config? bk.ImageConfig Image config (entrypoint, env, ports, ...).
function bk.export(state, config) end

---A platform value for the `platform` option of `bk.image`: either one
---`"os/arch[/variant]"` string (or a `{ os =, arch =, variant = }` table), or
---os, arch and variant as separate strings. Names are normalized like
---containerd's: `aarch64` → `arm64`, `x86_64` → `amd64`, `armhf` → `arm/v7`,
---`armel` → `arm/v6`, `i386` → `386`. The result is opaque; `tostring(p)` gives
---the normalized `"os/arch[/variant]"`.
---
---```lua
---local arm64 = bk.platform("linux/arm64")
---local armv7 = bk.platform("linux", "arm", "v7")
---local img = bk.image("alpine", { platform = armv7 })
---```
---@nodiscard
---@param spec bk.PlatformSpec `"os/arch[/variant]"` (or `{ os =, arch =, variant = }`), or the OS when `arch` is given.
---@param arch? string Architecture, e.g. `"arm64"`.
---@param variant? string Variant, e.g. `"v7"`.
---@return Platform
---@overload fun(spec: bk.PlatformSpec): Platform
---@overload fun(os: string, arch: string, variant?: string): Platform
function bk.platform(spec, arch, variant) end

-- The result is declared `string` also without a default (where a missing
-- argument is `nil`), so that the usual `bk.image(bk.arg("BASE"))` type-checks in
-- LuaLS: an argument without a default is one the build needs, and when it is
-- missing luakit reports the line that uses the `nil` ("bk.image: ref must be a
-- string, got nil"). `string|nil` would make LuaLS warn on every such call.
---A build argument (`luakit build --arg NAME=VALUE`), or `default` when it was
---not given (`nil` without a default). `os.getenv(name)` also returns build
---arguments, for compatibility with scripts written for the Go luakit.
---
---```lua
---local version = bk.arg("VERSION", "dev")
---local base = bk.image("golang:" .. bk.arg("GO_VERSION", "1.22") .. "-alpine")
---```
---@param name string Argument name.
---@param default? string|number Value when the argument was not given; a number is returned as Lua prints it.
---@return string value The argument's value, else `default` as a string, else `nil`.
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

---A persistent cache directory mounted at `dest` during a `run`. It starts
---empty, its contents survive between builds, and they are not part of the
---result.
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
---@field uid? bk.NumericId Owner uid of the secret file: a number or a string of digits; names are an error. Default: `0`. Example: `uid = 1000`.
---@field gid? bk.NumericId Owner gid of the secret file: a number or a string of digits; names are an error. Default: `0`. Example: `gid = 1000`.
---@field mode? bk.FileMode File mode, permission bits only (up to `"0777"`; set-uid, set-gid and sticky bits are an error, as BuildKit drops them). A string is octal; a number is taken as given, and one written like an octal literal (`mode = 0440`) is a warning or an error: write `"0440"`. Default: `"0400"`. Example: `mode = "0440"`.
---@field optional? boolean Do not fail when the secret is not provided. Default: `false`.

---A build secret mounted as a file at `dest` during a `run`. The secret never
---ends up in the result or in the cache key. When `dest` has no file name to
---take the id from, give `id`.
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
---@field uid? bk.NumericId Owner uid of the socket: a number or a string of digits; names are an error. Default: `0`. Example: `uid = 1000`.
---@field gid? bk.NumericId Owner gid of the socket: a number or a string of digits; names are an error. Default: `0`. Example: `gid = 1000`.
---@field mode? bk.FileMode Socket mode, permission bits only (up to `"0777"`; set-uid, set-gid and sticky bits are an error, as BuildKit drops them). A string is octal; a number is taken as given, and one written like an octal literal is a warning or an error: write `"0660"`. Default: `"0600"`. Example: `mode = "0660"`.
---@field optional? boolean Do not fail when the client forwards no such agent. Default: `false`.

---The client's SSH agent (`buildctl --ssh default`) forwarded into a `run`.
---`SSH_AUTH_SOCK` is set to the first ssh mount's socket path, unless the
---step's `env` sets it. Takes only an options table (a string is an error: give
---the path as `dest`).
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
---@field size? integer Size limit in bytes, not negative. Default: unlimited. Example: `size = 64 * 1024 * 1024`.

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
---@field env? bk.Env Extra environment variables: a map (applied with keys sorted) or a list of `"K=V"`. They apply to this command only. Default: none added. Example: `env = { GOOS = "linux" }`.
---@field cwd? string Working directory; a relative one is relative to the image's working dir. Default: the image's working dir, else `"/"`. Example: `cwd = "/app"`.
---@field user? bk.User User (and group) to run as: `"user"`, `"user:group"`, a numeric uid, or `{ user = ..., group = ... }`, each part a name or a numeric id (as file owners are written); it must name a user, so `":group"` alone is an error. Default: the image's user when its config is known, else unset (root). Example: `user = "nobody"`, `user = 1000` or `user = "1000:1000"`.
---@field network? bk.NetworkMode `"sandbox"`, `"host"` or `"none"`. Default: `"sandbox"`.
---@field security? bk.SecurityMode `"sandbox"` or `"insecure"` (privileged). Default: `"sandbox"`.
---@field mounts? Mount[] Mounts from `bk.cache`, `bk.secret`, `bk.ssh`, `bk.tmpfs` and `bk.bind`. A relative destination is placed under `cwd`; two mounts at one path, or a mount at `/`, are an error. Default: none. Example: `mounts = { bk.cache("/root/.npm") }`.
---@field hostname? string Container hostname. Default: BuildKit's. Example: `hostname = "builder"`.
---@field valid_exit_codes? integer|integer[]|string Exit codes (0 to 255) counted as success: one code, a list, or an inclusive range `"a..b"`. Default: `0` only. Example: `valid_exit_codes = { 0, 1 }` or `"0..2"`.
---@field extra_hosts? table<string,string> Extra `/etc/hosts` entries, host name → IP address (IPv4 or IPv6). Default: none. Example: `extra_hosts = { ["db.local"] = "10.0.0.5" }`.
---@field ulimits? table<string,bk.Ulimit> Resource limits by name (`core`, `cpu`, `data`, `fsize`, `locks`, `memlock`, `msgqueue`, `nice`, `nofile`, `nproc`, `rss`, `rtprio`, `rttime`, `sigpending`, `stack`); a number sets soft and hard. Default: BuildKit's. Example: `ulimits = { nofile = { soft = 1024, hard = 4096 } }`.
---@field secret_env? table<string,bk.SecretEnv> Environment variables filled from build secrets: variable name → secret id (or `{ id =, optional = }`, the id defaulting to the variable's name). Default: none. Example: `secret_env = { NPM_TOKEN = "npm_token" }`.
---@field readonly_rootfs? boolean Make the root filesystem read-only. The result is then the unchanged input; only writable bind mounts produce output (read them with `get_mount`). Default: `false`.

---Runs a command in a container on this state and returns the resulting
---filesystem. A string runs `/bin/sh -c cmd`; a table is the argv as is (a
---number in it is written as Lua prints it).
---
---```lua
---local st = bk.image("alpine:3.19")
---st = st:run("apk add --no-cache git")
---st = st:run({ "git", "--version" }, { env = { GIT_TRACE = "1" }, cwd = "/tmp" })
---```
---@nodiscard
---@param cmd string|(string|number)[] Shell command string, or argv table (numbers are written as Lua prints them); not empty.
---@param opts? bk.RunOptions
---@return State
function State:run(cmd, opts) end

---Options for `State:copy`. The defaults follow Dockerfile `COPY`.
---
---```lua
---st:copy(src, "bin/", "/usr/local/bin/", { mode = "0755", owner = "app:app", exclude = { "*.md" } })
---```
---@class (exact) bk.CopyOptions
---@field mode? bk.FileMode Mode of the copied files, `"0000"` to `"7777"`: the one place where the set-uid, set-gid and sticky bits (`"4755"`, `"1777"`) can be set. A string is octal; a number is taken as given, and one written like an octal literal (`mode = 0755` is the number 755) gets a warning, or is an error when too large: write `"0755"`. Default: keep the source modes. Example: `mode = "0755"`.
---@field owner? bk.Owner Owner of the copied files: `"user"`, `"user:group"`, `":group"`, a numeric uid, or `{ user =, group = }`; each part a name or a numeric id. Default: unchanged (files keep their ownership in `source`). Example: `owner = "1000:1000"`.
---@field follow_symlink? boolean Follow a symlink given as `src`. Default: `true`.
---@field create_dest_path? boolean Create missing parent directories of `dest`. Default: `true`.
---@field allow_wildcard? boolean Treat `src` as a glob pattern (`*.go`). Default: `true`.
---@field allow_empty_wildcard? boolean Succeed when a wildcard matches nothing. Default: `true`.
---@field copy_dir_contents? boolean Copying a directory copies its contents into `dest`, like `COPY`; false copies the directory itself. Default: `true`.
---@field include? string[] Only copy paths (under `src`) matching these patterns. Default: everything. Example: `include = { "*.go" }`.
---@field exclude? string[] Skip paths (under `src`) matching these patterns. Default: nothing. Example: `exclude = { "*_test.go" }`.

---Copies `src` from the state `source` to `dest` in this state, with Dockerfile
---`COPY` semantics by default. A relative `src` is relative to `source`'s
---working directory, a relative `dest` to this state's (each the image's when
---its config is known, else `/`). A trailing `/` on `dest` means "into this
---directory".
---
---```lua
---local src = bk.local_("context")
---local st = bk.image("node:20"):copy(src, "package.json", "/app/")
---st = st:copy(builder, "/out/app", "/usr/local/bin/app", { mode = "0755" })
---```
---@nodiscard
---@param source State State to copy from.
---@param src string Source path (or wildcard) in `source`.
---@param dest string Destination path in this state.
---@param opts? bk.CopyOptions
---@return State
function State:copy(source, src, dest, opts) end

---Options for `State:mkdir`.
---
---```lua
---st:mkdir("/var/lib/app", { mode = "0750", make_parents = true, owner = "app" })
---```
---@class (exact) bk.MkdirOptions
---@field mode? bk.FileMode Directory mode, permission bits only (up to `"0777"`; set-uid, set-gid and sticky bits are an error, as BuildKit drops them: set them with `State:copy`'s `mode` or a chmod in `run`). A string is octal; a number is taken as given, and one written like an octal literal (`mode = 0755`) is a warning or an error: write `"0755"`. Default: `"0755"`. Example: `mode = "0700"`.
---@field make_parents? boolean Create missing parent directories (like `mkdir -p`). Default: `false`.
---@field owner? bk.Owner Owner: `"user"`, `"user:group"`, `":group"`, a numeric uid, or `{ user =, group = }`; each part a name or a numeric id. Default: root (0:0). Example: `owner = "1000:1000"`.

---Creates a directory. A relative path is relative to the image's working
---directory when its config is known, else to `/`.
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
---@field mode? bk.FileMode File mode, permission bits only (up to `"0777"`; set-uid, set-gid and sticky bits are an error, as BuildKit drops them: set them with `State:copy`'s `mode` or a chmod in `run`). A string is octal; a number is taken as given, and one written like an octal literal (`mode = 0644`, which is octal 1204) is a warning or an error: write `"0644"`. Default: `"0644"`. Example: `mode = "0755"`.
---@field owner? bk.Owner Owner: `"user"`, `"user:group"`, `":group"`, a numeric uid, or `{ user =, group = }`; each part a name or a numeric id. Default: root (0:0). Example: `owner = "app:app"`.

---Creates (or overwrites) a file with the given contents. A relative path is
---relative to the image's working directory when its config is known, else to
---`/`. The parent directory must exist.
---
---```lua
---local st = bk.image("alpine"):mkfile("/etc/motd", "hello\n")
---```
---@nodiscard
---@param path string File path.
---@param data string File contents, any bytes (`""` for an empty file).
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

---Removes a file or directory (recursively). A relative path is relative to
---the image's working directory when its config is known, else to `/`.
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
---@field owner? bk.Owner Owner of the link: `"user"`, `"user:group"`, `":group"`, a numeric uid, or `{ user =, group = }`; each part a name or a numeric id. Default: root (0:0). Example: `owner = "1000:1000"`.

---Creates a symbolic link at `newpath` pointing at `oldpath` (like
---`ln -s oldpath newpath`). A relative `oldpath` stays relative; a relative
---`newpath` is relative to the image's working directory, else to `/`.
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
---receiver is unchanged. The options table is required, and `bk.scratch()` has
---no operation to describe.
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
---@param dest string Destination path of the mount, as given to `bk.bind` (a relative one is relative to the run's `cwd`).
---@return State
function State:get_mount(dest) end
