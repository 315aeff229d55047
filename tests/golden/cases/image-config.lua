-- A base image's config (tests/golden/images.json): env, working dir, user; the image pinned by digest.
local go = bk.image("golang:1.22.12")
local built = go:run("go build ./...", { cwd = "src", env = { CGO_ENABLED = "0" } })
bk.export(built:mkdir("out"):copy(built, "src/app", "out/"):run("ls", { user = "root" }))
