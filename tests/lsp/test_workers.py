"""The server's worker processes die with it, even one stuck in a single C call."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from compiler.isolated import FAULT_HOOK
from tests.lsp.test_protocol_rules import Wire

# string.find backtracking over 5,000 characters: one C call that runs for hours, beyond
# any count hook; the server's own limit (60 s here) is far away.
STUCK = 'local s = string.rep("a", 5000) .. "c"\ns:find(".-.-.-.-.-.-b")\nbk.export(bk.scratch())\n'
GONE_WITHIN = 5.0  # seconds from the server's SIGKILL until no worker is left


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system time of `pid` (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def running(pid: int) -> bool:
    """Whether `pid` still runs (a zombie waiting for its new parent to reap it has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_worker_stuck_in_a_c_call_dies_with_a_killed_server() -> None:
    wire = Wire()
    workers: set[int] = set()
    try:
        wire.response(
            wire.request(
                "initialize", {"processId": None, "capabilities": {}, "initializationOptions": {"timeout": 60}}
            )
        )
        wire.notify("initialized", {})
        wire.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": "file:///tmp/lk-stuck/build.lua",
                    "languageId": "lua",
                    "version": 1,
                    "text": STUCK,
                }
            },
        )
        # Wait until a worker has been busy for a while: past its start-up, inside the find.
        deadline = time.monotonic() + 60
        busy = None
        while busy is None:
            assert time.monotonic() < deadline, "no worker got busy with the script"
            workers |= children(wire.process.pid)
            busy = next((pid for pid in workers if cpu_seconds(pid) > 2.0), None)
            time.sleep(0.1)
        before = cpu_seconds(busy)
        time.sleep(0.5)
        assert cpu_seconds(busy) > before, "the worker is not running the script"

        wire.process.send_signal(signal.SIGKILL)
        wire.process.wait(10)
        killed = time.monotonic()
        while any(running(pid) for pid in workers) and time.monotonic() - killed < GONE_WITHIN:
            time.sleep(0.05)
        left = [pid for pid in workers if running(pid)]
        assert left == [], f"workers {left} outlived the server by {GONE_WITHIN}s"
        print(f"workers gone {time.monotonic() - killed:.3f}s after the server's SIGKILL")
    finally:
        wire.close()
        for pid in workers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def test_an_exception_while_reporting_is_a_diagnostic_and_the_workers_stay_warm() -> None:
    uri, name = "file:///tmp/lk-fault/build.lua", "/tmp/lk-fault/build.lua"
    wire = Wire(env={**os.environ, FAULT_HOOK: name})  # the documented hook: reporting on this script raises
    try:
        wire.initialize()
        text = "bk.export(bk.scratch())\n"
        wire.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "lua", "version": 1, "text": text}}
        )
        first = wire.wait_for(lambda m: _published(m, uri, 1))["params"]["diagnostics"]
        assert [(d["code"], d["message"].split(" (")[0]) for d in first] == [("LK004", "internal error in luakit")]
        # The spare and the details worker start once the first worker has answered.
        deadline = time.monotonic() + 60
        while len(workers := children(wire.process.pid)) < 3:
            assert time.monotonic() < deadline, f"workers {workers}: the spares never started"
            time.sleep(0.05)
        for version in range(2, 12):  # keystrokes: each evaluation fails the same way, in the same workers
            text = f"-- {version}\n" + text
            change = {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}
            wire.notify("textDocument/didChange", change)
            diagnostics = wire.wait_for(lambda m, v=version: _published(m, uri, v))["params"]["diagnostics"]
            assert [d["code"] for d in diagnostics] == ["LK004"]
        assert children(wire.process.pid) == workers, "a worker was replaced"
    finally:
        wire.close()


def _published(message: dict, uri: str, version: int) -> bool:
    params = message.get("params") or {}
    return (
        message.get("method") == "textDocument/publishDiagnostics"
        and params.get("uri") == uri
        and params.get("version") == version
    )
