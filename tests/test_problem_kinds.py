"""Every problem kind has its stable LK code, and docs/editors.md lists each code with an example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler.errors import ProblemKind

EDITORS = Path(__file__).resolve().parent.parent / "docs" / "editors.md"
ROW = re.compile(r"^\| (LK\d{3}) \| ([^|]+) \| `([^`]+)` \|$", re.MULTILINE)


def documented() -> dict[str, tuple[str, str]]:
    """code -> (kind, example) from the table under "## Diagnostic codes"."""
    text = EDITORS.read_text()
    section = text[text.index("## Diagnostic codes") :]
    section = section[: section.index("\n## ", 1)]
    return {code: (kind.strip(), example) for code, kind, example in ROW.findall(section)}


@pytest.mark.parametrize("kind", list(ProblemKind))
def test_every_kind_has_a_code_and_a_documented_row_with_an_example(kind):
    assert re.fullmatch(r"LK\d{3}", kind.code), kind
    rows = documented()
    assert kind.code in rows, f"docs/editors.md has no row for {kind.code} ({kind})"
    description, example = rows[kind.code]
    assert description and example


def test_codes_are_distinct_and_no_row_documents_a_code_that_is_gone():
    codes = [kind.code for kind in ProblemKind]
    assert len(set(codes)) == len(codes)
    assert set(documented()) == set(codes)
