local base = bk.image("alpine:3.19")
bk.export(bk.merge(
  base:run("true", { network = "none" }),
  base:run("true", { network = "host", security = "insecure" }),
  base:run("true", { network = "sandbox", security = "sandbox" })
))
