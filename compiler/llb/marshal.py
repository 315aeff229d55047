"""The graph under an exported state -> pb.Definition (pure; one walk)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from compiler.errors import Location
from compiler.graph import nodes as g
from compiler.graph.walk import post_order
from compiler.llb.encode import EncodedOp, digest_of, encode
from compiler.pb import llb as pb
from compiler.records import Record

_set = object.__setattr__  # how a record's __init__ sets its fields (compiler/records.py)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

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

    def encode_met(self, node: g.Node) -> EncodedOp:
        """Encode `node`, whose inputs are encoded already (as a post-order walk meets it)."""
        found = self._by_node.get(id(node))
        if found is None:
            found = self._by_node[id(node)] = encode(node, self._resolve)
            self._keep.append(node)
        return found

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


def walk(root: g.Node, digester: Digester, nodes: Mapping[int, g.Node] | None = None) -> list[MarshalledOp]:
    """Ops under `root` in llb's order: post-order DFS over inputs, deduplicated by digest.

    `nodes`: `post_order(root)`, when the caller has it already (an evaluation walks its
    export once, for its unused-step warnings and for this). Post-order meets every node
    after its inputs, so each node is encoded where it is met (its inputs' digests are
    known by then): one pass down the list.
    """
    order: list[MarshalledOp] = []
    by_digest: dict[str, MarshalledOp] = {}
    for node in (post_order(root) if nodes is None else nodes).values():
        encoded = digester.encode_met(node)
        entry = by_digest.get(encoded.digest)
        if entry is None:
            entry = by_digest[encoded.digest] = MarshalledOp(encoded.digest, encoded)
            order.append(entry)
        entry.nodes.append(node)
    return order


class _Metadata(Record):
    __slots__ = ("data", "description", "ignore_cache")
    data: bytes  # a serialized pb.OpMetadata
    description: bool  # whether it has one (then the final vertex has the meta.description cap)
    ignore_cache: bool  # likewise, for meta.ignorecache

    def __init__(self, data: bytes, description: bool, ignore_cache: bool) -> None:
        _set(self, "data", data)
        _set(self, "description", description)
        _set(self, "ignore_cache", ignore_cache)


@functools.lru_cache(maxsize=256)
def _metadata(caps: tuple[str, ...], metas: tuple[g.OpMetadata, ...]) -> _Metadata:
    """The pb.OpMetadata of an op with `caps` made by nodes with `metas`.

    Cached: most ops of a graph share a few (caps, metadata) pairs, so each pair is
    built and serialized once and parsed into the Definition's map entry (cheaper
    than building the message again).
    """
    meta = pb.OpMetadata()
    for cap in caps:
        meta.caps[cap] = True
    for node_meta in metas:
        for key, value in node_meta.description:
            meta.description[key] = value
        if node_meta.progress_group:
            meta.progress_group.CopyFrom(pb.ProgressGroup(id=node_meta.progress_group, name=node_meta.progress_group))
        if node_meta.ignore_cache:
            meta.ignore_cache = True
    # The meta.description/meta.ignorecache caps go on the final vertex only, as llb does.
    return _Metadata(meta.SerializeToString(deterministic=True), bool(meta.description), meta.ignore_cache)


def marshal_state(
    state: g.State,
    sources: Sequence[SourceFile] = (),
    digester: Digester | None = None,
    nodes: Mapping[int, g.Node] | None = None,
) -> Marshalled:
    """Marshal the graph under `state` (a scratch state gives an empty Definition).

    `digester`: one that may already have encoded some of the nodes (they are not encoded again).
    `nodes`: the nodes under `state`, as `compiler.graph.walk.post_order` lists them, if known.
    """
    digester = Digester() if digester is None else digester
    definition = pb.Definition()
    if state.ref is None:
        return Marshalled([], definition, digester)
    ops = walk(state.ref.node, digester, nodes)
    located = _LocationEntries({source.name: i for i, source in enumerate(sources)})
    for source in sources:
        definition.Source.infos.add(filename=source.name, data=source.text.encode(), language="Lua")
    final_caps = {"constraints": True, "platform": True}
    defs, metadata, source_locations = getattr(definition, "def"), definition.metadata, definition.Source.locations
    # An op made once has its metadata looked up by the identities of its caps and its node's
    # metadata: both are shared objects (one caps tuple per kind of op, `NO_METADATA` on most
    # nodes), so the key is two ids, where `_metadata`'s cache hashes the metadata by value
    # (~1.5 µs an op). The ops hold both objects, so the ids stay theirs for this loop.
    metadata_of: dict[tuple[int, int], _Metadata] = {}
    for op in ops:
        encoded = op.encoded
        defs.append(encoded.data)
        if len(op.nodes) == 1:  # the usual case, made once: one metadata, at most one location
            node = op.nodes[0]
            key = (id(encoded.caps), id(node.meta))
            meta = metadata_of.get(key)
            if meta is None:
                meta = metadata_of[key] = _metadata(encoded.caps, (node.meta,))
            located.fill_one(source_locations[op.digest], node.location)
        else:
            meta = _metadata(encoded.caps, tuple(node.meta for node in op.nodes))
            located.fill(source_locations[op.digest], op.locations())
        metadata[op.digest].MergeFromString(meta.data)
        if meta.description:
            final_caps["meta.description"] = True
        if meta.ignore_cache:
            final_caps["meta.ignorecache"] = True

    # The terminal vertex: no op, one input naming the result (llb state.go).
    final = pb.Op()
    final.inputs.add(digest=digester.digest(state.ref.node), index=state.ref.index)
    final_data = final.SerializeToString(deterministic=True)
    getattr(definition, "def").append(final_data)
    final_meta = definition.metadata[digest_of(final_data)]
    for cap, value in final_caps.items():
        final_meta.caps[cap] = value
    return Marshalled(ops, definition, digester)


class _LocationEntries:
    """Fills each op's pb.Locations entry, building each call site's entry once.

    The ops that one call site in a loop makes share its `Location` (one object:
    compiler/runtime/sources.py keeps one per call site): their entries are copied from
    the first one built there (~1.5 µs, where setting the fields of a location's four
    messages costs ~5 µs). Keyed by the Location's identity: hashing it by value would
    cost, for the ops of scripts where no two share a line, about what the copies save
    elsewhere. The Locations outlive this (the ops' nodes hold them), so ids stay unique.
    """

    def __init__(self, source_index: dict[str, int]) -> None:
        self._source_index = source_index
        self._built: dict[int, Any] = {}  # id(Location) -> the pb.Locations first built for it

    def fill_one(self, entry: Any, location: Location | None) -> None:
        """The entry of an op made once, at `location` (None: left empty)."""
        if location is None:
            return
        built = self._built.get(id(location))
        if built is not None:
            entry.CopyFrom(built)
            return
        self._built[id(location)] = entry
        index = self._source_index.get(location.file)
        if index is not None:
            _add_location(entry.locations, index, location)

    def fill(self, entry: Any, locations: list[Location]) -> None:
        """The entry of an op that several nodes made, at each of their `locations`."""
        if len(locations) == 1:
            self.fill_one(entry, locations[0])
            return
        for loc in locations:
            if loc.file in self._source_index:
                _add_location(entry.locations, self._source_index[loc.file], loc)


def _add_location(locations: Any, index: int, loc: Location) -> None:
    """Append `loc` in file `index` to an op's pb.Locations list.

    Set field by field in the message added to the list: building a pb.Location
    with its Range and Positions apart and copying it in is slower (four messages
    built, then copied), and so is upb's keyword form of `add` (`add(sourceIndex=...)`).
    """
    location = locations.add()
    location.sourceIndex = index
    added = location.ranges.add()
    start, end = added.start, added.end
    start.line, start.character = loc.line, loc.column
    end.line = loc.end_line or loc.line
    end.character = loc.end_column if loc.end_line else loc.column
