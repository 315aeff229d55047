local base = bk.image("alpine:3.19")
bk.export(base
  :mkfile("/etc/app.conf", "key=value\n")
  :mkfile("/etc/secret", "s", { mode = "0600", owner = "app:app" })
  :mkfile("bin.dat", "\0\1\255")
  :mkfile("/empty", "")
  :mkfile("/big", string.rep("x", 70000), { mode = "0444", owner = 1000 }))
