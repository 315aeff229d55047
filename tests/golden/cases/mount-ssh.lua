-- SSH_AUTH_SOCK names the first socket.
local base = bk.image("alpine:3.19")
bk.export(bk.merge(
  base:run("ssh-add -l", { mounts = { bk.ssh() } }),
  base:run("ssh-add -l", { mounts = {
    bk.ssh({ id = "github", dest = "/run/gh.sock", uid = 1000, gid = 1000, mode = "0660", optional = true }),
    bk.ssh({ id = "other" }),
  } })
))
