"""Static sandbox violations, checked against what the real sandbox (compiler/runtime/bridge.lua) provides."""

import pytest

from compiler.evaluate import EvalOptions, ScriptSource, evaluate
from luakit_ls.sandbox_check import MISSING_GLOBALS, PROVIDED, sandbox_violations


def sandbox_contents() -> dict[str, set[str]]:
    libraries = " ".join(f'"{name}"' for name in PROVIDED)
    script = f"""
local function keys(t) local out = {{}} for k in pairs(t) do out[#out + 1] = k end return table.concat(out, " ") end
print("_G " .. keys(_G))
for _, name in ipairs({{ {libraries.replace(" ", ", ")} }}) do print(name .. " " .. keys(_G[name])) end
"""
    logs = evaluate(ScriptSource(script), EvalOptions()).logs
    return {line.split(" ")[0]: set(line.split(" ")[1:]) for _, line in logs}


def test_provided_is_exactly_what_the_sandbox_has():
    found = sandbox_contents()
    for library, names in PROVIDED.items():
        assert found[library] == names, library
    assert not MISSING_GLOBALS & found["_G"]
    assert set(PROVIDED) <= found["_G"]


def names_of(text: str) -> list[str]:
    return [v.name for v in sandbox_violations(text)]


def test_violations_also_in_branches_not_taken():
    text = """local base = bk.image("alpine")
if false then
  os.execute("rm -rf /")
  local f = io.open("/etc/passwd")
end
local function never()
  os.exit(1)
  return debug.traceback()
end
bk.export(base)
"""
    found = sandbox_violations(text)
    assert [v.name for v in found] == ["os.execute", "io.open", "os.exit", "debug.traceback"]
    execute = found[0]
    assert (execute.range.start.line, execute.range.start.character, execute.range.end.character) == (2, 2, 12)
    assert execute.message.startswith("os.execute is not available in build scripts: ")
    assert "state:run" in execute.message


@pytest.mark.parametrize(
    ("code", "name", "hint"),
    [
        ('os.remove("x")', "os.remove", "state:rm"),
        ('os.rename("a", "b")', "os.rename", "state:copy"),
        ("local t = os.tmpname()", "os.tmpname", "state:mkfile"),
        ('os.setenv("A", "1")', "os.setenv", "env = "),
        ('io.write("hi")', "io.write", "print"),
        ('local p = io.popen("ls")', "io.popen", "state:run"),
        ('package.loadlib("x.so", "f")', "package.loadlib", "require"),
        ("local d = string.dump(print)", "string.dump", "binary chunks"),
        ('module("m")', "module", "return"),
        ('os["execute"]("x")', "os.execute", "state:run"),
        ("local lib = io", "io", "bk.local_"),
        ("local u = table.unpack", "table.unpack", "unpack"),
    ],
)
def test_messages_say_what_to_do_instead(code, name, hint):
    [violation] = sandbox_violations(code)
    assert violation.name == name and hint in violation.message


def test_what_the_sandbox_provides_is_fine():
    text = """local t = os.time() + os.clock()
local v = os.getenv("VERSION")
local s = string.format("%d", 1):upper()
local r = table.concat({ "a" }, ",")
local m = math.floor(1.5)
local co = coroutine.wrap(function() end)
local loaded = package.loaded
local p = require("prelude")
print(tostring(v), unpack({ 1 }))
"""
    assert names_of(text) == []


def test_names_the_script_binds_itself_are_not_the_libraries():
    text = """local os = { execute = function() end }
os.execute("x")
local function f(io) return io.open("x") end
local t = { io = 1, debug = 2 }
print(t.io, t.debug)
io = nil
"""
    assert names_of(text) == []
    assert names_of("local x = {}\nx.os.execute()") == []


def test_broken_code_is_still_checked():
    assert names_of('local s = bk.image("a")\nos.execute("x")\nlocal t = s:run("y", {\n') == ["os.execute"]
