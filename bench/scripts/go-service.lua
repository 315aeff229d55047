-- A Go service as people write it: modules downloaded in their own cached step,
-- tests and the build with Go's caches mounted, a private module fetched over ssh,
-- and only the binary (plus CA certificates) in the runtime image.

local go_version = "1.22"
local builder = bk.image("golang:" .. go_version .. "-bookworm")

local gomod = bk.cache("/go/pkg/mod", { id = "gomod", sharing = "shared" })
local gobuild = bk.cache("/root/.cache/go-build", { id = "gobuild" })

local tools = builder:run("apt-get update && apt-get install -y --no-install-recommends git ca-certificates", {
  mounts = {
    bk.cache("/var/cache/apt", { id = "apt-cache", sharing = "locked" }),
    bk.cache("/var/lib/apt", { id = "apt-lib", sharing = "locked" }),
  },
})

local manifests = bk.local_("context", { include = { "go.mod", "go.sum" } })
local deps = tools
  :copy(manifests, ".", "/src/")
  :run("go mod download", {
    cwd = "/src",
    env = { GOPRIVATE = "example.com/*", GOFLAGS = "-mod=readonly" },
    mounts = { gomod, bk.ssh({ id = "default" }) },
  })

local source = bk.local_("context", { exclude = { ".git", "bin", "dist", "*.md" } })
local tree = deps:copy(source, ".", "/src/")

local tested = tree:run("go vet ./... && go test ./...", {
  cwd = "/src",
  mounts = { gomod, gobuild },
})

local built = tree:run({ "go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/server", "./cmd/server" }, {
  cwd = "/src",
  env = { CGO_ENABLED = "0", GOOS = "linux", GOARCH = "amd64" },
  mounts = { gomod, gobuild },
})

local migrate = tree:run({ "go", "build", "-o", "/out/migrate", "./cmd/migrate" }, {
  cwd = "/src",
  env = { CGO_ENABLED = "0" },
  mounts = { gomod, gobuild },
})

local runtime = bk.image("gcr.io/distroless/static-debian12")
  :copy(tools, "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt")
  :copy(built, "/out/server", "/usr/local/bin/server", { mode = "0755" })
  :copy(migrate, "/out/migrate", "/usr/local/bin/migrate", { mode = "0755" })
  :mkfile("/etc/server/config.yaml", "listen: :8080\nlog: json\n", { mode = "0644" })

-- The test step's result is merged in so that a failing test fails the build.
bk.export(bk.merge(runtime, bk.diff(tree, tested)), {
  entrypoint = { "/usr/local/bin/server" },
  user = "65532",
  expose = { "8080/tcp" },
})
