bk.export(bk.git("https://example.com/team/repo.git/", { ref = "main" }))
