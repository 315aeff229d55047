-- A Go service: modules in a cached step, the build with Go's caches, the binary on distroless.
local builder = bk.image("golang:1.22-alpine")
local mods = bk.local_("context", { include = { "go.mod", "go.sum" } })
local src = bk.local_("context", { exclude = { ".git", "bin" } })
local gomod = bk.cache("/go/pkg/mod", { id = "gomod" })
local deps = builder:copy(mods, ".", "/app/"):run("go mod download", { cwd = "/app", mounts = { gomod } })
local built = deps:copy(src, ".", "/app/"):run({ "go", "build", "-ldflags=-s -w", "-o", "/out/server", "./cmd/server" }, {
  cwd = "/app",
  env = { CGO_ENABLED = "0", GOOS = "linux", GOARCH = "amd64" },
  mounts = { gomod, bk.cache("/root/.cache/go-build", { id = "gobuild" }) },
})
local runtime = bk.image("gcr.io/distroless/static-debian12")
bk.export(runtime:copy(built, "/out/server", "/server", { mode = "0755" }), { entrypoint = { "/server" } })
