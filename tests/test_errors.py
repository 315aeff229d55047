"""Error messages: `file:line:col: message`, in the user's terms, never a traceback."""

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
        "build.lua:4:13: state:run: unknown option 'cwdd' (did you mean 'cwd'?)"
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


def test_problems_never_contain_python_tracebacks():
    scripts = [
        "bk.image({})",
        "bk.image('a'):run({ {} })",
        "bk.merge(1, 2)",
        "bk.local_(nil)",
        "bk.git('ftp://x')",
        "bk.export(bk.image('a'), 5)",
        "bk.cache()",
        "bk.ssh('x')",
        "bk.image('a'):copy()",
        "bk.image('a'):mkfile('/x', {})",
        "local t = {} t[1] = t bk.image('a', t)",
        "bk.image('a', { platform = { os = 'linux' } })",
        "bk.arg({})",
    ]
    for script in scripts:
        for message in problems(script):
            assert "Traceback" not in message and "Error(" not in message, message
            assert message.startswith("build.lua:1:"), message


def test_errors_in_modules_point_into_the_module(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "bad.lua").write_text(
        "local M = {}\nfunction M.f() local s = bk.image('') return s end\nreturn M\n"
    )
    script = tmp_path / "build.lua"
    script.write_text('local bad = require("lib.bad")\nbad.f()\n')
    evaluation = run_script(script.read_text(), name="build.lua", path=str(script))
    assert [str(p) for p in evaluation.problems] == ["lib/bad.lua:2:26: bk.image: ref must not be empty"]
