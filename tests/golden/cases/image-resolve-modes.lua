bk.export(bk.merge(
  bk.image("alpine:3.19", { resolve_mode = "pull" }),
  bk.image("debian:12", { resolve_mode = "local" }),
  bk.image("ubuntu:24.04", { resolve_mode = "default" })
))
