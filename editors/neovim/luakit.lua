-- luakit-ls in Neovim 0.7 and later: completion on <C-x><C-o>, K, gd, :LuakitEmit, :LuakitDag,
-- :LuakitBuild and code lenses that show what they did. Put this first in init.lua, then the part for your
-- Neovim version.
local luakit = {}

-- Whether `luakit-ls` can be started; when it cannot, says so once instead of once per buffer.
function luakit.available()
  if vim.fn.executable('luakit-ls') == 1 then
    return true
  end
  if not luakit.warned then
    luakit.warned = true
    vim.notify('luakit-ls is not on PATH (pip install luakit): no luakit features', vim.log.levels.WARN)
  end
  return false
end

-- Runs one of the server's commands and hands its result on, or shows why there is none.
local function execute(bufnr, command, arguments, on_result)
  local params = { command = command, arguments = arguments }
  vim.lsp.buf_request(bufnr, 'workspace/executeCommand', params, function(err, result, ctx)
    local client = vim.lsp.get_client_by_id(ctx.client_id)
    if not client or client.name ~= 'luakit' then
      return -- another server of the buffer (lua_ls) answering for itself
    end
    if err then
      vim.notify(command .. ': ' .. err.message, vim.log.levels.ERROR)
    elseif not result.ok then
      vim.notify(table.concat(result.problems, '\n'), vim.log.levels.ERROR)
    else
      on_result(result)
    end
  end)
end

-- The pb.Definition that `luakit build` writes, written by the server to `file`
-- (by default beside the script: build.lua -> build.llb).
function luakit.emit(bufnr, file)
  local script = vim.api.nvim_buf_get_name(bufnr)
  if file == nil or file == '' then
    file = vim.fn.fnamemodify(script, ':r') .. '.llb'
  end
  local path = vim.fn.fnamemodify(file, ':p')
  execute(bufnr, 'luakit.emitDefinition', { vim.uri_from_bufnr(bufnr), path }, function(result)
    vim.notify(string.format('luakit: wrote %s (%d ops)', result.path, result.ops))
  end)
end

-- The build graph as DOT in a scratch buffer, and drawn beside the script (build.lua ->
-- build.svg) when Graphviz's `dot` is installed.
function luakit.dag(bufnr)
  local script = vim.api.nvim_buf_get_name(bufnr)
  execute(bufnr, 'luakit.showDag', { vim.uri_from_bufnr(bufnr), 'dot' }, function(result)
    vim.cmd('new')
    local view = vim.api.nvim_get_current_buf()
    vim.bo[view].buftype = 'nofile'
    vim.bo[view].bufhidden = 'wipe'
    vim.api.nvim_buf_set_lines(view, 0, -1, false, vim.split(result.dot, '\n', { trimempty = true }))
    vim.bo[view].filetype = 'dot'
    if vim.fn.executable('dot') == 1 then
      local svg = vim.fn.fnamemodify(script, ':r') .. '.svg'
      local output = vim.fn.system({ 'dot', '-Tsvg', '-o', svg }, result.dot)
      if vim.v.shell_error == 0 then
        vim.notify('luakit: DAG drawn in ' .. svg)
      else
        vim.notify('dot: ' .. output, vim.log.levels.ERROR)
      end
    end
  end)
end

-- The script built on BuildKit (the daemon of the `buildkitHost` setting, else $BUILDKIT_HOST),
-- and how it went on the message line; a failed step is an LK010 diagnostic at its `run` line.
function luakit.build(bufnr)
  vim.notify('luakit: building ' .. vim.api.nvim_buf_get_name(bufnr))
  local params = { command = 'luakit.build', arguments = { vim.uri_from_bufnr(bufnr) } }
  vim.lsp.buf_request(bufnr, 'workspace/executeCommand', params, function(err, result, ctx)
    local client = vim.lsp.get_client_by_id(ctx.client_id)
    if not client or client.name ~= 'luakit' then
      return
    end
    if err then
      vim.notify('luakit.build: ' .. err.message, vim.log.levels.ERROR)
    elseif result.status == 'built' then
      vim.notify(string.format('luakit: built in %.1fs', result.seconds))
    elseif result.status == 'cancelled' then
      vim.notify('luakit: build cancelled', vim.log.levels.WARN)
    else
      vim.notify('luakit: ' .. (result.message or table.concat(result.problems or {}, '\n')), vim.log.levels.ERROR)
    end
  end)
end

-- The code lenses ("Emit LLB", "Show DAG", "Build" above each bk.export) run the same, so that
-- their result is shown (Neovim would otherwise send the command and drop the answer).
vim.lsp.commands['luakit.emitDefinition'] = function(_, ctx)
  luakit.emit(ctx.bufnr)
end
vim.lsp.commands['luakit.showDag'] = function(_, ctx)
  luakit.dag(ctx.bufnr)
end
vim.lsp.commands['luakit.build'] = function(_, ctx)
  luakit.build(ctx.bufnr)
end

-- Each Lua buffer the server attaches to: completion, keys, commands, lenses kept fresh
-- (<leader>l runs the lens of the cursor's line).
function luakit.on_attach(_, bufnr)
  vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
  vim.keymap.set('n', 'K', vim.lsp.buf.hover, { buffer = bufnr, desc = 'LSP hover' })
  vim.keymap.set('n', 'gd', vim.lsp.buf.definition, { buffer = bufnr, desc = 'LSP definition' })
  vim.keymap.set('n', '<leader>l', vim.lsp.codelens.run, { buffer = bufnr, desc = 'run code lens' })
  vim.api.nvim_buf_create_user_command(bufnr, 'LuakitEmit', function(opts)
    luakit.emit(bufnr, opts.args)
  end, { nargs = '?', complete = 'file', desc = 'write the LLB Definition to a file' })
  vim.api.nvim_buf_create_user_command(bufnr, 'LuakitDag', function()
    luakit.dag(bufnr)
  end, { desc = 'show the build graph' })
  vim.api.nvim_buf_create_user_command(bufnr, 'LuakitBuild', function()
    luakit.build(bufnr)
  end, { desc = 'build the script on BuildKit' })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'BufWritePost' }, {
    buffer = bufnr,
    callback = function()
      vim.lsp.codelens.refresh({ bufnr = bufnr })
    end,
  })
  vim.lsp.codelens.refresh({ bufnr = bufnr })
end
