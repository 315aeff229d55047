"""Position units: the client's character counts in each encoding, and the clamp pygls gets wrong."""

from __future__ import annotations

import pytest

from luakit_ls.markup import plain_text
from luakit_ls.positions import PositionUnits, units_for

LINE = 'x = "é日😀" .. y'


@pytest.mark.parametrize(
    ("encoding", "end_of_emoji"),
    [("utf-8", 5 + 2 + 3 + 4), ("utf-16", 5 + 1 + 1 + 2), ("utf-32", 5 + 1 + 1 + 1)],
)
def test_characters_count_in_the_negotiated_encoding(encoding: str, end_of_emoji: int):
    units = units_for(encoding)
    column = LINE.index("😀") + 1
    assert units.count(LINE[:column]) == end_of_emoji
    assert units.column(LINE, end_of_emoji) == column


def test_a_character_past_the_end_clamps_to_the_end_of_the_line():
    # pygls's codec clamps to one before the end (and writes into the Position it is given).
    for encoding in ("utf-8", "utf-16", "utf-32"):
        assert units_for(encoding).column(LINE, 500) == len(LINE)
    assert PositionUnits().column("abc", 99) == 3


def test_an_unknown_encoding_name_means_utf16():
    assert units_for(None) == units_for("utf-16") == units_for("ucs-2")


def test_plain_text_keeps_code_and_drops_markup():
    markdown = '```lua\nfunction bk.image(ref: string): State\n```\n\n**Last evaluation:** `exec` · *see* [docs](https://x), `*.lua`'
    assert plain_text(markdown) == (
        "function bk.image(ref: string): State\n\nLast evaluation: exec · see docs (https://x), *.lua"
    )
