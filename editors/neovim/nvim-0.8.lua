-- Neovim 0.8 to 0.10: vim.lsp.start, which reuses the client of the same root.
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'lua',
  callback = function(args)
    if not luakit.available() then
      return
    end
    local dir = vim.fs.dirname(vim.api.nvim_buf_get_name(args.buf))
    local git = vim.fs.find('.git', { upward = true, path = dir })[1]
    vim.lsp.start({
      name = 'luakit',
      cmd = { 'luakit-ls', '--stdio' },
      root_dir = git and vim.fs.dirname(git) or dir,
      init_options = { timeout = 2 },
      -- settings = { luakit = { buildArgs = { BASE = 'alpine:3.19' } } },
      on_attach = luakit.on_attach,
    })
  end,
})
