"""Settings from initializationOptions and workspace/didChangeConfiguration change what the server evaluates."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t

from tests.lsp.session import CONFIG, Client, initialize_params, one_line

pytestmark = pytest.mark.asyncio(loop_scope="module")

OPTIONS = {
    "timeout": 1,
    "buildArgs": {"BASE": "alpine:3.19"},
    "files": ["build.lua", "*.bk.lua"],
    "memoryLimit": "lots",  # invalid: ignored, with a warning
}

NEEDS_BASE = 'local base = bk.image(bk.arg("BASE"))\nbk.export(base:run("make"))\n'


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: Client):
    await lsp_client.initialize_session(initialize_params(options=OPTIONS))
    yield
    await lsp_client.shutdown_session()


def luakit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], capture_output=True, timeout=60, cwd=cwd)


async def test_an_invalid_setting_is_reported_not_fatal(client: Client):
    warnings = [m.message for m in client.log_messages if m.type == t.MessageType.Warning]
    assert "luakit.memoryLimit: ignored invalid value 'lots'" in warnings


async def test_an_unusable_platform_is_reported_and_the_default_used(client: Client, folder):
    uri = (folder / "build.lua").as_uri()
    client.open(uri, NEEDS_BASE)
    await client.diagnostics_of(uri, 1)
    published = len(client.publishes)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"luakit": {"platform": "linux"}}))
    assert list((await client.publish_of(uri, 1, after=published)).diagnostics) == []  # still evaluated
    for _ in range(100):
        warnings = [m.message for m in client.log_messages if m.type == t.MessageType.Warning]
        if any(w.startswith("luakit.platform:") for w in warnings):
            break
        await asyncio.sleep(0.02)
    [said] = [w for w in warnings if w.startswith("luakit.platform:")]
    assert "'linux'" in said and said.endswith("evaluating for the default platform"), said
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"luakit": {"platform": None}}))
    client.close(uri)


async def test_build_args_from_initialization_options_and_configuration_changes(client: Client, folder):
    uri = (folder / "build.lua").as_uri()
    client.open(uri, NEEDS_BASE)
    assert await client.diagnostics_of(uri, 1) == []  # BASE comes from initializationOptions

    published = len(client.publishes)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"luakit": {"buildArgs": {}}}))
    changed = await client.publish_of(uri, 1, after=published)  # the same version, evaluated again
    assert one_line(list(changed.diagnostics)) == [(0, 22, 0, 36, "LK003", "bk.image: ref must be a string, got nil")]

    published = len(client.publishes)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"buildArgs": {"BASE": "debian"}}))
    assert list((await client.publish_of(uri, 1, after=published)).diagnostics) == []
    client.close(uri)


async def test_platform_setting_is_the_clis_platform_flag(client: Client, folder):
    path = folder / "build.lua"
    path.write_text(NEEDS_BASE)
    uri = path.as_uri()
    client.open(uri, NEEDS_BASE)
    client.workspace_did_change_configuration(
        t.DidChangeConfigurationParams({"luakit": {"platform": "linux/arm64", "buildArgs": {"BASE": "alpine:3.19"}}})
    )
    result = await client.command("luakit.emitDefinition", uri)
    # The bytes `luakit build` writes when run in the script's folder (the source map names build.lua).
    built = luakit("build", "--platform", "linux/arm64", "--arg", "BASE=alpine:3.19", path.name, cwd=folder)
    assert built.returncode == 0, built.stderr
    assert base64.b64decode(result["definition"]) == built.stdout
    assert built.stdout != luakit("build", "--arg", "BASE=alpine:3.19", path.name, cwd=folder).stdout
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"luakit": {"platform": None}}))
    client.close(uri)


async def test_files_globs_name_build_scripts(client: Client, folder):
    # Named by the `files` setting: a build script, which must export.
    named = (folder / "ci.bk.lua").as_uri()
    client.open(named, "local version = 1\n")
    [missing] = await client.diagnostics_of(named, 1)
    assert (missing.code, missing.message) == ("LK005", "no bk.export() call - nothing to build")
    client.close(named)
    # Not named, and no `bk.` call: not a build script at all.
    plain = (folder / "ci.lua").as_uri()
    client.open(plain, "local version = = 1\n")
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"luakit": {"files": ["*.bk.lua"]}}))
    # `build.lua` is no longer a name the settings give: without `bk.` it is plain Lua now.
    renamed = (folder / "build.lua").as_uri()
    client.open(renamed, "local x = = 1\n")
    client.open(named, "local version = 1\n", version=2)
    await client.diagnostics_of(named, 2)
    await asyncio.sleep(0.2)
    assert client.published(plain) == [] and client.published(renamed) == []
    client.workspace_did_change_configuration(
        t.DidChangeConfigurationParams({"luakit": {"files": ["build.lua", "*.bk.lua"]}})
    )
    for uri in (plain, renamed, named):
        client.close(uri)


async def test_memory_limit_setting(client: Client, folder):
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"luakit": {"memoryLimit": 64}}))
    uri = (folder / "build.lua").as_uri()
    client.open(uri, "local t = {} while true do t[#t+1] = string.rep('x', 1e6) .. #t end")
    [limit] = await client.diagnostics_of(uri, 1, timeout=30)
    assert (limit.code, limit.message) == ("LK004", "script exceeded the memory limit of 64 MiB")
    client.close(uri)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"luakit": {"memoryLimit": 512}}))


async def test_a_runaway_script_ends_with_a_timeout_diagnostic(client: Client, folder):
    uri = (folder / "build.lua").as_uri()
    started = time.monotonic()
    client.open(uri, 'local base = bk.image("alpine")\nwhile true do end\n')
    [limit] = await client.diagnostics_of(uri, 1, timeout=10)
    assert time.monotonic() - started < 6  # 1 s of evaluation, killed at the latest 2 s after that
    assert (limit.code, limit.message, limit.severity) == (
        "LK004",
        "script evaluation timed out after 1s",
        t.DiagnosticSeverity.Error,
    )
    # The server is fine afterwards: the next version is evaluated as usual.
    client.replace(uri, NEEDS_BASE, version=2)
    assert await client.diagnostics_of(uri, 2) == []
    client.close(uri)
