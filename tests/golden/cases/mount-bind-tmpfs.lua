local base = bk.image("alpine:3.19")
local ctx = bk.local_("context")
local tools = bk.image("busybox:1.36")
local r = base:run("make", {
  cwd = "/work",
  mounts = {
    bk.bind(ctx, "/src", { selector = "sub/dir" }),
    bk.bind(tools, "/tools"),
    bk.bind(bk.scratch(), "out", { readonly = false }),
    bk.bind(base, "/base-rw", { readonly = false }),
    bk.tmpfs("/tmp", { size = 64 * 1024 * 1024 }),
    bk.tmpfs("/scratch"),
  },
})
bk.export(bk.merge(r, r:get_mount("/work/out"), r:get_mount("/base-rw")))
