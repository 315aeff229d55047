-- Image references, normalized like Docker: library images, registries, ports, tags and digests.
bk.export(bk.merge(
  bk.image("alpine"),
  bk.image("ghcr.io/foo/bar"),
  bk.image("alpine:3.19@sha256:" .. string.rep("a", 64)),
  bk.image("library/busybox:1.36"),
  bk.image("localhost:5000/app/x:dev"),
  bk.image("docker-image://debian:12")
))
