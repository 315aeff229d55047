-- Every kind of mount on one exec: sorted by destination, secrets and sockets last.
local base = bk.image("alpine:3.19")
local ctx = bk.local_("context")
bk.export(base:run("make", {
  env = { CI = "1" },
  secret_env = { TOKEN = "tok" },
  mounts = {
    bk.ssh(),
    bk.secret("/run/secrets/a"),
    bk.cache("/c", { sharing = "locked" }),
    bk.tmpfs("/t", { size = 1024 }),
    bk.bind(ctx, "/ctx", { selector = "sub" }),
    bk.secret("/run/secrets/b", { id = "bee" }),
  },
}))
