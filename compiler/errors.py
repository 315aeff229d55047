"""Locations and problems: errors are values with a place in the user's script.

A `Problem` says what is wrong (`message`), where (`location`: the range of the
mistake itself: the misspelled key, the wrong value, the missing argument's
parentheses), what kind of mistake it is (`kind`, which carries the stable code
editors show) and, when the fix is certain, how to fix it (`fixes`, as data:
editors offer them as quick fixes without reading the message).
"""

from __future__ import annotations

from enum import StrEnum

from compiler.records import Record

_set = object.__setattr__  # how a record's __init__ sets its fields (compiler/records.py)


class Location(Record):
    """A range in a script file. Lines are 1-based, columns 0-based code points.

    `file` is the display name of the file (the path the user gave, or a module's
    path relative to it, or `luakit/<name>.lua` for the bundled stdlib).
    """

    __slots__ = ("file", "line", "column", "end_line", "end_column")
    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __init__(self, file: str, line: int, column: int = 0, end_line: int = 0, end_column: int = 0) -> None:
        _set(self, "file", file)
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column + 1}"


class ProblemKind(StrEnum):
    """What kind of mistake a problem is. Each kind has a stable code (`code`), listed in docs/editors.md.

    A new kind needs a code in `_CODES` and a row in docs/editors.md; tests check both.
    """

    SYNTAX = "syntax"  # Lua's own compiler rejected the text
    RUNTIME = "runtime"  # a Lua error the script raised or ran into
    API = "api"  # a bk call with a wrong type or value, an unknown option or function, a wrong arity
    LIMIT = "limit"  # the evaluation ran out of time or memory, or crashed
    EXPORT = "export"  # no bk.export call
    UNUSED = "unused"  # a step whose result never reaches the export (warning)
    SANDBOX = "sandbox"  # a facility the sandbox does not provide (os.execute, io.open, ...)
    MODE = "mode"  # a numeric mode written like an octal literal (warning)
    REGISTRY = "registry"  # a base image's registry could not be reached or refused (warning or error)
    BUILD = "build"  # a step failed when BuildKit ran it

    @property
    def code(self) -> str:
        """`LK003`: what editors show next to the message."""
        return _CODES[self]


_CODES: dict[ProblemKind, str] = {
    ProblemKind.SYNTAX: "LK001",
    ProblemKind.RUNTIME: "LK002",
    ProblemKind.API: "LK003",
    ProblemKind.LIMIT: "LK004",
    ProblemKind.EXPORT: "LK005",
    ProblemKind.UNUSED: "LK006",
    ProblemKind.SANDBOX: "LK007",
    ProblemKind.MODE: "LK008",
    ProblemKind.REGISTRY: "LK009",
    ProblemKind.BUILD: "LK010",
}


class Edit(Record):
    """Replace the text in `location`'s range with `text` (columns as in `Location`)."""

    __slots__ = ("location", "text")
    location: Location
    text: str

    def __init__(self, location: Location, text: str) -> None:
        _set(self, "location", location)
        _set(self, "text", text)


class Fix(Record):
    """A certain fix for a problem: `title` ("Change 'cwdd' to 'cwd'") and the edits that make it."""

    __slots__ = ("title", "edits")
    title: str
    edits: tuple[Edit, ...]

    def __init__(self, title: str, edits: tuple[Edit, ...]) -> None:
        _set(self, "title", title)
        _set(self, "edits", edits)


class Problem(Record):
    """Something wrong with a script, found while evaluating or checking it.

    `severity` is "error" (the script cannot be built) or "warning".
    """

    __slots__ = ("message", "location", "kind", "severity", "trace", "fixes")
    message: str
    location: Location | None
    kind: ProblemKind
    severity: str
    # Where the script was when the error was raised: the Lua frames, innermost
    # first (a call inside a `require`d module leads back to the `require` line).
    trace: tuple[Location, ...]
    fixes: tuple[Fix, ...]

    def __init__(
        self,
        message: str,
        location: Location | None,
        kind: ProblemKind = ProblemKind.RUNTIME,
        severity: str = "error",
        trace: tuple[Location, ...] = (),
        fixes: tuple[Fix, ...] = (),
    ) -> None:
        _set(self, "message", message)
        _set(self, "location", location)
        _set(self, "kind", kind)
        _set(self, "severity", severity)
        _set(self, "trace", trace)
        _set(self, "fixes", fixes)

    def __str__(self) -> str:
        message = f"warning: {self.message}" if self.severity == "warning" else self.message
        if self.location is None:
            return message
        return f"{self.location}: {message}"


class Focus(Record):
    """The part of an API call a mistake is in, for locating it in the call's text.

    `argument` counts the call's arguments as Lua passes them (a method's State
    is argument 1, written or not), 0 meaning the argument list as a whole (a
    missing argument). `keys` lead into that argument's tables: a string is a
    key (`cwd = ...`, `["cwd"] = ...`), an int a position in a list. With `key`
    the mistake is the last key itself (an unknown option), else the value.
    """

    __slots__ = ("argument", "keys", "key")
    argument: int
    keys: tuple[str | int, ...]
    key: bool

    def __init__(self, argument: int, keys: tuple[str | int, ...] = (), key: bool = False) -> None:
        _set(self, "argument", argument)
        _set(self, "keys", keys)
        _set(self, "key", key)


class Replacement(Record):
    """A certain fix for the text `Focus` locates: replace it with `text`; `title` names the change.

    `expected` (a regular expression) is what that text must be for the fix to
    fit: `mode = 0644` is fixed by `"0644"`, `mode = base + 4` is not.
    """

    __slots__ = ("title", "text", "expected")
    title: str
    text: str
    expected: str

    def __init__(self, title: str, text: str, expected: str = "") -> None:
        _set(self, "title", title)
        _set(self, "text", text)
        _set(self, "expected", expected)


class ScriptError(Exception):
    """Raised inside API functions for a mistake in the user's script.

    The runtime turns it into a `Problem` located at the part of the call
    `focus` names (the call itself without one), with `replacement` as its fix.
    """

    def __init__(self, message: str, focus: Focus | None = None, replacement: Replacement | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.focus = focus
        self.replacement = replacement
