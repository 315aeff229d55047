"""Quick fixes: a mistyped option key (from the compiler's own message) and a mode written as an octal literal."""

from lsprotocol.types import CodeActionKind, Diagnostic, Position, Range

from compiler.evaluate import EvalOptions, ScriptSource, evaluate
from luakit_ls.actions import code_actions, quick_fix

from .helpers import apply_edit

URI = "file:///work/project/build.lua"


def problems(text: str):
    return [p for p in evaluate(ScriptSource(text), EvalOptions()).problems if p.kind != "export"]


def diagnostic_of(problem) -> Diagnostic:
    loc = problem.location
    return Diagnostic(
        range=Range(Position(loc.line - 1, loc.column), Position(loc.end_line - 1, loc.end_column)),
        message=problem.message,
    )


def test_unknown_option_from_a_real_evaluation_is_fixed():
    text = 'local s = bk.image("alpine")\nlocal t = s:run("make", {\n  cwdd = "/src",\n  env = { A = "1" },\n})\nbk.export(t)\n'
    [problem] = problems(text)
    assert "did you mean 'cwd'" in problem.message
    [action] = code_actions(text, URI, [diagnostic_of(problem)])
    assert action.kind == CodeActionKind.QuickFix and action.is_preferred
    assert action.title == "Change 'cwdd' to 'cwd'"
    [edit] = action.edit.changes[URI]
    fixed = apply_edit(text, edit)
    assert '  cwd = "/src",' in fixed
    assert problems(fixed) == []


def test_a_nested_unknown_key_and_a_bracket_key():
    text = 'local s = bk.image("a"):copy(bk.scratch(), "/a", "/b", { owner = { usr = "app" } })\nbk.export(s)\n'
    [problem] = problems(text)
    fixed = apply_edit(text, quick_fix(text, problem.message, diagnostic_of(problem).range).edit)
    assert '{ user = "app" }' in fixed and problems(fixed) == []
    text = 'local s = bk.image("a", { ["resolve_mod"] = "pull" })\nbk.export(s)\n'
    [problem] = problems(text)
    fixed = apply_edit(text, quick_fix(text, problem.message, diagnostic_of(problem).range).edit)
    assert '["resolve_mode"]' in fixed and problems(fixed) == []


def test_a_value_spelled_like_the_key_is_left_alone():
    text = 'bk.image("a", { platform = cwdd, cwdd = 1 })'
    fix = quick_fix(
        text, "bk.image: unknown option 'cwdd' (did you mean 'cwd'?)", Range(Position(0, 0), Position(0, 44))
    )
    assert apply_edit(text, fix.edit) == 'bk.image("a", { platform = cwdd, cwd = 1 })'


def test_the_line_is_searched_when_the_range_is_empty():
    text = 'local x = bk.cache("/c", { idd = "go" })'
    fix = quick_fix(text, "bk.cache: unknown option 'idd' (did you mean 'id'?)", Range(Position(0, 0), Position(0, 0)))
    assert apply_edit(text, fix.edit) == 'local x = bk.cache("/c", { id = "go" })'


def test_octal_mode_from_a_real_evaluation_is_fixed():
    text = 'local s = bk.image("alpine")\nlocal t = s:mkfile("/x", "y", {\n  mode = 0644,\n})\nbk.export(t)\n'
    [problem] = problems(text)
    assert 'write "0644"' in problem.message
    [action] = code_actions(text, URI, [diagnostic_of(problem)])
    fixed = apply_edit(text, action.edit.changes[URI][0])
    assert '  mode = "0644",' in fixed and problems(fixed) == []


def test_octal_mode_in_the_compilers_words():
    text = 'local t = bk.image("a"):mkdir("/x", { mode = 0750 })'
    message = 'state:mkdir: mode is the decimal number 750 (octal 1356): Lua has no octal literals; write "0750" for octal 0750'
    fix = quick_fix(text, message, Range(Position(0, 10), Position(0, 52)))
    assert apply_edit(text, fix.edit) == 'local t = bk.image("a"):mkdir("/x", { mode = "0750" })'


def test_no_fix_for_other_messages_or_stale_text():
    assert code_actions("local x = 1", URI, [Diagnostic(Range(Position(0, 0), Position(0, 1)), "boom")]) == []
    gone = Diagnostic(Range(Position(0, 0), Position(0, 5)), "unknown option 'cwdd' (did you mean 'cwd'?)")
    assert code_actions('s:run("x", { cwd = "/" })', URI, [gone]) == []


def test_a_carried_fix_is_offered_on_every_line_its_diagnostic_covers_without_reading_the_message():
    from lsprotocol.types import Diagnostic, Position, Range

    from compiler.errors import Edit, Fix
    from compiler.errors import Location as SourceLocation
    from luakit_ls.actions import code_actions
    from luakit_ls.diagnostics import fixes_data
    from luakit_ls.positions import PositionUnits

    text = 'local s = bk.image("a")\nlocal t = s:run("x", {\n  cwdd = "/app",\n})\nbk.export(t)\n'
    uri = "file:///w/build.lua"
    fix = Fix("Change 'cwdd' to 'cwd'", (Edit(SourceLocation("/w/build.lua", 3, 2, 3, 6), "cwd"),))
    data = fixes_data([fix], lambda name: text.split("\n"), PositionUnits())
    # A message no regular expression would recognise: the fix travels as data.
    published = Diagnostic(Range(Position(1, 10), Position(3, 1)), "some other wording", data=data)
    for line in (1, 2, 3):
        cursor = Range(Position(line, 0), Position(line, 0))
        [action] = code_actions(text, uri, [], at=cursor, published=[published])
        assert action.title == "Change 'cwdd' to 'cwd'"
        assert action.edit is not None and action.edit.changes is not None
        [edit] = action.edit.changes["file:///w/build.lua"]
        assert (edit.range.start.line, edit.range.start.character, edit.new_text) == (2, 2, "cwd")
    assert code_actions(text, uri, [], at=Range(Position(4, 0), Position(4, 0)), published=[published]) == []
