bk.export(bk.merge(
  bk.git("https://github.com/moby/buildkit.git", { ref = "v0.32.2" }),
  bk.git("https://github.com/moby/buildkit.git", {
    ref = "main", subdir = "docs", keep_git_dir = true,
    checksum = "0123456789abcdef0123456789abcdef01234567",
  }),
  bk.git("https://github.com/moby/buildkit.git")
))
