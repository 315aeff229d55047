-- A Node web app: dependencies installed with npm's cache and a private registry
-- token (a secret), the front end and the server built in parallel stages, the
-- production dependencies pruned, and a slim runtime image owned by "node".

local node = bk.image("node:20-bookworm")
local npm_cache = bk.cache("/root/.npm", { id = "npm", sharing = "locked" })
local npmrc = bk.secret("/root/.npmrc", { id = "npmrc" })

local manifests = bk.local_("context", {
  include = { "package.json", "package-lock.json", "packages/*/package.json" },
})

local deps = node
  :copy(manifests, ".", "/app/")
  :run("npm ci --no-audit --no-fund", {
    cwd = "/app",
    env = { NODE_ENV = "development", CI = "true" },
    mounts = { npm_cache, npmrc },
  })

local source = bk.local_("context", {
  exclude = { "node_modules", "**/node_modules", "dist", "coverage", ".git" },
})
local tree = deps:copy(source, ".", "/app/")

local lint = tree:run("npm run lint", { cwd = "/app" })
local unit = tree:run("npm test -- --ci", {
  cwd = "/app",
  env = { CI = "true" },
  mounts = { bk.tmpfs("/tmp") },
})

local web = tree:run("npm run build --workspace packages/web", {
  cwd = "/app",
  env = { NODE_ENV = "production", PUBLIC_URL = "/" },
})
local server = tree:run("npm run build --workspace packages/server", {
  cwd = "/app",
  env = { NODE_ENV = "production" },
})

local prod_deps = deps:run("npm ci --omit=dev --no-audit --no-fund", {
  cwd = "/app",
  env = { NODE_ENV = "production" },
  mounts = { npm_cache, npmrc },
})

local runtime = bk.image("node:20-slim")
  :run("apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*")
  :mkdir("/app", { mode = "0755" })
  :copy(prod_deps, "/app/node_modules", "/app/node_modules")
  :copy(server, "/app/packages/server/dist", "/app/server")
  :copy(web, "/app/packages/web/dist", "/app/public")
  :copy(source, "package.json", "/app/package.json")
  :mkfile("/app/.env", "PORT=3000\nNODE_ENV=production\n", { mode = "0640" })
  :run("chown -R node:node /app")

local checks = bk.merge(bk.diff(tree, lint), bk.diff(tree, unit))

bk.export(bk.merge(runtime, checks), {
  entrypoint = { "/usr/bin/tini", "--" },
  cmd = { "node", "/app/server/index.js" },
  env = { NODE_ENV = "production", PORT = "3000" },
  user = "node",
  workdir = "/app",
  expose = { "3000/tcp" },
  labels = { ["org.opencontainers.image.source"] = "https://example.com/web-app" },
})
