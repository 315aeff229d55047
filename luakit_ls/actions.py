"""Quick fixes for luakit's diagnostics.

A fix is made where the mistake is known, in the compiler (`compiler.errors.Fix`: a rename of an
unknown key, function or method, a mode written as a string), travels in `Diagnostic.data`
(luakit_ls/diagnostics.py `fixes_data`) and is offered here as it came: nothing is read back from a
message's wording, so a change of wording cannot silently lose a fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol.types import CodeAction, CodeActionKind, Diagnostic, Position, Range, TextEdit, WorkspaceEdit


def code_actions(
    diagnostics: Sequence[Diagnostic],
    at: Range | None = None,
    published: Sequence[Diagnostic] = (),
) -> list[CodeAction]:
    """The quick fixes of the diagnostics the client sent and of those the server published on the
    lines of `at` (the cursor or selection): a client that sends only the diagnostics under the
    cursor, or none, still gets the fix of a diagnostic that spans several lines."""
    actions = []
    for diagnostic in _relevant(diagnostics, published, at):
        for fix in carried_fixes(diagnostic):
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
