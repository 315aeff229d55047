"""What a script prints reaches the editor's log (`window/logMessage`), rate-limited, from the real server."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_lsp
from lsprotocol import types as t

from luakit_ls.script_log import MAX_LINES
from tests.lsp.session import CONFIG, Client, initialize_params

pytestmark = pytest.mark.asyncio(loop_scope="module")

PRINTS = 'print("hello from the build")\nlocal base = bk.image("alpine:3.19")\nprint("base", 42)\nbk.export(base)\n'
LOOP = 'for i = 1, 5000 do print("line " .. i) end\nbk.export(bk.image("alpine:3.19"))\n'


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: Client):
    await lsp_client.initialize_session(initialize_params())
    yield
    await lsp_client.shutdown_session()


async def _logged(client: Client, start: int, count: int, timeout: float = 20) -> list[t.LogMessageParams]:
    deadline = time.monotonic() + timeout
    while len(client.log_messages) - start < count and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    return client.log_messages[start:]


async def test_printed_lines_reach_the_log_with_where_they_were_printed(client: Client) -> None:
    uri = "file:///tmp/lk-print/build.lua"
    start = len(client.log_messages)
    client.open(uri, PRINTS)
    await client.publish_of(uri, 1)
    logged = [m for m in await _logged(client, start, 2) if m.type == t.MessageType.Log]
    assert [m.message for m in logged] == [
        "/tmp/lk-print/build.lua:1: hello from the build",
        "/tmp/lk-print/build.lua:3: base\t42",
    ]

    # An edit that prints the same again logs nothing new; one that prints something else does.
    client.replace(uri, PRINTS + "-- a comment\n", 2)
    await client.publish_of(uri, 2)
    client.replace(uri, PRINTS.replace("42", "43"), 3)
    await client.publish_of(uri, 3)
    logged = [m.message for m in await _logged(client, start, 4) if m.type == t.MessageType.Log]
    assert logged[2:] == ["/tmp/lk-print/build.lua:1: hello from the build", "/tmp/lk-print/build.lua:3: base\t43"]


async def test_a_loop_of_prints_is_cut_off(client: Client) -> None:
    uri = "file:///tmp/lk-print/loop.lua"
    start = len(client.log_messages)
    client.open(uri, LOOP)
    await client.publish_of(uri, 1)
    logged = [m.message for m in await _logged(client, start, MAX_LINES + 1) if m.type == t.MessageType.Log]
    assert len(logged) == MAX_LINES + 1
    assert logged[0] == "/tmp/lk-print/loop.lua:1: line 1"
    assert logged[MAX_LINES - 1] == f"/tmp/lk-print/loop.lua:1: line {MAX_LINES}"
    assert logged[MAX_LINES] == f"/tmp/lk-print/loop.lua: … {5000 - MAX_LINES} more lines not shown"
