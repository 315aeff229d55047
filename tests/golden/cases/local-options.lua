local ctx = bk.local_("context", {
  include = { "*.go", "go.*", "cmd/**" },
  exclude = { "vendor", "**/*_test.go" },
  shared_key_hint = "ctx",
  follow_paths = { "cmd/app" },
})
-- Go's JSON escapes <, > and & in the pattern lists.
local odd = bk.local_("odd", { exclude = { "<tmp>", "a&b" } })
local one = bk.local_("one", { include = { "Makefile" } })
bk.export(bk.merge(ctx, odd, one))
