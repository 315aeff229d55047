"""Go to definition: `bk` functions, State methods, option keys and enum values (into the
stubs file), `require("x")` (the module file), and locals (their declaration).

`definition(text, position, uri)` returns an lsprotocol `Location` or None.
Modules resolve as the evaluator resolves them (compiler/runtime/modules.py):
`a.b` is `a/b.lua` or `a/b/init.lua`, first next to the script, then in the
bundled stdlib; `dofile`/`loadfile` take a file name as is.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol.types import Location, Position, Range

from luakit_ls import stubs
from luakit_ls.cursor import Context, word_at
from luakit_ls.expressions import Index, MethodRef, Name
from luakit_ls.inference import Resolver
from luakit_ls.option_sites import option_field
from luakit_ls.positions import UTF16, PositionUnits

# Functions whose string argument names a Lua file, and how the evaluator reads that name.
_LOADERS = {"require": "require", "dofile": "dofile", "loadfile": "loadfile"}


def definition(
    text: str, position: Position, uri: str, *, state_names: Collection[str] = (), units: PositionUnits = UTF16
) -> Location | None:
    """Where the name (or module string) at `position` is defined; `uri` is this document's."""
    found = word_at(text, position, units)
    if found is None:
        return None
    doc, ctx, word = found
    resolver = Resolver(doc, state_names)
    index = resolver.index
    if word.kind == "str":
        loader = _loader(ctx)
        if loader is not None:
            return _module(word.value, loader, uri)
        return _enum_value(ctx, resolver, word.value, units)
    if word.kind != "name":
        return None
    name = word.value
    if ctx.receiver is not None:
        member = MethodRef if ctx.separator == ":" else Index
        function = resolver.function_of(member(ctx.receiver, name, ctx.receiver.start, word.end))
        if function is None:
            return None
        return _stub_location(index, function.line, function.name, units)
    if ctx.next_text == b"=" and ctx.innermost is not None and ctx.innermost.at_key:
        option = option_field(ctx, resolver, name)
        if option is not None and option[1].line >= 0:
            return _stub_location(index, option[1].line, name, units)
        return None
    if name == "bk" and resolver.type_of(Name(name, word.start, word.end)) == "bk" and "bk" in index.types:
        return _stub_location(index, index.types["bk"].line, "bk", units)
    declared = doc.declaration_at(name, word.start)
    if declared is None:
        return None
    return Location(uri, doc.range_of(declared.name_start, declared.name_end))


def _loader(ctx: Context) -> str | None:
    """`require` when the string at the cursor is the first argument of `require(...)` (or `require "x"`)."""
    frame = ctx.innermost
    callee = frame.callee if frame is not None and frame.bracket == "(" and frame.index == 0 else None
    if callee is None and isinstance(ctx.before, Name):
        callee = ctx.before
    if isinstance(callee, Name):
        return _LOADERS.get(callee.name)
    return None


def _module(name: str, mode: str, uri: str) -> Location | None:
    # Imported here: `compiler` loads the Lua VM and protobuf (~0.2 s), which the
    # server's start-up should not wait for.
    from compiler.runtime.modules import STDLIB_DIR, ModuleError, module_path

    try:
        rel = module_path(name, mode)
    except ModuleError:
        return None
    candidates = [rel + ".lua", rel + "/init.lua"] if mode == "require" else [rel]
    roots = [Path(STDLIB_DIR)]
    script = _path_of(uri)
    if script is not None:
        roots.insert(0, script.parent)
    for root in roots:
        for candidate in candidates:
            path = root / candidate
            if path.is_file():
                return Location(path.resolve().as_uri(), Range(Position(0, 0), Position(0, 0)))
    return None


def _path_of(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def _enum_value(ctx: Context, resolver: Resolver, value: str, units: PositionUnits) -> Location | None:
    frame = ctx.innermost
    found = option_field(ctx, resolver, frame.key) if frame is not None and frame.key is not None else None
    if found is None:
        return None
    index = resolver.index
    type_ = stubs.parse_type(found[1].type)
    alias = index.alias_of(type_)
    if alias is None or value not in (v.value for v in alias.values):
        return None
    return _stub_location(index, alias.line, alias.name, units)


def _stub_location(index: stubs.StubIndex, line: int, name: str, units: PositionUnits) -> Location | None:
    """A range on `line` of the stub file: the first occurrence of `name` there, else the whole line."""
    if index.path is None:
        return None
    text = index.path.read_text(encoding="utf-8").split("\n")
    line_text = text[line] if line < len(text) else ""
    column = line_text.find(name)
    start, end = (column, column + len(name)) if column >= 0 else (0, len(line_text))
    where = Range(Position(line, units.count(line_text[:start])), Position(line, units.count(line_text[:end])))
    return Location(index.path.resolve().as_uri(), where)
