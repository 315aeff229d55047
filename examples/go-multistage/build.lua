-- The Go multi-stage build from the luakit README: modules are downloaded in
-- their own cached step, the binary is built with Go's caches mounted, and only
-- the binary lands in a distroless runtime image.

-- Builder stage
local builder = bk.image("golang:1.21-alpine")

local go_files = bk.local_("context", {
    include = { "go.mod", "go.sum" }
})
local with_go = builder:copy(go_files, ".", "/app")

local deps = with_go:run("go mod download", {
    cwd = "/app",
    mounts = { bk.cache("/go/pkg/mod", { id = "gomod" }) }
})

local src = bk.local_("context")
local with_src = deps:copy(src, ".", "/app")

local built = with_src:run({
    "go", "build",
    "-ldflags=-s -w",
    "-o", "/out/server",
    "."
}, {
    cwd = "/app",
    mounts = {
        bk.cache("/go/pkg/mod", { id = "gomod" }),
        bk.cache("/root/.cache/go-build", { id = "gobuild" })
    }
})

-- Runtime stage
local runtime = bk.image("gcr.io/distroless/static-debian12")
local final = runtime:copy(built, "/out/server", "/server")

bk.export(final, {
    entrypoint = {"/server"},
    user = "nobody",
    expose = {"8080/tcp"}
})
