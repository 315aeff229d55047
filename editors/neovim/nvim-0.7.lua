-- Neovim 0.7: one client for every Lua buffer (vim.lsp.start is 0.8+).
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'lua',
  callback = function(args)
    if not luakit.available() then
      return
    end
    if not (luakit.client and vim.lsp.get_client_by_id(luakit.client)) then
      luakit.client = vim.lsp.start_client({
        name = 'luakit',
        cmd = { 'luakit-ls', '--stdio' },
        root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ':p:h'),
        init_options = { timeout = 2 },
        -- settings = { luakit = { buildArgs = { BASE = 'alpine:3.19' } } },
        on_attach = luakit.on_attach,
      })
    end
    if luakit.client then
      vim.lsp.buf_attach_client(args.buf, luakit.client)
    end
  end,
})
