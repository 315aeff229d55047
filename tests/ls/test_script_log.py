"""The lines a script's output becomes in the editor's log: where each was printed, and the limits."""

from compiler.errors import Location
from luakit_ls.script_log import MAX_CHARS, ScriptLog, log_lines


def test_each_line_says_where_it_was_printed() -> None:
    printed = [(Location("build.lua", 3), "hello"), (None, "from nowhere")]
    assert log_lines("build.lua", printed) == ["build.lua:3: hello", "build.lua: from nowhere"]


def test_lines_past_the_limit_are_counted_not_sent() -> None:
    printed = [(Location("b.lua", 1), f"n{i}") for i in range(7)]
    assert log_lines("b.lua", printed, max_lines=3) == [
        "b.lua:1: n0",
        "b.lua:1: n1",
        "b.lua:1: n2",
        "b.lua: … 4 more lines not shown",
    ]
    assert log_lines("b.lua", printed[:4], max_lines=3)[-1] == "b.lua: … 1 more line not shown"
    assert len(log_lines("b.lua", printed[:3], max_lines=3)) == 3


def test_a_long_line_is_cut() -> None:
    (line,) = log_lines("b.lua", [(None, "x" * (MAX_CHARS + 10))])
    assert line == "b.lua: " + "x" * MAX_CHARS + " … (10 more characters)"


def test_the_same_output_again_is_not_logged_again() -> None:
    log = ScriptLog()
    printed = [(Location("b.lua", 1), "hi")]
    assert log.update("file:///b.lua", "b.lua", printed) == ["b.lua:1: hi"]
    assert log.update("file:///b.lua", "b.lua", list(printed)) == []
    assert log.update("file:///other.lua", "other.lua", [(None, "hi")]) == ["other.lua: hi"]
    log.forget("file:///b.lua")
    assert log.update("file:///b.lua", "b.lua", printed) == ["b.lua:1: hi"]
