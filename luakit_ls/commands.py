"""What the `workspace/executeCommand` commands answer: plain data from an evaluation's report.

Each command's first argument is the script's URI; the server evaluates it (the
same compiler code as the CLI) and these functions shape the answer, so a
client gets the bytes `luakit build` writes and the text `luakit dag` prints.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compiler.isolated import Report

EMIT_DEFINITION, SHOW_DAG, VALIDATE = "luakit.emitDefinition", "luakit.showDag", "luakit.validate"
BUILD = "luakit.build"  # luakit_ls/building.py
COMMANDS = (EMIT_DEFINITION, SHOW_DAG, VALIDATE, BUILD)


def uri_argument(arguments: tuple[Any, ...], command: str) -> str | dict[str, Any]:
    """The script's URI, or the command's answer when the client sent none."""
    uri = arguments[0] if arguments else None
    if not isinstance(uri, str):
        return {"ok": False, "problems": [f"{command}: the first argument must be the script's URI"]}
    return uri


def unreadable(name: str, exc: Exception) -> dict[str, Any]:
    return {"ok": False, "problems": [f"{name}: cannot read script: {exc}"]}


def validation(report: Report | None) -> dict[str, Any]:
    """{ok, problems, ops}: problems as `luakit validate` prints them."""
    if report is None:
        return {"ok": False, "problems": ["the evaluation was cancelled"]}
    return {"ok": report.ok, "problems": [str(p) for p in report.problems], "ops": report.ops}


def output_path(arguments: tuple[Any, ...]) -> str | None:
    """emitDefinition's optional second argument: where to write the Definition."""
    path = arguments[1] if len(arguments) > 1 else None
    return path if isinstance(path, str) and path else None


def dag_view(arguments: tuple[Any, ...]) -> str:
    """showDag's optional second argument: "dot" (the default) or "json"."""
    return "json" if len(arguments) > 1 and arguments[1] == "json" else "dot"


def definition(report: Report | None, path: str | None) -> dict[str, Any]:
    """The Definition as base64, or written to `path` (the answer then names it)."""
    result = validation(report)
    if report is None or report.definition is None:
        return result
    if path is None:
        return {**result, "definition": base64.b64encode(report.definition).decode()}
    try:
        Path(path).write_bytes(report.definition)
    except OSError as exc:
        return {**result, "ok": False, "problems": [f"cannot write {path}: {exc.strerror or exc}"]}
    return {**result, "path": path}


def dag(report: Report | None, view: str) -> dict[str, Any]:
    """The graph as DOT or JSON text, under the view's name."""
    result = validation(report)
    if report is not None:
        result[view] = report.json if view == "json" else report.dot
    return result


def evaluated(uri: str, version: int, report: Report) -> dict[str, Any]:
    """The `luakit/evaluated` notification after each evaluation (editors' status bars)."""
    return {
        "uri": uri,
        "version": version,
        "seconds": report.seconds,
        "ops": report.ops,
        "errors": sum(1 for p in report.problems if p.severity == "error"),
    }
