-- Neovim 0.11 and later: vim.lsp.config and vim.lsp.enable.
vim.lsp.config('luakit', {
  cmd = { 'luakit-ls', '--stdio' },
  filetypes = { 'lua' },
  root_markers = { '.git' },
  init_options = { timeout = 2 },
  -- settings = { luakit = { buildArgs = { BASE = 'alpine:3.19' } } },
  on_attach = luakit.on_attach,
})
if luakit.available() then
  vim.lsp.enable('luakit')
end
