"""The files of one evaluation, and where in them things happened.

Lua tells the host a chunk name and a line; this module turns that into a
`Location` with columns (the call expression, via `callsite`), and turns Lua's
own error messages (syntax and runtime) into located `Problem`s.
"""

from __future__ import annotations

import functools
import posixpath
import re

from lupa import lua51

from compiler.errors import Focus, Location, Problem, ProblemKind
from compiler.records import Record
from compiler.runtime.callsite import CallSites, sites_for

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

# Pattern sources, compiled by `re` on first use and kept in its cache: a run that never
# reports a Lua error does not pay for compiling it (docs/performance.md#cold-start).
_POSITION = r"(?s)^(?P<file>.*?):(?P<line>\d+): (?P<message>.*)$"
_NEAR = r"near '(?P<token>.*)'$"


class SourceFile(Record):
    """A Lua file that took part in an evaluation (the script or a module)."""

    __slots__ = ("name", "text")
    name: str  # display name, as in Location.file
    text: str

    def __init__(self, name: str, text: str) -> None:
        object.__setattr__(self, "name", name)  # as records set their fields (compiler/records.py)
        object.__setattr__(self, "text", text)


def strip_first_line_comment(text: str) -> str:
    """Lua files may start with `#!...` or `# syntax=...`; blank it, keeping line numbers."""
    if text.startswith("#"):
        newline = text.find("\n")
        return "" if newline < 0 else text[newline:]
    return text


# Lua shortens source names longer than this in its messages ("...ong/path/build.lua:3:"),
# and an editor's paths are absolute: longer names run under a short stand-in.
MAX_CHUNK_NAME = 45


def chunk_name(name: str) -> str:
    """The name Lua knows a file by: its display name, or a short stand-in for a long one.

    The stand-in depends on the name alone, so compiled chunks (which embed it) stay valid.
    """
    if len(name) <= MAX_CHUNK_NAME:
        return name
    import hashlib  # here: its OpenSSL binding takes ~3 ms to load, and short names need none

    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{posixpath.basename(name)[-30:]}~{digest}"


# Locations of calls that lie on one line, by (file, line, function, the line's text), kept across
# evaluations: in a file the quick path reads, such a call's range depends on its line alone
# (compiler/runtime/callsite.py), so the unchanged lines of an edited script are located by one
# lookup, without finding the call again and making its `Location` (about 3 us of each call).
_LINE_CALLS_LIMIT = 200_000
_line_calls: dict[tuple[str, int, str, str], Location] = {}


@functools.lru_cache(maxsize=256)
def _called_name(function: str) -> str:
    """The name written before a call's arguments: `image` for "bk.image", `run` for "State:run".

    Cached: the API has a few dozen names, and each call site's first location asks for one.
    """
    return function.rsplit(".", 1)[-1].rsplit(":", 1)[-1]


class SourceSet:
    """The script and the modules it loaded, in load order, with their call sites."""

    def __init__(self) -> None:
        self.files: list[SourceFile] = []
        self._sites: dict[str, CallSites] = {}
        self._calls: dict[tuple[bytes, int, str], Location | None] = {}
        self._names: dict[bytes, str] = {}  # chunk name as Lua sends it -> file
        self._stand_ins: dict[str, str] = {}  # chunk_name() -> display name, where they differ

    def add(self, name: str, text: str) -> str:
        """Register a file; returns the text Lua should compile."""
        if name not in self._sites:
            self.files.append(SourceFile(name, text))
            self._sites[name] = sites_for(text)
            if chunk_name(name) != name:
                self._stand_ins[chunk_name(name)] = name
        return strip_first_line_comment(text)

    def __contains__(self, name: str) -> bool:
        return name in self._sites

    def file_of(self, chunkname: bytes | str) -> str:
        """The display name behind a Lua chunk name (`@build.lua` -> `build.lua`)."""
        text = chunkname.decode("utf-8", "replace") if isinstance(chunkname, bytes) else chunkname
        text = text[1:] if text.startswith("@") else text
        return self._stand_ins.get(text, text)

    def _named(self, message: str) -> str:
        """`message` with stand-ins replaced by the names users know."""
        for stand_in, name in self._stand_ins.items():
            message = message.replace(stand_in, name)
        return message

    # ------------------------------------------------------------ locations

    def line_location(self, file: str, line: int) -> Location:
        """The whole (non-blank part of a) line."""
        sites = self._sites.get(file)
        first, last = sites.line_range(line) if sites else (0, 0)
        return Location(file, line, first, line, last)

    def known_line(self, chunkname: bytes | str, line: int) -> Location | None:
        file = self.file_of(chunkname)
        return self.line_location(file, line) if file in self._sites and line > 0 else None

    def call_location(self, chunkname: bytes, line: int, function: str) -> Location | None:
        """The range of the call of `function` ("bk.image", "State:run") that Lua reported at `line`."""
        key = (chunkname, line, function)
        if key in self._calls:  # calls in loops: one lookup per call site
            return self._calls[key]
        file = self._names.get(chunkname)
        if file is None:
            file = self._names[chunkname] = self.file_of(chunkname)
        location: Location | None = None
        if file and line > 0:
            sites = self._sites.get(file)
            text = sites.line_text(line) if sites else None
            line_key = None if text is None else (file, line, function, text)
            if line_key is not None:
                location = _line_calls.get(line_key)
                if location is not None:
                    self._calls[key] = location
                    return location
            name = _called_name(function)
            found = sites.locate(line, name) if sites else None
            if found is None:
                location = self.line_location(file, line)
            else:
                column, end_line, end_column = found
                location = Location(file, line, column, end_line, end_column)
            if line_key is not None and sites is not None and sites.on_its_line(line, name):
                if len(_line_calls) >= _LINE_CALLS_LIMIT:
                    _line_calls.clear()
                _line_calls[line_key] = location
        self._calls[key] = location
        return location

    def part_location(self, call: Location, function: str, focus: Focus) -> Location | None:
        """The range of the part of the call of `function` at `call` that `focus` names.

        None where the text does not show it.
        """
        sites = self._sites.get(call.file)
        name = _called_name(function)
        span = sites.part((call.line, call.column, call.end_line, call.end_column), name, focus) if sites else None
        return None if span is None else Location(call.file, *span)

    def field_location(self, chunkname: bytes, line: int, table: str, name: str) -> Location | None:
        """The range of `name` in `table.name` on `line` of a file (the misspelled function in `bk.imge(...)`)."""
        file = self.file_of(chunkname)
        sites = self._sites.get(file)
        span = sites.field_name(line, table, name) if sites and line > 0 else None
        return None if span is None else Location(file, *span)

    def text_at(self, location: Location) -> str:
        """The text of `location`'s range (for checking that a fix still fits it)."""
        sites = self._sites.get(location.file)
        if sites is None or location.end_line < location.line:
            return ""
        lines = sites.lines[location.line - 1 : location.end_line]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][location.column : location.end_column]
        return "\n".join([lines[0][location.column :], *lines[1:-1], lines[-1][: location.end_column]])

    # ------------------------------------------------------------ Lua's messages

    def _split_position(self, message: str) -> tuple[str, int, str] | None:
        m = re.match(_POSITION, message)
        if m is None:
            return None
        file = self._stand_ins.get(m.group("file"), m.group("file"))
        if file in self._sites:
            return file, int(m.group("line")), self._named(m.group("message"))
        return None

    def syntax_problem(self, message: str) -> Problem:
        """`build.lua:3: '=' expected near 'x'` -> a problem at the offending token."""
        split = self._split_position(message)
        if split is None:
            return Problem(self._named(message), None, ProblemKind.SYNTAX)
        file, line, text = split
        location = self.line_location(file, line)
        near = re.search(_NEAR, text)
        lines = self._sites[file].lines
        if near and near.group("token") and line <= len(lines):
            column = lines[line - 1].rfind(near.group("token"))
            if column >= 0:
                location = Location(file, line, column, line, column + len(near.group("token")))
        return Problem(text, location, ProblemKind.SYNTAX)

    def runtime_problem(self, error: Any, chunkname: str, line: int) -> Problem:
        """A Lua error that reached the top: located by its message, else by the frame that raised it."""
        if isinstance(error, bytes):
            message = error.decode("utf-8", "replace")
            split = self._split_position(message)
            if split is not None:
                file, err_line, text = split
                return Problem(text, self.line_location(file, err_line), ProblemKind.RUNTIME)
        else:
            message = f"error object is a {lua51.lua_type(error) or 'non-string'} value"
        return Problem(self._named(message), self.known_line(chunkname, line), ProblemKind.RUNTIME)
