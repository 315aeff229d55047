bk.export(bk.merge(
  bk.http("https://example.com/tool-1.0.tar.gz", {
    checksum = "sha256:" .. string.rep("b", 64),
    filename = "tool.tgz",
    chmod = "0755",
    uid = 1000,
    gid = 1000,
    headers = { Accept = "application/octet-stream", ["User-Agent"] = "luakit" },
  }),
  bk.https("https://example.com/private/file", { auth_header_secret = "auth", chmod = 420 }),
  bk.http("http://example.com/only-uid", { uid = 7 })
))
