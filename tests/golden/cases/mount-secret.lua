local base = bk.image("alpine:3.19")
bk.export(base:run("cat /run/secrets/npmrc /root/.aws/credentials", {
  mounts = {
    bk.secret("/run/secrets/npmrc"),
    bk.secret("/root/.aws/credentials", { id = "aws", uid = 1000, gid = 1000, mode = "0440", optional = true }),
  },
}))
