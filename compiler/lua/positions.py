"""Byte offsets of Lua source and (line, column) positions: the one place they are converted.

The lexer and tree-sitter count UTF-8 bytes; a `compiler.errors.Location` is a
1-based line and a 0-based column in code points (what a terminal shows). The
editor's UTF-16 positions are converted from these in luakit_ls (the LSP's unit).
"""

from __future__ import annotations

# `_bisect` is the C module `bisect` wraps: the same functions, without loading bisect.py
# (~0.5 million instructions of each start: docs/performance.md#cold-start).
import _bisect as bisect
import itertools

from compiler.records import Record


def encode(text: str) -> bytes:
    """The UTF-8 bytes of a script; lone surrogates (an editor may send them) survive the round trip."""
    return text.encode("utf-8", errors="surrogatepass")


def line_starts(source: bytes) -> tuple[int, ...]:
    """The byte offset where each line begins (lines end at `\\n`)."""
    return (0, *itertools.accumulate(len(line) + 1 for line in source.split(b"\n")[:-1]))


class LineIndex(Record):
    """Positions in one source: bytes and the start of every line."""

    __slots__ = ("source", "starts")
    source: bytes
    starts: tuple[int, ...]

    def __init__(self, source: bytes, starts: tuple[int, ...]) -> None:
        object.__setattr__(self, "source", source)  # as records set their fields (compiler/records.py)
        object.__setattr__(self, "starts", starts)

    @classmethod
    def of(cls, source: bytes) -> LineIndex:
        return cls(source, line_starts(source))

    def line_of(self, offset: int) -> int:
        """0-based line of a byte offset."""
        return bisect.bisect_right(self.starts, offset) - 1

    def point_at(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based code-point column) of a byte offset: a `Location`'s unit."""
        offset = max(0, min(offset, len(self.source)))
        line = self.line_of(offset)
        prefix = self.source[self.starts[line] : offset]
        if prefix.isascii():
            return line + 1, len(prefix)
        return line + 1, len(prefix.decode("utf-8", errors="surrogatepass"))

    def offset_at(self, line: int, column: int) -> int:
        """The byte offset of a 1-based line and 0-based code-point column (clamped to the line)."""
        if line < 1:
            return 0
        if line > len(self.starts):
            return len(self.source)
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.source)
        text = self.source[start:end]
        if text.isascii():
            return start + min(max(column, 0), len(text))
        chars = text.decode("utf-8", errors="surrogatepass")[: max(column, 0)]
        return start + len(encode(chars))
