"""Quick fixes for luakit's diagnostics.

Fixes are found from a diagnostic's message and range and the document text,
so they work for any diagnostic with that message, whoever produced it:

* `unknown option 'cwdd' (did you mean 'cwd'?)` (compiler/api/values.py):
  rename the key within the diagnostic's range (the call), else on its lines;
* a mode written like an octal literal (`mode = 0644`, which Lua reads as the
  decimal 644), reported as `... write "0644" ...` or `mode 644 looks like an
  octal literal`: replace the number with the string, which luakit reads as octal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lsprotocol.types import CodeAction, CodeActionKind, Diagnostic, Position, Range, TextEdit, WorkspaceEdit

from luakit_ls.positions import UTF16, PositionUnits
from luakit_ls.syntax import Document, Token, parse, tokens

_UNKNOWN_OPTION = re.compile(r"unknown option '([A-Za-z_][A-Za-z0-9_]*)' \(did you mean '([A-Za-z_][A-Za-z0-9_]*)'\?\)")
_OCTAL_SUGGESTION = re.compile(r'\bwrite "([0-7]{3,4})"')


# Whether a token (and the one after it, if any) is what a fix replaces.
_Match = Callable[[Token, Token | None], bool]


@dataclass(frozen=True)
class Fix:
    title: str
    edit: TextEdit


def code_actions(
    text: str,
    uri: str,
    diagnostics: Sequence[Diagnostic],
    units: PositionUnits = UTF16,
    at: Range | None = None,
    published: Sequence[Diagnostic] = (),
) -> list[CodeAction]:
    """The quick fixes of the diagnostics the client sent and of those the server published on the
    lines of `at` (the cursor or selection): a client that sends only the diagnostics under the
    cursor, or none, still gets the fix of a diagnostic that spans several lines."""
    actions = []
    for diagnostic in _relevant(diagnostics, published, at):
        for fix in carried_fixes(diagnostic) or _parsed_fix(text, uri, diagnostic, units):
            actions.append(
                CodeAction(
                    title=fix.title,
                    kind=CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=WorkspaceEdit(changes=fix.changes),
                    is_preferred=True,
                )
            )
    return actions


@dataclass(frozen=True)
class CarriedFix:
    title: str
    changes: dict[str, list[TextEdit]]


def carried_fixes(diagnostic: Diagnostic) -> list[CarriedFix]:
    """The fixes a diagnostic carries in its `data` (luakit_ls.diagnostics.fixes_data)."""
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    out = []
    for fix in data.get("fixes") or []:
        changes: dict[str, list[TextEdit]] = {}
        for edit in fix.get("edits") or []:
            start, end = edit["range"]["start"], edit["range"]["end"]
            range_ = Range(Position(start["line"], start["character"]), Position(end["line"], end["character"]))
            changes.setdefault(edit["uri"], []).append(TextEdit(range_, edit["newText"]))
        out.append(CarriedFix(fix["title"], changes))
    return out


def _relevant(sent: Sequence[Diagnostic], published: Sequence[Diagnostic], at: Range | None) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple[object, ...]:
        r = d.range
        return (r.start.line, r.start.character, r.end.line, r.end.character, d.message)

    found = {key(d): d for d in sent}
    if at is not None:
        for d in published:
            if d.range.start.line <= at.end.line and at.start.line <= d.range.end.line:
                found.setdefault(key(d), d)
    # What the server published is the diagnostic as it was made (its `data` intact).
    own = {key(d): d for d in published}
    return [own.get(k, d) for k, d in found.items()]


def _parsed_fix(text: str, uri: str, diagnostic: Diagnostic, units: PositionUnits) -> list[CarriedFix]:
    fix = quick_fix(text, diagnostic.message, diagnostic.range, units)
    return [CarriedFix(fix.title, {uri: [fix.edit]})] if fix is not None else []


def quick_fix(text: str, message: str, range_: Range, units: PositionUnits = UTF16) -> Fix | None:
    """The fix for one diagnostic, or None when its message has none (or the text no longer matches)."""
    doc = parse(text, units)
    unknown = _UNKNOWN_OPTION.search(message)
    if unknown:
        key, suggestion = unknown.groups()
        token = _find(doc, range_, lambda t, after: _is_key(t, after, key))
        if token is None:
            return None
        if token.kind == "str":  # ["cwdd"] = ...
            edit_range = doc.range_of(token.content_start, token.content_end)
        else:
            edit_range = doc.range_of(token.start, token.end)
        return Fix(f"Change '{key}' to '{suggestion}'", TextEdit(edit_range, suggestion))
    suggested = _OCTAL_SUGGESTION.search(message) if "octal" in message else None
    if suggested is not None:
        value = int(suggested.group(1))  # the literal `0644` is the number 644: the digits read as decimal
        token = _find(doc, range_, lambda t, after: t.kind == "num" and _decimal(t) == value)
        if token is None:
            return None
        replacement = f'"{suggested.group(1)}"'
        return Fix(
            f"Write the mode as the string {replacement}",
            TextEdit(doc.range_of(token.start, token.end), replacement),
        )
    return None


def _decimal(token: Token) -> int | None:
    return int(token.value) if token.value.isdigit() else None


def _is_key(token: Token, after: Token | None, key: str) -> bool:
    """`key =` or `["key"] =` (a table key, not a value that happens to be the same word)."""
    if after is None:
        return False
    if token.kind == "name":
        return token.value == key and after.text == b"="
    return token.kind == "str" and token.value == key and after.text == b"]"


def _find(doc: Document, range_: Range, match: _Match) -> Token | None:
    """The first token in the diagnostic's range that matches, else the first on the range's lines."""
    start, end = doc.offset_at(range_.start), doc.offset_at(range_.end)
    line_start = doc.offset_at(Position(range_.start.line, 0))
    line_end = (
        doc.offset_at(Position(range_.end.line + 1, 0))
        if range_.end.line + 1 < len(doc.line_starts)
        else len(doc.source)
    )
    for low, high in ((start, end), (line_start, line_end)):
        found = _first(doc, low, high, match)
        if found is not None:
            return found
    return None


def _first(doc: Document, low: int, high: int, match: _Match) -> Token | None:
    previous: Token | None = None
    for token in tokens(doc.source, low):
        if previous is not None and match(previous, token):
            return previous
        if token.start >= high:
            return None
        previous = token
    if previous is not None and match(previous, None):
        return previous
    return None
