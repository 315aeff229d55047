"""Evaluation in a separate process, for hosts that must survive any script.

The in-process limits (a count hook and Lua's allocator cap) end almost every
runaway script. A script stuck inside one C call (a pathological string.find,
say) is beyond any hook, so a long-lived host such as the language server runs
evaluations in a `Worker`: a child process that evaluates one request at a time
and is killed when it outlives its limit (or when its work became obsolete).
A worker stays warm between requests, so the caches keyed by file content
(call sites, compiled modules) serve every evaluation after the first.

Only flat, picklable data comes back: problems, logs, the op count, and when
asked for, the Definition bytes, views of it, and for each API call the op it
produced (with its digest). An editor's first report of an edit asks for none
of these: it carries just what the diagnostics need, so it crosses the pipe in
a few kilobytes.

A worker cannot outlive its host: it asks the kernel for SIGKILL when the host dies
(Linux's parent-death signal), which ends it even inside one C call. The kernel sends
that signal when the *thread* that started the child ends, so every worker process is
started on one long-lived thread of this module (`on_process_thread`), which the
language server's scheduler also uses for all its spawning and killing (the server
starts its first worker on its event loop's thread, which lives as long: see
`LuakitServer.start_first_worker`; compiler/worker_start.py starts the processes). An exception
while building or sending a report (a bug in luakit) comes back as an LK004 problem
and the worker stays warm. Test hook: with `LUAKIT_TEST_WORKER_FAULT=<script name>`
in a worker's environment, building a report for that script raises.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import multiprocessing.connection
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.reduction import ForkingPickler
from typing import TYPE_CHECKING, Any, TypeVar

from compiler import records
from compiler.errors import Location, Problem, ProblemKind
from compiler.evaluate import (
    CallRecord,
    EvalOptions,
    Evaluation,
    ScriptSource,
    evaluate,
    seen_location,
    timeout_message,
)
from compiler.graph import nodes as g
from compiler.image.config import exported_image_config
from compiler.worker_start import Started, seen_views, start_process

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

# Address space allowed to the evaluator beyond its memory limit (interpreter,
# libraries, the marshalled Definition).
ADDRESS_SPACE_HEADROOM = 1024 * 1024 * 1024

# Time given past the script's own timeout before the child is killed.
KILL_GRACE = 2.0

# Time a new worker may take to start (a Python start-up and the compiler's imports).
START_LIMIT = 60.0
READY = "ready"

# What a request may ask for besides problems, logs and the op count. CALLS is
# each API call's op, with its digest (which needs the graph encoded).
DEFINITION, CALLS, DOT, JSON = "definition", "calls", "dot", "json"

FAULT_HOOK = "LUAKIT_TEST_WORKER_FAULT"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

T = TypeVar("T")


@dataclass(frozen=True)
class CallOp:
    """What one API call produced: the op behind the returned State, if any."""

    function: str
    location: Location | None
    kind: str | None  # "source", "exec", ... or None (scratch, mounts, platforms)
    digest: str | None
    platform: str | None


@dataclass
class Report:
    problems: list[Problem]
    logs: list[tuple[Location | None, str]]
    definition: bytes | None
    export_config: dict | None  # the exported image's config, with the Definition or the JSON view
    calls: list[CallOp] = field(default_factory=list)
    dot: str | None = None
    json: str | None = None
    seconds: float = 0.0  # evaluation time in the evaluator
    ops: int = 0  # ops built (API calls that returned a State with an op)
    modules: tuple[str, ...] = ()  # the module files the evaluation read (Evaluation.modules)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class Request:
    script: ScriptSource
    options: EvalOptions
    want: frozenset[str] = frozenset({DEFINITION, CALLS})


def _node(call: CallRecord) -> g.Node | None:
    """The op behind the State a call returned (None for scratch, mounts, platforms...)."""
    return call.value.ref.node if isinstance(call.value, g.State) and call.value.ref else None


def call_ops(evaluation: Evaluation) -> list[CallOp]:
    """The op each call produced, with its digest."""
    calls = []
    for call in evaluation.calls:
        node = _node(call)
        calls.append(
            CallOp(
                call.function,
                call.location,
                node.kind if node is not None else None,
                evaluation.node_digest(node) if node is not None else None,
                str(node.platform) if node is not None and node.platform else None,
            )
        )
    return calls


def report(script: ScriptSource, options: EvalOptions, want: frozenset[str] = Request.want) -> Report:
    """Evaluate in this process and flatten the result."""
    start = time.perf_counter()
    evaluation = evaluate(script, options)
    seconds = time.perf_counter() - start
    built = evaluation.ok and evaluation.export is not None
    # The image config goes with the Definition and its views (what `luakit dag --format
    # json` shows); an editor's per-edit report asks for neither.
    config = exported_image_config(evaluation) if built and want & {DEFINITION, JSON} else None
    definition = evaluation.definition_bytes() if built and DEFINITION in want else None
    dot = json = None
    if built and (DOT in want or JSON in want):
        from compiler.render.dot import render_dot
        from compiler.render.json_view import render_json

        dot = render_dot(evaluation.marshalled, None) if DOT in want else None
        json = render_json(evaluation.marshalled, config, None) if JSON in want else None
    calls = call_ops(evaluation) if CALLS in want else []
    ops = sum(1 for call in evaluation.calls if _node(call) is not None)
    return Report(
        list(evaluation.problems),
        list(evaluation.logs),
        definition,
        config,
        calls,
        dot,
        json,
        seconds,
        ops,
        evaluation.modules,
    )


class _SharedProgress:
    """`EvalOptions.on_progress` in the worker: the line last seen, where the parent can read it after a kill."""

    def __init__(self, chunk: Any, line: Any) -> None:
        self.chunk, self.line = chunk, line

    def __call__(self, chunkname: bytes, line: int) -> None:
        self.chunk.value = chunkname[: len(self.chunk) - 1]
        self.line.value = line


def internal_error(script: ScriptSource, exc: BaseException) -> Report:
    """The report of an evaluation whose report could not be built: a bug in luakit, said so."""
    message = f"{script.name}: internal error in luakit ({type(exc).__name__}: {exc}); please report it"
    return Report([Problem(message, None, ProblemKind.LIMIT)], [], None, None)


def _answer(request: Request, fault: str | None) -> bytes:
    """The pickled report for `request` (pickled here, so that a report that cannot be pickled is
    an error of this request, not of the pipe)."""
    try:
        if fault is not None and fault == request.script.name:
            raise RuntimeError(f"{FAULT_HOOK} is set for {fault}")
        return bytes(ForkingPickler.dumps(report(request.script, request.options, request.want)))
    except Exception as exc:  # any bug: the editor shows it, and the worker stays warm
        return bytes(ForkingPickler.dumps(internal_error(request.script, exc)))


def _die_with(parent: int) -> None:
    """Be killed when the process that started this one dies (Linux), even inside a C call."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)


def serve(
    conn: multiprocessing.connection.Connection, memory_limit: int, parent: int, chunk: Any = None, line: Any = None
) -> None:
    _die_with(parent)
    fault = os.environ.get(FAULT_HOOK)
    # A backstop for memory the Lua allocator does not see (Python-side graph
    # data is also charged against the limit, so this is rarely reached).
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit + ADDRESS_SPACE_HEADROOM,) * 2)
    # Collect garbage between requests, never during one: an evaluation's graph
    # is acyclic, and a collection in the middle only adds latency.
    gc.disable()
    # The compiler's own objects (modules, the API tables, compiled patterns) live as
    # long as the process: moved out of the collector's sight, the collection after
    # each request only walks what that request left (~4 ms instead of ~15 ms after a
    # 1,000-op evaluation), so an edit that follows at once rarely waits for it.
    gc.collect()
    gc.freeze()
    try:
        conn.send(READY)  # imports done: from now on only the script's own time counts
        while True:
            try:
                request: Request = conn.recv()
            except EOFError:
                return
            if chunk is not None:
                chunk.value, line.value = b"", 0
                options = records.replace(request.options, on_progress=_SharedProgress(chunk, line))
                request = dataclasses.replace(request, options=options)
            conn.send_bytes(_answer(request, fault))
            gc.collect()
    finally:
        conn.close()


class EvaluationTimedOut(TimeoutError):
    """The worker outlived the script's time limit and was killed; `problem` says where it was."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _mark_process_thread() -> None:
    _process_thread_mark.is_it = True


_process_thread_mark = threading.local()
_process_thread: ThreadPoolExecutor | None = None
_process_thread_made = threading.Lock()


def on_process_thread(function: Callable[..., T], *args: Any) -> Future[T]:
    """Run `function(*args)` on the thread that starts worker processes."""
    global _process_thread
    # Made on first use, not at import: a worker imports this module too and never starts
    # processes, and concurrent.futures (with logging and traceback) was ~6-13 ms of CPU
    # of each worker's start. Made once, under a lock: there must be one such thread.
    with _process_thread_made:
        if _process_thread is None:
            from concurrent.futures import ThreadPoolExecutor

            # Lives as long as the process (an executor's thread never ends before shutdown), so
            # the parent-death signal of the workers it starts only fires when this process dies.
            _process_thread = ThreadPoolExecutor(
                1, thread_name_prefix="luakit-processes", initializer=_mark_process_thread
            )
    return _process_thread.submit(function, *args)


def _on_process_thread(function: Callable[[], T]) -> T:
    if getattr(_process_thread_mark, "is_it", False):
        return function()
    return on_process_thread(function).result()


class WorkerGone(Exception):
    """The worker was killed (obsolete work, time limit) or died."""


class Worker:
    """A long-lived evaluator process; one request at a time.

    `ask` blocks; another thread may `kill` the worker, and `ask` then raises
    WorkerGone. Start one ahead of need: spawning costs a Python start-up.
    """

    def __init__(self, memory_limit: int, started: Started | None = None) -> None:
        """A new worker, or one whose process was `started` already (see compiler.worker_start)."""
        if started is None:
            started = _on_process_thread(lambda: start_process(memory_limit))
        assert started.memory_limit == memory_limit, "the address-space cap is set when the process starts"
        self.memory_limit = memory_limit
        self._process = started.process
        self._conn = multiprocessing.connection.Connection(started.sock.detach())
        # When the child has to be killed (stuck inside one C call, beyond any hook), it
        # can no longer say where it was, so that is read from here (`_stuck_problem`).
        self._seen_chunk, self._seen_line = seen_views(started.seen)
        self._ready = False
        self._closed = threading.Lock()
        # Every look at the process reaps it (waitpid); two threads doing so at once
        # race: one collects the exit status, the other sees ECHILD and reports the
        # child as still alive. One lock serialises them.
        self._reaping = threading.Lock()

    @property
    def alive(self) -> bool:
        with self._reaping:
            return self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def ready(self) -> bool:
        """Whether it has finished starting (it has answered once)."""
        return self._ready

    def ask(self, request: Request) -> Report:
        """Evaluate; raises WorkerGone when killed, or TimeoutError past the script's limit.

        The limit starts when the worker has started: a cold worker's imports never
        count against the script.
        """
        try:
            if not self._ready:
                if not self._conn.poll(START_LIMIT) or self._conn.recv() != READY:
                    raise EOFError("the evaluator did not start")
                self._ready = True
            self._conn.send(request)
            answered = self._conn.poll(request.options.timeout + KILL_GRACE)
            report = self._conn.recv() if answered else None
        except (EOFError, OSError) as exc:
            self.kill()
            raise WorkerGone(f"the evaluator exited with {self._process.returncode}") from exc
        if report is None:
            self.kill()
            raise EvaluationTimedOut(self._stuck_problem(request))
        return report

    def _stuck_problem(self, request: Request) -> Problem:
        """The time-out of a killed child, at the last line its count hook saw (see `Progress`)."""
        name, timeout = request.script.name, request.options.timeout
        where = seen_location(name, bytes(self._seen_chunk.value), int(self._seen_line.value))
        if where is None:
            return Problem(timeout_message(name, timeout), None, ProblemKind.LIMIT)
        return Problem(f"script evaluation timed out after {timeout:g}s", where, ProblemKind.LIMIT)

    def interrupt(self) -> None:
        """End the current evaluation from any thread: the thread in `ask` raises WorkerGone.

        Only the process is killed; the pipe is left to the thread in `ask` (closing
        it from here could race with that thread and close a descriptor reused since).
        """
        with self._reaping:
            if self._process.poll() is None:
                self._process.kill()

    def kill(self) -> None:
        """Stop the process and release the pipe; from the thread that uses the worker."""
        with self._reaping:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
        if self._closed.acquire(blocking=False):
            self._conn.close()


def evaluate_isolated(script: ScriptSource, options: EvalOptions | None = None) -> Report:
    """Like `report`, in a new child process that is killed if it outlives the timeout."""
    options = options or EvalOptions()
    if options.on_print is not None or options.on_progress is not None:
        raise ValueError("callbacks cannot cross the process boundary; read Report.logs")
    worker = Worker(options.memory_limit)
    try:
        return worker.ask(Request(script, options))
    except EvaluationTimedOut as exc:
        problem = exc.problem
    except WorkerGone as exc:
        problem = Problem(f"{script.name}: evaluation failed ({exc})", None, ProblemKind.LIMIT)
    finally:
        worker.kill()
    return Report([problem], [], None, None)
