"""Progress displays for `luakit buildx --progress` (docs/cli.md): plain, rawjson and tty.

Each display is a callable taking the client's `StatusUpdate`s (from the status
thread) and `close()`d when the build ends. `tty` is a live table drawn with
rich: a line per step with its state, timer, name and the Lua `file:line` that
made it, and the last output lines of the steps still running; when the build
ends the final table stays on the screen.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TextIO

from luakit_buildkit.client import StatusUpdate

if TYPE_CHECKING:  # rich loads only for the tty view: plain progress (CI) does not pay its import
    from rich.console import Console, Group
    from rich.text import Text

# How many output lines of each running step the tty display shows.
TTY_LOG_LINES = 4


class Display(Protocol):
    """What `--progress` chose: fed every status update, closed when the build ends."""

    def __call__(self, update: StatusUpdate) -> None: ...

    def close(self) -> None: ...


class PlainProgress:
    """One line per event on stderr (the CI log form): START, DONE/ERROR with the time, CACHED, output."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.started: set[str] = set()
        self.finished: set[str] = set()

    def __call__(self, update: StatusUpdate) -> None:
        response = update.response
        for vertex in response.vertexes:
            if vertex.digest in self.finished:
                continue
            if vertex.cached:
                self.finished.add(vertex.digest)
                self._print(f"CACHED {vertex.name}")
            elif vertex.HasField("completed"):
                self.finished.add(vertex.digest)
                seconds = vertex.completed.ToNanoseconds() - vertex.started.ToNanoseconds()
                self._print(f"{'ERROR' if vertex.error else 'DONE'} {seconds / 1e9:.1f}s {vertex.name}")
            elif vertex.HasField("started") and vertex.digest not in self.started:
                self.started.add(vertex.digest)
                self._print(f"START {vertex.name}")
        for log in response.logs:
            for line in log.msg.decode("utf-8", "replace").splitlines():
                self._print(f"  | {line}")

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RawJSONProgress:
    """Every status message as one JSON line on stderr."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def __call__(self, update: StatusUpdate) -> None:
        from google.protobuf.json_format import MessageToJson

        print(MessageToJson(update.response, indent=None), file=self.stream, flush=True)

    def close(self) -> None:
        pass


@dataclass(slots=True)
class _Step:
    name: str
    started: float | None = None  # seconds, the daemon's clock
    completed: float | None = None
    cached: bool = False
    error: str = ""
    lines: list[str] = field(default_factory=list)


class TTYProgress:
    """A live view of the build on a terminal, redrawn as status arrives (rich.live)."""

    def __init__(self, locations: Mapping[str, str], console: Console | None = None) -> None:
        from rich.console import Console
        from rich.live import Live

        self.locations = dict(locations)
        self.console = console or Console(stderr=True)
        self._steps: dict[str, _Step] = {}  # in the order the daemon first named them
        self._lock = threading.Lock()
        self._live = Live(console=self.console, auto_refresh=True, refresh_per_second=8, get_renderable=self._render)
        self._live.start()
        # Ctrl-C ends the process at once (compiler/cli.py's signal thread), with no chance
        # to show a hidden cursor again: keep it shown.
        self.console.show_cursor(True)

    def __call__(self, update: StatusUpdate) -> None:
        with self._lock:
            for vertex in update.response.vertexes:
                step = self._steps.setdefault(vertex.digest, _Step(vertex.name))
                step.name = vertex.name
                step.cached = step.cached or vertex.cached
                step.error = vertex.error or step.error
                if vertex.HasField("started"):
                    step.started = vertex.started.ToNanoseconds() / 1e9
                if vertex.HasField("completed"):
                    step.completed = vertex.completed.ToNanoseconds() / 1e9
            for log in update.response.logs:
                step = self._steps.setdefault(log.vertex, _Step(log.vertex))
                step.lines.extend(log.msg.decode("utf-8", "replace").splitlines())
                del step.lines[:-TTY_LOG_LINES]

    def _render(self) -> Group:
        from rich.console import Group
        from rich.text import Text

        with self._lock:
            now = time.time()
            rows = []
            done = sum(1 for s in self._steps.values() if s.cached or s.completed is not None)
            rows.append(Text(f"[+] Building {done}/{len(self._steps)}", style="bold"))
            for digest, step in self._steps.items():
                rows.append(self._line(digest, step, now))
                if step.started is not None and step.completed is None and not step.cached:
                    rows.extend(Text(f"    │ {line}", style="dim") for line in step.lines)
            return Group(*rows)

    def _line(self, digest: str, step: _Step, now: float) -> Text:
        from rich.text import Text

        line = Text(" => ")
        if step.cached:
            line.append("CACHED ", style="cyan")
        elif step.error:
            line.append("ERROR ", style="bold red")
        line.append(step.name)
        if where := self.locations.get(digest):
            line.append(f"  {where}", style="blue")
        if step.started is not None and not step.cached:
            end = step.completed if step.completed is not None else now
            line.append(f"  {max(0.0, end - step.started):.1f}s", style="green" if step.completed else "yellow")
        return line

    def close(self) -> None:
        self._live.refresh()
        self._live.stop()
