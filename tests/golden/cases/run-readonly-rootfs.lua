-- A read-only root: the result is what the command wrote to its writable bind mount.
local base = bk.image("alpine:3.19")
local out = bk.scratch()
local r = base:run("echo hi > /out/hi", {
  readonly_rootfs = true,
  mounts = { bk.bind(out, "/out", { readonly = false }) },
})
bk.export(r:get_mount("/out"))
