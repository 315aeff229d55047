"""Language-server latency and memory, over stdio like an editor. Prints numbers; asserts nothing.

    python bench/lsp.py              # 300- and 1,000-op scripts, 1,000 edits on the larger one
    python bench/lsp.py --quick      # 200 edits per size

For each size, a script written one call per line (bench/shapes.py's `written_out`)
is opened in `luakit-ls --stdio`, then edited one character at a time, each edit a
new version:

* diagnostics: from sending didChange to receiving the publishDiagnostics for that
  version (the 10 ms debounce included). "back to back" sends the next edit as soon
  as the last diagnostics arrive, as a fast typist does; "paused" waits first, a
  random 0.05-1.5 s (seeded), as between words and lines: some edits then come
  while the server runs its detailed evaluation (digests, after 1 s of quiet);
* completion (`bk.` typed on a new line) and hover (on a `:run`), each request on
  a new version;
* RSS of the server and its worker processes (from /proc) after the first edit and
  after the last: the growth over 1,000 edits;
* a cold `luakit validate --no-resolve` of the same file, in a new process (wall
  time; the server makes no registry lookups either, so neither side waits for a network).

Start-up, from starting the server process (best and median of --starts new servers, each in an
empty folder so that only the installed packages are imported): its answer to `initialize`, and
the first diagnostics of a 100-line script opened right after `initialized` (what the user waits
for when opening a file). `--python` runs the server of another environment, e.g. a regular
(non-editable) `pip install .`, whose imports are not slowed by an editable install's finder.
Beside each new luakit-ls, in turn, the same Python starts the smallest pygls server there is
(`LanguageServer(...).start_io()`, no features): what any server built on pygls pays before it
can answer `initialize` (importing pygls and lsprotocol's ~570 attrs classes), luakit or not.

Targets: `initialize` answered <= 300 ms and the first diagnostics of 100 lines <= 600 ms after the
process starts; diagnostics p95 <= 150 ms on 1,000 ops and <= 0.5x the cold validate;
completion and hover p95 <= 20 ms; RSS growth <= 64 MiB over 1,000 edits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from shapes import written_out  # noqa: E402

SERVER = ["-m", "luakit_ls", "--stdio"]  # as `luakit-ls --stdio` runs it
PYGLS_FLOOR = ["-c", "from pygls.lsp.server import LanguageServer; LanguageServer('floor', 'v0').start_io()"]
START_LINES = 100
PAUSED_EDITS = 40
MiB = 1024 * 1024


class Client(LanguageClient):
    """pygls' client, keeping when each version's diagnostics arrived."""

    def __init__(self) -> None:
        super().__init__("luakit-bench", "1")
        self.arrived: dict[tuple[str, int | None], float] = {}
        self.evaluation: dict[tuple[str, int], float] = {}  # seconds the worker spent, from `luakit/evaluated`
        self.arrival = asyncio.Event()

        @self.feature("luakit/evaluated")
        def evaluated(client: Client, params: Any) -> None:
            client.evaluation[(params.uri, params.version)] = params.seconds

        @self.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(client: Client, params: t.PublishDiagnosticsParams) -> None:
            client.arrived.setdefault((params.uri, params.version), time.perf_counter())
            client.arrival.set()

    async def diagnostics(self, uri: str, version: int, timeout: float = 60) -> float:
        """When the diagnostics of `version` arrived (perf_counter)."""
        deadline = time.perf_counter() + timeout
        while (uri, version) not in self.arrived:
            self.arrival.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no diagnostics for version {version}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrival.wait(), remaining)
        return self.arrived[(uri, version)]

    def change(self, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        """An incremental edit: `text` replaces (line, character) `start` to `end`."""
        self.text_document_did_change(
            t.DidChangeTextDocumentParams(
                t.VersionedTextDocumentIdentifier(version=version, uri=uri),
                [t.TextDocumentContentChangePartial(range=t.Range(t.Position(*start), t.Position(*end)), text=text)],
            )
        )


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (the evaluation workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total / MiB


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def cold_validate(path: Path, runs: int = 3) -> float:
    """Best wall time of a new `luakit validate` process, in ms."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "compiler.cli", "validate", "--no-resolve", str(path)], capture_output=True
        )
        best = min(best, time.perf_counter() - start)
        assert proc.returncode == 0, proc.stderr
    return best * 1000


async def measure(client: Client, pid: int, folder: Path, ops: int, edits: int) -> dict[str, object]:
    path = folder / f"ops{ops}" / "build.lua"
    path.parent.mkdir()
    text = written_out(ops)["build.lua"]
    path.write_text(text)
    uri = path.as_uri()
    lines = text.split("\n")
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "lua", 1, text)))
    await client.diagnostics(uri, 1)
    version = 1
    # A one-character edit: a space typed at the end of line 0, then deleted again.
    end = len(lines[0])

    async def edit(index: int) -> float:
        nonlocal version
        version += 1
        sent = time.perf_counter()
        if index % 2 == 0:
            client.change(uri, version, (0, end), (0, end), " ")
        else:
            client.change(uri, version, (0, end), (0, end + 1), "")
        return (await client.diagnostics(uri, version) - sent) * 1000

    for i in range(10):  # warm: the worker's caches, the parser
        await edit(i)
    rss_first = rss_mib(pid)
    first = version + 1
    back_to_back = [await edit(i) for i in range(edits)]
    rss_last = rss_mib(pid)
    # (`luakit/evaluated` follows each publish: the last one may still be on its way.)
    evaluation = [
        client.evaluation[(uri, v)] * 1000 for v in range(first, version + 1) if (uri, v) in client.evaluation
    ]
    paused = []
    pauses = random.Random(ops)
    for i in range(PAUSED_EDITS):
        await asyncio.sleep(pauses.uniform(0.05, 1.5))
        paused.append(await edit(i))

    # Completion and hover, each on a new version: `local z = bk.` typed on a new line after line 2.
    completion, hover = [], []
    run_line = next(i for i, line in enumerate(lines) if ":run(" in line)
    run_column = lines[run_line].index(":run(") + 2
    for i in range(100):
        version += 1
        if i % 2 == 0:
            client.change(uri, version, (2, 0), (2, 0), "local z = bk.\n")
        else:
            client.change(uri, version, (2, 0), (3, 0), "")
        start = time.perf_counter()
        if i % 2 == 0:
            found = await client.text_document_completion_async(
                t.CompletionParams(t.TextDocumentIdentifier(uri), t.Position(2, 13))
            )
            items = found.items if isinstance(found, t.CompletionList) else found
            assert items and any(item.label == "image" for item in items)
            completion.append((time.perf_counter() - start) * 1000)
        else:
            answer = await client.text_document_hover_async(
                t.HoverParams(t.TextDocumentIdentifier(uri), t.Position(run_line, run_column))
            )
            assert answer is not None
            hover.append((time.perf_counter() - start) * 1000)
    await client.diagnostics(uri, version)
    client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri)))
    return {
        "ops": ops,
        "lines": len(lines),
        "edits": edits,
        "back_to_back": percentiles(back_to_back),
        "paused": percentiles(paused),
        "evaluation": percentiles(evaluation),
        "completion": percentiles(completion),
        "hover": percentiles(hover),
        "rss_first": rss_first,
        "rss_last": rss_last,
        "cold_validate": cold_validate(path),
    }


async def start(python: str, server: list[str] = SERVER, open_script: bool = True) -> tuple[float, float]:
    """A new server: (ms from starting its process to its answer to `initialize`, to the first
    diagnostics of a 100-line script opened right after `initialized`; 0 when none is opened)."""
    with tempfile.TemporaryDirectory(prefix="lk-bench-") as folder:
        path = Path(folder) / "build.lua"
        text = written_out(96)["build.lua"]
        assert text.count("\n") == START_LINES + 2, text.count("\n")
        path.write_text(text)
        client = Client()
        started = time.perf_counter()
        await client.start_io(python, *server, cwd=folder)
        await client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities(), process_id=None))
        initialized = time.perf_counter()
        client.initialized(t.InitializedParams())
        diagnosed = started
        if open_script:
            document = t.TextDocumentItem(path.as_uri(), "lua", 1, text)
            client.text_document_did_open(t.DidOpenTextDocumentParams(document))
            diagnosed = await client.diagnostics(path.as_uri(), 1)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return (initialized - started) * 1000, (diagnosed - started) * 1000


async def run(edits: dict[int, int]) -> list[dict[str, object]]:
    """The results per size."""
    client = Client()
    await client.start_io(sys.executable, *SERVER)
    assert client._server is not None
    pid = client._server.pid
    await client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities(), process_id=None))
    client.initialized(t.InitializedParams())
    results = []
    with tempfile.TemporaryDirectory(prefix="lk-bench-") as folder:
        for ops, count in edits.items():
            results.append(await measure(client, pid, Path(folder), ops, count))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return results


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 edits per size instead of 1,000 on 1,000 ops")
    parser.add_argument("--starts", type=int, default=10, help="new servers started for the start-up times")
    parser.add_argument("--start-only", action="store_true", help="measure the start-up only")
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter whose luakit_ls starts (default: this one)"
    )
    args = parser.parse_args()
    starts, floor_ms = [], []
    for _ in range(args.starts):  # in turn, so that the machine's drift falls on both alike
        starts.append(asyncio.run(start(args.python)))
        floor_ms.append(asyncio.run(start(args.python, PYGLS_FLOOR, open_script=False))[0])
    initialize_ms = [s[0] for s in starts]
    first_ms = [s[1] for s in starts]
    print(f"luakit-ls over stdio; Python {sys.version.split()[0]} ({args.python}); times in ms\n")
    print(f"start-up of {args.starts} servers, best / median:")
    print(
        f"  initialize answered {min(initialize_ms):.0f} / {statistics.median(initialize_ms):.0f} after the process started"
    )
    print(
        f"  first diagnostics of a {START_LINES}-line script {min(first_ms):.0f} / {statistics.median(first_ms):.0f}"
        " after the process started"
    )
    print(
        f"  the smallest pygls server answered initialize {min(floor_ms):.0f} / {statistics.median(floor_ms):.0f}"
        " after its process started (in turn with ours)"
    )
    init, first = statistics.median(initialize_ms), statistics.median(first_ms)
    print(f"  target: initialize <= 300 ms (median): {verdict(init <= 300)}")
    print(f"  target: first diagnostics of {START_LINES} lines <= 600 ms (median): {verdict(first <= 600)}\n")
    if args.start_only:
        return
    edits = {300: 200, 1000: 200 if args.quick else 1000}
    results = asyncio.run(run(edits))
    print("(p50 / p95)")
    header = f"{'ops':>5} {'lines':>6} {'edits':>6}  {'diagnostics':>15}  {'diag. (paused)':>15}  {'completion':>13}"
    print(f"{header}  {'hover':>13}  {'cold validate':>13}  RSS first -> last (MiB)  {'(evaluation)':>15}")
    for r in results:
        b, p, c, h, e = r["back_to_back"], r["paused"], r["completion"], r["hover"], r["evaluation"]
        print(
            f"{r['ops']:>5} {r['lines']:>6} {r['edits']:>6}  {b[0]:6.1f} / {b[1]:6.1f}  {p[0]:6.1f} / {p[1]:6.1f}  "  # type: ignore[index]
            f"{c[0]:5.1f} / {c[1]:5.1f}  {h[0]:5.1f} / {h[1]:5.1f}  {r['cold_validate']:13.0f}  "  # type: ignore[index]
            f"{r['rss_first']:9.0f} -> {r['rss_last']:.0f}          {e[0]:6.1f} / {e[1]:6.1f}"  # type: ignore[index]
        )
    print("(evaluation: the worker's own time for each back-to-back edit, from `luakit/evaluated`)")
    big = results[-1]
    p95 = max(big["back_to_back"][1], big["paused"][1])  # type: ignore[index]
    growth = big["rss_last"] - big["rss_first"]  # type: ignore[operator]
    print("\ntargets:")
    print(f"  diagnostics p95 on {big['ops']} ops <= 150 ms: {p95:.0f} ms: {verdict(p95 <= 150)}")
    print(
        f"  diagnostics p95 <= 0.5x a cold `luakit validate` ({big['cold_validate']:.0f} ms): "
        f"{p95 / big['cold_validate']:.2f}x: {verdict(p95 <= 0.5 * big['cold_validate'])}"  # type: ignore[operator]
    )
    worst_completion = max(r["completion"][1] for r in results)  # type: ignore[index]
    worst_hover = max(r["hover"][1] for r in results)  # type: ignore[index]
    print(f"  completion p95 <= 20 ms: {worst_completion:.1f} ms: {verdict(worst_completion <= 20)}")
    print(f"  hover p95 <= 20 ms: {worst_hover:.1f} ms: {verdict(worst_hover <= 20)}")
    print(f"  RSS growth over {big['edits']} edits <= 64 MiB: {growth:+.1f} MiB: {verdict(growth <= 64)}")


if __name__ == "__main__":
    main()
