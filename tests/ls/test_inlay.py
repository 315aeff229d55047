"""Inlay hints: the op kind, short digest and platform after each State binding, from the last evaluation."""

from lsprotocol.types import Position, Range

from luakit_ls.inlay import inlay_hints

from .helpers import evaluated_calls, example


def test_node_example_hints_after_each_binding():
    text = example("node")
    calls = evaluated_calls(text)
    hints = inlay_hints(text, calls)
    lines = text.split("\n")
    by_line = {h.position.line: h for h in hints}
    # node, ctx, manifest, deps, built, runtime (npm_cache is a Mount: no op)
    assert sorted(by_line) == [2, 3, 6, 7, 8, 13]
    node = by_line[2]
    assert node.position.character == len(lines[2]) and node.padding_left
    assert node.label == f"source · {calls[0].digest[7:19]}"
    built = by_line[8]
    assert built.label.startswith("exec · ")  # the run at the end of the chain, not its copy
    runtime = by_line[13]  # a multi-line chain: the hint follows its last line
    assert runtime.label == f"file · {[c for c in calls if c.function == 'state:copy'][-1].digest[7:19]}"


def test_platform_and_loop_counts():
    text = """local b = bk.image("alpine", { platform = "linux/arm64" })
for i = 1, 3 do
  b = b:run("echo " .. i)
end
bk.export(b)
"""
    hints = inlay_hints(text, evaluated_calls(text))
    assert [h.label.split(" · ")[0] for h in hints] == ["source", "exec"]
    assert hints[0].label.endswith(" · linux/arm64")
    assert hints[1].label.endswith(" · linux/arm64 ×3")


def test_range_and_no_evaluation():
    text = example("go-multistage")
    calls = evaluated_calls(text)
    assert inlay_hints(text, []) == []
    window = inlay_hints(text, calls, Range(Position(10, 0), Position(19, 0)))
    assert [h.position.line for h in window] == [10, 15, 17, 18]


def test_calls_of_another_text_version_are_matched_by_line_only_as_far_as_they_fit():
    text = 'local b = bk.image("alpine")\nbk.export(b)\n'
    calls = evaluated_calls(text)
    edited = "\n" + text  # one line inserted above: the old call is now on a line with no binding
    assert inlay_hints(edited, calls) == []
