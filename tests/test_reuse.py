"""What an evaluation keeps for the next one of its script: never a different answer.

The API calls' results (compiler/api/reuse.py) and the calls' locations
(compiler/runtime/sources.py, callsite.py). An evaluation that reuses them must
give exactly what a first evaluation gives: the same bytes, problems, calls and logs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import EvalOptions, Evaluation, ScriptSource
from compiler import evaluate as evaluate_once
from compiler.api import reuse
from compiler.graph import nodes as g
from compiler.graph.platform import Platform
from compiler.records import replace
from compiler.runtime import callsite, sources
from compiler.runtime.convert import Converter

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*/build.lua"))

# One call per line, as bench/shapes.py's shape b writes them, with mounts, nested tables and a warning.
WRITTEN_OUT = """\
local base = bk.image("alpine:3.19")
local ctx = bk.local_("context")
local s = {}
for i = 1, 3 do
  s[i] = base:run("make " .. i, { cwd = "/src", env = { STEP = tostring(i) }, mounts = { bk.cache("/root/.cache", { id = "c" }) } })
  s[i] = s[i]:mkdir("/out/" .. i, { mode = "0755", make_parents = true })
end
s[4] = s[1]:mkfile("/etc/a.conf", "a=1\\n", { mode = 644 })
s[5] = s[2]:copy(ctx, "pkg/", "/out/share/")
s[6] = bk.scratch():mkfile("/x", "x")
local unused = base:run("echo never used")
print("built", #s)
bk.export(bk.merge(s[1], s[2], s[3], s[4], s[5], bk.diff(base, s[6])))
"""


def evaluate(script: ScriptSource, options: EvalOptions | None = None) -> Evaluation:
    """As the editor's worker evaluates (luakit_ls/scheduler.py)."""
    return evaluate_once(script, replace(options or EvalOptions(), reuse_results=True))


def forget() -> None:
    """As in a new process: nothing kept from earlier evaluations."""
    reuse._scripts.clear()
    sources._line_calls.clear()
    callsite._one_line_calls.clear()
    callsite._cache.clear()


@pytest.fixture(autouse=True)
def nothing_remembered() -> None:
    forget()


def outcome(evaluation: Evaluation) -> tuple[object, ...]:
    definition = evaluation.definition_bytes() if evaluation.ok else None
    calls = [(c.function, c.location) for c in evaluation.calls]
    return definition, list(evaluation.problems), calls, evaluation.logs, evaluation.modules


def first_and_again(before: ScriptSource, after: ScriptSource, options: EvalOptions | None = None) -> tuple:
    """(a first evaluation of `after`, an evaluation of `after` right after one of `before`)."""
    forget()
    first = evaluate(after, options)
    forget()
    evaluate(before, options)
    return first, evaluate(after, options)


def edits(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    middle = len(lines) // 2
    return [
        text + "-- edited\n",  # nothing moves
        "-- a new first line\n" + text,  # every call one line down
        "".join(lines[:middle])
        + lines[middle].replace('"', '"x', 1)
        + "".join(lines[middle + 1 :]),  # one call changed
        "".join(lines[:middle]) + "error('stop')\n" + "".join(lines[middle:]),  # stopped half-way
        "".join(lines[:middle]),  # cut: a syntax error, or no export
    ]


@pytest.mark.parametrize(
    "script", [*EXAMPLES, "written-out"], ids=lambda s: str(s).split("/")[-2] if "/" in str(s) else s
)
def test_an_edited_script_evaluates_as_the_first_time(script: Path | str) -> None:
    if isinstance(script, Path):
        source = ScriptSource.from_file(str(script))
        make = lambda text: ScriptSource(text, source.name, source.path)  # noqa: E731
    else:
        source = ScriptSource(WRITTEN_OUT)
        make = ScriptSource
    for edited in edits(source.text):
        for before, after in ((source, make(edited)), (make(edited), source)):
            first, again = first_and_again(before, after)
            assert outcome(again) == outcome(first)


def test_an_unchanged_line_returns_the_same_state() -> None:
    first = evaluate(ScriptSource(WRITTEN_OUT))
    again = evaluate(ScriptSource(WRITTEN_OUT.replace('"/etc/a.conf"', '"/etc/b.conf"')))
    same = [a.value is b.value for a, b in zip(first.calls, again.calls, strict=True)]
    changed = [c.location.line == 8 and c.function == "state:mkfile" for c in first.calls]  # type: ignore[union-attr]
    assert same == [not c for c in changed]
    assert any(same)


def test_a_one_off_evaluation_remembers_nothing() -> None:
    first = evaluate_once(ScriptSource(WRITTEN_OUT))
    assert not reuse._scripts
    again = evaluate(ScriptSource(WRITTEN_OUT))
    assert not any(a.value is b.value for a, b in zip(first.calls, again.calls, strict=True))


@pytest.mark.parametrize("was, now", [("true", "1"), ("1", "1.0"), ('"0755"', "755"), ("0", "-0"), ("1", "'1'")])
def test_values_equal_in_python_are_told_apart(was: str, now: str) -> None:
    # The value on a line of its own: the call's text, and so its location, stays the same.
    call = 'bk.export(bk.image("a"):mkdir("/d", { make_parents = p, mode = m }))\n'
    for p, m in (("{}", '"0755"'), ("true", "{}")):
        before = ScriptSource(f"local p, m = {p.format(was)}, {m.format(was)}\n{call}")
        after = ScriptSource(f"local p, m = {p.format(now)}, {m.format(now)}\n{call}")
        first, again = first_and_again(before, after)
        assert outcome(again) == outcome(first)


DEEP = "{ " * 70 + '"a"' + " }" * 70  # deeper than a key is written (the bridge's `add_key`): converted, and refused

# Arguments a key must tell apart (compiler/runtime/bridge.lua's `call_key`): strings that run
# together alike, values of other types written alike, numbers a digit apart, two handles.
TOLD_APART = [
    ('{ env = { A = "b1:c" } }', '{ env = { A = "b", ["1:c"] = "" } }'),
    ('{ env = { A = "}" } }', '{ env = { ["A}"] = "" } }'),
    ('{ env = { A = "1" } }', "{ env = { A = 1 } }"),
    ("{ env = { A = 1.5 } }", "{ env = { A = 1.5000000000000002 } }"),
    ("{ ulimits = { nofile = 1024 } }", "{ ulimits = { nofile = 1024.0000000000002 } }"),  # not an integer
    ("{ env = { A = true } }", '{ env = { A = "T" } }'),
    ("{ env = { A = print } }", '{ env = { A = "ofunction;" } }'),
    ("{ env = { A = 1 / 0 } }", "{ env = { A = 0 / 0 } }"),
    ("{ mounts = { a:mount('/m') } }", "{ mounts = { b:mount('/m') } }"),
    ("{ mounts = { bk.cache('/m') } }", "{ mounts = { bk.tmpfs('/m') } }"),
    ('{ cwd = "/a", [1] = "/b" }', '{ cwd = "/a", ["1"] = "/b" }'),
    ("{ env = " + DEEP + " }", '{ env = { A = "a" } }'),
]


@pytest.mark.parametrize("was, now", [*TOLD_APART, *[(now, was) for was, now in TOLD_APART]])
def test_arguments_alike_only_in_writing_are_told_apart(was: str, now: str) -> None:
    # `x` is made on a line of its own: the calls after it, and so their locations, stay the same.
    head = 'local a, b = bk.image("a"), bk.image("b")\n'
    call = 'bk.export(a:run("make", x))\n'
    before = ScriptSource(f"{head}local x = {was}\n{call}".replace("a:mount", "a:get_mount"))
    after = ScriptSource(f"{head}local x = {now}\n{call}".replace("b:mount", "b:get_mount"))
    first, again = first_and_again(before, after)
    assert outcome(again) == outcome(first)


@pytest.mark.parametrize(
    "was, now",
    [
        ('local s = bk.scratch():mkfile("/f", "x")', 'local st = bk.scratch():mkfile("/f", "x")'),
        ('local s = bk.image("a")', 'local s = bk.image "a"'),
        ('local s = bk.scratch():mkfile("/f", "x")', 'local s = bk.scratch()\n:mkfile("/f", "x")'),
    ],
)
def test_a_call_moved_on_its_line_is_located_anew(was: str, now: str) -> None:
    # The same function, line and arguments: only the columns of the call differ.
    after = ScriptSource(f"{now}\nbk.export(s or st)\n")
    first, again = first_and_again(ScriptSource(f"{was}\nbk.export(s or st)\n"), after)
    assert outcome(again) == outcome(first)


def test_a_reused_call_converts_no_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    converted = []
    from_lua = Converter.from_lua

    def counting(self: Converter, value: object, depth: int = 0) -> object:
        if depth == 0:
            converted.append(value)
        return from_lua(self, value, depth)

    text = WRITTEN_OUT.replace("{ mode = 644 }", '{ mode = "0644" }')  # no call fails: every one is kept
    evaluate(ScriptSource(text))
    monkeypatch.setattr(Converter, "from_lua", counting)
    assert evaluate(ScriptSource(text + "-- edited\n")).ok
    # Only the calls that run every time: bk.image("alpine:3.19") and bk.export(...).
    assert len(converted) == 2


@pytest.mark.parametrize("length, kept", [(1000, True), (70_000, False)])
def test_calls_with_long_arguments_are_not_kept(length: int, kept: bool) -> None:
    # Their key would keep as much again alive as their arguments (compiler/runtime/bridge.lua).
    text = f'bk.export(bk.scratch():mkfile("/f", string.rep("x", {length})))\n'
    first, again = evaluate(ScriptSource(text)), evaluate(ScriptSource(text))
    assert (again.calls[1].value is first.calls[1].value) == kept
    assert outcome(again) == outcome(first)


def test_warnings_are_recorded_again() -> None:
    text = 'bk.export(bk.image("a"):copy(bk.local_("c"), "f", "/f", { mode = 644 }))\n'
    evaluate(ScriptSource(text))
    again = evaluate(ScriptSource(text))
    assert [p.kind for p in again.problems] == ["mode"]


def test_memory_is_charged_again() -> None:
    # 4 MB of files in the graph, from one string of 200 kB in Lua's memory.
    text = 'local s, x = bk.image("a"), string.rep("x", 200000)\n'
    text += "".join(f's = s:mkfile("/f{i}", x)\n' for i in range(20)) + "bk.export(s)\n"
    small = EvalOptions(memory_limit=2 * 1024 * 1024)
    first = evaluate(ScriptSource(text), small)
    assert "the build graph exceeds the memory limit" in str(first.problems)
    assert evaluate(ScriptSource(text), EvalOptions(memory_limit=64 * 1024 * 1024)).ok
    assert outcome(evaluate(ScriptSource(text), small)) == outcome(first)


def test_the_target_platform_is_part_of_the_call() -> None:
    text = 'bk.export(bk.scratch():mkfile("/f", "x"))\n'
    for target in (Platform("linux", "amd64"), Platform("linux", "arm64"), Platform("linux", "amd64")):
        evaluation = evaluate(ScriptSource(text), EvalOptions(target_platform=target))
        assert evaluation.export.state.platform == target  # type: ignore[union-attr]


class ChangingResolver:
    """An image config that changes between lookups (the disk cache filled by `luakit build`)."""

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir

    def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None:
        return g.ImageDefaults(env=("PATH=/bin",), workdir=self.workdir)


def test_the_image_resolver_is_asked_every_time() -> None:
    text = 'bk.export(bk.image("a"):run("make"))\n'
    old, new = (
        EvalOptions(image_resolver=ChangingResolver("/old")),
        EvalOptions(image_resolver=ChangingResolver("/new")),
    )
    evaluate(ScriptSource(text), old)
    again = evaluate(ScriptSource(text), new)
    assert again.export.state.exec.cwd == "/new"  # type: ignore[union-attr]
    unchanged = evaluate(ScriptSource(text), new)
    assert unchanged.export.state is again.export.state  # type: ignore[union-attr]


def test_only_lines_read_alike_anywhere_are_kept_by_their_text() -> None:
    # After a long bracket, a line's text alone does not say where its calls are.
    assert callsite.sites_for('local a = "x"\nbk.image("a")\n').line_text(2) == 'bk.image("a")'
    assert callsite.sites_for('local a = [[x]]\nbk.image("a")\n').line_text(2) is None
    assert callsite.sites_for('local a = [==[x]==]\nbk.image("a")\n').line_text(2) is None
    assert callsite.sites_for('local a = "x\\\nbk.image(\\"a\\")"\nbk.image("a")\n').line_text(3) is None
    assert callsite.sites_for('local a = "x\\\r\nb"\nbk.image("a")\n').line_text(3) is None


def test_a_complete_evaluation_keeps_only_its_own_results() -> None:
    text = 'bk.export(bk.scratch():mkfile("/f", "x"))\n'
    evaluate(ScriptSource(text))
    evaluate(ScriptSource(text.replace('"x"', '"y"')))
    assert [found.record.value for found in reuse._scripts["build.lua"].values()] == [
        call.value for call in evaluate(ScriptSource(text.replace('"x"', '"y"'))).calls[:2]
    ]


def test_results_are_kept_for_a_few_scripts_only(monkeypatch: pytest.MonkeyPatch) -> None:
    text = 'bk.export(bk.scratch():mkfile("/f", "x"))\n'
    for name in ("a.lua", "b.lua", "c.lua"):
        evaluate(ScriptSource(text, name))
    assert list(reuse._scripts) == ["a.lua", "b.lua", "c.lua"]
    monkeypatch.setattr(reuse, "_MAX_RESULTS", 3)  # each script has 2 results (scratch, mkfile): two are too many
    evaluate(ScriptSource(text, "a.lua"))
    assert list(reuse._scripts) == ["a.lua"]
    monkeypatch.setattr(reuse, "_SCRIPTS", 2)
    monkeypatch.setattr(reuse, "_MAX_RESULTS", 100)
    for name in ("b.lua", "c.lua"):
        evaluate(ScriptSource(text, name))
    assert list(reuse._scripts) == ["b.lua", "c.lua"]
