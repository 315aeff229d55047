local base = bk.image("python:3.12-slim")
bk.export(base
  :symlink("/usr/local/bin/python3", "/usr/local/bin/py")
  :symlink("../lib/libx.so.1", "/opt/lib/libx.so", { owner = "app" })
  :symlink("target", "/link", { owner = "1000:1000" }))
