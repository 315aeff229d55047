"""The real server over stdio: diagnostics, completion and hover arrive."""

import sys
import time

import pytest
import pytest_lsp
from lsprotocol import types as t
from pygls.lsp.client import LanguageClient as PyglsClient
from pytest_lsp import ClientServerConfig, LanguageClient

BROKEN = 'local base = bk.image("alpine:3.19")\nlocal r = base:run("echo hi", { cwdd = "/" })\nbk.export(r)\n'


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "luakit_ls.server", "--stdio"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(t.InitializeParams(capabilities=t.ClientCapabilities(), root_uri="file:///tmp"))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_diagnostics_completion_hover(client: LanguageClient):
    uri = "file:///tmp/lsp-smoke/build.lua"
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "lua", 1, BROKEN)))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    diagnostics = client.diagnostics[uri]
    assert [(d.range.start.line, d.code, d.message) for d in diagnostics] == [
        (1, "LK003", "state:run: unknown option 'cwdd' (did you mean 'cwd'?)")
    ]
    items = await client.text_document_completion_async(
        t.CompletionParams(t.TextDocumentIdentifier(uri), t.Position(0, 16))
    )
    labels = {item.label for item in (items.items if isinstance(items, t.CompletionList) else items)}
    assert {"image", "merge", "export"} <= labels
    found = await client.text_document_hover_async(t.HoverParams(t.TextDocumentIdentifier(uri), t.Position(0, 17)))
    assert found is not None and "image" in str(found.contents)


async def _initialize_seconds() -> float:
    """Seconds from starting a server process to its answer to `initialize`."""
    client = PyglsClient("luakit-test", "1")
    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "luakit_ls.server", "--stdio")
    try:
        result = await client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities()))
        answered = time.perf_counter() - started
        assert result.server_info is not None and result.server_info.name == "luakit-ls"
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        await client.stop()
    return answered


@pytest.mark.asyncio
async def test_initialize_is_answered_within_a_second_of_the_start():
    """Editors wait for `initialize`: pygls loads first, the compiler after `initialized`.

    ~0.4-0.8 s here, most of it importing lsprotocol's types; the best of up to three
    starts is taken, so a moment of load on a shared machine does not decide the result.
    """
    best = await _initialize_seconds()
    for _ in range(2):
        if best < 1.0:
            break
        best = min(best, await _initialize_seconds())
    assert best < 1.0, f"initialize answered after {best:.2f} s"
