"""Error messages: `file:line:col: message`, in the user's terms, never a traceback."""

import re

from tests.helpers import error, problems, run_script


def test_syntax_error_points_at_the_token():
    assert error("local x = = 1") == "build.lua:1:11: unexpected symbol near '='"
    assert error("local a = {\nb = 1\n").startswith("build.lua:3:")


def test_runtime_errors_keep_lua_messages_with_a_column():
    assert error("local x = nil\n  x.y = 1") == "build.lua:2:3: attempt to index local 'x' (a nil value)"
    assert error('error("boom")') == "build.lua:1:1: boom"
    assert error('error("no position", 0)') == "build.lua:1:1: no position"  # still located for editors
    assert error("error({})").endswith("error object is a table value")


def test_api_errors_name_the_call_site():
    assert error('\n\nlocal s = bk.image("alpine")\nlocal r = s:run("x", { cwdd = "/" })') == (
        "build.lua:4:24: state:run: unknown option 'cwdd' (did you mean 'cwd'?)"
    )


def test_api_errors_can_be_caught_with_pcall():
    evaluation = run_script(
        """
        local ok, err = pcall(bk.image, "")
        assert(not ok)
        assert(err:find("bk.image: ref must not be empty", 1, true), err)
        bk.export(bk.scratch())
        """
    )
    assert evaluation.ok, evaluation.problems


def test_first_line_comment_is_ignored_and_lines_keep():
    assert problems("#!/usr/bin/env luakit\nbk.export(bk.scratch())") == []
    assert problems("# syntax=luakit\nbk.export(bk.scratch())") == []
    assert error("# syntax=luakit\n\nlocal x = = 1") == "build.lua:3:11: unexpected symbol near '='"


# Names of Python exceptions: a message that contains one leaked an exception, not a problem.
PYTHON_NAMES = re.compile(
    r"Traceback|\b\w*(Error|Exception)\b(?<!ScriptError)|\bKeyError|\bTypeError|\bValueError|\bAttributeError|"
    r"\bIndexError|\bRecursionError|\bOverflowError|\bUnicode\w*Error|\bAssertionError|\bNoneType\b|"
    r"\b(?:builtins|compiler|lupa)\.|<class |object at 0x|\bdict\b|\btuple\b"
)
LOCATED = re.compile(r"^build\.lua:1:\d+: ")

WRONG_VALUES = [
    "bk.image({})",
    "bk.image('a'):run({ {} })",
    "bk.merge(1, 2)",
    "bk.local_(nil)",
    "bk.git('ftp://x')",
    "bk.git('https://h:port/x')",
    "bk.http('http://[::1')",
    "bk.http('http://h:99999/x')",
    "bk.export(bk.image('a'), 5)",
    "bk.cache()",
    "bk.ssh('x')",
    "bk.image('a'):copy()",
    "bk.image('a'):mkfile('/x', {})",
    "local t = {} t[1] = t bk.image('a', t)",
    "bk.image('a', { platform = { os = 'linux' } })",
    "bk.image('a', { platform = { [{}] = 1 } })",
    "bk.image('a', { [true] = 1 })",
    "bk.image('a', { platform = print })",
    "bk.arg({})",
    "bk.image('a', {}, 3)",  # one argument too many
    "bk.image('a'):mkdir('/x', {}, true)",
    "bk.arg('A', {})",
    "bk.platform(1, 2, 3)",
    "bk.platform('linux', 'arm', {})",
    "bk.image('a'):run('x', { env = { [1.5] = 'x' } })",
    "bk.image('a'):run('x', { env = { A = print } })",
    "bk.image('a'):run('x', { user = 1e20 })",
    "bk.image('a'):run('x', { user = 0/0 })",
    "bk.image('a'):run('x', { ulimits = { nofile = 1/0 } })",
    "bk.image('a'):run('x', { valid_exit_codes = { 'a' } })",
    "bk.image('a'):run('x', { network = 'bridge' })",
    "bk.cache('/c', { sharing = 'a:b:c' })",
    "bk.image('a', { resolve_mode = '' })",
    "bk.image('a'):run('x', { mounts = bk.cache('/c') })",
    "bk.image('a'):run('x', { extra_hosts = { h = 1 } })",
    "bk.image('a'):copy(bk.scratch(), 'a', 'b', { mode = 1/0 })",
    # '²' is a digit to str.isdigit but not to int(); the user is read before the bad exit codes
    "bk.image('a'):run('x', { user = '²', valid_exit_codes = 'bad' })",
    "bk.image('a'):copy(bk.scratch(), 'a', 'b', { owner = '\\178' })",
    "bk.image('a'):mkdir('/x', { mode = -1 })",
    "bk.image('a'):mkdir('/x', { mode = '\\255' })",
    "bk.image('a'):get_mount(5)",
    "bk.image('a'):with_metadata(5)",
    "bk.secret('/s', { uid = '\\178' })",
    "bk.http('https://e.com/f', { headers = { [1] = 'x' } })",
    "bk.export(bk.scratch(), { user = {} })",
    "bk.export(bk.scratch(), { expose = { 1e300 } })",
    "bk.export(bk.scratch(), { arch = '\\255' })",
]


def test_problems_are_located_and_never_leak_python_exceptions():
    for script in WRONG_VALUES:
        evaluation = run_script(script)
        assert evaluation.problems, script
        for problem in evaluation.problems:
            message = str(problem)
            assert problem.location is not None, (script, message)
            assert LOCATED.match(message), (script, message)
            assert not PYTHON_NAMES.search(problem.message), (script, message)
            assert "internal error" not in problem.message, (script, message)


def test_errors_in_modules_point_into_the_module(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "bad.lua").write_text(
        "local M = {}\nfunction M.f() local s = bk.image('') return s end\nreturn M\n"
    )
    script = tmp_path / "build.lua"
    script.write_text('local bad = require("lib.bad")\nbad.f()\n')
    evaluation = run_script(script.read_text(), name="build.lua", path=str(script))
    assert [str(p) for p in evaluation.problems] == ["lib/bad.lua:2:35: bk.image: ref must not be empty"]
