"""What a script prints, as the lines the editor's log shows (docs/editors.md, "What print() shows").

The server evaluates on every edit, so the same `print` runs again and again, and
a loop of prints can run thousands of times: an evaluation's output is sent only
when it differs from what the same document printed last time, and at most
`MAX_LINES` lines of it, the rest counted in one "… N more lines" line. Each line
is cut at `MAX_CHARS` characters. `luakit build` prints everything, to stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compiler.errors import Location

MAX_LINES = 50  # lines sent per evaluation
MAX_CHARS = 1000  # characters of one printed line


def log_lines(name: str, printed: Sequence[tuple[Location | None, str]], max_lines: int = MAX_LINES) -> list[str]:
    """The lines to log for one evaluation's output: each prefixed by where it was printed
    (`build.lua:3: hello`; `name` when the place is unknown), at most `max_lines` and a count of the rest."""
    lines = [_line(name, location, text) for location, text in printed[:max_lines]]
    if len(printed) > max_lines:
        more = len(printed) - max_lines
        lines.append(f"{name}: … {more} more line{'s' if more != 1 else ''} not shown")
    return lines


def _line(name: str, location: Location | None, text: str) -> str:
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS] + f" … ({len(text) - MAX_CHARS} more characters)"
    where = f"{location.file}:{location.line}" if location is not None else name
    return f"{where}: {text}"


class ScriptLog:
    """Per document, the output last logged: an evaluation that prints the same again logs nothing."""

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        self.max_lines = max_lines
        self._last: dict[str, tuple[tuple[Location | None, str], ...]] = {}

    def update(self, uri: str, name: str, printed: Sequence[tuple[Location | None, str]]) -> list[str]:
        """The lines to log now for `uri`'s latest evaluation (none when its output did not change)."""
        output = tuple(printed)
        if self._last.get(uri, ()) == output:
            return []
        self._last[uri] = output
        return log_lines(name, output, self.max_lines)

    def forget(self, uri: str) -> None:
        self._last.pop(uri, None)
