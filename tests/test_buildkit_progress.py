"""`luakit buildx --progress tty`: the live view, drawn by rich into a recording console."""

from __future__ import annotations

import io

from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console

from luakit_buildkit.client import StatusUpdate
from luakit_buildkit.pb import control_pb2 as pb
from luakit_buildkit.progress import TTY_LOG_LINES, PlainProgress, TTYProgress


def _at(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


def _console() -> Console:
    return Console(file=io.StringIO(), record=True, force_terminal=True, width=100, color_system=None)


def test_tty_shows_steps_with_their_lua_lines_timers_cached_and_last_output():
    console = _console()
    view = TTYProgress({"sha256:run": "build.lua:3:14", "sha256:img": "build.lua:1:14"}, console=console)
    view(StatusUpdate(pb.StatusResponse(vertexes=[
        pb.Vertex(digest="sha256:img", name="docker-image://busybox", cached=True, started=_at(10), completed=_at(10)),
        pb.Vertex(digest="sha256:run", name="/bin/sh -c make test", started=_at(11)),
    ])))
    view(StatusUpdate(pb.StatusResponse(logs=[
        pb.VertexLog(vertex="sha256:run", msg=b"".join(b"line %d\n" % n for n in range(10))),
    ])))
    running = console.export_text(clear=False) + "".join(str(r) + "\n" for r in view._render().renderables)
    # While it runs: the step, its call in the script, and only its last output lines.
    assert "/bin/sh -c make test  build.lua:3:14" in running
    assert "│ line 9" in running and f"│ line {10 - TTY_LOG_LINES}" in running
    assert f"│ line {9 - TTY_LOG_LINES}" not in running
    view(StatusUpdate(pb.StatusResponse(vertexes=[
        pb.Vertex(digest="sha256:run", name="/bin/sh -c make test", started=_at(11), completed=_at(13.5)),
    ])))
    view.close()
    final = console.export_text()
    last = final[final.rindex("[+] Building"):]
    assert "[+] Building 2/2" in last
    assert "=> CACHED docker-image://busybox  build.lua:1:14" in last
    assert "=> /bin/sh -c make test  build.lua:3:14  2.5s" in last
    assert "line 9" not in last  # a finished step's output is folded away


def test_plain_lines_for_logs():
    out = io.StringIO()
    plain = PlainProgress(out)
    plain(StatusUpdate(pb.StatusResponse(vertexes=[pb.Vertex(digest="d", name="step", started=_at(1))])))
    plain(StatusUpdate(pb.StatusResponse(
        vertexes=[pb.Vertex(digest="d", name="step", started=_at(1), completed=_at(2.25))],
        logs=[pb.VertexLog(vertex="d", msg=b"hello\n")],
    )))
    assert out.getvalue().splitlines() == ["START step", "DONE 1.2s step", "  | hello"]
