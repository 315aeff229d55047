-- Independent steps built in parallel and merged, and a diff that carries
-- exactly what an install step added onto a different base.
local base = bk.image("alpine:3.19")

-- Each tool is installed on its own; the merge puts the results side by side
-- without re-running anything when one of them changes.
local curl = base:run("apk add --no-cache curl")
local jq = base:run("apk add --no-cache jq")
local tools = bk.merge(curl, jq)

-- Only the files the nginx install changed, as a layer of their own...
local nginx_layer = bk.diff(base, base:run("apk add --no-cache nginx"))
-- ...applied onto the merged tools.
local server = bk.merge(tools, nginx_layer)
  :mkfile("/usr/share/nginx/html/index.html", "<h1>hello</h1>\n", { mode = "0644" })
  :with_metadata({ description = "site content" })

bk.export(server, { entrypoint = { "nginx", "-g", "daemon off;" }, expose = { 80 } })
