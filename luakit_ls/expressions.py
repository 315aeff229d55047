"""The expression model: what a tree-sitter node (or the tokens before a cursor) stands for.

Only what types need is kept: names, `a.b`, `a:b`, calls with their arguments,
string literals; anything else is `Other`. Also: which identifiers read a
variable (`references`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

import tree_sitter

if TYPE_CHECKING:
    from luakit_ls.parsing import Document


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
EXPR_TYPES = (Name, Index, MethodRef, Call, Str, Other)
CALLABLE = (Name, Index, MethodRef, Call)  # what may stand before `(`, `{` or a string to make a call


def expr_of(node: tree_sitter.Node) -> Expr:
    """The expression a tree-sitter node stands for (as far as types need it)."""
    kind = node.type
    if kind == "identifier":
        return Name(node_text(node), node.start_byte, node.end_byte)
    if kind == "parenthesized_expression":
        inner = node.named_children
        return expr_of(inner[0]) if len(inner) == 1 else Other(node.start_byte, node.end_byte)
    if kind in ("dot_index_expression", "method_index_expression"):
        base = node.child_by_field_name("table")
        name = node.child_by_field_name("field") or node.child_by_field_name("method")
        if base is None or name is None:
            return Other(node.start_byte, node.end_byte)
        cls = Index if kind == "dot_index_expression" else MethodRef
        return cls(expr_of(base), node_text(name), node.start_byte, node.end_byte)
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


def node_text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


def string_value(node: tree_sitter.Node) -> str:
    """The contents of a string literal node, as written (escapes are not interpreted)."""
    content = node.child_by_field_name("content")
    return node_text(content) if content is not None else ""
