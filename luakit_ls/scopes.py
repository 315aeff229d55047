"""Scopes: where each name in a script is bound (`Binding`) and where that binding is visible."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import tree_sitter

from luakit_ls.expressions import node_text

if TYPE_CHECKING:
    from luakit_ls.parsing import Document


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


def collect_bindings(doc: Document, only: str | None = None) -> dict[str, list[Binding]]:
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
            node_text(ident),
            kind,
            ident.start_byte,
            ident.end_byte,
            statement.start_byte,
            statement.end_byte,
            value,
            scope,
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
