"""Static sandbox violations: uses of Lua library functions that build scripts do not have.

Evaluation reports a sandboxed call only when it runs; this check reads the
parse tree, so it also finds `os.execute` in a branch the last evaluation did
not take. What is available is what compiler/runtime/bridge.lua puts in the
sandbox (tests/ls/test_sandbox_check.py compares `PROVIDED` with a real
evaluation): Lua 5.1's base functions, `string` without `dump`, `table`,
`math`, `coroutine`, `os` with only the clock, date and `getenv`, and `package`
with only `loaded`, `path` and `cpath`. There is no `io`, `debug` or `module`.

A name the script binds itself (`local os = ...`) is the script's own, not the
library.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter
from lsprotocol.types import Range

from luakit_ls.expressions import references, string_value
from luakit_ls.parsing import Document, parse
from luakit_ls.positions import UTF16, PositionUnits


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The sandbox's libraries and what each provides (from bridge.lua).
PROVIDED: dict[str, frozenset[str]] = {
    "string": _words("byte char find format gfind gmatch gsub len lower match rep reverse sub upper"),
    "table": _words("concat foreach foreachi getn insert maxn remove setn sort"),
    "math": _words(
        "abs acos asin atan atan2 ceil cos cosh deg exp floor fmod frexp huge ldexp log log10 max min mod modf pi "
        "pow rad random randomseed sin sinh sqrt tan tanh"
    ),
    "os": _words("clock date difftime getenv time"),
    "coroutine": _words("create resume running status wrap yield"),
    "package": _words("cpath loaded path"),
}

# Globals of a standard Lua (and of lupa) that the sandbox leaves out.
MISSING_GLOBALS = frozenset({"io", "debug", "module", "python"})

_RUN = 'commands run in the build, not while the script runs: use `state:run("...")`'
_FILES = (
    'build scripts cannot read or write files on this machine: `bk.local_("context")` brings files into the '
    "build and `state:mkfile(path, data)` writes one"
)
_ENV = "build scripts cannot change their environment: pass `env = { ... }` to `state:run`"

# Why a name is missing and what to do instead; looked up by full name, then by library.
HINTS = {
    "os.execute": _RUN,
    "io.popen": _RUN,
    "os.exit": 'to stop the build script with a message, call `error("...")`',
    "os.remove": "build scripts cannot change files on this machine: `state:rm(path)` removes a file in the build",
    "os.rename": "build scripts cannot change files on this machine: `state:copy` and `state:rm` move files in "
    "the build",
    "os.tmpname": "build scripts cannot create files on this machine: `state:mkfile(path, data)` creates one in "
    "the build",
    "os.setenv": _ENV,
    "os.setlocale": _ENV,
    "io.write": "use `print(...)` for messages; `state:mkfile(path, data)` writes a file in the build",
    "io.read": 'build scripts take no input: use build arguments, `bk.arg("NAME")`',
    "io": _FILES,
    "debug": "the debug library would reach outside the sandbox",
    "package.loadlib": "native modules cannot be loaded; `require` loads Lua modules next to the script",
    "package": "only `package.loaded`, `package.path` and `package.cpath` exist; `require` loads Lua modules "
    "next to the script",
    "string.dump": "binary chunks are not allowed in build scripts",
    "module": "a module returns its table instead: `local M = {} ... return M`",
    "python": "build scripts run in a Lua sandbox without access to the host",
    "table.unpack": "Lua 5.1 has `unpack` as a global",
}


@dataclass(frozen=True)
class Violation:
    name: str  # "os.execute", "io"
    message: str  # in the user's terms, with what to do instead
    range: Range  # the whole expression, e.g. `os.execute`


def message_for(name: str) -> str:
    hint = HINTS.get(name) or HINTS.get(name.split(".", 1)[0])
    if hint:
        return f"{name} is not available in build scripts: {hint}"
    return f"{name} is not available in build scripts (the sandbox does not provide it)"


def sandbox_violations(text: str, units: PositionUnits = UTF16) -> list[Violation]:
    """Every use of a library function or global the sandbox does not provide, in source order."""
    doc = parse(text, units)
    found: list[tuple[int, Violation]] = []
    for node in _library_references(doc):
        name = node.text.decode() if node.text else ""
        parent = node.parent
        member = _member_name(parent, node)
        where: tree_sitter.Node = node
        if name in MISSING_GLOBALS:
            full = name
            if member is not None and parent is not None:
                full, where = f"{name}.{member}", parent
        elif name in PROVIDED and member is not None and parent is not None and member not in PROVIDED[name]:
            full, where = f"{name}.{member}", parent
        else:
            continue
        found.append((where.start_byte, Violation(full, message_for(full), doc.node_range(where))))
    return [violation for _, violation in sorted(found, key=lambda pair: pair[0])]


def _library_references(doc: Document) -> list[tree_sitter.Node]:
    """Identifiers that name a sandboxed library or missing global and are not the script's own."""
    found = references(doc, sorted(MISSING_GLOBALS | PROVIDED.keys()))
    return [node for node in found if doc.binding_at(node.text.decode() if node.text else "", node.start_byte) is None]


def _member_name(parent: tree_sitter.Node | None, node: tree_sitter.Node) -> str | None:
    """`execute` in `os.execute` or `os["execute"]`, when `node` is the `os`."""
    if parent is None or parent.child_by_field_name("table") != node:
        return None
    if parent.type == "dot_index_expression":
        field = parent.child_by_field_name("field")
        return field.text.decode() if field is not None and field.text else None
    if parent.type == "bracket_index_expression":
        key = parent.child_by_field_name("field")
        return string_value(key) if key is not None and key.type == "string" else None
    return None
