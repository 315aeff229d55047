"""Locations and problems: errors are values with a place in the user's script."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A range in a script file. Lines are 1-based, columns 0-based (LSP-style).

    `file` is the display name of the file (the path the user gave, or a module's
    path relative to it, or `luakit/<name>.lua` for the bundled stdlib).
    """

    file: str
    line: int
    column: int = 0
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column + 1}"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a script, found while evaluating or checking it.

    `kind` is one of: "syntax", "runtime", "api", "limit", "export", "unused", "mode".
    `severity` is "error" (the script cannot be built) or "warning".
    """

    message: str
    location: Location | None
    kind: str = "runtime"
    severity: str = "error"
    # Where the script was when the error was raised: the Lua frames, innermost
    # first (a call inside a `require`d module leads back to the `require` line).
    trace: tuple[Location, ...] = ()

    def __str__(self) -> str:
        message = f"warning: {self.message}" if self.severity == "warning" else self.message
        if self.location is None:
            return message
        return f"{self.location}: {message}"


class ScriptError(Exception):
    """Raised inside API functions for a mistake in the user's script.

    The runtime turns it into a `Problem` located at the API call site.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
