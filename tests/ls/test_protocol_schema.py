"""luakit_ls/protocol.schema.json describes what the server really sends beyond LSP.

The VS Code extension's types are generated from that schema (vscode-extension/scripts/schema.mjs),
so a field the server adds, drops or renames without the schema fails here: the answers of the
workspace commands (luakit_ls/commands.py) for real evaluations, good and bad, the graph JSON of
every example, and, over stdio from the real server, the `luakit/evaluated` notification and the
three commands' answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from jsonschema import Draft202012Validator
from pytest_lsp import LanguageClient

from compiler.evaluate import EvalOptions, ScriptSource, evaluate
from compiler.isolated import DEFINITION, DOT, JSON, report
from compiler.render.json_view import graph_json
from luakit_ls import commands
from tests.lsp.session import CONFIG, Client, initialize_params

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "luakit_ls" / "protocol.schema.json").read_text())
EXAMPLES = sorted((ROOT / "examples").glob("*/build.lua"))

GOOD = 'local base = bk.image("alpine:3.19")\nbk.export(base:run("echo hi"):mkdir("/app"))\n'
BROKEN = 'local base = bk.image("alpine:3.19")\nbk.export(base:run("echo hi", { cwdd = "/" }))\n'


def check(definition: str, value: Any) -> None:
    """Fails with every violation of `$defs/<definition>` in `value`."""
    validator = Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": SCHEMA["$defs"]})
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(value)]
    assert not errors, f"{definition}: " + "; ".join(errors)


def full_report(text: str, path: Path | None = None) -> Any:
    return report(
        ScriptSource(text, path=str(path) if path else None), EvalOptions(), frozenset({DEFINITION, DOT, JSON})
    )


def test_the_schema_is_a_valid_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("text", [GOOD, BROKEN], ids=["good", "broken"])
def test_command_answers_of_real_evaluations(text: str, tmp_path: Path) -> None:
    evaluated = full_report(text)
    check("Validation", commands.validation(evaluated))
    check("EmitDefinitionAnswer", commands.definition(evaluated, None))
    check("EmitDefinitionAnswer", commands.definition(evaluated, str(tmp_path / "build.llb")))
    check("EmitDefinitionAnswer", commands.definition(evaluated, str(tmp_path / "missing" / "build.llb")))
    for view in ("dot", "json"):
        check("ShowDagAnswer", commands.dag(evaluated, view))
    check("Evaluated", commands.evaluated("file:///tmp/build.lua", 3, evaluated))


def test_answers_without_an_evaluation() -> None:
    """A cancelled evaluation, a missing URI, an unreadable script: the same shapes."""
    check("Validation", commands.validation(None))
    check("EmitDefinitionAnswer", commands.definition(None, None))
    check("ShowDagAnswer", commands.dag(None, "json"))
    missing = commands.uri_argument((), commands.SHOW_DAG)
    assert isinstance(missing, dict)
    check("ShowDagAnswer", missing)
    check("Validation", commands.unreadable("build.lua", OSError(2, "No such file or directory")))


def test_build_answers() -> None:
    """Every outcome of luakit.build (real builds: tests/e2e/test_editor_build.py checks those too)."""
    from compiler.errors import Location
    from luakit_ls import building

    check("BuildAnswer", building.answer(building.Built({"containerimage.digest": "sha256:00"}, 1.5), "build.lua"))
    check("BuildAnswer", building.answer(building.BuildCancelled(), "build.lua"))
    check("BuildAnswer", building.answer(building.NotBuilt("cannot reach BuildKit at unix:///x: gone"), "build.lua"))
    failed = building.StepFailed("run failed: /bin/sh -c make: exit code 2", Location("build.lua", 4, 13), ("boom",))
    check("BuildAnswer", building.answer(failed, "build.lua"))
    missing = commands.uri_argument((), commands.BUILD)
    assert isinstance(missing, dict)
    check("BuildAnswer", building.refused(missing))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_graph_json_of_every_example(script: Path) -> None:
    evaluated = full_report(script.read_text(), script)
    assert evaluated.ok, evaluated.problems
    assert evaluated.json is not None
    check("Graph", json.loads(evaluated.json))
    # `luakit dag --kinds exec` adds the edges drawn through hidden ops.
    evaluation = evaluate(ScriptSource(script.read_text(), path=str(script)), EvalOptions())
    check("Graph", graph_json(evaluation.marshalled, None, {"exec"}))


def plain(value: Any) -> Any:
    """pygls hands unknown messages over as namedtuples: back to the JSON they came as."""
    if hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: Client):
    await lsp_client.initialize_session(initialize_params())
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_what_the_server_sends(client: LanguageClient, tmp_path: Path) -> None:
    script = tmp_path / "build.lua"
    script.write_text(GOOD)
    uri = script.as_uri()
    assert isinstance(client, Client)
    client.open(uri, GOOD)
    await client.diagnostics_of(uri, 1)
    for _ in range(200):
        if client.evaluated:
            break
        await client.wait_for_notification("luakit/evaluated")
    assert client.evaluated
    for notification in client.evaluated:
        check("Evaluated", plain(notification))

    check("Validation", plain(await client.command(commands.VALIDATE, uri)))
    check("EmitDefinitionAnswer", plain(await client.command(commands.EMIT_DEFINITION, uri)))
    check("EmitDefinitionAnswer", plain(await client.command(commands.EMIT_DEFINITION, uri, str(tmp_path / "b.llb"))))
    check("ShowDagAnswer", plain(await client.command(commands.SHOW_DAG, uri)))
    answer = plain(await client.command(commands.SHOW_DAG, uri, "json"))
    check("ShowDagAnswer", answer)
    check("Graph", json.loads(answer["json"]))
    check("ShowDagAnswer", plain(await client.command(commands.SHOW_DAG)))  # no URI
    # The same script broken: the answers carry problems, in the same shapes.
    client.replace(uri, BROKEN, 2)
    await client.diagnostics_of(uri, 2)
    broken = plain(await client.command(commands.SHOW_DAG, uri, "json"))
    assert broken["ok"] is False and broken["problems"], broken
    check("ShowDagAnswer", broken)
