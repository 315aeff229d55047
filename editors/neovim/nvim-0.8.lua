-- Neovim 0.8 to 0.10: vim.lsp.start, which reuses the client of the same root.
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'lua',
  callback = function(args)
    if not luakit.available() then
      return
    end
    local dir = vim.fs.dirname(vim.api.nvim_buf_get_name(args.buf))
    -- The project's root: its git repository, else the folder of the nearest build.lua, so that
    -- a module (lib/util.lua) shares its scripts' client and they see its unsaved edits.
    local marker = vim.fs.find('.git', { upward = true, path = dir })[1]
      or vim.fs.find('build.lua', { upward = true, path = dir })[1]
    vim.lsp.start({
      name = 'luakit',
      cmd = { 'luakit-ls', '--stdio' },
      root_dir = marker and vim.fs.dirname(marker) or dir,
      init_options = { timeout = 2 },
      -- settings = { luakit = { buildArgs = { BASE = 'alpine:3.19' } } },
      on_attach = luakit.on_attach,
    })
  end,
})
