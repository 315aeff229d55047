local tarball = bk.http("https://example.com/a.tar.gz")
bk.export(bk.image("alpine:3.19"):copy(tarball, "a.tar.gz", "/tmp/a.tar.gz"))
