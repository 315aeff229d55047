local base = bk.image("golang:1.22")
bk.export(base:run("go build ./...", {
  cwd = "/src",
  mounts = {
    bk.cache("/root/.cache/go-build"),
    bk.cache("/go/pkg/mod", { id = "gomod", sharing = "locked" }),
    bk.cache("var/cache/apt/", { sharing = "private" }),
    bk.cache("/tmp/shared", { sharing = "shared" }),
  },
}))
