"""Where `require`, `dofile` and `loadfile` may read Lua files from.

Two roots only: the script's own folder and the stdlib bundled in this package.
Names are `a.b`, `a/b` or `a/b.lua`; `a/b/init.lua` is found too. Absolute
paths, `..` and symlinks that leave a root are refused, so a script can read
nothing else on the machine.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Mapping

from compiler.records import Record

# Reads a file by its path relative to the script's folder: text, or None when
# there is no such file. How a script whose folder is not on this machine (the
# gateway frontend reads it from a BuildKit local) serves `require`.
ModuleReader = Callable[[str], str | None]

# Paths here are strings (os.path), not pathlib's: importing pathlib brings urllib.parse and
# ipaddress, ~5 ms of each start of the CLI (docs/performance.md#cold-start).
STDLIB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "stdlib")
STDLIB_PREFIX = "luakit/"  # display-name prefix of stdlib files


class ModuleError(Exception):
    pass


_set = object.__setattr__  # how a record's __init__ sets its fields (compiler/records.py)


class Root(Record):
    __slots__ = ("directory", "display_prefix", "reader", "overlays")
    directory: str | None  # None: a root that has no files (e.g. an in-memory script)
    display_prefix: str  # prepended to relative paths to make display names
    reader: ModuleReader | None  # files from elsewhere, when `directory` is None
    # Texts that stand for files of `directory`, by absolute path: an editor's open
    # documents, unsaved edits included. Read before the disk.
    overlays: Mapping[str, str]

    def __init__(
        self,
        directory: str | None,
        display_prefix: str,
        reader: ModuleReader | None = None,
        overlays: Mapping[str, str] | None = None,
    ) -> None:
        _set(self, "directory", directory)
        _set(self, "display_prefix", display_prefix)
        _set(self, "reader", reader)
        _set(self, "overlays", {} if overlays is None else overlays)


class ModuleFile(Record):
    __slots__ = ("display_name", "text", "path")
    display_name: str
    text: str
    path: str | None  # the absolute path of a file of a directory root (overlaid or not)

    def __init__(self, display_name: str, text: str, path: str | None = None) -> None:
        _set(self, "display_name", display_name)
        _set(self, "text", text)
        _set(self, "path", path)


def module_path(name: str, mode: str) -> str:
    """The relative path for a module name, or ModuleError for a name that escapes."""
    if not name or "\\" in name or "\0" in name:
        raise ModuleError(f"{mode}: invalid module name '{name}'")
    if name.startswith("/"):
        raise ModuleError(f"{mode}: '{name}': absolute paths are not allowed; name a file in the script's folder")
    if mode == "require":
        stem = name[:-4] if name.endswith(".lua") else name
        rel = stem.replace(".", "/") if "/" not in stem else stem
    else:
        rel = name
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ModuleError(f"{mode}: '{name}': paths may not contain '..' or empty parts")
    return rel


class ModuleResolver:
    """Finds modules in `roots`; `script` is the display name of the script they are looked for beside."""

    def __init__(self, roots: list[Root], script: str = "the script") -> None:
        self.roots = roots
        self.script = script

    def find(self, name: str, mode: str = "require") -> ModuleFile:
        rel = module_path(name, mode)
        candidates = [rel + ".lua", rel + "/init.lua"] if mode == "require" else [rel]
        for root in self.roots:
            for candidate in candidates:
                display = _display(root, candidate)
                path = None
                if root.reader is not None:
                    found = root.reader(candidate)
                elif root.directory is None:
                    continue
                else:
                    path = os.path.join(root.directory, candidate)
                    found = root.overlays.get(path)
                    if found is None:
                        found = _read_inside(root.directory, candidate)
                if found is not None:
                    return ModuleFile(display, found, path)
        # One line (editors show one): the paths in the script's folder, as its author
        # names them; the bundled stdlib is looked in too, but no one writes files there.
        what = "module" if mode == "require" else "file"
        looked = " and ".join(candidates)
        raise ModuleError(f"{mode}: no {what} '{name}' (looked for {looked} beside {posixpath.basename(self.script)})")


def _display(root: Root, rel: str) -> str:
    return posixpath.normpath(posixpath.join(root.display_prefix, rel)) if root.display_prefix else rel


def _read_inside(directory: str, rel: str) -> str | None:
    try:
        real = os.path.realpath(os.path.join(directory, rel), strict=True)
    except OSError:  # no such file, or a symlink loop
        return None
    base = os.path.realpath(directory)
    if os.path.commonpath((real, base)) != base:
        raise ModuleError(f"'{rel}' resolves outside the script's folder")
    if not os.path.isfile(real):
        return None
    try:
        with open(real, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ModuleError(f"cannot read '{rel}': {exc}") from exc


def roots_for(
    script_path: str | None,
    display_name: str,
    reader: ModuleReader | None = None,
    overlays: Mapping[str, str] | None = None,
) -> list[Root]:
    """The script's folder (a file's, with `overlays` over it, or the one `reader` serves), then the stdlib."""
    roots: list[Root] = []
    display_dir = posixpath.dirname(display_name)
    if reader is not None:
        roots.append(Root(None, display_dir, reader))
    elif script_path is not None:
        roots.append(Root(os.path.dirname(os.path.abspath(script_path)), display_dir, overlays=overlays or {}))
    else:
        roots.append(Root(None, display_dir))
    roots.append(Root(STDLIB_DIR, STDLIB_PREFIX.rstrip("/")))
    return roots
