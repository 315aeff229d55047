-- Sources and destinations: trailing slashes, "." and relative paths.
local base = bk.image("alpine:3.19")
local ctx = bk.local_("context")
bk.export(base
  :copy(ctx, "src/", "/app/")
  :copy(ctx, "*.json", "/app/")
  :copy(ctx, "README.md", "docs")
  :copy(ctx, ".", "/out/")
  :copy(ctx, "./a/../b", "/x/y")
  :copy(ctx, "/abs/path", "."))
