"""Every editor feature of the real server over stdio: completion, hover, signatures, definitions,
symbols, code lenses, inlay hints and the commands (whose output must equal the CLI's)."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types as t

from tests.lsp.session import CONFIG, Client, initialize_params, within

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
STUBS = (ROOT / "types" / "bk.lua").resolve()

SCRIPT = """\
local steps = require("lib.steps")
local base = bk.image("alpine:3.19")
local ctx = bk.local_("context")
local built = base:run("make", { cwd = "/src", mounts = { bk.cache("/root/.cache", { id = "c" }) } })
local final = steps.install(built):copy(ctx, "app", "/app")
bk.export(final, { entrypoint = { "/app" } })
"""
MODULE = 'local M = {}\nfunction M.install(s)\n  return s:run("make install")\nend\nreturn M\n'


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: Client):
    await lsp_client.initialize_session(initialize_params())
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def project(module_folder: Path) -> Path:
    """A script (with a module next to it) on disk, as the CLI and `require` read it."""
    folder = module_folder
    (folder / "lib").mkdir()
    (folder / "lib" / "steps.lua").write_text(MODULE)
    (folder / "build.lua").write_text(SCRIPT)
    return folder


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def opened(client: Client, project: Path) -> str:
    """The script, opened and evaluated (so hovers and hints know its ops)."""
    uri = (project / "build.lua").as_uri()
    client.open(uri, SCRIPT)
    assert await client.diagnostics_of(uri, 1) == []
    await _detailed(client, uri)
    return uri


async def _detailed(client: Client, uri: str) -> None:
    """Wait for the detailed evaluation (digests), which follows the diagnostics after a pause."""
    for _ in range(250):
        hints = await _hints(client, uri)
        if hints and all(" · " in str(hint.label) for hint in hints):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no detailed evaluation of {uri}")


def luakit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], capture_output=True, timeout=60, cwd=cwd)


def typed(client: Client, uri: str, version: int, text: str) -> tuple[int, int]:
    """Replace the document with `text` written up to `<|>`; the cursor's (line, character)."""
    before, _, after = text.partition("<|>")
    client.replace(uri, before + after, version)
    return before.count("\n"), len(before.rsplit("\n", 1)[-1])


# ------------------------------------------------------------------ completion


async def test_completion_of_bk_members_state_methods_option_keys_and_enum_values(client: Client, project: Path):
    uri = (project / "typing.build.lua").as_uri()
    client.open(uri, "")
    base = 'local base = bk.image("alpine")\n'
    cases = [
        (base + "local x = bk.<|>", {"image", "local_", "git", "http", "scratch", "merge", "diff", "export", "cache"}),
        (base + "local x = base:<|>", {"run", "copy", "mkdir", "mkfile", "rm", "symlink", "with_metadata"}),
        (base + 'local x = base:run("make", { <|> })', {"cwd", "env", "mounts", "network", "user", "secret_env"}),
        (base + 'local x = base:run("make", { mounts = { bk.cache("/x", { <|> }) } })', {"id", "sharing"}),
        (base + 'local x = base:run("make", { network = "<|>" })', {"sandbox", "host", "none"}),
    ]
    for version, (text, expected) in enumerate(cases, start=2):
        line, character = typed(client, uri, version, text)
        labels = await client.completion_labels(uri, line, character)
        assert expected <= set(labels), (text, labels)
        if "bk.cache" in text or "network" in text:
            assert set(labels) == expected, (text, labels)  # nothing but the cache's options, the enum's values
    # Keys already written are not offered again.
    line, character = typed(client, uri, 9, base + 'local x = base:run("make", { cwd = "/", <|> })')
    labels = await client.completion_labels(uri, line, character)
    assert "cwd" not in labels and "env" in labels
    client.close(uri)


async def test_completion_items_carry_docs_and_snippets(client: Client, opened: str):
    found = await within(
        client.text_document_completion_async(t.CompletionParams(t.TextDocumentIdentifier(opened), t.Position(1, 16)))
    )
    items = found.items if isinstance(found, t.CompletionList) else found
    image = next(item for item in items if item.label == "image")
    assert image.insert_text_format == t.InsertTextFormat.Snippet
    assert isinstance(image.documentation, t.MarkupContent) and "registry" in image.documentation.value
    assert isinstance(image.text_edit, t.TextEdit) and image.text_edit.new_text.startswith("image(")


# ------------------------------------------------------------------ hover, signature help


async def test_hover_shows_docs_and_what_the_evaluation_made(client: Client, opened: str):
    image = await client.hover_text(opened, 1, 17)  # bk.im|age
    assert image is not None and "function bk.image(ref: string" in image and "registry" in image
    run = await client.hover_text(opened, 3, 21)  # base:r|un
    assert run is not None and "function State:run(" in run
    assert "exec" in run, run  # the op kind this line made in the last evaluation
    local = await client.hover_text(opened, 4, 8)  # local fi|nal
    assert local is not None and "final: State" in local and "file" in local, local
    assert await client.hover_text(opened, 0, 2) is None  # `local`: plain Lua is LuaLS's


async def test_signature_help_with_the_active_parameter(client: Client, project: Path):
    uri = (project / "signature.build.lua").as_uri()
    client.open(uri, "")
    line, character = typed(client, uri, 2, 'local b = bk.image("alpine", <|>')
    found = await within(
        client.text_document_signature_help_async(
            t.SignatureHelpParams(t.TextDocumentIdentifier(uri), t.Position(line, character))
        )
    )
    assert found is not None
    signature = found.signatures[found.active_signature or 0]
    assert signature.label == "bk.image(ref: string, opts?: bk.ImageOptions): State"
    assert (found.active_parameter if found.active_parameter is not None else signature.active_parameter) == 1
    client.close(uri)


# ------------------------------------------------------------------ go to definition


async def _definition(client: Client, uri: str, line: int, character: int) -> t.Location:
    found = await within(
        client.text_document_definition_async(
            t.DefinitionParams(t.TextDocumentIdentifier(uri), t.Position(line, character))
        )
    )
    assert isinstance(found, t.Location), found
    return found


async def test_definition_of_api_members_modules_and_locals(client: Client, opened: str, project: Path):
    stubs = STUBS.read_text().split("\n")
    image = await _definition(client, opened, 1, 17)  # bk.im|age
    assert image.uri == STUBS.as_uri()
    assert stubs[image.range.start.line].startswith("function bk.image(")
    run = await _definition(client, opened, 3, 21)  # base:r|un
    assert run.uri == STUBS.as_uri() and stubs[run.range.start.line].startswith("function State:run(")
    module = await _definition(client, opened, 0, 25)  # require("lib.st|eps")
    assert module.uri == (project / "lib" / "steps.lua").resolve().as_uri()
    local = await _definition(client, opened, 3, 15)  # = ba|se:run
    assert local.uri == opened and local.range == t.Range(t.Position(1, 6), t.Position(1, 10))


# ------------------------------------------------------------------ symbols, lenses, inlay hints


async def test_document_symbols_outline_the_build(client: Client, opened: str):
    symbols = await within(
        client.text_document_document_symbol_async(t.DocumentSymbolParams(t.TextDocumentIdentifier(opened)))
    )
    assert symbols is not None
    outline = {s.name: [(c.name, c.detail) for c in (s.children or [])] for s in symbols}  # type: ignore[union-attr]
    export = outline["bk.export"]
    assert [name for name, _ in export] == ["base", "ctx", "built", "final"]
    assert dict(export)["built"].startswith("exec") and dict(export)["final"].startswith("file")
    assert ("context", "local directory") in outline["build inputs"]


async def test_code_lenses_on_the_export_run_the_commands(client: Client, opened: str):
    lenses = await within(client.text_document_code_lens_async(t.CodeLensParams(t.TextDocumentIdentifier(opened))))
    assert lenses is not None
    commands = [(lens.range.start.line, lens.command.title, lens.command.command) for lens in lenses if lens.command]
    assert commands == [
        (5, "Emit LLB", "luakit.emitDefinition"), (5, "Show DAG", "luakit.showDag"), (5, "Build", "luakit.build")
    ]
    # What an editor does on a click: the command with the lens's own arguments ("Build" needs a
    # daemon: tests/e2e/test_editor_build.py clicks it).
    for lens in lenses[:2]:
        assert lens.command is not None
        result = await client.command(lens.command.command, *(lens.command.arguments or []))
        assert result["ok"], result


async def test_inlay_hints_show_each_bindings_op(client: Client, opened: str):
    hints = await _hints(client, opened)
    by_line = {hint.position.line: str(hint.label) for hint in hints}
    assert by_line[1].startswith("source") and by_line[3].startswith("exec") and by_line[4].startswith("file")
    assert all(len(label.split(" · ")[-1]) == 12 for label in by_line.values()), by_line  # short digests


async def _hints(client: Client, uri: str) -> list[t.InlayHint]:
    whole = t.Range(t.Position(0, 0), t.Position(100, 0))
    return list(
        await within(client.text_document_inlay_hint_async(t.InlayHintParams(t.TextDocumentIdentifier(uri), whole)))
        or []
    )


async def test_a_broken_file_keeps_hover_symbols_and_completion_from_the_last_good_evaluation(
    client: Client, project: Path
):
    uri = (project / "broken.build.lua").as_uri()
    client.open(uri, SCRIPT)
    assert await client.diagnostics_of(uri, 1) == []
    await _detailed(client, uri)
    good = await client.hover_text(uri, 3, 21)  # base:r|un
    broken = SCRIPT + "local oops = (\nlocal x = bk.\n"
    client.replace(uri, broken, 2)
    [syntax] = await client.diagnostics_of(uri, 2)
    assert syntax.code == "LK001", syntax
    # The docs stay; what the last evaluation made is not shown for a text it did not evaluate.
    assert good is not None and good.startswith("**Last evaluation:** exec")
    assert await client.hover_text(uri, 3, 21) == good.split("---\n\n", 1)[1]
    symbols = await within(
        client.text_document_document_symbol_async(t.DocumentSymbolParams(t.TextDocumentIdentifier(uri)))
    )
    assert symbols is not None
    outline = {s.name: [c.name for c in (s.children or [])] for s in symbols}  # type: ignore[union-attr]
    assert outline["bk.export"] == ["base", "ctx", "built", "final"], outline
    lines = broken.split("\n")
    labels = await client.completion_labels(uri, len(lines) - 2, len(lines[-2]))  # after the unfinished `bk.`
    assert {"image", "merge", "export"} <= set(labels), labels
    client.close(uri)


# ------------------------------------------------------------------ commands equal the CLI


async def test_emit_definition_is_what_luakit_build_writes(client: Client, opened: str, project: Path):
    # The bytes of `luakit build build.lua` run in the script's folder: the source map names
    # build.lua and lib/steps.lua as the user wrote them, not by absolute path.
    built = luakit("build", "build.lua", cwd=project)
    assert built.returncode == 0, built.stderr
    result = await client.command("luakit.emitDefinition", opened)
    assert (result["ok"], result["problems"]) == (True, [])
    assert base64.b64decode(result["definition"]) == built.stdout

    out = project / "out.pb"
    result = await client.command("luakit.emitDefinition", opened, str(out))
    assert (result["ok"], result["path"]) == (True, str(out))
    assert out.read_bytes() == built.stdout


async def test_show_dag_is_what_luakit_dag_prints(client: Client, opened: str, project: Path):
    script = str(project / "build.lua")
    for view, flags in (("dot", []), ("json", ["--format", "json"])):
        printed = luakit("dag", *flags, script)
        assert printed.returncode == 0, printed.stderr
        result = await client.command("luakit.showDag", opened, view)
        assert result["ok"], result
        assert result[view] == printed.stdout.decode()


async def test_validate_command_reports_problems_as_the_cli_prints_them(client: Client, project: Path):
    text = 'local s = bk.image("alpine")\ns:run("x", { cwdd = "/" })\n'
    path = project / "bad.build.lua"
    path.write_text(text)
    client.open(path.as_uri(), text)
    result = await client.command("luakit.validate", path.as_uri())
    printed = luakit("validate", str(path))
    assert result["ok"] is False
    assert result["problems"] == printed.stderr.decode().splitlines()
    missing = await client.command("luakit.validate")
    assert missing["ok"] is False and "URI" in missing["problems"][0]
    client.close(path.as_uri())


async def test_a_library_of_steps_reports_nothing_it_does_not_show(client: Client, project: Path):
    """A file that calls `bk.` but is not named like a build script need not export: no hidden
    "no bk.export() call" in the status bar's count or the commands (the Problems panel is empty)."""
    library = project / "lib" / "images.lua"
    text = 'local M = {}\nfunction M.base() return bk.image("alpine:3.19") end\nreturn M\n'
    library.write_text(text)
    uri = library.as_uri()
    client.open(uri, text)
    assert await client.diagnostics_of(uri, 1) == []
    for _ in range(200):
        evaluated = [e for e in client.evaluated if e.uri == uri]
        if evaluated:
            break
        await asyncio.sleep(0.02)
    assert evaluated[-1].errors == 0, evaluated
    validated = await client.command("luakit.validate", uri)
    assert (validated["ok"], validated["problems"]) == (True, []), validated
    dag = await client.command("luakit.showDag", uri, "json")
    assert dag["ok"], dag
    client.close(uri)
