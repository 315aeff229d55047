"""`luakit.build` in the language server, over stdio, on the harness's real BuildKit.

The real `luakit-ls` process builds the open script: the answer, the work-done
progress with the running step's Lua line, a failed step as an LK010 diagnostic
at the `run` that made it (and gone after the fix and the next build), a cancel
that stops the step on the daemon, and an unreachable daemon said in one line.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import pytest_lsp
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from servers import long_step, step_runs

from tests.ls.test_protocol_schema import check
from tests.lsp.session import CONFIG, FULL_CAPABILITIES, Client, initialize_params

pytestmark = pytest.mark.asyncio(loop_scope="module")

# VS Code's capabilities, and work-done progress (VS Code has it too).
CAPABILITIES = attrs.evolve(FULL_CAPABILITIES, window=t.WindowClientCapabilities(work_done_progress=True))
BUILD = "luakit.build"


@pytest.fixture
def folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lk-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: Client, buildkit):
    params = initialize_params(options={"buildkitHost": buildkit.addr}, capabilities=CAPABILITIES)
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def build(client: Client, uri: str, seconds: float = 120) -> dict:
    answer = await asyncio.wait_for(
        client.workspace_execute_command_async(t.ExecuteCommandParams(BUILD, [uri])), seconds
    )
    check("BuildAnswer", answer)  # what the extension's types are generated from
    return answer  # type: ignore[no-any-return]


def step_failures(params: t.PublishDiagnosticsParams) -> list[t.Diagnostic]:
    return [d for d in params.diagnostics if d.code == "LK010"]


async def test_a_build_answers_built_with_progress_at_the_lua_line(client: Client, busybox_ref, folder):
    script = folder / "build.lua"
    marker = uuid.uuid4().hex
    text = f'local base = bk.image("{busybox_ref}")\nbk.export(base:run("echo {marker} > /m"))\n'
    script.write_text(text)
    uri = script.as_uri()
    client.open(uri, text)
    await client.diagnostics_of(uri, 1)
    before = set(client.progress_reports)
    # What a click on the "Build" lens above bk.export runs.
    lenses = await client.text_document_code_lens_async(t.CodeLensParams(t.TextDocumentIdentifier(uri)))
    (lens,) = [lens.command for lens in lenses or [] if lens.command and lens.command.title == "Build"]
    assert (lens.command, list(lens.arguments or [])) == (BUILD, [uri])
    answer = await asyncio.wait_for(
        client.workspace_execute_command_async(t.ExecuteCommandParams(lens.command, list(lens.arguments or []))), 120
    )
    assert answer["status"] == "built", answer
    check("BuildAnswer", answer)
    assert isinstance(answer["exporterResponse"], dict) and answer["seconds"] > 0
    (token,) = set(client.progress_reports) - before
    reports = client.progress_reports[token]
    assert isinstance(reports[0], t.WorkDoneProgressBegin) and reports[0].cancellable
    assert isinstance(reports[-1], t.WorkDoneProgressEnd) and reports[-1].message == "built"
    steps = [r.message for r in reports if isinstance(r, t.WorkDoneProgressReport)]
    assert f"/bin/sh -c echo {marker} > /m (build.lua:2)" in steps, steps
    client.close(uri)


async def test_a_failed_step_is_a_diagnostic_at_its_run_until_fixed_and_built(client: Client, busybox_ref, folder):
    script = folder / "build.lua"
    failing = textwrap.dedent(f"""\
        local base = bk.image("{busybox_ref}")
        local unused = base:run("echo unused")
        local ok = base:run("true")
        bk.export(ok:run("echo boom-output; exit 2"))
    """)
    script.write_text(failing)
    uri = script.as_uri()
    client.open(uri, failing)
    evaluated = await client.diagnostics_of(uri, 1)
    assert [d.code for d in evaluated] == ["LK006"], evaluated  # the unused step: a warning
    published = len(client.publishes)
    answer = await build(client, uri)
    assert answer["status"] == "failed", answer
    assert answer["message"] == "build.lua:4:14: run failed: /bin/sh -c echo boom-output; exit 2: exit code 2"
    shown = await client.publish_of(uri, after=published)
    (failure,) = step_failures(shown)
    assert failure.range.start.line == 3 and failure.range.start.character == 13, failure.range
    assert failure.severity == t.DiagnosticSeverity.Error and failure.source == "luakit"
    first, *tail = failure.message.split("\n")
    assert first == "run failed: /bin/sh -c echo boom-output; exit 2: exit code 2"
    assert "boom-output" in tail, failure.message
    # Published with the evaluation's own diagnostics, not instead of them.
    assert "LK006" in [d.code for d in shown.diagnostics]

    fixed = failing.replace("exit 2", "exit 0")
    script.write_text(fixed)
    client.replace(uri, fixed, 2)
    await client.diagnostics_of(uri, 2)
    published = len(client.publishes)
    answer = await build(client, uri)
    assert answer["status"] == "built", answer
    assert not step_failures(client.published(uri)[-1]), client.published(uri)[-1]
    client.close(uri)


async def test_cancelling_the_progress_cancels_the_build_on_the_daemon(client: Client, busybox_ref, folder):
    script = folder / "build.lua"
    marker = uuid.uuid4().hex[:12]
    # The marker keeps the step out of the daemon's cache and tells its process from other runs'.
    text = f'bk.export(bk.image("{busybox_ref}"):run("{long_step(marker, 60)}"))\n'
    script.write_text(text)
    uri = script.as_uri()
    client.open(uri, text)
    await client.diagnostics_of(uri, 1)
    before = set(client.progress_reports)
    running = asyncio.ensure_future(build(client, uri))
    deadline = time.monotonic() + 60
    token = None
    while time.monotonic() < deadline and not running.done():
        new = set(client.progress_reports) - before
        if new:
            token = next(iter(new))
            if any(isinstance(r, t.WorkDoneProgressReport) and "sleep 60" in (r.message or "")
                   for r in client.progress_reports[token]):
                break
        await asyncio.sleep(0.05)
    assert token is not None and not running.done(), "the step never started"
    while not step_runs(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    cancelled_at = time.monotonic()
    client.window_work_done_progress_cancel(t.WorkDoneProgressCancelParams(token))
    answer = await asyncio.wait_for(running, 20)
    assert answer == {"status": "cancelled"}
    assert time.monotonic() - cancelled_at < 10
    assert isinstance(client.progress_reports[token][-1], t.WorkDoneProgressEnd)
    # The daemon was told: its `sleep` is gone within seconds, not a minute.
    deadline = time.monotonic() + 15
    while step_runs(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert not step_runs(marker)
    client.close(uri)


async def test_cancel_request_of_the_command_cancels_the_build_on_the_daemon(client: Client, busybox_ref, folder):
    script = folder / "build.lua"
    marker = f"cancel-request-{uuid.uuid4().hex[:12]}"
    text = f'bk.export(bk.image("{busybox_ref}"):run("{long_step(marker, 60)}"))\n'
    script.write_text(text)
    uri = script.as_uri()
    client.open(uri, text)
    await client.diagnostics_of(uri, 1)
    request_id = f"build-{uuid.uuid4().hex[:8]}"
    running = asyncio.wrap_future(
        client.protocol.send_request(t.WORKSPACE_EXECUTE_COMMAND, t.ExecuteCommandParams(BUILD, [uri]), msg_id=request_id)
    )
    deadline = time.monotonic() + 60
    while not step_runs(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert step_runs(marker), "the step never started"
    client.protocol.notify(t.CANCEL_REQUEST, t.CancelParams(id=request_id))
    # The protocol's answer to a cancelled request: the RequestCancelled error.
    with pytest.raises(JsonRpcException) as raised:
        await asyncio.wait_for(running, 20)
    assert raised.value.code == t.LSPErrorCodes.RequestCancelled
    deadline = time.monotonic() + 15
    while step_runs(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert not step_runs(marker)
    client.close(uri)


async def test_an_unreachable_daemon_is_one_clear_message(client: Client, busybox_ref, folder, buildkit):
    script = folder / "build.lua"
    text = 'bk.export(bk.scratch():mkfile("/a", "x"))\n'
    script.write_text(text)
    uri = script.as_uri()
    nowhere = f"unix://{folder}/no.sock"
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"luakit": {"buildkitHost": nowhere}}))
    try:
        client.open(uri, text)
        await client.diagnostics_of(uri, 1)
        shown = len(client.messages)
        answer = await build(client, uri, seconds=30)
        assert answer["status"] == "failed", answer
        assert answer["message"].startswith(f"cannot reach BuildKit at {nowhere}"), answer
        assert "Traceback" not in answer["message"]
        (message,) = client.messages[shown:]
        assert message.type == t.MessageType.Error
        assert message.message == f"luakit: {answer['message']}"
    finally:
        client.workspace_did_change_configuration(
            t.DidChangeConfigurationParams({"luakit": {"buildkitHost": buildkit.addr}})
        )
        client.close(uri)
