"""Problems -> diagnostics per file, and what each file shows when several scripts report into it."""

from pathlib import Path

from lsprotocol.types import Diagnostic, DiagnosticSeverity, Position, Range

from compiler.errors import Location, Problem, ProblemKind
from compiler.runtime.modules import STDLIB_DIR
from luakit_ls import diagnostics
from luakit_ls.client import FULL

MAIN = "/work/app/build.lua"
MODULE = "/work/app/lib/steps.lua"
LINES = {MAIN: ['local steps = require("lib.steps")', "steps.f()"], MODULE: ["local M = {}", "  bk.image('')"]}


def lines(name: str) -> list[str] | None:
    return LINES.get(name)


def test_a_problem_in_a_module_is_shown_there_and_at_the_scripts_line_that_led_there():
    problem = Problem(
        "bk.image: ref must not be empty",
        Location(MODULE, 2, 2, 2, 14),
        ProblemKind.API,
        trace=(Location(MODULE, 2, 0, 2, 14), Location(MAIN, 2, 0, 2, 9)),
    )
    found = diagnostics.to_diagnostics([problem], MAIN, lines, FULL)
    [in_module] = found[MODULE]
    [in_main] = found[MAIN]
    assert in_module.range == Range(Position(1, 2), Position(1, 14))
    # The frame on the module's own line says nothing new: only the caller in the script is related.
    assert [(r.location.uri, r.location.range.start.line) for r in in_module.related_information or []] == [
        ("file:///work/app/build.lua", 1)
    ]
    assert in_main.message == "in lib/steps.lua: bk.image: ref must not be empty"  # relative to the script
    assert in_main.range == Range(Position(1, 0), Position(1, 9))
    assert [r.location.uri for r in in_main.related_information or []] == ["file:///work/app/lib/steps.lua"]


def test_problems_without_a_place_do_not_repeat_the_file_name():
    problem = Problem(f"{MAIN}: no bk.export() call - nothing to build", None, ProblemKind.EXPORT)
    [found] = diagnostics.to_diagnostics([problem], MAIN, lines, FULL)[MAIN]
    assert (found.message, found.code, found.range) == (
        "no bk.export() call - nothing to build",
        "LK005",
        Range(Position(0, 0), Position(0, len(LINES[MAIN][0]))),
    )


def test_stdlib_modules_are_the_bundled_files():
    assert diagnostics.uri_for("luakit/prelude.lua") == (Path(STDLIB_DIR) / "prelude.lua").as_uri()
    assert diagnostics.file_lines("luakit/prelude.lua") == (Path(STDLIB_DIR) / "prelude.lua").read_text().split("\n")
    assert diagnostics.uri_for("untitled:Untitled-1") == "untitled:Untitled-1"


def diagnostic(line: int, message: str) -> Diagnostic:
    return Diagnostic(Range(Position(line, 0), Position(line, 5)), message, code="LK003", source="luakit")


def test_the_outbox_clears_what_a_script_no_longer_reports_in_a_module():
    outbox = diagnostics.Outbox()
    script, module = "file:///a/build.lua", "file:///a/lib/steps.lua"
    shown = outbox.update(script, {script: [diagnostic(0, "in lib/steps.lua: x")], module: [diagnostic(1, "x")]})
    assert {uri: [d.message for d in found] for uri, found in shown.items()} == {
        script: ["in lib/steps.lua: x"],
        module: ["x"],
    }
    assert outbox.update(script, {script: []}) == {script: [], module: []}
    outbox.update(script, {script: [], module: [diagnostic(1, "x")]})
    assert outbox.forget(script) == {script: [], module: []}
    assert outbox.forget("file:///a/plain.lua") == {}  # never evaluated: nothing to publish


def test_a_module_open_itself_shows_its_own_findings_and_the_scripts_once():
    outbox = diagnostics.Outbox()
    script, module = "file:///a/build.lua", "file:///a/lib/steps.lua"
    outbox.update(script, {script: [], module: [diagnostic(1, "x")]})
    shown = outbox.update(module, {module: [diagnostic(1, "x"), diagnostic(3, "own")]})
    assert [d.message for d in shown[module]] == ["x", "own"]  # its own first; the script's copy of "x" merged
    assert [d.message for d in outbox.forget(module)[module]] == ["x"]  # closed: what the script found stays


def test_an_octal_looking_mode_is_its_own_warning_code():
    from compiler import ScriptSource, evaluate

    text = 'bk.export(bk.image("a"):copy(bk.scratch(), "a", "/b", { mode = 644 }))'
    warned = evaluate(ScriptSource(text, name=MAIN))
    [octal] = diagnostics.to_diagnostics(warned.problems, MAIN, lambda name: [text], FULL)[MAIN]
    assert (octal.code, octal.severity) == ("LK008", DiagnosticSeverity.Warning)
    assert 'write "0644"' in octal.message
