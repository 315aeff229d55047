"""Which open documents are build scripts, and the names evaluations give them."""

from __future__ import annotations

import dataclasses
import fnmatch
import posixpath
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    from compiler.isolated import Report

# A file that calls the API is a build script, whatever its name.
_CALLS_BK = re.compile(r"(?<![\w.])bk\s*\.\s*[A-Za-z_]")


def path_of(uri: str) -> str | None:
    """The file system path of a `file:` URI, else None."""
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def display_name(uri: str) -> str:
    """How locations name the document: its path, or the URI for unsaved buffers."""
    return path_of(uri) or uri


def is_named_script(uri: str, globs: Sequence[str]) -> bool:
    """A build script by name (`build.lua`, `*.build.lua`, configurable): it must export."""
    path = path_of(uri) or urlparse(uri).path
    return any(fnmatch.fnmatch(posixpath.basename(path), g) or fnmatch.fnmatch(path, g) for g in globs)


def as_library(report: Report) -> Report:
    """A library of steps (a file that calls `bk.` but is not named like a build script) need not
    export: its report without the "no bk.export() call" problem, for every face that shows it
    (diagnostics, the status bar's count, the commands), so they agree."""
    from compiler.errors import ProblemKind

    return dataclasses.replace(report, problems=[p for p in report.problems if p.kind != ProblemKind.EXPORT])


def is_build_script(uri: str, text: str, globs: Sequence[str]) -> bool:
    """By name, or by content: a `.lua` file that calls `bk.` (a library of steps, say)."""
    if is_named_script(uri, globs):
        return True
    path = path_of(uri) or urlparse(uri).path
    return path.endswith(".lua") and _CALLS_BK.search(text) is not None
