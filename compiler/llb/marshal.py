"""The graph under an exported state -> pb.Definition (pure; one walk)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from compiler.errors import Location
from compiler.graph import nodes as g
from compiler.llb.encode import EncodedOp, digest_of, encode
from compiler.pb import llb as pb

if TYPE_CHECKING:
    from compiler.runtime.sources import SourceFile


class Digester:
    """Encodes nodes once each; any node's digest is available after `encode`."""

    def __init__(self) -> None:
        self._by_node: dict[int, EncodedOp] = {}
        self._keep: list[g.Node] = []  # id() keys are only valid while nodes live

    def encode(self, node: g.Node) -> EncodedOp:
        """Encode `node` and everything under it, without recursion (deep graphs)."""
        done = self._by_node
        found = done.get(id(node))
        if found is not None:
            return found
        # (node, expanded): a node is encoded after all of its inputs.
        stack: list[tuple[g.Node, bool]] = [(node, False)]
        while stack:
            top, expanded = stack.pop()
            if id(top) in done:
                continue
            if expanded:
                done[id(top)] = encode(top, self._resolve)
                self._keep.append(top)
                continue
            stack.append((top, True))
            for ref in top.inputs():
                if ref is not None and id(ref.node) not in done:
                    stack.append((ref.node, False))
        return done[id(node)]

    def _resolve(self, ref: g.Ref) -> tuple[str, int]:
        return self._by_node[id(ref.node)].digest, ref.index

    def digest(self, node: g.Node) -> str:
        return self.encode(node).digest


class MarshalledOp:
    """One op of the Definition, in `def` order, with the nodes that produced it."""

    __slots__ = ("digest", "encoded", "nodes")

    def __init__(self, digest: str, encoded: EncodedOp, nodes: list[g.Node] | None = None) -> None:
        self.digest = digest
        self.encoded = encoded
        self.nodes: list[g.Node] = [] if nodes is None else nodes

    @property
    def node(self) -> g.Node:
        return self.nodes[0]

    def locations(self) -> list[Location]:
        seen: list[Location] = []
        for node in self.nodes:
            if node.location is not None and node.location not in seen:
                seen.append(node.location)
        return seen


class Marshalled:
    """The Definition of a state, with its ops and the encoder that digested them."""

    __slots__ = ("ops", "definition", "digester")

    def __init__(self, ops: list[MarshalledOp], definition: pb.Definition, digester: Digester) -> None:
        self.ops = ops
        self.definition = definition
        self.digester = digester

    def to_bytes(self) -> bytes:
        return self.definition.SerializeToString(deterministic=True)


def walk(root: g.Node, digester: Digester) -> list[MarshalledOp]:
    """Ops under `root` in llb's order: post-order DFS over inputs, deduplicated by digest."""
    digester.encode(root)
    order: list[MarshalledOp] = []
    by_digest: dict[str, MarshalledOp] = {}
    visited: set[int] = set()
    stack: list[tuple[g.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            encoded = digester.encode(node)
            entry = by_digest.get(encoded.digest)
            if entry is None:
                entry = by_digest[encoded.digest] = MarshalledOp(encoded.digest, encoded)
                order.append(entry)
            entry.nodes.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for ref in reversed(node.inputs()):
            if ref is not None and id(ref.node) not in visited:
                stack.append((ref.node, False))
    return order


def _metadata(op: MarshalledOp) -> pb.OpMetadata:
    meta = pb.OpMetadata()
    for cap in op.encoded.caps:
        meta.caps[cap] = True
    for node in op.nodes:
        for key, value in node.meta.description:
            meta.description[key] = value
        if node.meta.progress_group:
            meta.progress_group.CopyFrom(pb.ProgressGroup(id=node.meta.progress_group, name=node.meta.progress_group))
        if node.meta.ignore_cache:
            meta.ignore_cache = True
    # The meta.description/meta.ignorecache caps go on the final vertex only, as llb does.
    return meta


def marshal_state(state: g.State, sources: Sequence[SourceFile] = (), digester: Digester | None = None) -> Marshalled:
    """Marshal the graph under `state` (a scratch state gives an empty Definition).

    `digester`: one that may already have encoded some of the nodes (they are not encoded again).
    """
    digester = Digester() if digester is None else digester
    definition = pb.Definition()
    if state.ref is None:
        return Marshalled([], definition, digester)
    ops = walk(state.ref.node, digester)
    source_index = {source.name: i for i, source in enumerate(sources)}
    for source in sources:
        definition.Source.infos.add(filename=source.name, data=source.text.encode(), language="Lua")
    final_caps = {"constraints": True, "platform": True}
    for op in ops:
        getattr(definition, "def").append(op.encoded.data)
        meta = _metadata(op)
        definition.metadata[op.digest].CopyFrom(meta)
        if meta.description:
            final_caps["meta.description"] = True
        if meta.ignore_cache:
            final_caps["meta.ignorecache"] = True
        locations = definition.Source.locations[op.digest]
        for loc in op.locations():
            if loc.file in source_index:
                locations.locations.append(_location_pb(source_index[loc.file], loc))

    # The terminal vertex: no op, one input naming the result (llb state.go).
    final = pb.Op()
    final.inputs.add(digest=digester.digest(state.ref.node), index=state.ref.index)
    final_data = final.SerializeToString(deterministic=True)
    getattr(definition, "def").append(final_data)
    final_meta = definition.metadata[digest_of(final_data)]
    for cap, value in final_caps.items():
        final_meta.caps[cap] = value
    return Marshalled(ops, definition, digester)


def _location_pb(index: int, loc: Location) -> pb.Location:
    end_line = loc.end_line or loc.line
    end_column = loc.end_column if loc.end_line else loc.column
    return pb.Location(
        sourceIndex=index,
        ranges=[
            pb.Range(
                start=pb.Position(line=loc.line, character=loc.column),
                end=pb.Position(line=end_line, character=end_column),
            )
        ],
    )
