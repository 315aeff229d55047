"""What both views share: the op list, filtered by kind, with edges kept through hidden ops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format

from compiler.llb.marshal import Marshalled, MarshalledOp
from compiler.pb import llb as pb


@dataclass(frozen=True)
class OpView:
    op: MarshalledOp
    decoded: pb.Op

    @property
    def kind(self) -> str:
        return self.decoded.WhichOneof("op") or "unknown"

    def details(self) -> dict[str, Any]:
        body = getattr(self.decoded, self.kind)
        return json_format.MessageToDict(body)

    def summary(self) -> str:
        d = self.decoded
        kind = self.kind
        if kind == "source":
            return d.source.identifier
        if kind == "exec":
            return " ".join(d.exec.meta.args)
        if kind == "file":
            action = d.file.actions[-1]
            which = action.WhichOneof("action") or ""
            if which == "copy":
                return f"copy {action.copy.src} -> {action.copy.dest}"
            if which == "symlink":
                return f"symlink {action.symlink.newpath} -> {action.symlink.oldpath}"
            return f"{which} {getattr(action, which).path}"
        if kind == "merge":
            return f"merge of {len(d.merge.inputs)}"
        if kind == "diff":
            return "diff"
        return kind


def op_views(marshalled: Marshalled) -> list[OpView]:
    return [OpView(op, pb.Op.FromString(op.encoded.data)) for op in marshalled.ops]


def filtered_edges(views: list[OpView], keep: set[str]) -> list[tuple[str, str]]:
    """(from, to) digests among kept ops, drawn through ops that were filtered out."""
    by_digest = {view.op.digest: view for view in views}
    edges: list[tuple[str, str]] = []
    for view in views:
        if view.op.digest not in keep:
            continue
        seen: set[str] = set()
        stack = [digest for digest, _ in view.op.encoded.inputs]
        while stack:
            digest = stack.pop()
            if digest in seen:
                continue
            seen.add(digest)
            if digest in keep:
                if (digest, view.op.digest) not in edges:
                    edges.append((digest, view.op.digest))
            elif digest in by_digest:
                stack.extend(d for d, _ in by_digest[digest].op.encoded.inputs)
    return edges
