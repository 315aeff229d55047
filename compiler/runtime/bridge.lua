-- The sandbox and the bk API as Lua sees it. Runs once per evaluation, in a fresh
-- Lua 5.1 state, before any user code. It receives `host` (Python callables) and
-- returns the functions Python drives the evaluation with.
--
-- Everything this file needs is captured in locals first; then the global table
-- is emptied and refilled with only the sandboxed facilities, so no path from a
-- script leads back to `debug`, `io`, `package`, `python` or the host.

local host, hook_count, stdlib_prefix, keyed = ...

local type, error, pairs, ipairs, select, tostring, tonumber =
  type, error, pairs, ipairs, select, tostring, tonumber
local setmetatable, getmetatable, rawget, rawset, rawequal, next, unpack =
  setmetatable, getmetatable, rawget, rawset, rawequal, next, unpack
local pcall, xpcall, newproxy, loadstring, load, setfenv, getfenv =
  pcall, xpcall, newproxy, loadstring, load, setfenv, getfenv
local assert, collectgarbage, gcinfo = assert, collectgarbage, gcinfo
local debug_getinfo, debug_sethook = debug.getinfo, debug.sethook
local co_create, co_resume, co_yield, co_status, co_running =
  coroutine.create, coroutine.resume, coroutine.yield, coroutine.status, coroutine.running
local string_sub, string_byte, string_format, string_find, string_dump =
  string.sub, string.byte, string.format, string.find, string.dump
local table_concat, table_maxn = table.concat, table.maxn
local host_call, host_reused, host_describe, host_print, host_tick, host_require, host_getenv, host_compiled =
  host.call, host.reused, host.describe, host.print, host.tick, host.require, host.getenv, host.compiled

local function pack(...)
  return { n = select("#", ...), ... }
end

---------------------------------------------------------------- limits

-- A count hook asks the host whether the time is up. Once it is, the hook fires on
-- every instruction, so a script cannot swallow the error with pcall and go on.
local TIMEOUT = "\0luakit-timeout"
local call_site -- defined below
local function hook()
  -- The line running now: where a time-out (or, as the last line seen, a memory
  -- error, which no Lua code sees) is reported.
  if host_tick(call_site(2)) then
    debug_sethook(hook, "", 1)
    error(TIMEOUT, 0)
  end
end

local function guarded_thread(f)
  local co = co_create(f)
  debug_sethook(co, hook, "", hook_count)
  return co
end

local function guarded_wrap(f)
  local co = guarded_thread(f)
  return function(...)
    local r = pack(co_resume(co, ...))
    if not r[1] then
      error(r[2], 0)
    end
    return unpack(r, 2, r.n)
  end
end

---------------------------------------------------------------- call sites

local stdlib_prefix_length = #stdlib_prefix

-- The source of a function of the script or its modules; false for C functions and the stdlib.
-- Kept per function: debug.getinfo's "S" builds its strings anew on every call, where "fl"
-- (the frame's function and line) only looks, and a call site is looked up at every API call.
local user_sources = setmetatable({}, { __mode = "k" })

local function user_source(func)
  local source = user_sources[func]
  if source == nil then
    local info = debug_getinfo(func, "S")
    source = info.what ~= "C" and string_sub(info.source, 1, stdlib_prefix_length) ~= stdlib_prefix and info.source
    user_sources[func] = source
  end
  return source
end

-- The source and line of a frame's "fl" debug info when it is a line of the script or its
-- modules, else nil: not a C function (no line), not the "(tail call)" marker Lua 5.1 leaves
-- for lost frames (no function), not the stdlib.
local function user_place(info)
  if info ~= nil and info.func ~= nil and info.currentline > 0 then
    local source = user_source(info.func)
    if source then
      return source, info.currentline
    end
  end
  return nil
end

-- The first frame outside the bundled stdlib: errors and source locations point
-- at the user's line, also when a prelude helper made the call.
function call_site(level)
  local first
  while true do
    local info = debug_getinfo(level + 1, "Sl")
    if not info then
      break
    end
    -- skip C functions and the "(tail call)" markers Lua 5.1 leaves for lost frames
    if info.what ~= "C" and info.what ~= "tail" and info.currentline > 0 then
      first = first or info
      if string_sub(info.source, 1, stdlib_prefix_length) ~= stdlib_prefix then
        return info.source, info.currentline
      end
    end
    level = level + 1
  end
  if first then
    return first.source, first.currentline
  end
  return "", 0
end

---------------------------------------------------------------- handles

-- Only proxies minted here are in these tables: a script can make a userdata with
-- the same metatable string, but never one the host will take for a handle.
local handle_of = setmetatable({}, { __mode = "k" })
local kind_of = setmetatable({}, { __mode = "k" })
local key_of = setmetatable({}, { __mode = "k" }) -- a handle's part of a call's key (see `call_key`)
local prototypes = {}

local function wrap(kind, id, key)
  local proxy = newproxy(prototypes[kind])
  handle_of[proxy] = id
  kind_of[proxy] = kind
  key_of[proxy] = key
  return proxy
end

local function finish(status, a, b, c)
  if status == "handle" then
    return wrap(a, b, c)
  elseif status == "value" then
    return a
  end
  error(a, 0)
end

-- Where the last bk function or State method was looked up (`bk.image`, `deps.run`).
-- A Lua 5.1 tail call (`return deps:run(...)` in a helper) replaces the caller's
-- frame by the API function's, so the API function cannot see the line that called
-- it; but the lookup ran in that frame just before the call, and saw it. The frame
-- above the lookup's (function and line) tells a lookup that led to this call from
-- an older one (`local image = bk.image` ... `return image(x)` elsewhere): the
-- tail-called function sees that same frame right above the lost one.
local looked_up_source, looked_up_line, looked_up_from, looked_up_from_line = nil, 0, nil, 0

local function looked_up(level)
  looked_up_source, looked_up_line = user_place(debug_getinfo(level + 1, "fl"))
  if looked_up_source == nil then
    looked_up_source, looked_up_line = call_site(level + 1)
  end
  local parent = debug_getinfo(level + 2, "fl")
  if parent then
    looked_up_from, looked_up_from_line = parent.func, parent.currentline
  else
    looked_up_source = nil
  end
end

-- Whether the API function was tail-called from the frame that looked it up; its
-- caller's frame (level 2 of the API function) is then the "(tail call)" marker.
local function tail_called_after_lookup()
  if looked_up_source == nil then
    return false
  end
  local parent = debug_getinfo(4, "fl")
  return parent ~= nil and rawequal(parent.func, looked_up_from) and parent.currentline == looked_up_from_line
end

---------------------------------------------------------------- call keys

-- When the host reuses results (compiler/api/reuse.py, the editor's worker), a call of a
-- function in `keyed` sends its arguments written out as one string, the call's key: the host
-- looks the call up by it and converts the arguments only when it has no result for them.
-- (`keyed[name]` is whether to ask first, by the key alone: false for a function that always runs.)
-- Written here because reading a table through lupa costs ~1.5 us an entry, and making the
-- key from the converted arguments was half of a reused call's time; Lua walks a table at a
-- fraction of that, and a reused call then crosses with its arguments left unread.
--
-- Two keys are equal only when the arguments convert to equal values that every API function
-- treats alike (compiler/runtime/convert.py): each part says its type and where it ends, so no
-- two lists of values write the same string. Strings are their bytes; numbers their double
-- (%.17g tells every double apart: `-0` from `0`, `1.5` from `1.5000000000000002`); tables
-- their entries in `next` order, the order the host would convert them in (equal tables read in
-- another order are a missed reuse, never a wrong one); handles the key the host gave them
-- (their value's identity); other values their type, as the host sees them (an opaque value).
local MAX_TABLE_DEPTH = 64 -- as compiler/runtime/convert.py's: a deeper table is not keyed
-- Nor are arguments longer than this written out (a file's content, say): the host would keep
-- the key, as much again as the arguments it keeps, for as long as it keeps the result.
local MAX_KEY_LENGTH = 64 * 1024

-- The parts of the key being written, reused by every call: a key costs no table of its own
-- (each new table, and each time one grows, is an allocation: ~0.1-0.5 us here). Nothing else
-- runs while a key is written (no metamethod: `next` and `type` are raw), so one list serves.
local parts = {}

-- "<length>:" of strings of each length, and "n<number>;" of each number, made once per state:
-- table.concat writes a number with sprintf, ~0.5 us each.
local length_tags = setmetatable({}, {
  __index = function(tags, length)
    local tag = length .. ":"
    tags[length] = tag
    return tag
  end,
})
local number_tags = setmetatable({}, {
  __index = function(tags, number)
    local tag = string_format("n%.17g;", number)
    tags[number] = tag
    return tag
  end,
})

local add_key -- defined below: it calls itself for tables

-- Appends `value`'s part after parts[n]; returns the new last index, or nil for a table nested
-- too deeply (the host then converts the arguments and reports it). A string is "<length>:"
-- and its bytes, a number "n<%.17g>;", a table "{" its keys and values "}", a boolean "T" or
-- "F", a nil "_", a handle its key from the host, any other value "o<type>;".
function add_key(n, value, depth)
  local kind = type(value)
  if kind == "string" then
    parts[n + 1] = length_tags[#value]
    parts[n + 2] = value
    return n + 2
  elseif kind == "table" then
    if depth > MAX_TABLE_DEPTH then
      return nil
    end
    parts[n + 1] = "{"
    n = n + 1
    for k, item in next, value do
      -- Most keys and values are strings: written here rather than in a call each
      -- (a Lua call costs about what writing the string does).
      if type(k) == "string" then
        parts[n + 1] = length_tags[#k]
        parts[n + 2] = k
        n = n + 2
      else
        n = add_key(n, k, depth + 1)
        if n == nil then
          return nil
        end
      end
      if type(item) == "string" then
        parts[n + 1] = length_tags[#item]
        parts[n + 2] = item
        n = n + 2
      else
        n = add_key(n, item, depth + 1)
        if n == nil then
          return nil
        end
      end
    end
    parts[n + 1] = "}"
  elseif kind == "number" then
    parts[n + 1] = value ~= value and "nnan;" or number_tags[value] -- NaN is no table key
  elseif kind == "boolean" then
    parts[n + 1] = value and "T" or "F"
  elseif kind == "nil" then
    parts[n + 1] = "_"
  else -- a handle, or a value the host only knows the type of
    parts[n + 1] = key_of[value] or ("o" .. kind .. ";")
  end
  return n + 1
end

-- The key of a call's arguments, or nil when none is written (see `add_key`, MAX_KEY_LENGTH).
local function call_key(...)
  local n = 0
  for i = 1, select("#", ...) do -- not ipairs: an argument may be nil
    n = add_key(n, (select(i, ...)), 0)
    if n == nil then
      return nil
    end
  end
  local key = table_concat(parts, "", 1, n)
  if #key > MAX_KEY_LENGTH then
    return nil
  end
  return key
end

---------------------------------------------------------------- API functions

local function api(name)
  local is_keyed = keyed ~= nil and keyed[name] ~= nil
  local ask_first = is_keyed and keyed[name]
  return function(...)
    local source, line
    -- One look at the caller answers the usual case, a call on a line of the script;
    -- call_site walks further up only for stdlib helpers (about a third of the
    -- bridge's time per call went to these looks).
    local caller = debug_getinfo(2, "fl")
    if caller ~= nil and caller.func == nil and tail_called_after_lookup() then -- a "(tail call)" marker
      source, line = looked_up_source, looked_up_line
    else
      source, line = user_place(caller)
      if source == nil then
        source, line = call_site(2)
      end
    end
    looked_up_source = nil
    if is_keyed then
      -- Asked by its key alone first: a reused call's arguments never cross to the host.
      local key = call_key(...)
      if key ~= nil and ask_first then
        local status, a, b, c = host_reused(name, source, line, key)
        if status ~= nil then
          return finish(status, a, b, c)
        end
      end
      return finish(host_call(name, source, line, key, ...))
    end
    return finish(host_call(name, source, line, nil, ...))
  end
end

local function define_kind(kind, index)
  local proto = newproxy(true)
  local mt = getmetatable(proto)
  mt.__metatable = "luakit." .. kind
  mt.__tostring = function(self)
    return host_describe(handle_of[self])
  end
  mt.__index = index
  prototypes[kind] = proto
end

local state_methods = {}
for _, name in ipairs({ "run", "copy", "mkdir", "mkfile", "rm", "symlink", "with_metadata", "get_mount" }) do
  state_methods[name] = api("State:" .. name)
end

-- An __index over `functions`: it notes where the lookup happened (see `looked_up`), and
-- a missing member is named by the host ("State has no method 'runn'", "bk has no
-- function 'imge'") instead of letting the call fail on a nil. Called by Lua itself, so
-- level 2 is the script's line.
local function members(functions, kind)
  return function(_, key)
    local f = functions[key]
    if f == nil then
      local source, line = call_site(2)
      finish(host_call(kind .. ".__index", source, line, nil, key))
    end
    looked_up(2)
    return f
  end
end

define_kind("State", members(state_methods, "State"))
define_kind("Mount", function(self, key)
  local source, line = call_site(2)
  finish(host_call("Mount.__index", source, line, nil, key))
end)
define_kind("Platform", function(self, key)
  local source, line = call_site(2)
  finish(host_call("Platform.__index", source, line, nil, key))
end)

local bk = {} -- the functions; scripts see them through `bk_proxy` below
for _, name in ipairs({
  "image", "local_", "git", "http", "https", "scratch",
  "merge", "diff", "export", "platform", "arg",
  "cache", "secret", "ssh", "tmpfs", "bind",
}) do
  bk[name] = api("bk." .. name)
end

-- The script's `bk` is empty: every lookup goes through `members`. The metatable is
-- locked, as the handles' are; a script may still add its own fields to `bk`.
local bk_proxy = setmetatable({}, { __metatable = "luakit.bk", __index = members(bk, "bk") })

---------------------------------------------------------------- sandboxed globals

local function no_binary(chunk)
  if type(chunk) == "string" and string_byte(chunk, 1) == 27 then
    error("binary chunks are not allowed in build scripts", 3)
  end
end

local function safe_loadstring(chunk, chunkname)
  no_binary(chunk)
  return loadstring(chunk, chunkname)
end

local function safe_load(chunk, chunkname)
  if type(chunk) == "function" then
    local parts = {}
    while true do
      local piece = chunk()
      if piece == nil or piece == "" then
        break
      end
      if type(piece) ~= "string" then
        error("load: reader function must return a string", 2)
      end
      parts[#parts + 1] = piece
    end
    chunk = table_concat(parts)
  end
  no_binary(chunk)
  return loadstring(chunk, chunkname)
end

local function safe_print(...)
  local parts = {}
  local n = select("#", ...)
  for i = 1, n do
    parts[i] = tostring((select(i, ...)))
  end
  local source, line = call_site(2)
  host_print(source, line, table_concat(parts, "\t"))
end

-- require: modules come from the script's folder or the bundled stdlib, through
-- the host, which refuses anything outside those roots. Each file runs once.
local loaded = {}
local loading = {}
local package_table = { loaded = {}, path = "", cpath = "" }

local function load_module(name, mode)
  if type(name) ~= "string" then
    error(string_format("bad argument #1 to '%s' (string expected, got %s)", mode, type(name)), 3)
  end
  local source, line = call_site(3)
  -- `chunk` is the module's text, or its bytecode when an earlier evaluation
  -- compiled the same text (the host produced it with string.dump below).
  local status, chunk, chunkname, compiled = host_require(name, mode, source, line)
  if status ~= "ok" then
    error(chunk, 0)
  end
  local f, err = loadstring(chunk, "@" .. chunkname)
  if not f then
    error(err, 0)
  end
  if not compiled then
    host_compiled(chunkname, string_dump(f))
  end
  return f, chunkname
end

local function safe_require(name)
  local cached = package_table.loaded[name]
  if cached ~= nil then
    return cached
  end
  local f, path = load_module(name, "require")
  if loaded[path] ~= nil then
    package_table.loaded[name] = loaded[path]
    return loaded[path]
  end
  if loading[path] then
    error(string_format("loop or previous error loading module '%s'", name), 2)
  end
  loading[path] = true
  local result = f(name)
  if result == nil then
    result = true
  end
  loading[path] = nil
  loaded[path] = result
  package_table.loaded[name] = result
  return result
end

local function safe_dofile(name)
  local f = load_module(name, "dofile")
  return f()
end

local function safe_loadfile(name)
  local ok, f = pcall(load_module, name, "loadfile")
  if not ok then
    return nil, f
  end
  return f
end

local function copy_table(t, except)
  local c = {}
  for k, v in pairs(t) do
    if not (except and except[k]) then
      c[k] = v
    end
  end
  return c
end

local safe_string = string
safe_string.dump = nil -- the shared string table, so ("").dump is gone too

local safe_os = {
  time = os.time,
  clock = os.clock,
  date = os.date,
  difftime = os.difftime,
  getenv = function(name)
    if type(name) ~= "string" then
      error("bad argument #1 to 'getenv' (string expected, got " .. type(name) .. ")", 2)
    end
    return host_getenv(name)
  end,
}

local safe_coroutine = {
  create = guarded_thread,
  wrap = guarded_wrap,
  resume = co_resume,
  yield = co_yield,
  status = co_status,
  running = co_running,
}

local sandbox = {
  _VERSION = _VERSION,
  assert = assert, error = error, ipairs = ipairs, pairs = pairs, next = next,
  select = select, tonumber = tonumber, tostring = tostring, type = type,
  unpack = unpack, pcall = pcall, xpcall = xpcall,
  rawequal = rawequal, rawget = rawget, rawset = rawset,
  setmetatable = setmetatable, getmetatable = getmetatable,
  getfenv = getfenv, setfenv = setfenv, newproxy = newproxy,
  collectgarbage = collectgarbage, gcinfo = gcinfo,
  load = safe_load, loadstring = safe_loadstring,
  loadfile = safe_loadfile, dofile = safe_dofile,
  require = safe_require, print = safe_print,
  string = safe_string,
  table = copy_table(table),
  math = copy_table(math),
  os = safe_os,
  coroutine = safe_coroutine,
  package = package_table,
  bk = bk_proxy,
}

-- Empty the real global table and refill it: C functions' environments and
-- getfenv(0) all lead here, so this is the only global table there is.
local G = _G
local keys = {}
for k in pairs(G) do
  keys[#keys + 1] = k
end
for _, k in ipairs(keys) do
  G[k] = nil
end
for k, v in pairs(sandbox) do
  G[k] = v
end
G._G = G

---------------------------------------------------------------- driving

-- The Lua frames under an error, innermost first, as "chunkname:line" strings.
local function traceback(level)
  local frames = {}
  while true do
    local info = debug_getinfo(level + 1, "Sl")
    if not info then
      break
    end
    if info.what ~= "C" and info.what ~= "tail" and info.currentline > 0 then
      frames[#frames + 1] = info.source .. ":" .. info.currentline
    end
    level = level + 1
  end
  return frames
end

local function error_handler(err)
  if err == TIMEOUT then
    return { timeout = true }
  end
  local source, line = call_site(2)
  return { message = err, source = source, line = line, trace = traceback(2) }
end

-- Runs the main script. Returns nil on success, or a table describing the error.
local function run_main(text, chunkname)
  local f, err = loadstring(text, "@" .. chunkname)
  if not f then
    return { syntax = true, message = err }
  end
  debug_sethook(hook, "", hook_count)
  local ok, problem = xpcall(f, error_handler)
  debug_sethook()
  if ok then
    return nil
  end
  if type(problem) ~= "table" then
    -- errors the handler could not see, e.g. "not enough memory"
    return { message = problem, source = "", line = 0 }
  end
  return problem
end

-- (kind, handle) of a proxy minted by `wrap`; nils for anything else.
local function identify(value)
  return kind_of[value], handle_of[value]
end

return run_main, identify
