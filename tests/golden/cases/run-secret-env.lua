local base = bk.image("node:20")
bk.export(base:run("npm ci", {
  secret_env = { TOKEN = "tok", NPM_CONFIG = { id = "npmrc", optional = true }, PLAIN = { id = "PLAIN" } },
}))
