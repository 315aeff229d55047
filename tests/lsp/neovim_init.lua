-- Neovim (0.7+) as a real LSP client of luakit-ls, for tests/lsp/test_neovim.py:
--   nvim --headless --clean -u neovim_init.lua
-- Attaches the server to a script, then writes what an editor would show
-- (diagnostics, completion items, hover text) as JSON and quits. Settings:
--   LUAKIT_NVIM_CMD     the server command, as a JSON list
--   LUAKIT_NVIM_SCRIPT  the build script to open
--   LUAKIT_NVIM_OUT     where to write the JSON
-- `vim.lsp.start_client` is the 0.7 API (`vim.lsp.start` is 0.8+).

local out = assert(os.getenv("LUAKIT_NVIM_OUT"))
local result = { errors = {} }

local function finish()
  local file = assert(io.open(out, "w"))
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd("qa!")
end

local function request(buf, method, params)
  local answers, err = vim.lsp.buf_request_sync(buf, method, params, 15000)
  if not answers then
    table.insert(result.errors, method .. ": " .. tostring(err))
    return nil
  end
  for _, answer in pairs(answers) do
    if answer.error then
      table.insert(result.errors, method .. ": " .. vim.inspect(answer.error))
    end
    return answer.result
  end
end

local function main()
  local script = assert(os.getenv("LUAKIT_NVIM_SCRIPT"))
  local client_id = vim.lsp.start_client({
    name = "luakit",
    cmd = vim.fn.json_decode(assert(os.getenv("LUAKIT_NVIM_CMD"))),
    root_dir = vim.fn.fnamemodify(script, ":h"),
    init_options = { timeout = 2 },
  })
  assert(client_id, "the server did not start")
  vim.cmd("edit " .. vim.fn.fnameescape(script))
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, client_id)

  result.attached = vim.wait(20000, function()
    local client = vim.lsp.get_client_by_id(client_id)
    return client ~= nil and client.initialized == true
  end, 20)
  result.got_diagnostics = vim.wait(20000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      severity = d.severity, message = d.message, source = d.source,
      code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code),
    })
  end

  local document = { uri = vim.uri_from_bufnr(buf) }
  -- Line 1 is `local base = bk.image("alpine:3.19")`: `bk.|image` and `bk.im|age`.
  local completion = request(buf, "textDocument/completion", { textDocument = document, position = { line = 0, character = 16 } })
  result.completion = {}
  for _, item in ipairs((completion and (completion.items or completion)) or {}) do
    table.insert(result.completion, item.label)
  end
  local hover = request(buf, "textDocument/hover", { textDocument = document, position = { line = 0, character = 18 } })
  if hover and hover.contents then
    result.hover = type(hover.contents) == "table" and (hover.contents.value or vim.inspect(hover.contents)) or hover.contents
  end
  vim.lsp.stop_client(client_id)
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  table.insert(result.errors, tostring(err))
end
finish()
