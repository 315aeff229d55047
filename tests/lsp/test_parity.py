"""Parity: for every script problem of tests/test_cli.py and tests/test_errors.py, the editor shows
the message the CLI prints, at the line and column it prints.

Each script is checked by `luakit validate` (a subprocess) and by the server
(opened as a document); both sides become `file:line:col: message` lines:

* the CLI's are its stderr lines;
* the editor's are its diagnostics in every file, at their start position,
  with `warning: ` before the message of a warning, like the CLI. Problems
  that have no place in the file (the time and memory limits, no export) are
  shown on the first line in the editor and printed as `file: message` by the
  CLI, so codes LK004 and LK005 are written that way.

What only the editor shows is left out: the copy, at the `require` line, of
a problem inside a module (`in lib/x.lua: ...`).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import pytest_lsp
from lsprotocol import types as t

from tests.lsp.session import CONFIG, Client, initialize_params
from tests.test_errors import WRONG_VALUES

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The same limits on both sides, small enough for the runaway scripts to end soon.
TIMEOUT, MEMORY_MIB = 1, 64

CASES: list[tuple[str, str]] = [
    # tests/test_cli.py
    ("unknown option", 'local s = bk.image("alpine")\ns:run("x", { cwdd = "/" })\n'),
    ("syntax error", "x = = 1"),
    ("no export", "local x = 1"),
    (
        "octal-looking mode",
        'local s = bk.image("alpine")\nbk.export(s:copy(bk.local_("context"), "run.sh", "/run.sh", { mode = 0755 }))\n',
    ),
    ("runaway loop", "while true do end"),
    ("stuck in one C call", 'local s = string.rep("a", 5000) .. "c"\ns:find(".-.-.-.-.-.-b")'),
    # 8 MB at a time: over the 64 MiB limit in a few steps, well inside TIMEOUT on a busy machine.
    ("memory bomb", "local t = {} while true do t[#t+1] = string.rep('x', 8e6) .. #t end"),
    # tests/test_errors.py
    ("syntax error at the token", "local x = = 1"),
    ("unclosed table", "local a = {\nb = 1\n"),
    ("index a nil local", "local x = nil\n  x.y = 1"),
    ("error()", 'error("boom")'),
    ("error() at level 0", 'error("no position", 0)'),
    ("error() with a table", "error({})"),
    ("api error at the call", '\n\nlocal s = bk.image("alpine")\nlocal r = s:run("x", { cwdd = "/" })'),
    ("first-line comment", "# syntax=luakit\n\nlocal x = = 1"),
    ("unused step", 'local base = bk.image("alpine")\nlocal unused = base:run("make")\nbk.export(base)\n'),
    *((f"wrong value: {script}", script) for script in WRONG_VALUES),
]
MODULE_CASE = ("error in a module", 'local bad = require("lib.bad")\nbad.f()\n')
MODULE = "local M = {}\nfunction M.f() local s = bk.image('') return s end\nreturn M\n"

@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: Client):
    await lsp_client.initialize_session(initialize_params(options={"timeout": TIMEOUT, "memoryLimit": MEMORY_MIB}))
    yield
    await lsp_client.shutdown_session()


def cli_lines(script: Path) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "validate", "--timeout", str(TIMEOUT), "--memory-limit", str(MEMORY_MIB)]
        + [str(script)],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stderr.decode().splitlines()


def editor_lines(diagnostics_by_uri: dict[str, list[t.Diagnostic]]) -> list[str]:
    lines = []
    for uri, diagnostics in diagnostics_by_uri.items():
        path = unquote(urlparse(uri).path)
        for d in diagnostics:
            if d.message.startswith("in ") and d.related_information:
                continue  # the editor-only copy of a module's problem at the require
            warning = "warning: " if d.severity == t.DiagnosticSeverity.Warning else ""
            lines.append(f"{path}:{d.range.start.line + 1}:{d.range.start.character + 1}: {warning}{d.message}")
    return lines


def as_cli_prints(editor: list[str], cli: list[str]) -> list[str]:
    """LSP has no diagnostic without a range: a problem of the whole file (no export, a time-out
    inside one C call) is shown over the first line, so `path:1:1: message` stands for `path: message`."""
    unlocated = {line.replace(": ", ":1:1: ", 1): line for line in cli}
    return [line if line in cli else unlocated.get(line, line) for line in editor]


async def test_the_editor_shows_what_the_cli_prints(client: Client, folder):
    scripts = []
    for number, (name, text) in enumerate([*CASES, MODULE_CASE]):
        case = folder / f"case{number}"
        case.mkdir()
        (case / "build.lua").write_text(text)
        scripts.append((name, case / "build.lua", text))
    (folder / f"case{len(CASES)}" / "lib").mkdir()
    (folder / f"case{len(CASES)}" / "lib" / "bad.lua").write_text(MODULE)

    # The server is warmed up first: its first evaluation also waits for the worker process to start.
    warm = (folder / "warm.build.lua").as_uri()
    client.open(warm, "bk.export(bk.scratch())")
    await client.diagnostics_of(warm, 1, timeout=30)

    with ThreadPoolExecutor(2) as pool:
        printed = pool.map(cli_lines, [path for _, path, _ in scripts])  # runs while the server evaluates
        shown = []
        for _, path, text in scripts:
            uri = path.as_uri()
            published = len(client.publishes)
            client.open(uri, text)
            await client.diagnostics_of(uri, 1, timeout=30)
            await asyncio.sleep(0.05)  # a module's diagnostics follow the script's
            found = {p.uri: list(p.diagnostics) for _, p in client.publishes[published:]}
            shown.append(editor_lines(found))
            client.close(uri)
        printed_lines = list(printed)

    mismatches = [
        f"{name}:\n  cli:    {sorted(cli)}\n  editor: {sorted(editor)}"
        for (name, _, _), cli, editor in zip(scripts, printed_lines, shown, strict=True)
        if sorted(cli) != sorted(as_cli_prints(editor, cli))
    ]
    assert not mismatches, "\n".join(mismatches)
    assert all(printed_lines), "every case is a problem the CLI reports"
