"""Evaluation in a child process: results come back flat; a stuck child is killed."""

import subprocess
import sys
import time

from compiler import EvalOptions, ScriptSource
from compiler.isolated import evaluate_isolated
from tests.helpers import decode


def test_report_carries_problems_definition_and_call_ops():
    script = ScriptSource(
        'local b = bk.image("alpine")\nlocal r = b:run("x")\nprint("hi")\nbk.export(r, { user = "app" })'
    )
    result = evaluate_isolated(script, EvalOptions())
    assert result.ok and result.problems == []
    assert [text for _, text in result.logs] == ["hi"]
    assert result.export_config is not None and result.export_config["config"]["User"] == "app"
    d = decode(result.definition)
    assert [(c.function, c.kind, c.digest, c.location.line) for c in result.calls] == [
        ("bk.image", "source", d.digests[0], 1),
        ("state:run", "exec", d.digests[1], 2),
        ("bk.export", None, None, 4),
    ]


def test_problems_come_back_with_locations():
    result = evaluate_isolated(ScriptSource('bk.image("alpine"):run("x", { cwdd = "/" })'))
    assert [str(p) for p in result.problems] == [
        "build.lua:1:31: state:run: unknown option 'cwdd' (did you mean 'cwd'?)"
    ]
    assert result.definition is None


def test_a_child_stuck_in_c_code_is_killed():
    script = ScriptSource('local s = string.rep("a", 5000) .. "c"\ns:find(".-.-.-.-.-.-b")\nbk.export(bk.scratch())')
    start = time.monotonic()
    result = evaluate_isolated(script, EvalOptions(timeout=1))
    assert time.monotonic() - start < 1 + 2 + 3
    assert [str(p) for p in result.problems] == ["build.lua: script evaluation timed out after 1s"]


def test_a_worker_serves_many_requests_and_keeps_its_caches():
    from compiler.isolated import DOT, Request, Worker

    worker = Worker(512 * 1024 * 1024)
    try:
        script = ScriptSource('local b = bk.image("alpine")\nbk.export(b:run("echo hi"))\n')
        first = worker.ask(Request(script, EvalOptions()))
        second = worker.ask(Request(script, EvalOptions(), frozenset({DOT})))
        assert first.ok and second.ok and first.definition is not None
        assert second.definition is None and second.dot is not None and "echo hi" in second.dot
        assert second.calls == []  # the calls' ops (and their digests) only when asked for
        assert [c.digest is not None for c in first.calls] == [True, True, False]  # bk.export returns no State
        assert first.ops == second.ops == 2
    finally:
        worker.kill()


def test_killing_a_busy_worker_ends_the_request():
    import threading

    import pytest

    from compiler.isolated import Request, Worker, WorkerGone

    worker = Worker(512 * 1024 * 1024)
    threading.Timer(0.5, worker.interrupt).start()
    start = time.monotonic()
    with pytest.raises(WorkerGone):
        worker.ask(Request(ScriptSource("while true do end"), EvalOptions(timeout=20)))
    assert time.monotonic() - start < 10
    assert not worker.alive


def test_memory_outside_lua_is_bounded_in_a_worker():
    # File data lives in Python, outside Lua's allocator: it is charged against the same
    # limit, and the worker (whose address space is capped too) survives to answer again.
    from compiler.isolated import Request, Worker

    worker = Worker(64 * 1024 * 1024)
    try:
        big = 'local data = string.rep("x", 8 * 1024 * 1024)\nlocal s = bk.scratch()\n'
        bomb = ScriptSource(big + 'for i = 1, 200 do s = s:mkfile("/f" .. i, data .. i) end\nbk.export(s)\n')
        report = worker.ask(Request(bomb, EvalOptions(memory_limit=64 * 1024 * 1024), frozenset()))
        assert not report.ok and any("memory limit" in p.message for p in report.problems), report.problems
        assert worker.ask(Request(ScriptSource("bk.export(bk.scratch())"), EvalOptions())).ok
    finally:
        worker.kill()


def test_a_killed_child_reports_the_last_line_its_hook_saw():
    # The loop on line 2 is seen by the count hook; the find on line 4 never returns to it.
    script = ScriptSource(
        'local n = 0\nfor i = 1, 3e6 do n = n + i end\nlocal s = string.rep("a", 5000) .. "c"\n'
        's:find(".-.-.-.-.-.-b")\nbk.export(bk.scratch())'
    )
    result = evaluate_isolated(script, EvalOptions(timeout=1))
    (problem,) = result.problems
    assert str(problem) == "build.lua:2:1: script evaluation timed out after 1s"
    assert problem.kind.code == "LK004"


def test_an_exception_while_reporting_becomes_a_problem_and_the_worker_stays_warm(monkeypatch):
    from compiler.errors import ProblemKind
    from compiler.isolated import FAULT_HOOK, Request, Worker

    monkeypatch.setenv(FAULT_HOOK, "broken.lua")  # the documented test hook: reporting on broken.lua raises
    worker = Worker(512 * 1024 * 1024)
    try:
        pid = worker.pid
        failed = worker.ask(Request(ScriptSource("bk.export(bk.scratch())", name="broken.lua"), EvalOptions()))
        assert [(p.kind, p.location) for p in failed.problems] == [(ProblemKind.LIMIT, None)]
        assert failed.problems[0].kind.code == "LK004"
        assert failed.problems[0].message.startswith("broken.lua: internal error in luakit (RuntimeError: ")
        assert worker.ask(Request(ScriptSource("bk.export(bk.scratch())"), EvalOptions())).ok
        assert worker.alive and worker.pid == pid  # the same process, warm: no new start-up
    finally:
        worker.kill()


def test_a_worker_started_on_a_short_lived_thread_outlives_that_thread():
    # The parent-death signal fires when the thread that started the child ends: workers are
    # started on a thread of their own, so a worker made on any thread lives as long as its host.
    import threading

    from compiler.isolated import Request, Worker

    made: list[Worker] = []
    request = Request(ScriptSource("bk.export(bk.scratch())"), EvalOptions())

    def make() -> None:
        made.append(Worker(512 * 1024 * 1024))
        assert made[0].ask(request).ok  # answered: the worker has asked for its parent-death signal

    thread = threading.Thread(target=make)
    thread.start()
    thread.join()
    (worker,) = made
    try:
        assert worker.ask(request).ok
        assert worker.alive
    finally:
        worker.kill()


def test_a_workers_imports_leave_out_what_only_its_parent_uses(tmp_path):
    # Every worker imports this module at its start, which the editor's first diagnostics wait
    # for; the thread that starts processes (concurrent.futures, logging) is its parent's only.
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, compiler.isolated; print(sorted({'concurrent.futures', 'logging'} & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert found == "[]", found
