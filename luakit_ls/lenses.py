"""Code lenses on `bk.export(...)`: "Emit LLB", "Show DAG" and "Build", running the server's commands."""

from __future__ import annotations

import re

from lsprotocol.types import CodeLens, Command, Position, Range

from luakit_ls.positions import UTF16, PositionUnits

_EXPORT = re.compile(r"(?<![\w.])bk\s*\.\s*export\b")


def export_lenses(text: str, uri: str, units: PositionUnits = UTF16) -> list[CodeLens]:
    lenses = []
    for number, line in enumerate(text.split("\n")):
        code = line.split("--", 1)[0]
        for m in _EXPORT.finditer(code):
            range_ = Range(
                Position(number, units.count(line[: m.start()])), Position(number, units.count(line[: m.end()]))
            )
            lenses += [
                CodeLens(range_, Command("Emit LLB", "luakit.emitDefinition", arguments=[uri])),
                CodeLens(range_, Command("Show DAG", "luakit.showDag", arguments=[uri, "dot"])),
                CodeLens(range_, Command("Build", "luakit.build", arguments=[uri])),
            ]
    return lenses
