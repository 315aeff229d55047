"""The server's worker processes die with it, even one stuck in a single C call."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

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
