bk.export(bk.merge(
  bk.git("https://example.com/private.git", { auth_token_secret = "TOKEN", auth_header_secret = "HEADER" }),
  bk.git("https://example.com/mods.git", { ref = "main", skip_submodules = true })
))
