"""Document symbols: the build's stages and inputs, as an outline.

* Each local that holds a State is a symbol, with its op (`exec · 3f2a1b9c0d1e`
  from the last evaluation, else the kind its last call makes: `exec`, `file`,
  `source`, ...).
* Each `bk.export(...)` is a parent symbol; the States it is built from (read
  from which locals each State's expression mentions, transitively) are its
  children. States that never reach an export stay at the top level.
* "build inputs" groups what the build needs from the client, like BuildKit's
  `frontend.outline`: local directories (`bk.local_`), secrets (`bk.secret` ids,
  `secret_env`, git/http auth secrets), SSH agents, cache ids and build
  arguments (`bk.arg`, `os.getenv`).

`document_symbols(text, calls=...)` returns lsprotocol `DocumentSymbol`s.
"""

from __future__ import annotations

import bisect
import posixpath
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import tree_sitter
from lsprotocol.types import DocumentSymbol, Range, SymbolKind

from luakit_ls import stubs
from luakit_ls.call_records import CallRecord, op_summary
from luakit_ls.expressions import Call, Expr, Index, MethodRef, Name, expr_of, references, string_value
from luakit_ls.inference import Resolver
from luakit_ls.parsing import Document, captures, parse
from luakit_ls.positions import UTF16, PositionUnits
from luakit_ls.scopes import Binding

# The op a State-returning API function adds to the graph.
OP_KINDS = {
    "bk.image": "source",
    "bk.local_": "source",
    "bk.git": "source",
    "bk.http": "source",
    "bk.https": "source",
    "bk.scratch": "scratch",
    "bk.merge": "merge",
    "bk.diff": "diff",
    "State:run": "exec",
    "State:copy": "file",
    "State:mkdir": "file",
    "State:mkfile": "file",
    "State:rm": "file",
    "State:symlink": "file",
    "State:get_mount": "exec",  # the output of the run's writable mount
}

_INPUT_KINDS = {
    "local": ("local directory", SymbolKind.Package),
    "secret": ("secret", SymbolKind.Key),
    "ssh": ("ssh agent", SymbolKind.Key),
    "cache": ("cache mount", SymbolKind.Object),
    "arg": ("build arg", SymbolKind.Constant),
}


@dataclass
class _Stage:
    binding: Binding
    symbol: DocumentSymbol
    uses: set[int]  # name_start of the stages its expressions mention


def document_symbols(
    text: str, *, calls: Sequence[CallRecord] = (), state_names: Collection[str] = (), units: PositionUnits = UTF16
) -> list[DocumentSymbol]:
    doc = parse(text, units)
    resolver = Resolver(doc, state_names, calls)
    stages, mentions = _stages(doc, resolver)
    call_nodes = captures(doc.tree.root_node, "(function_call) @call").get("call", [])
    call_nodes.sort(key=lambda n: n.start_byte)
    functions = [(node, _function(resolver, node)) for node in call_nodes]
    out: list[DocumentSymbol] = []
    in_export: set[int] = set()
    for node, function in functions:
        if function is None or function.name != "bk.export":
            continue
        reached = _reached(stages, mentions.within(node))
        in_export |= reached
        children = [stages[k].symbol for k in sorted(reached)]
        out.append(_export_symbol(doc, node, children))
    out.extend(stage.symbol for key, stage in sorted(stages.items()) if key not in in_export)
    inputs = _inputs(doc, functions)
    if inputs:
        out.append(_group("build inputs", inputs))
    out.sort(key=lambda s: (s.range.start.line, s.range.start.character))
    return out


# ---------------------------------------------------------------- stages


def _stages(doc: Document, resolver: Resolver) -> tuple[dict[int, _Stage], _Mentions]:
    """The locals (and globals) that hold States, keyed by where their name is declared."""
    stages: dict[int, _Stage] = {}
    assigns: dict[int, list[Binding]] = {}
    for name, bindings in doc.bindings.items():
        for binding in bindings:
            if binding.kind == "assign":
                declared = doc.declaration_at(name, binding.start)
                if declared is not None and declared is not binding:
                    assigns.setdefault(declared.name_start, []).append(binding)
    for name, bindings in doc.bindings.items():
        for binding in bindings:
            if binding.kind not in ("local", "assign") or (
                binding.kind == "assign" and doc.declaration_at(name, binding.end) is not binding
            ):
                continue
            values = [binding] + assigns.get(binding.name_start, [])
            if not any(resolver.binding_type(b) == "State" for b in values):
                continue
            symbol = DocumentSymbol(
                name=name,
                kind=SymbolKind.Variable,
                detail=_op_detail(doc, resolver, [b for b in values if b.value is not None]),
                range=doc.range_of(binding.start, binding.end),
                selection_range=doc.range_of(binding.name_start, binding.name_end),
            )
            stages[binding.name_start] = _Stage(binding, symbol, set())
    mentions = _Mentions(doc, stages)
    for key, stage in stages.items():
        for b in [stage.binding] + assigns.get(key, []):
            if b.value is not None:
                stage.uses |= mentions.within(b.value) - {key}
    return stages, mentions


def _op_detail(doc: Document, resolver: Resolver, values: list[Binding]) -> str | None:
    """The op of the State's latest value: from the last evaluation when it ran, else from its last call."""
    if not values:
        return None
    last = values[-1].value
    assert last is not None
    made = resolver.calls.within(doc, last.start_byte, last.end_byte)
    if made and made[-1].kind:
        return op_summary(made[-1])
    return _static_kind(resolver, expr_of(last))


def _static_kind(resolver: Resolver, expr: Expr) -> str | None:
    if not isinstance(expr, Call):
        return None
    function = resolver.function_of(expr.callee)
    if function is None:
        return None
    if function.name == "State:with_metadata" and isinstance(expr.callee, MethodRef):
        return _static_kind(resolver, expr.callee.base)
    return OP_KINDS.get(function.name)


class _Mentions:
    """Where the script reads each stage's name, to tell which stages an expression is built from."""

    def __init__(self, doc: Document, stages: dict[int, _Stage]) -> None:
        names = {stage.binding.name for stage in stages.values()}
        self.offsets: list[int] = []
        self.stages: list[int] = []
        for ident in references(doc, names):
            declared = doc.declaration_at(ident.text.decode() if ident.text else "", ident.start_byte)
            if declared is not None and declared.name_start in stages:
                self.offsets.append(ident.start_byte)
                self.stages.append(declared.name_start)

    def within(self, node: tree_sitter.Node) -> set[int]:
        low = bisect.bisect_left(self.offsets, node.start_byte)
        high = bisect.bisect_left(self.offsets, node.end_byte)
        return set(self.stages[low:high])


def _reached(stages: dict[int, _Stage], start: set[int]) -> set[int]:
    seen: set[int] = set()
    todo = list(start)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        todo.extend(stages[key].uses)
    return seen


def _export_symbol(doc: Document, node: tree_sitter.Node, children: list[DocumentSymbol]) -> DocumentSymbol:
    args = _arguments(node)
    detail = doc.text_of(args[0].start_byte, args[0].end_byte) if args else None
    name_node = node.child_by_field_name("name")
    selection = doc.node_range(name_node) if name_node is not None else doc.node_range(node)
    return DocumentSymbol(
        name="bk.export",
        kind=SymbolKind.Event,
        detail=detail,
        range=_enclosing([doc.node_range(node)] + [c.range for c in children]),
        selection_range=selection,
        children=children,
    )


# ---------------------------------------------------------------- build inputs


def _inputs(doc: Document, functions: list[tuple[tree_sitter.Node, stubs.Function | None]]) -> list[DocumentSymbol]:
    found: dict[tuple[str, str], DocumentSymbol] = {}

    def add(kind: str, name: str | None, node: tree_sitter.Node, at: tree_sitter.Node | None, extra: str = "") -> None:
        if not name or (kind, name) in found:
            return
        label, symbol_kind = _INPUT_KINDS[kind]
        found[(kind, name)] = DocumentSymbol(
            name=name,
            kind=symbol_kind,
            detail=label + extra,
            range=doc.node_range(node),
            selection_range=doc.node_range(at if at is not None else node),
        )

    for node, function in functions:
        args = _arguments(node)
        if function is None:
            if _is_getenv(node) and args:
                add("arg", _string(args[0]), node, args[0])
            continue
        opts = _options(function, args)
        name = function.name
        if name == "bk.local_" and args:
            add("local", _string(args[0]), node, args[0])
        elif name == "bk.secret" and args:
            id_node = opts.get("id")
            dest = _string(args[0])
            add(
                "secret",
                _string(id_node) if id_node else (posixpath.basename(dest) if dest else None),
                node,
                id_node or args[0],
            )
        elif name == "bk.ssh":
            id_node = opts.get("id")
            add("ssh", _string(id_node) if id_node else "default", node, id_node)
        elif name == "bk.cache" and args:
            id_node = opts.get("id")
            add("cache", _string(id_node) if id_node else _string(args[0]), node, id_node or args[0])
        elif name == "bk.arg" and args:
            default = _string(args[1]) if len(args) > 1 else None
            add("arg", _string(args[0]), node, args[0], f" (default: {default})" if default is not None else "")
        for key in ("auth_token_secret", "auth_header_secret"):
            if key in opts:
                add("secret", _string(opts[key]), node, opts[key])
        if "mount_ssh_sock" in opts:
            add("ssh", _string(opts["mount_ssh_sock"]), node, opts["mount_ssh_sock"])
        secret_env = opts.get("secret_env")
        if secret_env is not None and secret_env.type == "table_constructor":
            for value in _fields(secret_env).values():
                id_node = _fields(value).get("id") if value.type == "table_constructor" else value
                add("secret", _string(id_node), node, id_node)
    return sorted(found.values(), key=lambda s: (s.range.start.line, s.range.start.character))


def _function(resolver: Resolver, node: tree_sitter.Node) -> stubs.Function | None:
    callee = node.child_by_field_name("name")
    if callee is None or callee.type not in ("dot_index_expression", "method_index_expression"):
        return None
    expr = expr_of(callee)
    return resolver.function_of(expr) if isinstance(expr, Index | MethodRef) else None


def _is_getenv(node: tree_sitter.Node) -> bool:
    expr = expr_of(node.child_by_field_name("name") or node)
    return isinstance(expr, Index) and expr.name == "getenv" and isinstance(expr.base, Name) and expr.base.name == "os"


def _arguments(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        return []
    return [a for a in arguments.named_children if a.type != "comment"]


def _options(function: stubs.Function, args: list[tree_sitter.Node]) -> dict[str, tree_sitter.Node]:
    opts = function.options
    if opts is None:
        return {}
    position = function.params.index(opts)
    if position >= len(args) or args[position].type != "table_constructor":
        return {}
    return _fields(args[position])


def _fields(table: tree_sitter.Node) -> dict[str, tree_sitter.Node]:
    """`key = value` fields of a table constructor (also `["key"] = value`)."""
    out = {}
    for field in table.named_children:
        if field.type != "field":
            continue
        name, value = field.child_by_field_name("name"), field.child_by_field_name("value")
        if name is None or value is None:
            continue
        key = string_value(name) if name.type == "string" else (name.text.decode() if name.text else "")
        out[key] = value
    return out


def _string(node: tree_sitter.Node | None) -> str | None:
    return string_value(node) if node is not None and node.type == "string" else None


# ---------------------------------------------------------------- helpers


def _enclosing(ranges: list[Range]) -> Range:
    start = min(ranges, key=lambda r: (r.start.line, r.start.character)).start
    end = max(ranges, key=lambda r: (r.end.line, r.end.character)).end
    return Range(start, end)


def _group(name: str, children: list[DocumentSymbol]) -> DocumentSymbol:
    return DocumentSymbol(
        name=name,
        kind=SymbolKind.Namespace,
        range=_enclosing([c.range for c in children]),
        selection_range=children[0].selection_range,
        children=children,
    )
