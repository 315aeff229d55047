"""Position units: the one place where the client's characters and ours meet.

An LSP position's `character` counts code units of the encoding negotiated at
`initialize` (UTF-8 bytes, UTF-16 code units or code points; UTF-16 when the
client names none). The server works in byte offsets (tree-sitter's unit) and
code-point columns (the compiler's `Location`). `PositionUnits` converts
between a line's text and the client's count, through pygls's `PositionCodec`
so that pygls (which applies the client's incremental edits) and the features
agree on what a character is.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lsprotocol.types import Position, PositionEncodingKind
from pygls.workspace.position_codec import PositionCodec

DEFAULT_ENCODING = PositionEncodingKind.Utf16  # the specification's default


@dataclass(frozen=True)
class PositionUnits:
    """Counting characters as the client does."""

    encoding: PositionEncodingKind = DEFAULT_ENCODING

    @functools.cached_property
    def _codec(self) -> PositionCodec:
        return PositionCodec(self.encoding)

    def count(self, text: str) -> int:
        """The client's character count of `text` (a line, or the part of one before a position)."""
        if text.isascii():
            return len(text)  # one unit per character in every encoding
        return self._codec.client_num_units(text)

    def column(self, line: str, character: int) -> int:
        """The code-point column of the client's `character` on `line`; past the end clamps to the end."""
        if line.isascii():
            return max(0, min(character, len(line)))
        length = self._codec.client_num_units(line)
        if character >= length:
            # pygls clamps a past-the-end character to one before the end (and writes
            # the clamp into the Position it is given): clamp to the end here instead.
            return len(line)
        return self._codec.position_from_client_units([line], Position(0, max(0, character))).character


UTF16 = PositionUnits()


def units_for(encoding: str | None) -> PositionUnits:
    """The units of a negotiated encoding name (UTF-16 for None or a name the specification does not define)."""
    for kind in PositionEncodingKind:
        if kind.value == encoding:
            return PositionUnits(kind)
    return UTF16
