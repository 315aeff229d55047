"""Locations that hold: steps made through tail calls, warnings, and limits are located where they happened."""

from __future__ import annotations

from pathlib import Path

from compiler import EvalOptions, ScriptSource, evaluate
from compiler.image.registry import RegistryResolver
from tests.helpers import run_script

STEPS = """\
local M = {}

function M.base()
  return bk.image("alpine")
end

function M.install(deps, what)
  local cmd = "apk add " .. what
  return deps:run(cmd)
end

return M
"""


def project(tmp_path: Path, build: str, **files: str) -> ScriptSource:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "build.lua").write_text(build)
    return ScriptSource(build, name="build.lua", path=str(tmp_path / "build.lua"))


def test_steps_made_by_tail_calls_are_located_at_the_call_in_the_module(tmp_path):
    build = 'local steps = require("lib.steps")\nlocal base = steps.base()\nbk.export(steps.install(base, "git"))\n'
    evaluation = evaluate(project(tmp_path, build, **{"lib/steps.lua": STEPS}), EvalOptions())
    assert evaluation.problems == []
    assert [(c.function, str(c.location)) for c in evaluation.calls] == [
        ("bk.image", "lib/steps.lua:4:10"),
        ("state:run", "lib/steps.lua:9:15"),
        ("bk.export", "build.lua:3:1"),
    ]


def test_a_function_looked_up_earlier_and_tail_called_is_not_placed_at_the_old_lookup():
    # The lookup on line 1 did not lead to this call: Lua 5.1 lost the line of the
    # call (2), so the caller's line (3) it is, as for any lost frame.
    text = "local image = bk.image\nlocal function f() return image('a') end\nlocal s = f()\nbk.export(s)\n"
    image, _ = run_script(text).calls
    assert image.location is not None and image.location.line == 3


def test_a_module_error_through_a_tail_call_is_in_the_module(tmp_path):
    module = "local M = {}\nfunction M.bad(s)\n  return s:run('x', { cwdd = '/' })\nend\nreturn M\n"
    build = 'local lib = require("lib")\nbk.export(lib.bad(bk.image("a")))\n'
    evaluation = evaluate(project(tmp_path, build, **{"lib.lua": module}), EvalOptions())
    assert [str(p) for p in evaluation.problems] == [
        "lib.lua:3:23: state:run: unknown option 'cwdd' (did you mean 'cwd'?)"
    ]


def test_each_unreachable_image_warning_is_at_the_call_that_named_it(tmp_path):
    text = 'local a = bk.image("127.0.0.1:9/golang:1.22-alpine")\nlocal b = bk.image("127.0.0.1:9/alpine:3.19")\nbk.export(bk.merge(a, b))\n'
    resolver = RegistryResolver(tmp_path, timeout=2)
    warnings = [p for p in run_script(text, image_resolver=resolver).problems if p.severity == "warning"]
    assert [(w.location.line if w.location else None, w.message.split(":", 3)[:3]) for w in warnings] == [
        (1, ["bk.image", ' cannot resolve "127.0.0.1', "9/golang"]),
        (2, ["bk.image", ' cannot resolve "127.0.0.1', "9/alpine"]),
    ]
    assert all(w.kind.code == "LK009" for w in warnings)


def test_a_timeout_is_at_the_line_that_was_running(tmp_path):
    text = 'local base = bk.image("a")\nlocal n = 0\nwhile true do\n  n = n + 1\nend\n'
    (problem,) = run_script(text, timeout=0.3).problems
    assert str(problem) in (
        "build.lua:4:3: script evaluation timed out after 0.3s",
        "build.lua:3:1: script evaluation timed out after 0.3s",  # the loop's test, one instruction on
    )
    assert problem.kind.code == "LK004"


def test_a_timeout_in_a_module_is_in_the_module(tmp_path):
    module = "local M = {}\nfunction M.spin()\n  while true do end\nend\nreturn M\n"
    build = 'local lib = require("lib")\nlib.spin()\n'
    evaluation = evaluate(project(tmp_path, build, **{"lib.lua": module}), EvalOptions(timeout=0.3))
    assert [str(p) for p in evaluation.problems] == ["lib.lua:3:3: script evaluation timed out after 0.3s"]


def test_memory_running_out_in_a_loop_names_the_loop():
    text = "local t = {}\nlocal i = 0\nwhile true do\n  i = i + 1\n  t[i] = {i, i, i}\nend\n"
    (problem,) = run_script(text, memory_limit=32 * 1024 * 1024, timeout=20).problems
    assert problem.message == "script exceeded the memory limit of 32 MiB"
    assert problem.location is not None and 3 <= problem.location.line <= 5


def test_an_api_function_run_as_a_coroutine_body_has_no_caller_line_and_still_runs():
    # The bridge looks at the API function's caller first: a coroutine's body has none.
    evaluation = run_script('local s = coroutine.wrap(bk.image)("alpine")\nbk.export(s)\n')
    assert evaluation.problems == []
    assert [(c.function, c.location) for c in evaluation.calls][0] == ("bk.image", None)
