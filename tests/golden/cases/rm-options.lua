local base = bk.image("alpine:3.19")
bk.export(base
  :rm("/tmp/x")
  :rm("/var/cache/apk/*", { allow_wildcard = true, allow_not_found = true })
  :rm("rel/file", { allow_not_found = true }))
