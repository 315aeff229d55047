"""The index of types/bk.lua that completion, hover, signatures and definitions read.

types/bk.lua is a LuaLS meta file and the single source of API truth. It is read
once (`load()` is cached) into plain frozen values: the `bk.*` functions, the
`State` methods, the option classes with their fields, the `---@alias` types
(literal unions such as `bk.NetworkMode` are the enums), and the opaque types
(`State`, `Mount`, `Platform`, the `bk` table itself). Descriptions are kept as
Markdown, as LuaLS shows them.

Installed packages carry the stubs inside `luakit_ls/types/` (pyproject maps that
package onto the top-level `types/`); a source checkout reads `types/` directly.

Types in annotations (`string|string[]`, `table<string,bk.Ulimit>`,
`{user?:string|integer}`) are parsed by `parse_type` into small values, so that
completion can follow an option table's nesting: `owner = { user = ... }`.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

STUB_FILE = "bk.lua"

# ---------------------------------------------------------------- types


@dataclass(frozen=True)
class TName:
    """A named type: `string`, `integer`, `State`, `bk.Owner` (an alias or class)."""

    name: str


@dataclass(frozen=True)
class TLiteral:
    """A string literal type, one value of an enum-like alias: `"host"`."""

    value: str


@dataclass(frozen=True)
class TArray:
    element: Type


@dataclass(frozen=True)
class TMap:
    """`table<K,V>`: any key of type K."""

    key: Type
    value: Type


@dataclass(frozen=True)
class TShape:
    """An inline table type `{os:string,arch:string,variant?:string}`."""

    fields: tuple[ShapeField, ...]


@dataclass(frozen=True)
class ShapeField:
    name: str
    type: Type
    optional: bool


@dataclass(frozen=True)
class TFunction:
    """`fun(a: T): R`, kept as text: only shown, never navigated."""

    text: str


@dataclass(frozen=True)
class TUnion:
    members: tuple[Type, ...]


Type = TName | TLiteral | TArray | TMap | TShape | TFunction | TUnion

_TYPE_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*|\.\.\.|\[\]|[|?<>,{}():\[\]])')


class TypeSyntaxError(ValueError):
    pass


@functools.cache
def parse_type(text: str) -> Type:
    """Parse a LuaCATS type expression; raises TypeSyntaxError on what it does not know."""
    tokens = _type_tokens(text)
    parser = _TypeParser(tokens)
    result = parser.union()
    if parser.pos != len(tokens):
        raise TypeSyntaxError(f"unexpected {tokens[parser.pos]!r} in type {text!r}")
    return result


def _type_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TYPE_TOKEN.match(text, pos)
        if m is None:
            raise TypeSyntaxError(f"cannot read type {text!r}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


class _TypeParser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise TypeSyntaxError(f"expected {expected or 'a type'}, got {token!r} in {' '.join(self.tokens)!r}")
        self.pos += 1
        return token

    def union(self) -> Type:
        members = [self.postfix()]
        while self.peek() == "|":
            self.take()
            members.append(self.postfix())
        return members[0] if len(members) == 1 else TUnion(tuple(members))

    def postfix(self) -> Type:
        result = self.primary()
        while self.peek() in ("[]", "?"):
            result = TArray(result) if self.take() == "[]" else TUnion((result, TName("nil")))
        return result

    def primary(self) -> Type:
        token = self.take()
        if token.startswith('"'):
            return TLiteral(token[1:-1])
        if token == "(":
            inner = self.union()
            self.take(")")
            return inner
        if token == "{":
            return self.shape()
        if token == "fun":
            return self.function()
        if not re.match(r"[A-Za-z_]", token):
            raise TypeSyntaxError(f"unexpected {token!r} in {' '.join(self.tokens)!r}")
        if token == "table" and self.peek() == "<":
            self.take("<")
            key = self.union()
            self.take(",")
            value = self.union()
            self.take(">")
            return TMap(key, value)
        return TName(token)

    def shape(self) -> TShape:
        fields: list[ShapeField] = []
        while self.peek() != "}":
            name = self.take()
            optional = self.peek() == "?"
            if optional:
                self.take()
            self.take(":")
            fields.append(ShapeField(name, self.union(), optional))
            if self.peek() == ",":
                self.take()
        self.take("}")
        return TShape(tuple(fields))

    def function(self) -> TFunction:
        start = self.pos - 1
        self.take("(")
        depth = 1
        while depth:
            token = self.take()
            depth += {"(": 1, ")": -1}.get(token, 0)
        if self.peek() == ":":
            self.take()
            self.postfix()
        return TFunction(" ".join(self.tokens[start : self.pos]))


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class Param:
    name: str  # "ref", "opts", "..."
    type: str  # as written: "string|string[]"
    doc: str
    optional: bool

    @property
    def label(self) -> str:
        """`ref: string`, `opts?: bk.RunOptions`: how signatures show the parameter."""
        return f"{self.name}{'?' if self.optional else ''}: {self.type}"


@dataclass(frozen=True)
class Overload:
    params: tuple[Param, ...]
    returns: str | None


@dataclass(frozen=True)
class Function:
    """A `bk.*` function or a `State` method as the stubs declare it."""

    name: str  # "bk.image" or "State:run"
    params: tuple[Param, ...]
    returns: str | None  # "State", "string|nil", or None for no result
    overloads: tuple[Overload, ...]
    description: str  # Markdown
    line: int  # 0-based line of `function ...` in the stub file
    nodiscard: bool

    @property
    def short_name(self) -> str:
        """`image` for `bk.image`, `run` for `State:run`."""
        return re.split(r"[.:]", self.name, maxsplit=1)[1]

    @property
    def is_method(self) -> bool:
        return self.name.startswith("State:")

    @property
    def options(self) -> Param | None:
        """The trailing options-table parameter (`opts`), if the function takes one."""
        for param in self.params:
            if param.name in ("opts", "config") and param.type.startswith("bk."):
                return param
        return None

    @property
    def return_type(self) -> str | None:
        """The first named type of the result: `State`, `Mount`, `Platform`, `string`."""
        if self.returns is None:
            return None
        return self.returns.split("|", 1)[0]

    def signature(self, overload: Overload | None = None) -> str:
        """`bk.image(ref: string, opts?: bk.ImageOptions): State`."""
        params = self.params if overload is None else overload.params
        returns = self.returns if overload is None else overload.returns
        text = f"{self.name}({', '.join(p.label for p in params)})"
        return f"{text}: {returns}" if returns else text

    def markdown(self) -> str:
        parts = [f"```lua\nfunction {self.signature()}\n```"]
        if self.description:
            parts.append(self.description)
        documented = [p for p in self.params if p.doc]
        if documented:
            parts.append("**Parameters**\n" + "\n".join(f"- `{p.name}`: {p.doc}" for p in documented))
        if self.overloads:
            lines = "\n".join(f"{self.signature(o)}" for o in self.overloads)
            parts.append(f"**Overloads**\n```lua\n{lines}\n```")
        return "\n\n".join(parts)


@dataclass(frozen=True)
class Field:
    """A `---@field` of an option class."""

    name: str
    type: str
    doc: str
    optional: bool
    line: int  # 0-based; -1 for fields of inline table types


@dataclass(frozen=True)
class OptionClass:
    name: str  # "bk.RunOptions"
    description: str
    fields: Mapping[str, Field]
    line: int


@dataclass(frozen=True)
class AliasValue:
    value: str
    doc: str


@dataclass(frozen=True)
class Alias:
    name: str  # "bk.NetworkMode"
    type: str  # "\"sandbox\"|\"host\"|\"none\""
    description: str
    values: tuple[AliasValue, ...]  # the string literals of the union, with per-value docs
    line: int


@dataclass(frozen=True)
class TypeDoc:
    """An opaque type (`State`, `Mount`, `Platform`) or the `bk` table itself."""

    name: str
    description: str
    line: int


@dataclass(frozen=True, eq=False)
class StubIndex:
    path: Path | None  # the stub file on disk, for go-to-definition (None if not a plain file)
    functions: Mapping[str, Function]  # "bk.image" -> ...
    methods: Mapping[str, Function]  # "State:run" -> ...
    classes: Mapping[str, OptionClass]
    aliases: Mapping[str, Alias]
    types: Mapping[str, TypeDoc]  # "State", "Mount", "Platform", "bk"

    def function(self, name: str) -> Function | None:
        """`bk.image`, `State:run` or the user-facing `state:run`."""
        if name.startswith("state:"):
            name = "State:" + name[6:]
        return self.functions.get(name) or self.methods.get(name)

    def option_class(self, function: Function) -> OptionClass | None:
        opts = function.options
        return self.classes.get(opts.type) if opts else None

    # Navigation over types, for option tables and their nested tables.

    def members(self, type_: Type) -> Iterator[Type]:
        """The union members of a type with aliases resolved (classes stay names)."""
        seen: set[str] = set()

        def walk(t: Type) -> Iterator[Type]:
            if isinstance(t, TUnion):
                for m in t.members:
                    yield from walk(m)
            elif isinstance(t, TName) and t.name in self.aliases and t.name not in seen:
                seen.add(t.name)
                yield from walk(parse_type(self.aliases[t.name].type))
            else:
                yield t

        return walk(type_)

    def fields(self, type_: Type) -> Mapping[str, Field]:
        """The named keys a table of this type may have (option class or inline table)."""
        out: dict[str, Field] = {}
        for member in self.members(type_):
            if isinstance(member, TName) and member.name in self.classes:
                out.update(self.classes[member.name].fields)
            elif isinstance(member, TShape):
                for f in member.fields:
                    out.setdefault(f.name, Field(f.name, type_text(f.type), "", f.optional, -1))
        return out

    def key_type(self, type_: Type, key: str | None) -> Type | None:
        """The type of `t[key]` for a table `t` of this type; `key=None` is an array element."""
        found: list[Type] = []
        for member in self.members(type_):
            if key is None and isinstance(member, TArray):
                found.append(member.element)
            elif isinstance(member, TMap):
                found.append(member.value)
            elif key is not None:
                f = self.fields(member).get(key)
                if f is not None:
                    found.append(parse_type(f.type))
        if not found:
            return None
        return found[0] if len(found) == 1 else TUnion(tuple(found))

    def literals(self, type_: Type) -> list[AliasValue]:
        """The string literals a value of this type may be (an enum's values), with docs."""
        out: list[AliasValue] = []
        for alias_name, member in self._members_with_alias(type_):
            if isinstance(member, TLiteral):
                alias = self.aliases.get(alias_name) if alias_name else None
                doc = next((v.doc for v in alias.values if v.value == member.value), "") if alias else ""
                out.append(AliasValue(member.value, doc))
        return out

    def _members_with_alias(self, type_: Type, alias: str | None = None) -> Iterator[tuple[str | None, Type]]:
        if isinstance(type_, TUnion):
            for m in type_.members:
                yield from self._members_with_alias(m, alias)
        elif isinstance(type_, TName) and type_.name in self.aliases:
            yield from self._members_with_alias(parse_type(self.aliases[type_.name].type), type_.name)
        else:
            yield alias, type_

    def names(self, type_: Type) -> set[str]:
        """Named member types (`string`, `boolean`, `State`, `Mount`, option class names)."""
        return {m.name for m in self.members(type_) if isinstance(m, TName)}

    def alias_of(self, type_: Type) -> Alias | None:
        """The alias a type is written as, if it is exactly one alias name."""
        return self.aliases.get(type_.name) if isinstance(type_, TName) else None


def type_text(type_: Type) -> str:
    """A type written back the way the stubs write types."""
    if isinstance(type_, TName):
        return type_.name
    if isinstance(type_, TLiteral):
        return f'"{type_.value}"'
    if isinstance(type_, TArray):
        inner = type_text(type_.element)
        return f"({inner})[]" if isinstance(type_.element, TUnion) else f"{inner}[]"
    if isinstance(type_, TMap):
        return f"table<{type_text(type_.key)},{type_text(type_.value)}>"
    if isinstance(type_, TShape):
        inner = ",".join(f"{f.name}{'?' if f.optional else ''}:{type_text(f.type)}" for f in type_.fields)
        return "{" + inner + "}"
    if isinstance(type_, TFunction):
        return type_.text
    return "|".join(type_text(m) for m in type_.members)


# ---------------------------------------------------------------- reading the stub file


def stub_path() -> Path:
    """Where bk.lua is: inside the installed package, else the checkout's types/."""
    try:
        resource = importlib.resources.files("luakit_ls").joinpath("types", STUB_FILE)
        if resource.is_file():
            return Path(str(resource))
    except (ModuleNotFoundError, NotADirectoryError):  # pragma: no cover - zipped or odd installs
        pass
    return Path(__file__).resolve().parent.parent / "types" / STUB_FILE


@functools.cache
def load() -> StubIndex:
    """The index of the stubs, read once per process."""
    path = stub_path()
    return parse_stubs(path.read_text(encoding="utf-8"), path)


_FUNCTION_LINE = re.compile(r"^function (bk\.\w+|State:\w+)\(([^)]*)\)")
_PARAM = re.compile(r"^(\.\.\.|\w+)(\??)\s+(.*)$")
_TAG = re.compile(r"^@(\w+)\s*(.*)$")


def parse_stubs(text: str, path: Path | None = None) -> StubIndex:
    """Build the index from the text of a LuaLS meta file written like types/bk.lua."""
    functions: dict[str, Function] = {}
    methods: dict[str, Function] = {}
    classes: dict[str, OptionClass] = {}
    aliases: dict[str, Alias] = {}
    types: dict[str, TypeDoc] = {}
    lines = text.split("\n")
    for block_start, block, subject_line in _doc_blocks(lines):
        subject = lines[subject_line] if subject_line < len(lines) else ""
        description, tags = _split_block(block, block_start)
        function = _FUNCTION_LINE.match(subject)
        if function:
            made = _function(function.group(1), function.group(2), description, tags, subject_line)
            (methods if made.is_method else functions)[made.name] = made
            continue
        for number, tag, rest in tags:
            if tag == "class":
                name = rest.removeprefix("(exact)").strip().split()[0]
                fields = _fields(tags)
                if fields or rest.startswith("(exact)"):
                    classes[name] = OptionClass(name, description, fields, number)
                else:
                    types[name] = TypeDoc(name, description, number)
            elif tag == "alias":
                aliases[rest.split()[0]] = _alias(rest, description, block, block_start, number)
        if subject.startswith("bk = {}"):
            types["bk"] = TypeDoc("bk", description, subject_line)
    return StubIndex(path, functions, methods, classes, aliases, types)


def _doc_blocks(lines: list[str]) -> Iterator[tuple[int, list[str], int]]:
    """(first line number, the `---` lines, the line number right after them)."""
    i = 0
    while i < len(lines):
        if lines[i].startswith("---") and not lines[i].startswith("---@meta"):
            start = i
            while i < len(lines) and lines[i].startswith("---"):
                i += 1
            yield start, lines[start:i], i
        else:
            i += 1


def _split_block(block: list[str], start: int) -> tuple[str, list[tuple[int, str, str]]]:
    """The Markdown description (lines before the first tag) and the tags (line, name, rest)."""
    description: list[str] = []
    tags: list[tuple[int, str, str]] = []
    for offset, line in enumerate(block):
        body = line[3:]
        tag = _TAG.match(body)
        if tag:
            tags.append((start + offset, tag.group(1), tag.group(2).strip()))
        elif not tags and not body.startswith("|"):
            description.append(body)
    return "\n".join(description).strip(), tags


def _split_type(rest: str) -> tuple[str, str]:
    """`string|nil Some doc` -> (`string|nil`, `Some doc`): the type ends at top-level blank space."""
    depth = 0
    for i, ch in enumerate(rest):
        if ch in "<({":
            depth += 1
        elif ch in ">)}":
            depth -= 1
        elif ch.isspace() and depth == 0:
            before, after = rest[:i].rstrip(), rest[i:].lstrip()
            if before.endswith(("|", ",", ":")) or after.startswith("|"):
                continue
            return before, after
    return rest.strip(), ""


def _function(name: str, arglist: str, description: str, tags: list[tuple[int, str, str]], line: int) -> Function:
    documented: dict[str, Param] = {}
    returns: str | None = None
    overloads: list[Overload] = []
    nodiscard = False
    for _, tag, rest in tags:
        if tag == "param":
            m = _PARAM.match(rest)
            if m:
                type_, doc = _split_type(m.group(3))
                documented[m.group(1)] = Param(m.group(1), type_, doc, bool(m.group(2)))
        elif tag == "return":
            returns = _split_type(rest)[0]
        elif tag == "overload":
            overloads.append(_overload(rest))
        elif tag == "nodiscard":
            nodiscard = True
    names = [a.strip() for a in arglist.split(",") if a.strip()]
    params = tuple(documented.get(n, Param(n, "any", "", False)) for n in names)
    return Function(name, params, returns, tuple(overloads), description, line, nodiscard)


def _overload(text: str) -> Overload:
    """`fun(os: string, arch: string, variant?: string): Platform`."""
    m = re.match(r"fun\((.*)\)\s*(?::\s*(.+))?$", text.strip())
    if not m:
        return Overload((), None)
    params = []
    for part in _top_level_split(m.group(1)):
        pm = re.match(r"\s*(\.\.\.|\w+)(\??)\s*:\s*(.+)", part)
        if pm:
            params.append(Param(pm.group(1), pm.group(3).strip(), "", bool(pm.group(2))))
    return Overload(tuple(params), m.group(2).strip() if m.group(2) else None)


def _top_level_split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "<({":
            depth += 1
        elif ch in ">)}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return parts


def _fields(tags: list[tuple[int, str, str]]) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for number, tag, rest in tags:
        if tag != "field":
            continue
        m = _PARAM.match(rest)
        if m:
            type_, doc = _split_type(m.group(3))
            fields[m.group(1)] = Field(m.group(1), type_, doc, bool(m.group(2)), number)
    return fields


def _alias(rest: str, description: str, block: list[str], start: int, number: int) -> Alias:
    name, _, type_ = rest.partition(" ")
    values: list[AliasValue] = []
    continuation: list[str] = []
    for line in block[number - start + 1 :]:
        m = re.match(r'^---\|\s*("(?:[^"\\]|\\.)*"|\S+)\s*(?:#\s*(.*))?$', line)
        if not m:
            break
        continuation.append(m.group(1))
        if m.group(1).startswith('"'):
            values.append(AliasValue(m.group(1)[1:-1], (m.group(2) or "").strip()))
    type_ = type_.strip() or "|".join(continuation)
    if not values:
        values = [AliasValue(m.value, "") for m in _literal_members(parse_type(type_))]
    return Alias(name, type_, description, tuple(values), number)


def _literal_members(type_: Type) -> list[TLiteral]:
    if isinstance(type_, TLiteral):
        return [type_]
    if isinstance(type_, TUnion):
        return [m for member in type_.members for m in _literal_members(member)]
    return []
