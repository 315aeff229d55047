"""Parsing a script with tree-sitter-lua, and positions in it: `Document`.

Editors send scripts while they are being typed, so almost every request sees
broken code: `bk.` at the end of a line, an unclosed `{`, a string whose quote
is not typed yet, a missing `end`. tree-sitter-lua parses the whole text
(5-10 ms for 1,000 lines) into a tree that keeps every complete statement as a
proper node, even around errors. Bindings (`local b = ...`), symbols and sandbox
checks read that tree; what surrounds a cursor is read from tokens instead
(luakit_ls/cursor.py).

Offsets are UTF-8 byte offsets into `Document.source` throughout (tree-sitter's
unit). LSP positions (0-based line, character in the negotiated encoding) are
converted in exactly one place: `Document.offset_at` and `Document.position_at`,
which count characters with the document's `PositionUnits`; code-point columns
(a compiler `Location`'s unit) in compiler/lua/positions.py.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from functools import cached_property

import tree_sitter
import tree_sitter_lua
from lsprotocol.types import Position, Range

from compiler.lua import positions
from luakit_ls.positions import UTF16, PositionUnits
from luakit_ls.scopes import Binding, collect_bindings


@functools.cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_lua.language()))


@functools.cache
def compiled_query(source: str) -> tree_sitter.Query:
    """A tree-sitter query over the Lua grammar, compiled once per query text."""
    return tree_sitter.Query(tree_sitter.Language(tree_sitter_lua.language()), source)


def captures(node: tree_sitter.Node, query: str) -> dict[str, list[tree_sitter.Node]]:
    """Run a tree-sitter query (compiled once per query text) under `node`."""
    return tree_sitter.QueryCursor(compiled_query(query)).captures(node)


@dataclass(frozen=True, eq=False)
class Document:
    """One version of a script: its text, bytes, tree and derived indexes (computed on first use)."""

    text: str
    source: bytes
    tree: tree_sitter.Tree
    line_starts: tuple[int, ...]  # byte offset of each line
    units: PositionUnits = UTF16  # how the client counts characters (negotiated at initialize)

    # -- positions: the one place where the client's characters and bytes meet

    def offset_at(self, position: Position) -> int:
        """The byte offset of an LSP position; past-the-end characters clamp to the line's end."""
        if position.line >= len(self.line_starts):
            return len(self.source)
        start = self.line_starts[position.line]
        end = self.line_starts[position.line + 1] - 1 if position.line + 1 < len(self.line_starts) else len(self.source)
        line = self.source[start:end]
        if line.isascii():
            return start + max(0, min(position.character, len(line)))
        text = line.decode("utf-8", errors="surrogatepass")
        column = self.units.column(text, position.character)
        return start + len(text[:column].encode("utf-8", errors="surrogatepass"))

    def position_at(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.source)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        prefix = self.source[self.line_starts[line] : offset]
        if prefix.isascii():
            return Position(line, len(prefix))
        return Position(line, self.units.count(prefix.decode("utf-8", errors="surrogatepass")))

    def point_at(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based code-point column): the unit of compiler `Location`s."""
        return positions.LineIndex(self.source, self.line_starts).point_at(offset)

    def range_of(self, start: int, end: int) -> Range:
        return Range(self.position_at(start), self.position_at(end))

    def node_range(self, node: tree_sitter.Node) -> Range:
        return self.range_of(node.start_byte, node.end_byte)

    def line_of(self, offset: int) -> int:
        """0-based line of a byte offset."""
        return bisect.bisect_right(self.line_starts, offset) - 1

    def text_of(self, start: int, end: int) -> str:
        return self.source[start:end].decode("utf-8", errors="replace")

    # -- bindings

    @cached_property
    def bindings(self) -> dict[str, list[Binding]]:
        """Every name bound in the script (locals, assignments, parameters, loop variables, functions)."""
        return collect_bindings(self)

    @cached_property
    def _bindings_by_name(self) -> dict[str, list[Binding]]:
        return {}

    def bindings_of(self, name: str) -> list[Binding]:
        """The bindings of one name. Cheaper than `bindings` when only a few names are looked up."""
        if "bindings" in self.__dict__:
            return self.bindings.get(name, [])
        cache = self._bindings_by_name
        if name not in cache:
            cache[name] = collect_bindings(self, name).get(name, [])
        return cache[name]

    def binding_at(self, name: str, offset: int) -> Binding | None:
        """The binding of `name` that is visible at `offset` (the most recent one in scope)."""
        best: Binding | None = None
        for binding in self.bindings_of(name):
            if binding.visible_at(offset) and (best is None or binding.start > best.start):
                best = binding
        return best

    def declaration_at(self, name: str, offset: int) -> Binding | None:
        """Where `name` used at `offset` was declared: its `local`, parameter or function, else its first assignment."""
        found = self.binding_at(name, offset)
        if found is None or found.kind != "assign":
            return found
        locals_ = [b for b in self.bindings_of(name) if b.kind != "assign" and b.visible_at(offset)]
        if locals_:
            return max(locals_, key=lambda b: b.start)
        return min(self.bindings_of(name), key=lambda b: b.start)


@functools.lru_cache(maxsize=8)
def parse(text: str, units: PositionUnits = UTF16) -> Document:
    """Parse a script (cached for the last few texts, so one version is parsed once for all features)."""
    source, line_starts = _source(text)
    return Document(text, source, _parser().parse(source), line_starts, units)


@functools.lru_cache(maxsize=8)
def parse_prefix(text: str, line: int, units: PositionUnits = UTF16) -> Document:
    """`text` with a tree of its lines up to `line` (0-based, inclusive) only.

    For requests at a cursor (completion, signature help, hover, definition):
    only what comes before the cursor decides what is bound there, and an
    unclosed `{` in the middle of a file costs tree-sitter's error recovery
    30-100 ms over the rest of the file, but about 2 ms when the text ends there.
    Offsets and positions are those of the whole text.
    """
    source, line_starts = _source(text)
    cut = line_starts[line + 1] if line + 1 < len(line_starts) else len(source)
    return Document(text, source, _parser().parse(source[:cut]), line_starts, units)


def _source(text: str) -> tuple[bytes, tuple[int, ...]]:
    source = positions.encode(text)
    return source, positions.line_starts(source)
