"""The compiler's records (compiler/records.py) behave as the frozen dataclasses they replaced.

Immutable, equal and hashed by value (or by identity for graph nodes), printable,
picklable (the editor's worker sends problems back pickled) and copied with changes
by `replace`.
"""

from __future__ import annotations

import copy
import pickle

import pytest

from compiler.errors import Fix, Location, Problem, ProblemKind
from compiler.graph import nodes as g
from compiler.graph.platform import Platform
from compiler.records import FrozenRecordError, replace


def test_records_are_immutable():
    location = Location("build.lua", 3, 4)
    with pytest.raises(FrozenRecordError):
        location.line = 4  # type: ignore[misc]
    with pytest.raises(FrozenRecordError):
        del location.file
    with pytest.raises(AttributeError):  # no __dict__: no new attributes either
        location.extra = 1  # type: ignore[attr-defined]
    node = g.SourceNode("docker-image://alpine", (), ())
    with pytest.raises(FrozenRecordError):
        node.identifier = "x"  # type: ignore[misc]


def test_value_records_are_equal_and_hash_by_value_within_their_class():
    assert Location("a.lua", 1, 2) == Location("a.lua", 1, 2)
    assert hash(Location("a.lua", 1, 2)) == hash(Location("a.lua", 1, 2))
    assert Location("a.lua", 1, 2) != Location("a.lua", 1, 3)
    assert len({Platform("linux", "amd64"), Platform("linux", "amd64"), Platform("linux", "arm64")}) == 2
    # Records of different classes with the same fields are different values.
    assert g.Mkdir("/a") != g.Rm("/a")
    assert g.CacheMount("/c", "x") != g.SecretMount("/c", "x")
    assert g.TmpfsMount("/a", 0) != g.Owner("/a", 0)  # the same field values
    assert g.Owner(1, 2) != (1, 2)


def test_identity_records_are_equal_only_to_themselves():
    a = g.SourceNode("docker-image://alpine", (), ())
    b = g.SourceNode("docker-image://alpine", (), ())
    assert a == a and a != b
    assert len({a, b}) == 2
    assert g.Ref(a) != g.Ref(a)
    # A value record holding a node compares the node by identity, as before.
    ref = g.Ref(a)
    assert g.State(ref) == g.State(ref) and g.State(ref) != g.State(g.Ref(b))


def test_defaults_and_repr():
    mkdir = g.Mkdir("/app")
    assert (mkdir.mode, mkdir.make_parents, mkdir.owner) == (0o755, False, None)
    assert g.SourceNode("x", (), ()).meta == g.OpMetadata()
    assert repr(Location("a.lua", 1)) == "Location(file='a.lua', line=1, column=0, end_line=0, end_column=0)"


def test_replace_makes_a_changed_copy():
    problem = Problem("boom", Location("a.lua", 1), ProblemKind.API)
    traced = replace(problem, trace=(Location("b.lua", 2),))
    assert traced.trace == (Location("b.lua", 2),) and traced.message == "boom" and traced.kind is ProblemKind.API
    assert problem.trace == ()
    with pytest.raises(TypeError):
        replace(problem, no_such_field=1)


def test_pickle_and_copy_keep_the_value():
    problem = Problem("boom", Location("a.lua", 1, 2, 1, 5), ProblemKind.MODE, "warning", fixes=(Fix("t", ()),))
    assert pickle.loads(pickle.dumps(problem)) == problem
    assert copy.deepcopy(problem) == problem
    exec_node = g.ExecNode(None, ("sh",), (), "/", mounts=(g.CacheMount("/c", "id"),))
    restored = pickle.loads(pickle.dumps(exec_node))
    assert restored.mounts == exec_node.mounts and restored.args == ("sh",) and restored.meta == g.NO_METADATA
