"""The modules and files a script loads: `require "x"`, `dofile "y"`, `loadfile "z"` with a literal name."""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter

from luakit_ls.expressions import node_text, string_value
from luakit_ls.parsing import Document, compiled_query


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
    for _, match in tree_sitter.QueryCursor(compiled_query(_REQUIRE_QUERY)).matches(doc.tree.root_node):
        function, name = match["function"][0], match["name"][0]
        if node_text(function) in ("require", "dofile", "loadfile"):
            found.append(Require(node_text(function), string_value(name), name.start_byte, name.end_byte))
    return sorted(found, key=lambda r: r.start)
