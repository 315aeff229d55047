-- Copies from another image, from a run's result, from scratch, and onto scratch.
local golang = bk.image("golang:1.22")
local base = bk.image("alpine:3.19")
local built = golang:run("go build -o /out/app .")
bk.export(bk.merge(
  base:copy(golang, "/usr/local/go/bin/go", "/usr/bin/go"),
  bk.scratch():copy(built, "/out/app", "/app", { owner = "app" }),
  base:copy(bk.scratch(), "/", "/nothing"),
  bk.scratch():copy(base, "/etc/os-release", "/")
))
