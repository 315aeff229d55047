"""Graphviz DOT of the op graph: one box per op, edges from inputs."""

from __future__ import annotations

from compiler.llb.marshal import Marshalled
from compiler.render.views import filtered_edges, op_views

_COLORS = {"source": "#dbeafe", "exec": "#fef3c7", "file": "#dcfce7", "merge": "#f3e8ff", "diff": "#fce7f3"}


def _quote(text: str) -> str:
    """A DOT double-quoted string; newlines become centred line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "")
    return '"' + escaped.replace("\n", "\\n") + '"'


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_dot(marshalled: Marshalled, kinds: set[str] | None = None) -> str:
    views = op_views(marshalled)
    keep = {v.op.digest for v in views if kinds is None or v.kind in kinds}
    lines = [
        "digraph luakit {",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=10];',
    ]
    for view in views:
        if view.op.digest not in keep:
            continue
        parts = [view.kind, view.op.digest[7:19]]
        locations = view.op.locations()
        if locations:
            parts.append(f"{locations[0].file}:{locations[0].line}")
        parts.append(_shorten(view.summary()))
        label = _quote("\n".join(parts))
        color = _COLORS.get(view.kind, "#f3f4f6")
        lines.append(f'  {_quote(view.op.digest)} [label={label}, fillcolor="{color}"];')
    for src, dst in filtered_edges(views, keep):
        lines.append(f"  {_quote(src)} -> {_quote(dst)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
