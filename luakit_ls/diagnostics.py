"""Problems from an evaluation (and the static sandbox check) -> LSP diagnostics, per file.

Every diagnostic has source `luakit` and a stable code for its kind:

| code  | kind                                                                 |
|-------|----------------------------------------------------------------------|
| LK001 | syntax error (from Lua's own compiler)                               |
| LK002 | runtime error (a Lua error the script raised or ran into)            |
| LK003 | API misuse: wrong type or value, unknown option, wrong arity         |
| LK004 | limit: the evaluation ran out of time or memory, or crashed          |
| LK005 | no `bk.export` call                                                  |
| LK006 | a step whose result never reaches the export (warning)               |
| LK007 | a facility the sandbox does not provide (`os.execute`, `io.open`, …) |
| LK008 | a numeric mode written like an octal literal (warning)               |
| LK009 | a base image's registry could not be reached or refused it           |
| LK010 | a step failed when BuildKit ran it                                   |

A problem inside a `require`d module is shown in the module, and also in the
script at the line that led there; the Lua frames become `relatedInformation`
(for a client that shows it). A problem's fixes travel in `Diagnostic.data`
(`{"fixes": [{"title", "edits": [{"uri", "range", "newText"}]}]}`, ranges in
the client's units), so the code action needs no reading of the message.
`Outbox` keeps what each script's last evaluation put in which file, so that
diagnostics a script left in a module go away when it no longer has them.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from lsprotocol.types import (
    Diagnostic,
    DiagnosticRelatedInformation,
    DiagnosticSeverity,
    Location,
    Position,
    Range,
)

from compiler.errors import Fix, Problem, ProblemKind
from compiler.errors import Location as SourceLocation
from compiler.runtime.modules import STDLIB_DIR, STDLIB_PREFIX
from luakit_ls.client import ClientFeatures
from luakit_ls.positions import PositionUnits

SOURCE = "luakit"

Lines = Callable[[str], list[str] | None]  # a file's lines by display name, if known


def uri_for(name: str) -> str:
    """The URI of a display name: a path, a bundled stdlib module, or already a URI (unsaved buffers)."""
    path = path_for(name)
    return path.as_uri() if path is not None else name


def path_for(name: str) -> Path | None:
    """The file behind a display name; None for a URI (an unsaved buffer).

    The evaluator names the bundled stdlib `luakit/<module>.lua`; the server
    names scripts by absolute path, so their modules have absolute names too.
    """
    if "://" in name or name.startswith("untitled:"):
        return None
    if name.startswith(STDLIB_PREFIX):
        return Path(STDLIB_DIR) / name[len(STDLIB_PREFIX) :]
    return Path(name).resolve()


def file_lines(name: str) -> list[str] | None:
    """The lines of the file behind a display name, if it can be read."""
    path = path_for(name)
    try:
        return path.read_text(encoding="utf-8").split("\n") if path is not None else None
    except (OSError, UnicodeDecodeError):
        return None


def short_name(name: str, main: str) -> str:
    """A module's name as the script's author would write it: relative to the script's folder when inside it."""
    folder = posixpath.dirname(main)
    if folder and name.startswith(folder + "/"):
        return name[len(folder) + 1 :]
    return name


def lsp_range(location: SourceLocation | None, lines: list[str] | None, units: PositionUnits) -> Range:
    """A compiler Location (1-based lines, code-point columns) as an LSP range in the client's units."""
    if location is None:
        first = lines[0] if lines else ""
        return Range(Position(0, 0), Position(0, units.count(first)))
    end_line = location.end_line or location.line
    end_column = location.end_column if location.end_line else location.column

    def position(line: int, column: int) -> Position:
        text = lines[line - 1] if lines and 1 <= line <= len(lines) else ""
        return Position(max(line - 1, 0), units.count(text[:column]))

    return Range(position(location.line, location.column), position(end_line, end_column))


def _diagnostic(
    problem: Problem,
    message: str,
    range_: Range,
    related: list[DiagnosticRelatedInformation],
    client: ClientFeatures,
    data: dict[str, Any] | None,
) -> Diagnostic:
    severity = DiagnosticSeverity.Warning if problem.severity == "warning" else DiagnosticSeverity.Error
    return Diagnostic(
        range=range_,
        message=message,
        severity=severity,
        code=problem.kind.code,
        source=SOURCE,
        related_information=(related or None) if client.related_information else None,
        data=data,
    )


def fixes_data(fixes: Iterable[Fix], lines: Lines, units: PositionUnits) -> dict[str, Any] | None:
    """A problem's fixes as `Diagnostic.data` (JSON, ranges in the client's units); None without fixes."""
    out = [
        {
            "title": fix.title,
            "edits": [
                {
                    "uri": uri_for(edit.location.file),
                    "range": _json_range(lsp_range(edit.location, lines(edit.location.file), units)),
                    "newText": edit.text,
                }
                for edit in fix.edits
            ],
        }
        for fix in fixes
    ]
    return {"fixes": out} if out else None


@functools.cache
def _converter() -> Any:
    from pygls.protocol import default_converter

    return default_converter()


def _json_range(range_: Range) -> dict[str, Any]:
    return _converter().unstructure(range_)  # type: ignore[no-any-return]


def to_diagnostics(
    problems: Iterable[Problem], main: str, lines: Lines, client: ClientFeatures
) -> dict[str, list[Diagnostic]]:
    """Diagnostics by display name; `main` (the script) is always present, possibly empty."""
    out: dict[str, list[Diagnostic]] = {main: []}
    units = client.units
    for problem in problems:
        location = problem.location
        file = location.file if location is not None else main
        message = problem.message
        if location is None and message.startswith(f"{main}: "):
            # "build.lua: no bk.export() call": the editor already shows which file.
            message = message[len(main) + 2 :]
        range_ = lsp_range(location, lines(file), units)
        related = [
            DiagnosticRelatedInformation(
                Location(uri_for(frame.file), lsp_range(frame, lines(frame.file), units)), "called from here"
            )
            for frame in problem.trace
            if not _same_line(frame, location)
        ]
        data = fixes_data(problem.fixes, lines, units)
        out.setdefault(file, []).append(_diagnostic(problem, message, range_, related, client, data))
        if file != main and location is not None:
            # Also in the script, where it led into the module.
            entry = next((frame for frame in problem.trace if frame.file == main), None)
            if entry is not None:
                here = DiagnosticRelatedInformation(Location(uri_for(file), range_), message)
                callers = [r for r in related if not _same_line(r, entry)]
                out[main].append(
                    _diagnostic(
                        problem,
                        f"in {short_name(file, main)}: {message}",
                        lsp_range(entry, lines(main), units),
                        [here, *callers],
                        client,
                        data,
                    )
                )
    return out


def _same_line(frame: SourceLocation | DiagnosticRelatedInformation, location: SourceLocation | None) -> bool:
    """A Lua frame on the diagnostic's own line says nothing the diagnostic does not."""
    if location is None:
        return False
    if isinstance(frame, DiagnosticRelatedInformation):
        return frame.location.uri == uri_for(location.file) and frame.location.range.start.line == location.line - 1
    return frame.file == location.file and frame.line == location.line


def evaluation_diagnostics(
    problems: Iterable[Problem],
    text: str,
    main: str,
    uri: str,
    *,
    client: ClientFeatures,
    open_texts: Mapping[str, str] | None = None,
) -> dict[str, list[Diagnostic]]:
    """Diagnostics by file URI for one evaluation of the script `text` (named `main`, at `uri`).

    A module's ranges are counted in the text the evaluation read: the editor's (`open_texts`,
    by path, as `require` read it) or the disk's. The static sandbox check of `text` is included.
    """
    from luakit_ls.sandbox_check import sandbox_violations

    lines = text.split("\n")
    editor = open_texts or {}

    def lines_of(name: str) -> list[str] | None:
        if name == main:
            return lines
        return editor[name].split("\n") if name in editor else file_lines(name)

    by_file = to_diagnostics(problems, main, lines_of, client)
    # The check parses the whole text (20 ms for 1,000 lines, on the event loop):
    # skipped when no library name the sandbox restricts occurs in it at all.
    static = sandbox_violations(text, client.units) if _mentions_a_library(text) else []
    by_file[main] = merge_static(by_file[main], sandbox_diagnostics(static))
    return {uri if name == main else uri_for(name): found for name, found in by_file.items()}


@functools.cache
def _libraries() -> re.Pattern[str]:
    from luakit_ls.sandbox_check import MISSING_GLOBALS, PROVIDED

    names = sorted(MISSING_GLOBALS | PROVIDED.keys())
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(name) for name in names) + r")(?!\w)")


def _mentions_a_library(text: str) -> bool:
    return _libraries().search(text) is not None


def sandbox_diagnostics(violations: Iterable[object]) -> list[Diagnostic]:
    """Static sandbox findings (luakit_ls.sandbox_check.Violation) as errors."""
    return [
        Diagnostic(
            range=v.range,  # type: ignore[attr-defined]
            message=v.message,  # type: ignore[attr-defined]
            severity=DiagnosticSeverity.Error,
            code=ProblemKind.SANDBOX.code,
            source=SOURCE,
        )
        for v in violations
    ]


def merge_static(evaluated: list[Diagnostic], static: list[Diagnostic]) -> list[Diagnostic]:
    """Static sandbox findings win over the runtime error the same line produced (it says less)."""
    lines = {d.range.start.line for d in static}
    kept = [d for d in evaluated if not (d.code == ProblemKind.RUNTIME.code and d.range.start.line in lines)]
    return static + kept


class Outbox:
    """What each script's last evaluation found in which file, and so what every file shows.

    An evaluation reports on the script and on the modules it loaded; the next
    one may not mention a module at all, and its old diagnostics must then be
    cleared. A module can also be open itself (a library of steps, evaluated on
    its own) while a script reports into it: a file shows the union of what
    every script found there, each diagnostic once.
    """

    def __init__(self) -> None:
        self._found: dict[str, dict[str, list[Diagnostic]]] = {}  # script URI -> file URI -> diagnostics

    def update(self, script: str, found: dict[str, list[Diagnostic]]) -> dict[str, list[Diagnostic]]:
        """Record `script`'s new findings; what to publish, for every file whose diagnostics may have changed."""
        before = self._found.get(script, {})
        self._found[script] = found
        return {uri: self.shown(uri) for uri in [*found, *(u for u in before if u not in found)]}

    def reported(self, script: str) -> bool:
        """Whether `script` was evaluated (and not forgotten since)."""
        return script in self._found

    def forget(self, script: str) -> dict[str, list[Diagnostic]]:
        """`script` was closed: what to publish for the files it reported into (itself included);
        nothing for a file that was never evaluated (a plain Lua file gets no publish at all)."""
        if script not in self._found:
            return {}
        before = self._found.pop(script)
        return {uri: self.shown(uri) for uri in dict.fromkeys([script, *before])}

    def shown(self, uri: str) -> list[Diagnostic]:
        # The file's own evaluation first, then what scripts that load it found there.
        origins = sorted(self._found, key=lambda script: script != uri)
        out: list[Diagnostic] = []
        seen: set[tuple[object, ...]] = set()
        for origin in origins:
            for diagnostic in self._found[origin].get(uri, []):
                start, end = diagnostic.range.start, diagnostic.range.end
                key = (start.line, start.character, end.line, end.character, diagnostic.message, diagnostic.code)
                if key not in seen:
                    seen.add(key)
                    out.append(diagnostic)
        return out
