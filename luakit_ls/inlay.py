"""Inlay hints: after each binding of a State, the op the last evaluation made for it.

`local b = bk.image("alpine")` shows `source · 3f2a1b9c0d1e` after the call
(and the platform when one was set). The op is that of the outermost call of
the bound expression: the last of the evaluation's calls located in it. A
binding evaluated several times (in a loop) shows the last time and the count.

`inlay_hints(text, calls, range)` returns lsprotocol `InlayHint`s. `calls` are
the last evaluation's call records for this document; hints of an older
evaluation are only as good as the line numbers still are, so callers should
pass calls from an evaluation of this same text.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol.types import InlayHint, InlayHintKind, Range

from luakit_ls.call_records import CallIndex, CallRecord, op_summary
from luakit_ls.client import FULL, ClientFeatures
from luakit_ls.markup import documentation
from luakit_ls.parsing import parse


def inlay_hints(
    text: str, calls: Sequence[CallRecord], range_: Range | None = None, client: ClientFeatures = FULL
) -> list[InlayHint]:
    if not calls:
        return []
    doc = parse(text, client.units)
    index = CallIndex(calls)
    first_line = range_.start.line if range_ is not None else 0
    last_line = range_.end.line if range_ is not None else len(doc.line_starts)
    hints: list[tuple[int, InlayHint]] = []
    for bindings in doc.bindings.values():
        for binding in bindings:
            value = binding.value
            if value is None or binding.kind not in ("local", "assign"):
                continue
            end_line = doc.line_of(value.end_byte)
            if not first_line <= end_line <= last_line:
                continue
            made = index.within(doc, value.start_byte, value.end_byte)
            if not made or made[-1].kind is None:
                continue
            last = made[-1]
            times = sum(1 for c in made if c.location == last.location and c.function == last.function)
            label = op_summary(last) + (f" ×{times}" if times > 1 else "")
            tooltip = f"`{last.function}` made a **{last.kind}** op"
            if last.digest:
                tooltip += f"\n\n`{last.digest}`"
            if last.platform:
                tooltip += f"\n\nplatform `{last.platform}`"
            hints.append(
                (
                    value.end_byte,
                    InlayHint(
                        position=doc.position_at(value.end_byte),
                        label=label,
                        kind=InlayHintKind.Type,
                        padding_left=True,
                        tooltip=documentation(tooltip, client.hover_markdown),
                    ),
                )
            )
    return [hint for _, hint in sorted(hints, key=lambda pair: pair[0])]
