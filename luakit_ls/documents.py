"""Which open documents are build scripts, and the names evaluations give them."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Sequence
from urllib.parse import unquote, urlparse

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


def is_build_script(uri: str, text: str, globs: Sequence[str]) -> bool:
    """By name, or by content: a `.lua` file that calls `bk.` (a library of steps, say)."""
    if is_named_script(uri, globs):
        return True
    path = path_of(uri) or urlparse(uri).path
    return path.endswith(".lua") and _CALLS_BK.search(text) is not None
