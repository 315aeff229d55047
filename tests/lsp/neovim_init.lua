-- Drives a real Neovim set up exactly as docs/editors.md says, for tests/lsp/test_neovim.py:
--   nvim --headless --clean -u <the documented init.lua> -c 'luafile neovim_init.lua'
-- The documented set-up is the init; this file only does what a user would (opens a script,
-- types keys, runs commands) and writes what the editor then shows as JSON:
--   LUAKIT_NVIM_SCRIPT  the build script to open (line 2 has `cwdd`, a misspelled option)
--   LUAKIT_NVIM_OUT     where to write the JSON
--   LUAKIT_NVIM_MODE    "features" (everything a user does with luakit), "missing" (the server
--                       is not on PATH: open two Lua buffers and see what the editor says),
--                       "quick_fix" (the script's `cwdd` is on its own line of a `run(...)` call),
--                       "modules" (the script requires lib/util.lua, which is edited beside it),
--                       "timeout" (the script loops forever) or "build" (:LuakitBuild on the
--                       daemon of $BUILDKIT_HOST: the script's last `run` exits with the number in
--                       the file `status` beside it, 2, then 0)
-- Keys go through nvim_feedkeys and are typed by Neovim's own input loop, so each step yields
-- to the loop (a coroutine resumed by a timer) until what it waits for is on screen.

local out = assert(os.getenv("LUAKIT_NVIM_OUT"))
local script = assert(os.getenv("LUAKIT_NVIM_SCRIPT"))
local mode = os.getenv("LUAKIT_NVIM_MODE") or "features"
local result = { errors = {}, version = tostring(vim.version().major) .. "." .. tostring(vim.version().minor) }
local driver

local function finish()
  result.messages = vim.fn.execute("messages")
  local file = assert(io.open(out, "w"))
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd("qa!")
end

-- Waits (yielding to Neovim's loop) until `done()` is true; false after `ms`.
local function wait_for(done, ms)
  local deadline = vim.loop.hrtime() + ms * 1e6
  local timer = vim.loop.new_timer()
  timer:start(20, 20, vim.schedule_wrap(function()
    if timer:is_closing() then
      return
    end
    local ok, value = pcall(done)
    local met = ok and value
    if met or vim.loop.hrtime() > deadline then
      timer:stop()
      timer:close()
      local resumed, err = coroutine.resume(driver, met and true or false)
      if not resumed then
        table.insert(result.errors, tostring(err))
        finish()
      end
    end
  end))
  return coroutine.yield()
end

local function type_keys(keys)
  -- "m": the buffer's mappings apply (K, gd, <leader>l come from the documented on_attach).
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), "m", false)
end

-- vim.lsp.get_clients is 0.10+, vim.lsp.buf_get_clients is deprecated there.
local function clients(buf)
  return vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = buf }) or vim.lsp.buf_get_clients(buf)
end

local function luakit_client(buf)
  for _, client in pairs(clients(buf)) do
    if client.name == "luakit" then
      return client
    end
  end
end

local function floating_lines()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      return vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
    end
  end
end

local function diagnostics(buf)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(found, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      severity = d.severity, message = d.message, source = d.source,
      code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code),
    })
  end
  return found
end

local function features()
  type_keys(":edit " .. vim.fn.fnameescape(script) .. "<CR>")
  wait_for(function() return vim.api.nvim_buf_get_name(0) == script end, 5000)
  local buf = vim.api.nvim_get_current_buf()
  result.attached = wait_for(function()
    local client = luakit_client(buf)
    return client ~= nil and client.initialized ~= false
  end, 20000)
  result.omnifunc = vim.bo[buf].omnifunc
  result.got_diagnostics = wait_for(function() return #vim.diagnostic.get(buf) > 0 end, 20000)
  result.diagnostics = diagnostics(buf)

  -- Completion as typed, on a new first line: `local x = bk.` then <C-x><C-o> (the omnifunc)
  -- shows the menu; `bk.ima` then <C-x><C-o> has one match, which <C-y> takes.
  local function complete(typed)
    vim.api.nvim_win_set_cursor(0, { 1, 0 })
    type_keys("O" .. typed .. "<C-x><C-o>")
    wait_for(function() return #(vim.fn.complete_info({ "items" }).items or {}) > 0 end, 15000)
    local words = {}
    for _, item in ipairs(vim.fn.complete_info({ "items" }).items or {}) do
      table.insert(words, item.word)
    end
    type_keys("<C-y><Esc>")
    wait_for(function() return vim.fn.mode() == "n" end, 5000)
    local line = vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1]
    type_keys("u")  -- undo the new line: the script is as it was
    wait_for(function() return vim.api.nvim_buf_line_count(buf) == 3 end, 5000)
    return words, line
  end
  result.completion = complete("local x = bk.")
  result.completion_one, result.completed_line = complete("local x = bk.ima")

  -- K on `bk.im|age` (line 1): the hover float.
  vim.api.nvim_win_set_cursor(0, { 1, 18 })
  type_keys("K")
  result.hover_shown = wait_for(function() return floating_lines() ~= nil end, 15000)
  result.hover = floating_lines()
  vim.api.nvim_win_set_cursor(0, { 2, 0 })  -- moving closes the float
  wait_for(function() return floating_lines() == nil end, 5000)

  -- gd on `base` in `base:run` (line 2): the local's declaration on line 1.
  vim.api.nvim_win_set_cursor(0, { 2, 15 })
  type_keys("gd")
  wait_for(function() return vim.api.nvim_win_get_cursor(0)[1] == 1 end, 15000)
  result.definition_local = vim.api.nvim_win_get_cursor(0)
  -- gd on `bk.im|age`: into the API stubs.
  vim.api.nvim_win_set_cursor(0, { 1, 18 })
  type_keys("gd")
  wait_for(function() return vim.api.nvim_get_current_buf() ~= buf end, 15000)
  result.definition_file = vim.api.nvim_buf_get_name(0)
  result.definition_line = vim.api.nvim_get_current_line()
  vim.cmd("buffer " .. buf)

  -- :LuakitEmit on the broken script: no file, the problem on the message line.
  local refused = vim.fn.fnamemodify(script, ":h") .. "/refused.llb"
  vim.cmd("LuakitEmit " .. vim.fn.fnameescape(refused))
  result.emit_refused = wait_for(function() return vim.fn.execute("messages"):find("cwdd", 1, true) end, 20000)

  -- The fix (by hand here): the script is valid and its diagnostics go away.
  vim.cmd("2s/cwdd/cwd/")
  vim.cmd("write")
  result.fixed = wait_for(function() return #vim.diagnostic.get(buf) == 0 end, 20000)

  -- :LuakitEmit FILE writes the Definition there and says so.
  local emitted = vim.fn.fnamemodify(script, ":h") .. "/emitted.llb"
  vim.cmd("LuakitEmit " .. vim.fn.fnameescape(emitted))
  result.emitted = wait_for(function() return vim.fn.execute("messages"):find("luakit: wrote", 1, true) end, 20000)

  -- :LuakitDag opens the DOT in a new scratch buffer and draws it with Graphviz.
  vim.cmd("LuakitDag")
  wait_for(function() return vim.bo.filetype == "dot" end, 20000)
  result.dag_filetype = vim.bo.filetype
  result.dag_buftype = vim.bo.buftype
  result.dag = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  result.dag_drawn = wait_for(function() return vim.fn.execute("messages"):find("DAG drawn in", 1, true) end, 10000)
  vim.cmd("close")

  -- The "Emit LLB" code lens above bk.export (line 3): <leader>l, then its number in the list.
  vim.cmd("buffer " .. buf)
  wait_for(function() return #vim.lsp.codelens.get(buf) > 0 end, 15000)
  result.lenses = {}
  for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
    table.insert(result.lenses, lens.command and lens.command.title)
  end
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  type_keys("\\l1<CR>")
  result.lens_ran = wait_for(function()
    return select(2, vim.fn.execute("messages"):gsub("luakit: wrote", "")) >= 2
  end, 20000)
end

local function missing()
  -- Two Lua buffers, as a session would open: the guard speaks once, nothing raises.
  -- Typed, as a user opens files: an error in an autocommand is then reported as it would be.
  local other = vim.fn.fnamemodify(script, ":h") .. "/other.lua"
  type_keys(":edit " .. vim.fn.fnameescape(script) .. "<CR>:edit " .. vim.fn.fnameescape(other) .. "<CR>")
  wait_for(function() return vim.api.nvim_buf_get_name(0) == other end, 5000)
  wait_for(function() return false end, 1500)  -- anything the editor would report has come
  result.filetype = vim.bo.filetype
  result.clients = #(vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients())
end

-- Opens `path` (typed, in the current window, or a new one with `how` = "split"); its buffer,
-- once the luakit client is attached to it.
local function open(path, how)
  type_keys(":" .. (how or "edit") .. " " .. vim.fn.fnameescape(path) .. "<CR>")
  wait_for(function() return vim.api.nvim_buf_get_name(0) == path end, 5000)
  local buf = vim.api.nvim_get_current_buf()
  wait_for(function()
    local client = luakit_client(buf)
    return client ~= nil and client.initialized ~= false
  end, 20000)
  return buf
end

local function quick_fix()
  local buf = open(script)
  result.got_diagnostics = wait_for(function() return #vim.diagnostic.get(buf) > 0 end, 20000)
  result.diagnostics = diagnostics(buf)
  -- The cursor at the start of the `cwdd` line (not on the key, not on the `run(` line), then
  -- the documented `:lua vim.lsp.buf.code_action()`: the cursor's range and the line's
  -- diagnostics go to the server. The choice (`1<CR>`) must be waiting when the list opens
  -- after the answer, as a user's typing would: `:sleep` lets the answer in meanwhile (keys
  -- given to a headless Neovim once its list is open are not read).
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  type_keys(":lua vim.lsp.buf.code_action()<CR>:sleep 3<CR>1<CR>")
  result.applied = wait_for(function()
    return not vim.api.nvim_buf_get_lines(buf, 2, 3, false)[1]:find("cwdd", 1, true)
  end, 20000)
  result.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  result.cleared = wait_for(function() return #vim.diagnostic.get(buf) == 0 end, 20000)
end

local function modules()
  local module = vim.fn.fnamemodify(script, ":h") .. "/lib/util.lua"
  local evaluated = {}
  vim.lsp.handlers["luakit/evaluated"] = function(_, params)
    evaluated[params.uri] = true
  end
  -- Open, and evaluated once (`luakit/evaluated`): from then on the server knows that the
  -- script reads the module, and evaluates it again for the module's edits.
  local buf = open(script)
  wait_for(function() return evaluated[vim.uri_from_fname(script)] end, 20000)
  local lib = open(module, "split")
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  local function shown()
    return { script = diagnostics(buf), module = diagnostics(lib) }
  end

  -- An unsaved edit of the module: build.lua's diagnostics follow it; undone, both clear.
  type_keys(":3s/s:mkfile/s:XXmkfile/<CR>")
  result.unsaved = wait_for(function()
    return #vim.diagnostic.get(buf) > 0 and #vim.diagnostic.get(lib) > 0
  end, 20000)
  result.unsaved_shown, result.unsaved_modified = shown(), vim.bo[lib].modified
  result.unsaved_disk = table.concat(vim.fn.readfile(module), "\n") .. "\n"
  type_keys("u")
  result.reverted = wait_for(function()
    return #vim.diagnostic.get(buf) == 0 and #vim.diagnostic.get(lib) == 0
  end, 20000)

  -- Broken on disk and in the buffer; then fixed in the buffer and written: build.lua's
  -- diagnostic goes, build.lua never touched.
  type_keys(":3s/s:mkfile/s:XXmkfile/<CR>:write<CR>")
  result.broken = wait_for(function()
    return #vim.diagnostic.get(buf) > 0 and not vim.bo[lib].modified
  end, 20000)
  result.broken_shown = shown()
  type_keys(":3s/s:XXmkfile/s:mkfile/<CR>:write<CR>")
  result.fixed = wait_for(function()
    return #vim.diagnostic.get(buf) == 0 and not vim.bo[lib].modified
  end, 20000)
  result.fixed_shown = shown()
  result.script_untouched = vim.api.nvim_buf_get_changedtick(buf) == tick and not vim.bo[buf].modified
end

local function timeout()
  local buf = open(script)
  -- A 1-second limit, as settings of workspace/didChangeConfiguration (docs/editors.md,
  -- "Settings"), the way a Neovim user changes a running client's settings.
  local client = luakit_client(buf)
  client.config.settings = { luakit = { timeout = 1 } }
  client.notify("workspace/didChangeConfiguration", { settings = client.config.settings })
  result.timed_out = wait_for(function()
    local shown = vim.diagnostic.get(buf)
    return #shown > 0 and shown[1].message:find("after 1s", 1, true)
  end, 30000)
  result.diagnostics = diagnostics(buf)
end

local function build()
  local buf = open(script)
  local function step_failures()
    local found = {}
    for _, d in ipairs(diagnostics(buf)) do
      if d.code == "LK010" then
        table.insert(found, d)
      end
    end
    return found
  end
  -- :LuakitBuild as typed: the failed `run` becomes a diagnostic at its line.
  type_keys(":LuakitBuild<CR>")
  result.failed = wait_for(function() return #step_failures() > 0 end, 60000)
  result.failures = step_failures()
  result.failed_message = wait_for(function() return vim.fn.execute("messages"):find("run failed", 1, true) end, 5000)
  -- The context fixed outside the editor (the script unchanged, so its diagnostics stay until
  -- a build says otherwise), built again: the message says so and the diagnostic goes.
  wait_for(function() return false end, 500)  -- anything else the server would publish has come
  result.still_shown = #step_failures()
  local status = assert(io.open(vim.fn.fnamemodify(script, ":h") .. "/status", "w"))
  status:write("0\n")
  status:close()
  type_keys(":LuakitBuild<CR>")
  result.built = wait_for(function() return vim.fn.execute("messages"):find("luakit: built in", 1, true) end, 60000)
  result.cleared = wait_for(function() return #step_failures() == 0 end, 10000)
  result.after = diagnostics(buf)
end

local modes = { features = features, build = build, missing = missing, quick_fix = quick_fix, modules = modules, timeout = timeout }
driver = coroutine.create(function()
  local ok, err = xpcall(assert(modes[mode], mode), debug.traceback)
  if not ok then
    table.insert(result.errors, tostring(err))
  end
  finish()
end)
vim.defer_fn(function()
  local resumed, err = coroutine.resume(driver)
  if not resumed then
    table.insert(result.errors, tostring(err))
    finish()
  end
end, 0)
