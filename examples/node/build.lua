-- A Node.js app: dependencies from the lockfile first (cached), then the build,
-- then only what runs is copied into a slim runtime.
local node = bk.image("node:20-alpine")
local ctx = bk.local_("context", { exclude = { "node_modules", ".git" } })
local npm_cache = bk.cache("/root/.npm", { sharing = "locked" })

local manifest = node:copy(ctx, "/", "/app", { include = { "package.json", "package-lock.json" } })
local deps = manifest:run("npm ci", { cwd = "/app", mounts = { npm_cache } })
local built = deps:copy(ctx, "/", "/app"):run("npm run build", { cwd = "/app", mounts = { npm_cache } })

local runtime = bk.image("node:20-alpine")
  :copy(deps, "/app/node_modules", "/app/node_modules")
  :copy(built, "/app/dist", "/app/dist")
  :copy(ctx, "package.json", "/app/package.json")

bk.export(runtime, {
  workdir = "/app",
  cmd = { "node", "dist/index.js" },
  env = { NODE_ENV = "production" },
  expose = { 3000 },
})
