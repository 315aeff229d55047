"""What the last evaluation recorded for each API call: how the editor summarizes it, and finds it by range.

The server keeps the last evaluation's calls (compiler.isolated.CallOp); inlay
hints, hovers and symbols show what each produced (`op_summary`), and
`CallIndex` finds the calls whose location falls in a range of the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from compiler.errors import Location
    from luakit_ls.parsing import Document


class CallRecord(Protocol):
    """What the last evaluation recorded for one API call (compiler.isolated.CallOp has this shape)."""

    @property
    def function(self) -> str: ...  # "bk.image", "state:run"
    @property
    def location(self) -> Location | None: ...
    @property
    def kind(self) -> str | None: ...  # "source", "exec", "file", "merge", "diff"; None for non-States
    @property
    def digest(self) -> str | None: ...
    @property
    def platform(self) -> str | None: ...


def short_digest(digest: str | None) -> str | None:
    """The first 12 hex characters of a `sha256:...` digest, as `docker images` shows them."""
    if not digest:
        return None
    return digest.split(":", 1)[-1][:12]


def op_summary(call: CallRecord) -> str:
    """`exec · 3f2a1b9c0d1e · linux/arm64`: what one call produced."""
    parts = [call.kind or "no op"]
    digest = short_digest(call.digest)
    if digest:
        parts.append(digest)
    if call.platform:
        parts.append(call.platform)
    return " · ".join(parts)


def api_name(function: str) -> str:
    """The stub name for an evaluation's function name: `state:run` -> `State:run`."""
    return "State:" + function[6:] if function.startswith("state:") else function


class CallIndex:
    """The last evaluation's calls in one document, by line, for matching them to source ranges."""

    def __init__(self, calls: Sequence[CallRecord]) -> None:
        self.by_line: dict[int, list[tuple[int, CallRecord]]] = {}
        for order, call in enumerate(calls):
            if call.location is not None:
                self.by_line.setdefault(call.location.line, []).append((order, call))

    def __bool__(self) -> bool:
        return bool(self.by_line)

    def on_line(self, line: int) -> list[CallRecord]:
        """Calls located on a 1-based line, in evaluation order."""
        return [call for _, call in self.by_line.get(line, ())]

    def within(self, doc: Document, start: int, end: int) -> list[CallRecord]:
        """Calls located in bytes [start, end) of `doc`, in evaluation order.

        The outermost call of an expression is evaluated last, so `[-1]` is what
        the whole expression produced. A call overlapping the range counts: calls
        made by a stdlib helper are located on the whole line of the user's call.
        Locations without columns match by line.
        """
        first, last = doc.point_at(start), doc.point_at(end)
        found: list[tuple[int, CallRecord]] = []
        for line in range(first[0], last[0] + 1):
            for order, call in self.by_line.get(line, ()):
                loc = call.location
                assert loc is not None
                if loc.end_line == 0 or ((loc.line, loc.column) < last and (loc.end_line, loc.end_column) > first):
                    found.append((order, call))
        return [call for _, call in sorted(found, key=lambda pair: pair[0])]
