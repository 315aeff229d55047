"""Shared test helpers: compile Lua text and decode what came out."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from compiler import EvalOptions, Evaluation, ScriptSource, evaluate
from compiler.pb import ops_pb2 as pb


def run_script(text: str, name: str = "build.lua", path: str | None = None, **options: object) -> Evaluation:
    return evaluate(ScriptSource(textwrap.dedent(text), name=name, path=path), EvalOptions(**options))  # type: ignore[arg-type]


def problems(text: str, **options: object) -> list[str]:
    return [str(p) for p in run_script(text, **options).problems]


def error(text: str, **options: object) -> str:
    found = problems(text, **options)
    assert len(found) == 1, found
    return found[0]


@dataclass
class Decoded:
    definition: pb.Definition
    ops: list[pb.Op]  # without the final vertex
    digests: list[str]
    final: pb.Op

    def of_kind(self, kind: str) -> list[pb.Op]:
        return [op for op in self.ops if op.WhichOneof("op") == kind]

    def one(self, kind: str) -> pb.Op:
        found = self.of_kind(kind)
        assert len(found) == 1, f"{len(found)} {kind} ops"
        return found[0]

    def by_digest(self, digest: str) -> pb.Op:
        return self.ops[self.digests.index(digest)]

    def caps(self, op: pb.Op) -> set[str]:
        digest = self.digests[self.ops.index(op)]
        return set(self.definition.metadata[digest].caps)

    def metadata(self, op: pb.Op) -> pb.OpMetadata:
        return self.definition.metadata[self.digests[self.ops.index(op)]]


def decode(data: bytes) -> Decoded:
    import hashlib

    definition = pb.Definition.FromString(data)
    raw = list(getattr(definition, "def"))
    ops = [pb.Op.FromString(b) for b in raw]
    digests = ["sha256:" + hashlib.sha256(b).hexdigest() for b in raw]
    return Decoded(definition, ops[:-1], digests[:-1], ops[-1])


def build(text: str, **options: object) -> Decoded:
    evaluation = run_script(text, **options)
    assert evaluation.ok, [str(p) for p in evaluation.problems]
    return decode(evaluation.definition_bytes())
