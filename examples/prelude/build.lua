#!/usr/bin/env luakit
-- The bundled prelude: common builds in a few lines.
local prelude = require("prelude")

local app = prelude.go_binary_app("1.22-alpine", bk.local_("context"), {
  output = "/out/server",
  final_path = "/app/server",
  user = "app",
})

bk.export(app, { entrypoint = { "/app/server" }, user = "app" })
