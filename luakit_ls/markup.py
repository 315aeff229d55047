"""Documentation text for a client that renders Markdown, and readable plain text for one that does not.

The features write their documentation in the small Markdown subset below
(fenced code, `inline code`, **bold**, *emphasis*, [links](url), `# headings`);
`content` sends it as Markdown where the client accepts it and otherwise as
plain text without the markup (eglot and others show plain text verbatim, so
`**Last evaluation:**` must not reach them with its stars).
"""

from __future__ import annotations

import re

from lsprotocol.types import MarkupContent, MarkupKind

_FENCE = re.compile(r"^\s*```[\w-]*\s*$")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")
_HEADING = re.compile(r"^#{1,6}\s+")


def content(markdown: str, markdown_ok: bool) -> MarkupContent:
    """`markdown` as the client can show it, for a hover (whose bare string would be read as Markdown)."""
    if markdown_ok:
        return MarkupContent(MarkupKind.Markdown, markdown)
    return MarkupContent(MarkupKind.PlainText, plain_text(markdown))


def documentation(markdown: str, markdown_ok: bool) -> MarkupContent | str:
    """`markdown` as the client can show it, where a bare string is plain text (completion, signatures,
    inlay tooltips): a client that lists no documentation format may not know MarkupContent."""
    return MarkupContent(MarkupKind.Markdown, markdown) if markdown_ok else plain_text(markdown)


def plain_text(markdown: str) -> str:
    """The text a reader of `markdown` sees: code kept as written, markup marks dropped."""
    lines: list[str] = []
    in_code = False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            lines.append(line)
            continue
        # Inline code is kept as written (`*.lua` keeps its star); markup is read around it.
        parts = _CODE.split(_HEADING.sub("", line))
        lines.append("".join(part if i % 2 else _prose(part) for i, part in enumerate(parts)))
    return "\n".join(lines)


def _prose(text: str) -> str:
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text)
    text = _STRONG.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    return text.replace("\\|", "|")
