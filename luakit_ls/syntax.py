"""Tolerant reading of build scripts: positions, bindings, expression types and the context at a cursor.

Editors send scripts while they are being typed, so almost every request sees
broken code: `bk.` at the end of a line, an unclosed `{`, a string whose quote
is not typed yet, a missing `end`. Two tools share the work:

* tree-sitter-lua parses the whole text (5-10 ms for 1,000 lines) into a tree
  that keeps every complete statement as a proper node, even around errors.
  Bindings (`local b = ...`), symbols and sandbox checks read that tree.
* At a cursor, a small Lua tokenizer reads from the end of the last complete
  statement before the cursor and tracks the open brackets: which call's
  arguments, which table, which key. tree-sitter's error recovery flattens broken
  regions (and lets an unterminated string run to the end of the file), so the
  cursor context is worked out from tokens, the way Lua itself reads them.

Offsets are UTF-8 byte offsets into `Document.source` throughout (tree-sitter's
unit). LSP positions (0-based line, character in the negotiated encoding) are
converted in exactly one place: `Document.offset_at` and `Document.position_at`,
which count characters with the document's `PositionUnits`.

Types are few and named by strings: "bk" (the API table), "State", "Mount",
"Platform", "string", or None when unknown. `Resolver` infers them for
expressions from `bk.*` calls, `State` methods, chains and local bindings, plus
what the last evaluation said (names known to hold States, and the ops produced
on each line).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

import tree_sitter
import tree_sitter_lua
from lsprotocol.types import Position, Range

from luakit_ls import stubs
from luakit_ls.positions import UTF16, PositionUnits

if TYPE_CHECKING:
    from compiler.errors import Location


class CallRecord(Protocol):
    """What the last evaluation recorded for one API call (compiler.isolated.CallOp has this shape)."""

    @property
    def function(self) -> str: ...  # "bk.image", "state:run"
    @property
    def location(self) -> Location | None: ...
    @property
    def kind(self) -> str | None: ...  # "source", "exec", "file", "merge", "diff"; None for non-States
    @property
    def digest(self) -> str | None: ...
    @property
    def platform(self) -> str | None: ...


def short_digest(digest: str | None) -> str | None:
    """The first 12 hex characters of a `sha256:...` digest, as `docker images` shows them."""
    if not digest:
        return None
    return digest.split(":", 1)[-1][:12]


def op_summary(call: CallRecord) -> str:
    """`exec · 3f2a1b9c0d1e · linux/arm64`: what one call produced."""
    parts = [call.kind or "no op"]
    digest = short_digest(call.digest)
    if digest:
        parts.append(digest)
    if call.platform:
        parts.append(call.platform)
    return " · ".join(parts)


def api_name(function: str) -> str:
    """The stub name for an evaluation's function name: `state:run` -> `State:run`."""
    return "State:" + function[6:] if function.startswith("state:") else function


# ---------------------------------------------------------------- parsing and positions


@functools.cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_lua.language()))


@functools.cache
def _query(source: str) -> tree_sitter.Query:
    return tree_sitter.Query(tree_sitter.Language(tree_sitter_lua.language()), source)


def captures(node: tree_sitter.Node, query: str) -> dict[str, list[tree_sitter.Node]]:
    """Run a tree-sitter query (compiled once per query text) under `node`."""
    return tree_sitter.QueryCursor(_query(query)).captures(node)


@dataclass(frozen=True, eq=False)
class Document:
    """One version of a script: its text, bytes, tree and derived indexes (computed on first use)."""

    text: str
    source: bytes
    tree: tree_sitter.Tree
    line_starts: tuple[int, ...]  # byte offset of each line
    units: PositionUnits = UTF16  # how the client counts characters (negotiated at initialize)

    # -- positions: the one place where the client's characters and bytes meet

    def offset_at(self, position: Position) -> int:
        """The byte offset of an LSP position; past-the-end characters clamp to the line's end."""
        if position.line >= len(self.line_starts):
            return len(self.source)
        start = self.line_starts[position.line]
        end = self.line_starts[position.line + 1] - 1 if position.line + 1 < len(self.line_starts) else len(self.source)
        line = self.source[start:end]
        if line.isascii():
            return start + max(0, min(position.character, len(line)))
        text = line.decode("utf-8", errors="surrogatepass")
        column = self.units.column(text, position.character)
        return start + len(text[:column].encode("utf-8", errors="surrogatepass"))

    def position_at(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.source)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        prefix = self.source[self.line_starts[line] : offset]
        if prefix.isascii():
            return Position(line, len(prefix))
        return Position(line, self.units.count(prefix.decode("utf-8", errors="surrogatepass")))

    def point_at(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based code-point column): the unit of compiler `Location`s."""
        line = self.line_of(offset)
        prefix = self.source[self.line_starts[line] : offset]
        return line + 1, len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", errors="surrogatepass"))

    def range_of(self, start: int, end: int) -> Range:
        return Range(self.position_at(start), self.position_at(end))

    def node_range(self, node: tree_sitter.Node) -> Range:
        return self.range_of(node.start_byte, node.end_byte)

    def line_of(self, offset: int) -> int:
        """0-based line of a byte offset."""
        return bisect.bisect_right(self.line_starts, offset) - 1

    def text_of(self, start: int, end: int) -> str:
        return self.source[start:end].decode("utf-8", errors="replace")

    # -- bindings

    @cached_property
    def bindings(self) -> dict[str, list[Binding]]:
        """Every name bound in the script (locals, assignments, parameters, loop variables, functions)."""
        return _collect_bindings(self)

    @cached_property
    def _bindings_by_name(self) -> dict[str, list[Binding]]:
        return {}

    def bindings_of(self, name: str) -> list[Binding]:
        """The bindings of one name. Cheaper than `bindings` when only a few names are looked up."""
        if "bindings" in self.__dict__:
            return self.bindings.get(name, [])
        cache = self._bindings_by_name
        if name not in cache:
            cache[name] = _collect_bindings(self, name).get(name, [])
        return cache[name]

    def binding_at(self, name: str, offset: int) -> Binding | None:
        """The binding of `name` that is visible at `offset` (the most recent one in scope)."""
        best: Binding | None = None
        for binding in self.bindings_of(name):
            if binding.visible_at(offset) and (best is None or binding.start > best.start):
                best = binding
        return best

    def declaration_at(self, name: str, offset: int) -> Binding | None:
        """Where `name` used at `offset` was declared: its `local`, parameter or function, else its first assignment."""
        found = self.binding_at(name, offset)
        if found is None or found.kind != "assign":
            return found
        locals_ = [b for b in self.bindings_of(name) if b.kind != "assign" and b.visible_at(offset)]
        if locals_:
            return max(locals_, key=lambda b: b.start)
        return min(self.bindings_of(name), key=lambda b: b.start)


@functools.lru_cache(maxsize=8)
def parse(text: str, units: PositionUnits = UTF16) -> Document:
    """Parse a script (cached for the last few texts, so one version is parsed once for all features)."""
    source, line_starts = _source(text)
    return Document(text, source, _parser().parse(source), line_starts, units)


@functools.lru_cache(maxsize=8)
def parse_prefix(text: str, line: int, units: PositionUnits = UTF16) -> Document:
    """`text` with a tree of its lines up to `line` (0-based, inclusive) only.

    For requests at a cursor (completion, signature help, hover, definition):
    only what comes before the cursor decides what is bound there, and an
    unclosed `{` in the middle of a file costs tree-sitter's error recovery
    30-100 ms over the rest of the file, but about 2 ms when the text ends there.
    Offsets and positions are those of the whole text.
    """
    source, line_starts = _source(text)
    cut = line_starts[line + 1] if line + 1 < len(line_starts) else len(source)
    return Document(text, source, _parser().parse(source[:cut]), line_starts, units)


def _source(text: str) -> tuple[bytes, tuple[int, ...]]:
    source = text.encode("utf-8", errors="surrogatepass")
    lines = source.split(b"\n")
    return source, (0, *itertools.accumulate(len(line) + 1 for line in lines[:-1]))


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Name:
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Index:
    """`base.name`."""

    base: Expr
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class MethodRef:
    """`base:name`, the callee of a method call."""

    base: Expr
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Call:
    callee: Expr
    args: tuple[Expr, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Str:
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Other:
    """Any other expression: numbers, tables, operators, functions."""

    start: int
    end: int


Expr = Name | Index | MethodRef | Call | Str | Other
_EXPR_TYPES = (Name, Index, MethodRef, Call, Str, Other)
_CALLABLE = (Name, Index, MethodRef, Call)  # what may stand before `(`, `{` or a string to make a call


def expr_of(node: tree_sitter.Node) -> Expr:
    """The expression a tree-sitter node stands for (as far as types need it)."""
    kind = node.type
    if kind == "identifier":
        return Name(_text(node), node.start_byte, node.end_byte)
    if kind == "parenthesized_expression":
        inner = node.named_children
        return expr_of(inner[0]) if len(inner) == 1 else Other(node.start_byte, node.end_byte)
    if kind in ("dot_index_expression", "method_index_expression"):
        base = node.child_by_field_name("table")
        name = node.child_by_field_name("field") or node.child_by_field_name("method")
        if base is None or name is None:
            return Other(node.start_byte, node.end_byte)
        cls = Index if kind == "dot_index_expression" else MethodRef
        return cls(expr_of(base), _text(name), node.start_byte, node.end_byte)
    if kind == "function_call":
        callee = node.child_by_field_name("name")
        arguments = node.child_by_field_name("arguments")
        if callee is None:
            return Other(node.start_byte, node.end_byte)
        args = tuple(_shallow(a) for a in arguments.named_children if a.type != "comment") if arguments else ()
        return Call(expr_of(callee), args, node.start_byte, node.end_byte)
    if kind == "string":
        return Str(string_value(node), node.start_byte, node.end_byte)
    return Other(node.start_byte, node.end_byte)


def _shallow(node: tree_sitter.Node) -> Expr:
    """Arguments keep strings and names (for `require "x"`, `bk.arg("X")`); anything else stays opaque."""
    if node.type in ("string", "identifier"):
        return expr_of(node)
    return Other(node.start_byte, node.end_byte)


def is_reference(node: tree_sitter.Node) -> bool:
    """Whether an identifier reads a variable: not a field, method or key name, nor a name being bound."""
    parent = node.parent
    if parent is None:
        return True
    if parent.type in ("dot_index_expression", "method_index_expression"):
        return parent.child_by_field_name("table") == node
    if parent.type in ("field", "function_declaration", "for_numeric_clause"):
        return parent.child_by_field_name("name") != node
    return parent.type not in ("parameters", "variable_list", "label_statement", "goto_statement", "attribute")


def references(doc: Document, names: Collection[str]) -> list[tree_sitter.Node]:
    """Identifier nodes that read one of `names`, in source order.

    Candidates come from a regular expression over the source (fast), and the
    tree confirms each one (not in a string or comment, not a field name).
    """
    if not names:
        return []
    pattern = re.compile(rb"(?<!\w)(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")(?!\w)")
    root = doc.tree.root_node
    found = []
    for m in pattern.finditer(doc.source):
        node = root.descendant_for_byte_range(m.start(), m.end())
        if node is None or node.type != "identifier" or (node.start_byte, node.end_byte) != m.span():
            continue
        if is_reference(node):
            found.append(node)
    return found


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


def string_value(node: tree_sitter.Node) -> str:
    """The contents of a string literal node, as written (escapes are not interpreted)."""
    content = node.child_by_field_name("content")
    return _text(content) if content is not None else ""


# ---------------------------------------------------------------- bindings


@dataclass(frozen=True)
class Binding:
    """A place where a name gets a value.

    `kind`: "local" (`local x = ...`, `local function x`), "assign" (`x = ...`),
    "param", "for" (loop variable) or "function" (global `function x()`).
    """

    name: str
    kind: str
    name_start: int
    name_end: int
    start: int  # the statement (or parameter list) that binds it
    end: int
    value: tree_sitter.Node | None  # the expression assigned, when there is one
    scope: tuple[int, int] | None  # where a local is visible; None: from the end of the statement on

    def visible_at(self, offset: int) -> bool:
        if self.scope is None:
            return self.end <= offset
        return self.scope[0] <= offset <= self.scope[1]


# Nodes whose children are statements (ERROR: statements tree-sitter kept around a syntax error).
_STATEMENT_CONTAINERS = frozenset(
    {
        "chunk",
        "block",
        "ERROR",
        "if_statement",
        "elseif_statement",
        "else_statement",
        "while_statement",
        "repeat_statement",
        "do_statement",
    }
)


def _collect_bindings(doc: Document, only: str | None = None) -> dict[str, list[Binding]]:
    """Walks statements only (not expressions, except those that contain a function).

    With `only`, statements whose text does not contain that name are not taken apart.
    """
    out: dict[str, list[Binding]] = {}
    source = doc.source
    eof = len(source)
    wanted = only.encode() if only is not None else None

    def mentions(node: tree_sitter.Node) -> bool:
        return wanted is None or wanted in source[node.start_byte : node.end_byte]

    def add(
        ident: tree_sitter.Node,
        kind: str,
        statement: tree_sitter.Node,
        value: tree_sitter.Node | None,
        scope: tuple[int, int] | None,
    ) -> None:
        if wanted is not None and source[ident.start_byte : ident.end_byte] != wanted:
            return
        binding = Binding(
            _text(ident), kind, ident.start_byte, ident.end_byte, statement.start_byte, statement.end_byte, value, scope
        )
        out.setdefault(binding.name, []).append(binding)

    def block_end(container: tree_sitter.Node) -> int:
        # A block node ends with its last statement; the block's construct (up to its `end`) is the scope.
        if container.type == "block" and container.parent is not None:
            return container.parent.end_byte
        return container.end_byte if container.type == "chunk" else eof

    def function(node: tree_sitter.Node) -> None:
        """Parameters and body of a function (declaration or expression)."""
        params = node.child_by_field_name("parameters")
        if params is not None and mentions(params):
            scope = (params.end_byte, node.end_byte)
            for ident in params.named_children:
                if ident.type == "identifier":
                    add(ident, "param", params, None, scope)
        body = node.child_by_field_name("body")
        if body is not None:
            statements(body)

    def functions_in(node: tree_sitter.Node) -> None:
        """Function expressions inside an expression (`f(function(x) ... end)`), found by their keyword."""
        if b"function" not in source[node.start_byte : node.end_byte]:
            return
        for child in node.children:
            if child.type == "function_definition":
                function(child)
            elif child.child_count:
                functions_in(child)

    def statements(container: tree_sitter.Node) -> None:
        for node in container.children:
            kind = node.type
            if kind == "variable_declaration":
                if not mentions(node):
                    continue
                second = node.child(1)
                assignment = second if second is not None and second.type == "assignment_statement" else None
                names = assignment.child(0) if assignment is not None else second
                values = _values(assignment)
                scope = (node.end_byte, block_end(container))
                for i, ident in enumerate(_names(names)):
                    add(ident, "local", node, values[i] if i < len(values) else None, scope)
                if assignment is not None:
                    functions_in(assignment)
            elif kind == "assignment_statement":
                if not mentions(node):
                    continue
                values = _values(node)
                for i, ident in enumerate(_names(node.child(0))):
                    add(ident, "assign", node, values[i] if i < len(values) else None, None)
                functions_in(node)
            elif kind == "function_declaration":
                if not mentions(node):
                    continue
                name = node.child_by_field_name("name")
                if name is not None and name.type == "identifier":
                    if node.children[0].type == "local":
                        add(name, "local", node, None, (node.start_byte, block_end(container)))
                    else:
                        add(name, "function", node, None, None)
                function(node)
            elif kind == "for_statement":
                clause = node.child_by_field_name("clause")
                if clause is not None and mentions(clause):
                    scope = (clause.end_byte, node.end_byte)
                    if clause.type == "for_numeric_clause":
                        name = clause.child_by_field_name("name")
                        idents = [name] if name is not None else []
                    else:
                        idents = _names(clause.named_children[0] if clause.named_children else None)
                    for ident in idents:
                        add(ident, "for", clause, None, scope)
                    functions_in(clause)
                body = node.child_by_field_name("body")
                if body is not None:
                    statements(body)
            elif kind in _STATEMENT_CONTAINERS:
                statements(node)
            elif kind != "comment" and mentions(node):
                functions_in(node)

    statements(doc.tree.root_node)
    return out


def _names(variable_list: tree_sitter.Node | None) -> list[tree_sitter.Node]:
    if variable_list is None or variable_list.type != "variable_list":
        return []
    if variable_list.child_count == 1:
        only = variable_list.child(0)
        return [only] if only is not None and only.type == "identifier" else []
    return [c for c in variable_list.named_children if c.type == "identifier"]


def _values(assignment: tree_sitter.Node | None) -> list[tree_sitter.Node]:
    if assignment is None:
        return []
    values = assignment.child(assignment.child_count - 1)
    if values is None or values.type != "expression_list":
        return []
    if values.child_count == 1:
        only = values.child(0)
        return [only] if only is not None else []
    return [c for c in values.named_children if c.type != "comment"]


# ---------------------------------------------------------------- modules


@dataclass(frozen=True)
class Require:
    """A `require("a.b")` (or `dofile`/`loadfile`) with a literal name."""

    function: str  # "require", "dofile" or "loadfile"
    name: str
    start: int  # the string literal
    end: int


_REQUIRE_QUERY = "(function_call name: (identifier) @function arguments: (arguments . (string) @name))"


def requires(doc: Document) -> list[Require]:
    """The modules and files a script loads by a literal name, in source order."""
    found = []
    for _, match in tree_sitter.QueryCursor(_query(_REQUIRE_QUERY)).matches(doc.tree.root_node):
        function, name = match["function"][0], match["name"][0]
        if _text(function) in ("require", "dofile", "loadfile"):
            found.append(Require(_text(function), string_value(name), name.start_byte, name.end_byte))
    return sorted(found, key=lambda r: r.start)


# ---------------------------------------------------------------- types


class Resolver:
    """Infers the type of expressions in one document.

    `state_names`: names the caller knows to hold States (from the last evaluation).
    `calls`: the last evaluation's API calls in this document: a binding whose
    statement produced an op there (a prelude helper's result, say) holds a State.
    """

    def __init__(
        self,
        doc: Document,
        state_names: Collection[str] = (),
        calls: Sequence[CallRecord] | CallIndex = (),
        index: stubs.StubIndex | None = None,
    ) -> None:
        self.doc = doc
        self.index = index or stubs.load()
        self.state_names = frozenset(state_names)
        self.calls = calls if isinstance(calls, CallIndex) else CallIndex(calls)
        self._memo: dict[int, str | None] = {}

    def type_of(self, expr: Expr | None, depth: int = 0) -> str | None:
        """The type's name: "bk", "State", "Mount", "Platform", "string", or None when unknown."""
        if expr is None or depth > 64:
            return None
        if isinstance(expr, Name):
            binding = self.doc.binding_at(expr.name, expr.start)
            if binding is None:
                if expr.name == "bk":
                    return "bk"
                return "State" if expr.name in self.state_names else None
            found = self.binding_type(binding, depth + 1)
            if found is None and expr.name in self.state_names:
                return "State"
            return found
        if isinstance(expr, Call):
            function = self.function_of(expr.callee, depth + 1)
            return function.return_type if function else None
        if isinstance(expr, Str):
            return "string"
        return None

    def binding_type(self, binding: Binding, depth: int = 0) -> str | None:
        key = binding.name_start
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # a binding that refers to itself stays unknown
        found = self.type_of(expr_of(binding.value), depth) if binding.value is not None else None
        if found is None and binding.kind in ("local", "assign"):
            found = self._evaluated_type(binding)
        self._memo[key] = found
        return found

    def _evaluated_type(self, binding: Binding) -> str | None:
        if binding.value is None or not self.calls:
            return None
        made = self.calls.within(self.doc, binding.value.start_byte, binding.value.end_byte)
        return "State" if made and made[-1].kind is not None else None

    def function_of(self, callee: Expr, depth: int = 0) -> stubs.Function | None:
        """The API function a callee names: `bk.image`, or `x:run` on a State.

        A method on a receiver of unknown type counts (a parameter, a helper's
        result: most likely a State); a receiver known to be something else does not.
        """
        if isinstance(callee, Index) and self.type_of(callee.base, depth) == "bk":
            return self.index.functions.get(f"bk.{callee.name}")
        if isinstance(callee, MethodRef):
            method = self.index.methods.get(f"State:{callee.name}")
            if method is None:
                return None
            receiver = self.type_of(callee.base, depth)
            if receiver in ("State", None):
                return method
        return None


class CallIndex:
    """The last evaluation's calls in one document, by line, for matching them to source ranges."""

    def __init__(self, calls: Sequence[CallRecord]) -> None:
        self.by_line: dict[int, list[tuple[int, CallRecord]]] = {}
        for order, call in enumerate(calls):
            if call.location is not None:
                self.by_line.setdefault(call.location.line, []).append((order, call))

    def __bool__(self) -> bool:
        return bool(self.by_line)

    def on_line(self, line: int) -> list[CallRecord]:
        """Calls located on a 1-based line, in evaluation order."""
        return [call for _, call in self.by_line.get(line, ())]

    def within(self, doc: Document, start: int, end: int) -> list[CallRecord]:
        """Calls located in bytes [start, end) of `doc`, in evaluation order.

        The outermost call of an expression is evaluated last, so `[-1]` is what
        the whole expression produced. A call overlapping the range counts: calls
        made by a stdlib helper are located on the whole line of the user's call.
        Locations without columns match by line.
        """
        first, last = doc.point_at(start), doc.point_at(end)
        found: list[tuple[int, CallRecord]] = []
        for line in range(first[0], last[0] + 1):
            for order, call in self.by_line.get(line, ()):
                loc = call.location
                assert loc is not None
                if loc.end_line == 0 or ((loc.line, loc.column) < last and (loc.end_line, loc.end_column) > first):
                    found.append((order, call))
        return [call for _, call in sorted(found, key=lambda pair: pair[0])]


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "name", "keyword", "str", "num", "op"
    start: int
    end: int
    text: bytes
    closed: bool = True  # strings: the closing quote is there

    @property
    def value(self) -> str:
        """Names: the name; strings: the contents between the quotes."""
        if self.kind != "str":
            return self.text.decode("utf-8", errors="replace")
        text = self.text
        if text.startswith(b"["):
            level = text.index(b"[", 1) + 1
            body = text[level : len(text) - level if self.closed else len(text)]
        else:
            body = text[1 : len(text) - 1 if self.closed else len(text)]
        return body.decode("utf-8", errors="replace")

    @property
    def content_start(self) -> int:
        """Strings: where the contents begin."""
        if self.text.startswith(b"["):
            return self.start + self.text.index(b"[", 1) + 1
        return self.start + 1

    @property
    def content_end(self) -> int:
        if not self.closed:
            return self.end
        if self.text.startswith(b"["):
            return self.end - (self.text.index(b"[", 1) + 1)
        return self.end - 1


KEYWORDS = frozenset(
    (
        "and",
        "break",
        "do",
        "else",
        "elseif",
        "end",
        "false",
        "for",
        "function",
        "goto",
        "if",
        "in",
        "local",
        "nil",
        "not",
        "or",
        "repeat",
        "return",
        "then",
        "true",
        "until",
        "while",
    )
)

_TOKEN = re.compile(
    rb"""
    (?P<ws>\s+)
  | (?P<comment>--(?:\[(?P<cq>=*)\[)?)
  | (?P<longstr>\[(?P<lq>=*)\[)
  | (?P<str>"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<num>0[xX][0-9a-fA-F]*|[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<op>\.\.\.|\.\.|==|~=|<=|>=|::|[\xc0-\xff][\x80-\xbf]*|.)
    """,
    re.VERBOSE | re.DOTALL,
)


def tokens(source: bytes, start: int = 0) -> Iterator[Token]:
    """Lua tokens from `start` on, without blanks and comments. Never fails: broken code gives best-effort tokens."""
    pos, n = start, len(source)
    while pos < n:
        m = _TOKEN.match(source, pos)
        if m is None:  # pragma: no cover - the pattern matches any byte
            return
        kind = m.lastgroup or "op"
        end = m.end()
        if kind == "comment":
            end = _comment_end(source, m)
        elif kind == "longstr":
            level = m.group("lq")
            close = source.find(b"]" + level + b"]", end)
            closed = close >= 0
            end = close + len(level) + 2 if closed else n
            yield Token("str", pos, end, source[pos:end], closed)
            pos = end
            continue
        elif kind in ("cq", "lq"):
            kind = "op"
        if kind == "str":
            text = m.group(0)
            closed = len(text) >= 2 and text[-1:] == text[:1] and not _escaped_end(text)
            yield Token("str", pos, end, text, closed)
        elif kind == "name":
            text = m.group(0)
            yield Token("keyword" if text.decode() in KEYWORDS else "name", pos, end, text)
        elif kind not in ("ws", "comment"):
            yield Token(kind, pos, end, m.group(0))
        pos = end


def _escaped_end(text: bytes) -> bool:
    """`"abc\\"` ends with an escaped quote: the string is not closed."""
    backslashes = len(text) - 1 - len(text[:-1].rstrip(b"\\"))
    return backslashes % 2 == 1


# ---------------------------------------------------------------- the context at a cursor


@dataclass(frozen=True)
class Frame:
    """An open bracket around the cursor.

    `(`: a call's arguments (`callee` set) or a parenthesized expression.
    `{`: a table constructor; `callee` is set for the call sugar `f{...}`.
    `[`: an index `t[...]`; `[key`: a bracketed key `{ ["a.b"] = ... }`.
    """

    bracket: str
    start: int
    end: int | None  # offset after the matching closing bracket, if it was found
    callee: Expr | None
    index: int  # `(`: the argument the cursor is in; `{`: the field
    element: int  # `{`: how many positional (array) fields come before the cursor's field
    key: str | None  # `{`: the key of the field whose value holds the cursor
    keys: frozenset[str]  # `{`: the table's keys, except the cursor's own field
    at_key: bool  # `{`: a key may be written at the cursor (start of a field)


@dataclass(frozen=True)
class Context:
    offset: int
    frames: tuple[Frame, ...]  # outermost first
    word: Token | None  # the name, keyword, number or string at the cursor
    receiver: Expr | None  # `x` in `x.word` or `x:word`
    separator: str | None  # "." or ":"
    before: Expr | None  # the expression right before the word (`require` in `require "x"`)
    next_text: bytes  # the token after the word (or after the cursor): b"=", b"(", ...
    in_comment: bool

    @property
    def innermost(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    @property
    def prefix(self) -> str:
        """The part of the word before the cursor (what completion filters on)."""
        if self.word is None:
            return ""
        if self.word.kind == "str":
            start = self.word.content_start
            return self.word.text[start - self.word.start : max(0, self.offset - self.word.start)].decode(
                "utf-8", errors="replace"
            )
        return self.word.text[: self.offset - self.word.start].decode("utf-8", errors="replace")


class _Open:
    """A frame while tokens are read (mutable; frozen into `Frame` at the cursor)."""

    __slots__ = (
        "kind",
        "start",
        "end",
        "callee",
        "index",
        "element",
        "key",
        "keys",
        "items",
        "args",
        "awaiting_do",
        "bracket_key",
        "field_has_value",
        "closed",
    )

    def __init__(self, kind: str, start: int, callee: Expr | None = None) -> None:
        self.kind = kind  # "(", "{", "[", "params", or a block: "chunk", "function", "if", "loop", "do", "repeat"
        self.start = start
        self.end: int | None = None
        self.callee = callee
        self.index = 0
        self.element = 0
        self.key: str | None = None
        self.keys: dict[str, set[int]] = {}  # key -> the fields that set it
        self.items: list[Expr | str] = []
        self.args: list[Expr] = []
        self.awaiting_do = False
        self.bracket_key: str | None = None
        self.field_has_value = False
        self.closed = False

    @property
    def is_block(self) -> bool:
        return self.kind not in ("(", "{", "[", "[key", "params")


_BLOCK_STARTERS = {"if": "if", "while": "loop", "for": "loop", "repeat": "repeat"}
_STATEMENT_KEYWORDS = frozenset({"local", "return", "if", "while", "for", "repeat", "break", "goto"})
_KEYWORD_STATEMENTS = frozenset(
    {
        "variable_declaration",
        "function_declaration",
        "if_statement",
        "for_statement",
        "while_statement",
        "repeat_statement",
        "do_statement",
        "return_statement",
        "break_statement",
        "goto_statement",
    }
)
# Statements that cannot be part of an expression: safe places to start reading tokens.
_STATEMENTS = _KEYWORD_STATEMENTS | {"assignment_statement", "label_statement", "empty_statement"}
_CONTAINERS = frozenset(
    {
        "chunk",
        "block",
        "ERROR",
        "if_statement",
        "elseif_statement",
        "else_statement",
        "for_statement",
        "while_statement",
        "repeat_statement",
        "do_statement",
        "function_declaration",
    }
)
# Tokens read past the cursor to find a table's later keys and its closing bracket.
_LOOKAHEAD = 4000


def scan_start(doc: Document, offset: int) -> int:
    """The end of the last complete statement before `offset` that no open bracket can enclose.

    Inside a region tree-sitter could not parse (an ERROR node) only statements
    that begin with a keyword count: `cwd = "/"` there may well be a table field.
    """
    start = 0
    node = doc.tree.root_node
    while True:
        inside = None
        boundaries = _KEYWORD_STATEMENTS if node.type == "ERROR" else _STATEMENTS
        for child in node.children:
            if child.end_byte < offset:  # not `<=`: `local x = bk.im|` is complete but still being typed
                if child.type in boundaries and not child.has_error:
                    start = child.end_byte
            elif child.start_byte < offset:
                inside = child
                break
            else:
                break
        if inside is None or inside.type not in _CONTAINERS:
            return start
        node = inside


def word_at(text: str, position: Position, units: PositionUnits = UTF16) -> tuple[Document, Context, Token] | None:
    """The document read up to `position`'s line, the context there and the word under the cursor.

    None in a comment or between words: hover and go to definition have nothing to say there.
    """
    doc = parse_prefix(text, position.line, units)
    ctx = context_at(doc, doc.offset_at(position), hover=True)
    if ctx.word is None or ctx.in_comment:
        return None
    return doc, ctx, ctx.word


def context_at(doc: Document, offset: int, hover: bool = False) -> Context:
    """What surrounds `offset`: open brackets, the word there, what it is a member of.

    For completion (`hover=False`) the word is the name ending at the cursor;
    for hover it is the token under it.
    """
    scanner = _Scanner()
    start = scan_start(doc, offset)
    stream = tokens(doc.source, start)
    last_end = start
    pending: Token | None = None
    for token in stream:
        if token.start >= offset or _holds(token, offset, hover):
            pending = token
            break
        scanner.feed(token)
        last_end = token.end
    word = pending if pending is not None and _holds(pending, offset, hover) else None
    in_comment = word is None and _in_comment(doc.source, last_end, offset)
    # What the cursor sees now; brackets keep collecting keys (and find their end) below.
    open_frames = [f for f in scanner.stack if not f.is_block]
    states = [(f, f.key, f.index, f.element, f.kind == "{" and f.key is None and not f.items) for f in open_frames]
    # Keys of the cursor's own field do not count when the cursor is on that key (it is being edited).
    editing = word is not None
    receiver, separator, before = _member(scanner.stack[-1].items)
    next_text = b""
    if pending is not None:
        scanner.feed(pending)
        if word is None:
            next_text = pending.text
    for count, token in enumerate(stream):
        if word is not None and not next_text:
            next_text = token.text
        elif count > _LOOKAHEAD or all(f.closed for f in open_frames):
            break
        scanner.feed(token)
    frames = tuple(
        Frame(
            "(" if f.kind == "params" else f.kind,
            f.start,
            f.end,
            f.callee,
            index,
            element,
            key if f.kind == "{" else None,
            frozenset(k for k, fields in f.keys.items() if not editing or fields - {index}),
            at_key,
        )
        for f, key, index, element, at_key in states
    )
    return Context(offset, frames, word, receiver, separator, before, next_text, in_comment)


def _holds(token: Token, offset: int, hover: bool) -> bool:
    if token.kind == "str":
        if hover:
            return token.start <= offset < token.end
        return token.start < offset < token.end or (not token.closed and offset == token.end > token.start)
    if token.kind not in ("name", "keyword", "num"):
        return False
    # Hover takes the word under the cursor or just before it (a cursor after `base` is on `base`).
    return token.start <= offset <= token.end if hover else token.start < offset <= token.end


def _in_comment(source: bytes, pos: int, offset: int) -> bool:
    """Whether `offset` is inside a comment that starts after `pos` (only blanks and comments lie between)."""
    while pos < offset:
        m = _TOKEN.match(source, pos)
        if m is None or m.lastgroup not in ("ws", "comment"):
            return False
        end = _comment_end(source, m) if m.lastgroup == "comment" else m.end()
        if m.lastgroup == "comment" and offset <= end:
            return True
        pos = end
    return False


def _comment_end(source: bytes, m: re.Match[bytes]) -> int:
    level = m.group("cq")
    if level is not None:
        close = source.find(b"]" + level + b"]", m.end())
        return len(source) if close < 0 else close + len(level) + 2
    newline = source.find(b"\n", m.end())
    return len(source) if newline < 0 else newline


def _member(items: list[Expr | str]) -> tuple[Expr | None, str | None, Expr | None]:
    """From the items before the word: (receiver, "." or ":", the expression just before)."""
    if len(items) >= 2 and items[-1] in (".", ":") and isinstance(items[-2], _EXPR_TYPES):
        return items[-2], items[-1], None  # type: ignore[return-value]
    if items and isinstance(items[-1], _EXPR_TYPES):
        return None, None, items[-1]  # type: ignore[return-value]
    return None, None, None


class _Scanner:
    """Reads tokens and keeps the stack of open brackets and blocks, as Lua's parser would see them."""

    def __init__(self) -> None:
        self.stack: list[_Open] = [_Open("chunk", 0)]
        self.function_header = False

    def feed(self, token: Token) -> None:
        top = self.stack[-1]
        items = top.items
        text = token.text
        kind = token.kind
        if kind == "name":
            name = token.value
            if len(items) >= 2 and items[-1] in (".", ":") and isinstance(items[-2], _EXPR_TYPES):
                sep = items.pop()
                base: Expr = items.pop()  # type: ignore[assignment]
                cls = Index if sep == "." else MethodRef
                items.append(cls(base, name, base.start, token.end))
            else:
                items.append(Name(name, token.start, token.end))
            self._value_seen(top)
        elif kind == "str":
            literal = Str(token.value, token.start, token.end)
            if items and isinstance(items[-1], _CALLABLE):
                callee: Expr = items.pop()  # type: ignore[assignment]
                items.append(Call(callee, (literal,), callee.start, token.end))  # `require "x"`
            else:
                items.append(literal)
            self._value_seen(top)
        elif kind == "num":
            items.append(Other(token.start, token.end))
            self._value_seen(top)
        elif kind == "keyword":
            self._keyword(token)
        elif text in (b"(", b"{", b"["):
            self._open(token)
        elif text in (b")", b"}", b"]"):
            self._close(token)
        elif text == b",":
            self._separator(top, token)
        elif text == b";":
            if top.kind == "{":
                self._separator(top, token)
            else:
                items.clear()
        elif text == b"=":
            if top.kind == "{" and top.key is None:
                if len(items) == 1 and isinstance(items[0], Name):
                    top.key = items[0].name
                    top.keys.setdefault(top.key, set()).add(top.index)
                elif items == ["[key]"] and top.bracket_key is not None:
                    top.key = top.bracket_key
                    top.keys.setdefault(top.key, set()).add(top.index)
            items.clear()
        elif text in (b".", b":"):
            items.append(text.decode())
        elif text == b"...":
            items.append(Other(token.start, token.end))
            self._value_seen(top)
        else:  # operators
            items.append(text.decode("utf-8", errors="replace"))

    def _value_seen(self, top: _Open) -> None:
        if top.kind == "{":
            top.field_has_value = True

    def _open(self, token: Token) -> None:
        top = self.stack[-1]
        items = top.items
        bracket = token.text.decode()
        callee: Expr | None = None
        if bracket == "(" and self.function_header:
            self.function_header = False
            self.stack.append(_Open("params", token.start))
            return
        if bracket in "({" and items and isinstance(items[-1], _CALLABLE):
            callee = items.pop()  # type: ignore[assignment]
        elif bracket == "[" and not (items and isinstance(items[-1], _EXPR_TYPES)):
            bracket = "[key"
        self._value_seen(top)
        opened = _Open(bracket, token.start, callee)
        self.stack.append(opened)

    def _close(self, token: Token) -> None:
        want = {b")": ("(", "params"), b"}": ("{",), b"]": ("[", "[key")}[token.text]
        depth = len(self.stack) - 1
        while depth > 0 and not self.stack[depth].is_block and self.stack[depth].kind not in want:
            depth -= 1
        if depth == 0 or self.stack[depth].is_block:
            return  # a stray closing bracket
        while len(self.stack) - 1 > depth:
            self._pop(None)
        frame = self._pop(token.end)
        parent = self.stack[-1]
        if frame.kind == "(":
            self._end_argument(frame)
            if frame.callee is not None:
                parent.items.append(Call(frame.callee, tuple(frame.args), frame.callee.start, token.end))
            elif len(frame.items) == 1 and isinstance(frame.items[0], _EXPR_TYPES):
                parent.items.append(frame.items[0])
            else:
                parent.items.append(Other(frame.start, token.end))
        elif frame.kind == "{":
            if frame.callee is not None:
                table = Other(frame.start, token.end)
                parent.items.append(Call(frame.callee, (table,), frame.callee.start, token.end))
            else:
                parent.items.append(Other(frame.start, token.end))
        elif frame.kind == "[":
            parent.items.append(Other(frame.start, token.end))
        elif frame.kind == "[key":
            if len(frame.items) == 1 and isinstance(frame.items[0], Str):
                parent.bracket_key = frame.items[0].value
            parent.items.append("[key]")
        else:  # "params": the function body follows, in the function's block frame
            parent.items.clear()

    def _pop(self, end: int | None) -> _Open:
        frame = self.stack.pop()
        frame.end = end
        frame.closed = True
        return frame

    def _end_argument(self, frame: _Open) -> None:
        items = frame.items
        if len(items) == 1 and isinstance(items[0], _EXPR_TYPES):
            frame.args.append(items[0])  # type: ignore[arg-type]
        elif items:
            frame.args.append(Other(frame.start, frame.start))

    def _separator(self, top: _Open, token: Token) -> None:
        if top.kind == "(":
            self._end_argument(top)
            top.index += 1
        elif top.kind == "{":
            if top.key is None and top.field_has_value:
                top.element += 1
            top.index += 1
            top.key = None
            top.bracket_key = None
            top.field_has_value = False
        top.items.clear()

    def _keyword(self, token: Token) -> None:
        word = token.value
        top = self.stack[-1]
        if word in ("nil", "true", "false"):
            top.items.append(Other(token.start, token.end))
            self._value_seen(top)
            return
        if word in ("and", "or", "not"):
            top.items.append(word)
            return
        if word == "function":
            self._value_seen(top)
            self.stack.append(_Open("function", token.start))
            self.function_header = True
            return
        if word in _STATEMENT_KEYWORDS:
            self._drop_open_brackets()
            if word in _BLOCK_STARTERS:
                block = _Open(_BLOCK_STARTERS[word], token.start)
                block.awaiting_do = word in ("while", "for")
                self.stack.append(block)
            return
        if word == "do":
            top = self.stack[-1]
            if top.is_block and top.awaiting_do:
                top.awaiting_do = False
                top.items.clear()
            else:
                self._drop_open_brackets()
                self.stack.append(_Open("do", token.start))
            return
        if word in ("end", "until"):
            depth = len(self.stack) - 1
            while depth > 0 and not self.stack[depth].is_block:
                depth -= 1
            if depth == 0:
                self.stack[0].items.clear()
                return  # `end` of a block that began before the scan window
            closed = self.stack[depth]
            while len(self.stack) > depth:
                self._pop(token.end)
            if closed.kind == "function":
                self.stack[-1].items.append(Other(closed.start, token.end))
            return
        # then, else, elseif, in: a new part of the current block
        self._drop_open_brackets()

    def _drop_open_brackets(self) -> None:
        """A statement keyword: brackets still open above the current block were never closed."""
        while not self.stack[-1].is_block:
            self._pop(None)
        self.stack[-1].items.clear()
        self.function_header = False


# ---------------------------------------------------------------- API calls and their option tables


@dataclass(frozen=True)
class CallSite:
    """The API call whose argument list holds a position."""

    function: stubs.Function
    frame: Frame  # the call's `(`
    argument: int  # which argument the position is in (0-based)


@dataclass(frozen=True)
class TableSite:
    """A table at a position that is an API call's options table, or a table nested in one."""

    call: CallSite
    path: tuple[str | None, ...]  # keys from the options table down to this table; None: an array element
    type: stubs.Type  # this table's type, e.g. `bk.RunOptions`, or `bk.Owner` for `owner = { ... }`
    frame: Frame  # this table's `{`


def api_call(ctx: Context, resolver: Resolver) -> CallSite | None:
    """The innermost call around the position, if it is a `bk` function or a `State` method."""
    for frame in reversed(ctx.frames):
        if frame.bracket == "(" and frame.callee is not None:
            function = resolver.function_of(frame.callee)
            return CallSite(function, frame, frame.index) if function else None
    return None


def option_table(ctx: Context, resolver: Resolver, frames: Sequence[Frame] | None = None) -> TableSite | None:
    """The innermost table around the position, when it belongs to an API call's options argument."""
    frames = ctx.frames if frames is None else frames
    i = len(frames) - 1
    if i < 0 or frames[i].bracket != "{" or frames[i].callee is not None:
        return None
    while i > 0 and frames[i - 1].bracket == "{" and frames[i - 1].callee is None:
        i -= 1
    tables = frames[i:]
    if i == 0 or frames[i - 1].bracket != "(" or frames[i - 1].callee is None:
        return None
    call_frame = frames[i - 1]
    function = resolver.function_of(call_frame.callee)  # type: ignore[arg-type]
    opts = function.options if function else None
    if function is None or opts is None or function.params.index(opts) != call_frame.index:
        return None
    type_: stubs.Type | None = stubs.TName(opts.type)
    path: list[str | None] = []
    for table in tables[:-1]:
        step = table.key
        path.append(step)
        type_ = resolver.index.key_type(type_, step) if type_ is not None else None
    if type_ is None:
        return None
    return TableSite(CallSite(function, call_frame, call_frame.index), tuple(path), type_, tables[-1])


def option_field(ctx: Context, resolver: Resolver, key: str) -> tuple[TableSite, stubs.Field] | None:
    """The option table around the position and its stub field named `key`, if both exist."""
    site = option_table(ctx, resolver)
    field = resolver.index.fields(site.type).get(key) if site is not None else None
    return (site, field) if site is not None and field is not None else None
