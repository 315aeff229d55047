-- A Node app: npm ci with a cache and a private registry token, build, then a slim runtime.
local node = bk.image("node:20-bookworm")
local manifests = bk.local_("context", { include = { "package.json", "package-lock.json" } })
local deps = node:copy(manifests, ".", "/app/"):run("npm ci", {
  cwd = "/app",
  env = { NODE_ENV = "development" },
  mounts = { bk.cache("/root/.npm", { sharing = "locked" }), bk.secret("/root/.npmrc", { id = "npmrc" }) },
})
local src = bk.local_("context", { exclude = { "node_modules", "dist" } })
local built = deps:copy(src, ".", "/app/"):run("npm run build", { cwd = "/app" })
local prod = built:run("npm prune --omit=dev", { cwd = "/app", env = { NODE_ENV = "production" } })
local runtime = bk.image("node:20-slim")
  :mkdir("/app", { owner = "node:node" })
  :copy(prod, "/app/node_modules", "/app/node_modules", { owner = "node:node" })
  :copy(built, "/app/dist", "/app/dist", { owner = "node:node" })
  :copy(src, "package.json", "/app/package.json")
bk.export(runtime, { cmd = { "node", "dist/index.js" }, user = "node", workdir = "/app" })
