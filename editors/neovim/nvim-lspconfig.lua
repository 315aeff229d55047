-- nvim-lspconfig: luakit is not one of its servers, so it is registered as a custom one.
local configs = require('lspconfig.configs')
if not configs.luakit then
  configs.luakit = {
    default_config = {
      cmd = { 'luakit-ls', '--stdio' },
      filetypes = { 'lua' },
      -- The git repository, else the folder of the nearest build.lua (modules share its client).
      root_dir = function(file)
        local util = require('lspconfig.util')
        return util.root_pattern('.git')(file) or util.root_pattern('build.lua')(file)
      end,
      single_file_support = true,
    },
  }
end
if luakit.available() then
  require('lspconfig').luakit.setup({
    init_options = { timeout = 2 },
    -- settings = { luakit = { buildArgs = { BASE = 'alpine:3.19' } } },
    on_attach = luakit.on_attach,
  })
end
