"""compiler/graph/walk.py: the one walk of an export, shared by the unused-step warnings and the marshal."""

import importlib

from compiler import EvalOptions, ScriptSource, evaluate
from compiler.evaluate import exported_nodes
from compiler.graph import nodes as g
from compiler.graph.walk import post_order


def _source(name: str) -> g.SourceNode:
    return g.SourceNode(f"local://{name}", (), ())


def test_every_node_once_after_its_inputs_first_input_first():
    base, other = _source("base"), _source("other")
    left = g.DiffNode(g.Ref(base), g.Ref(other))
    right = g.DiffNode(g.Ref(other), g.Ref(base))
    root = g.MergeNode((g.Ref(left), g.Ref(right), g.Ref(base)))
    assert list(post_order(root).values()) == [base, other, left, right, root]
    assert set(post_order(root)) == {id(n) for n in (base, other, left, right, root)}


def test_equal_nodes_are_listed_apart_and_scratch_inputs_skipped():
    twin_a, twin_b = _source("same"), _source("same")  # equal content, two nodes: the marshal merges them
    root = g.DiffNode(g.Ref(twin_a), None)
    assert list(post_order(g.MergeNode((g.Ref(root), g.Ref(twin_b)))).values())[:3] == [twin_a, root, twin_b]


def test_a_chain_deeper_than_the_recursion_limit():
    node: g.Node = _source("base")
    for _ in range(5000):
        node = g.DiffNode(g.Ref(node), None)
    assert len(post_order(node)) == 5001


def test_an_evaluation_walks_its_export_once_for_the_warnings_and_the_marshal(monkeypatch):
    import compiler.llb.marshal as marshal_module

    evaluate_module = importlib.import_module("compiler.evaluate")  # the package's `evaluate` is the function

    walks = []

    def counted(root: g.Node) -> dict[int, g.Node]:
        walks.append(root)
        return post_order(root)

    monkeypatch.setattr(evaluate_module, "post_order", counted)
    monkeypatch.setattr(marshal_module, "post_order", counted)
    script = 'local b = bk.image("alpine")\nbk.export(bk.merge(b:run("a"), b:run("b"), bk.diff(b, b:run("c"))))\n'
    evaluation = evaluate(ScriptSource(script), EvalOptions())
    ops = evaluation.marshalled.ops
    assert len(walks) == 1
    assert [op.node for op in ops] == list(exported_nodes(evaluation.export.state).values())
