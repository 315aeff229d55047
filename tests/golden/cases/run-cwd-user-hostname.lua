local base = bk.image("alpine:3.19")
bk.export(bk.merge(
  base:run("pwd", { cwd = "/src/app", user = "app:staff", hostname = "builder" }),
  base:run("pwd", { cwd = "sub/dir", user = 1000 }),
  base:run("id", { user = { user = "app", group = 10 } })
))
