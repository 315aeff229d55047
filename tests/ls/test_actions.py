"""Quick fixes: the fixes a real evaluation's problems carry, published as the server publishes them,
offered as code actions (a mistyped option key, function or method, a mode written as an octal literal)."""

from lsprotocol.types import CodeActionKind, Diagnostic, Position, Range

from compiler.errors import Edit, Fix
from compiler.errors import Location as SourceLocation
from compiler.evaluate import EvalOptions, ScriptSource, evaluate
from luakit_ls.actions import code_actions
from luakit_ls.client import FULL
from luakit_ls.diagnostics import evaluation_diagnostics, fixes_data
from luakit_ls.positions import PositionUnits

from .helpers import apply_edit

URI = "file:///work/project/build.lua"
NAME = "/work/project/build.lua"


def problems(text: str):
    return [p for p in evaluate(ScriptSource(text, name=NAME), EvalOptions()).problems if p.kind != "export"]


def published(text: str) -> list[Diagnostic]:
    """The diagnostics the server publishes for `text` (with the fixes in their data)."""
    return evaluation_diagnostics(problems(text), text, NAME, URI, client=FULL).get(URI, [])


def fixed_by_the_action_at(text: str, line: int) -> str:
    """`text` after the one quick fix offered with the cursor at the start of `line` (0-based)."""
    cursor = Range(Position(line, 0), Position(line, 0))
    [action] = code_actions([], at=cursor, published=published(text))
    assert action.kind == CodeActionKind.QuickFix and action.is_preferred
    assert action.edit is not None and action.edit.changes is not None
    [edit] = action.edit.changes[URI]
    return apply_edit(text, edit)


def test_an_unknown_option_is_renamed_on_its_own_line():
    text = 'local s = bk.image("alpine")\nlocal t = s:run("make", {\n  cwdd = "/src",\n  env = { A = "1" },\n})\nbk.export(t)\n'
    [diagnostic] = published(text)
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (2, 2)
    [action] = code_actions([diagnostic])
    assert action.title == "Change 'cwdd' to 'cwd'"
    fixed = fixed_by_the_action_at(text, 2)
    assert '  cwd = "/src",' in fixed and problems(fixed) == []
    assert code_actions([], at=Range(Position(1, 0), Position(1, 0)), published=published(text)) == []


def test_a_nested_unknown_key_and_a_bracket_key():
    text = 'local s = bk.image("a"):copy(bk.scratch(), "/a", "/b", { owner = { usr = "app" } })\nbk.export(s)\n'
    fixed = fixed_by_the_action_at(text, 0)
    assert '{ user = "app" }' in fixed and problems(fixed) == []
    text = 'local s = bk.image("a", { ["resolve_mod"] = "pull" })\nbk.export(s)\n'
    fixed = fixed_by_the_action_at(text, 0)
    assert '["resolve_mode"]' in fixed and problems(fixed) == []


def test_a_value_spelled_like_the_key_is_left_alone():
    text = 'local cwdd = "/"\nbk.export(bk.image("a"):run("x", { dir = cwdd, cwdd = 1 }))\n'
    assert fixed_by_the_action_at(text, 1).endswith('{ dir = cwdd, cwd = 1 }))\n')


def test_a_mistyped_function_and_method_are_renamed():
    assert fixed_by_the_action_at('bk.export(bk.imge("a"))\n', 0) == 'bk.export(bk.image("a"))\n'
    text = 'local s = bk.image("a")\nbk.export(s:mkfil("/x", "y"))\n'
    assert fixed_by_the_action_at(text, 1) == 'local s = bk.image("a")\nbk.export(s:mkfile("/x", "y"))\n'


def test_an_octal_looking_mode_is_written_as_a_string():
    text = 'local s = bk.image("alpine")\nlocal t = s:mkfile("/x", "y", {\n  mode = 0644,\n})\nbk.export(t)\n'
    fixed = fixed_by_the_action_at(text, 2)
    assert '  mode = "0644",' in fixed and problems(fixed) == []


def test_no_fix_without_data_whatever_the_message_says():
    said = Diagnostic(Range(Position(0, 0), Position(0, 5)), "unknown option 'cwdd' (did you mean 'cwd'?)")
    assert code_actions([said]) == []
    assert code_actions([Diagnostic(Range(Position(0, 0), Position(0, 1)), "boom")]) == []


def test_a_carried_fix_is_offered_on_every_line_its_diagnostic_covers_without_reading_the_message():
    text = 'local s = bk.image("a")\nlocal t = s:run("x", {\n  cwdd = "/app",\n})\nbk.export(t)\n'
    uri = "file:///w/build.lua"
    fix = Fix("Change 'cwdd' to 'cwd'", (Edit(SourceLocation("/w/build.lua", 3, 2, 3, 6), "cwd"),))
    data = fixes_data([fix], lambda name: text.split("\n"), PositionUnits())
    # A message no regular expression would recognise: the fix travels as data.
    shown = Diagnostic(Range(Position(1, 10), Position(3, 1)), "some other wording", data=data)
    for line in (1, 2, 3):
        cursor = Range(Position(line, 0), Position(line, 0))
        [action] = code_actions([], at=cursor, published=[shown])
        assert action.title == "Change 'cwdd' to 'cwd'"
        assert action.edit is not None and action.edit.changes is not None
        [edit] = action.edit.changes[uri]
        assert (edit.range.start.line, edit.range.start.character, edit.new_text) == (2, 2, "cwd")
    assert code_actions([], at=Range(Position(4, 0), Position(4, 0)), published=[shown]) == []
