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
