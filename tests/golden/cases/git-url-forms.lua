bk.export(bk.merge(
  bk.git("github.com/moby/buildkit"),
  bk.git("git://example.com/repo.git", { ref = "v1" }),
  bk.git("http://example.com/a/b.git#dev:sub/dir"),
  bk.git("https://example.com:8443/team/repo.git#v2")
))
