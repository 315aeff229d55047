"""When evaluations run, and where: off the event loop, in a warm worker process.

Edits arrive faster than evaluations finish. The rules (after ruff's server and
esbonio's agent process):

* each document waits a short debounce after its last edit, so a burst of
  keystrokes costs one evaluation;
* evaluations run in a long-lived `compiler.isolated.Worker`, never on the
  event loop; a spare worker is kept started (once the first has answered),
  so replacing one costs nothing;
* a newer edit makes older work obsolete: if the worker is busy with an older
  version of the same document for longer than `KILL_AFTER`, it is killed and
  the spare takes over, so nothing queues long behind obsolete work. A short
  evaluation is left to finish and its result dropped, and a worker that has
  not answered yet is never killed for this: it may still be importing the
  compiler, and killing it would cost another Python start-up, so that a
  stream of keystrokes could keep every worker from ever getting warm;
* the detailed evaluation (digests, for hovers and inlay hints) runs after a
  pause in a third worker of its own, so that no keystroke waits for it;
* results carry the version they were computed for, and a result older than
  one already published is dropped; so is the result of any job that is no
  longer the document's latest (a newer edit, a settings change, a close);
* a script that outlives its limit (even inside one C call) is killed and
  reported as timed out.

Worker processes are started, killed and replaced on one thread only:
`compiler.isolated`'s process thread (`on_process_thread`), which lives as long as
the server, so the workers' parent-death signal fires only when the server dies.
The event loop hands it that work and awaits it; the evaluation threads only wait
for answers (a worker killed meanwhile makes `ask` raise WorkerGone). One exception:
the server's first worker process, started on the event loop's thread (as long-lived)
before the scheduler exists, and handed to it (`first_worker`).

The scheduler knows nothing of LSP: it takes text and settings and hands a
`Outcome` to a callback. Completion, hover and symbols never wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from compiler.errors import Problem, ProblemKind
from compiler.evaluate import EvalOptions, MiB, ScriptSource
from compiler.graph import platform as platforms
from compiler.image import image_resolver
from compiler.isolated import (
    CALLS,
    DEFINITION,
    DOT,
    JSON,
    EvaluationTimedOut,
    Report,
    Request,
    Worker,
    WorkerGone,
    on_process_thread,
)
from compiler.worker_start import Started
from luakit_ls.settings import Settings

# Seconds of quiet after an edit before evaluating: short, since obsolete work is
# dropped (or killed) anyway; it only spares the worker the middle of a burst.
DEBOUNCE = 0.01
KILL_AFTER = 0.25  # seconds an obsolete evaluation may go on before its worker is killed
# Seconds of quiet after diagnostics before the detailed evaluation (digests for
# hovers and inlay hints): typing keeps it from taking a core from diagnostics.
DETAILS_AFTER = 0.5


class Clock(Protocol):
    """The scheduler's time: the event loop's, or a test's fake one that it advances by hand."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> None: ...


class LoopClock:
    """Real time, on the running event loop."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        asyncio.get_running_loop().call_later(delay, callback, *args)


@dataclass(frozen=True)
class Job:
    uri: str
    version: int
    script: ScriptSource
    settings: Settings
    # The editor's text of the other open Lua files, by path: `require` reads them before the disk.
    module_overlays: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Running:
    job: Job
    worker: Worker
    droppable: bool  # commands' evaluations are never dropped
    started: float  # Clock.monotonic()


@dataclass(frozen=True)
class Outcome:
    job: Job
    report: Report


def eval_options(settings: Settings, module_overlays: Mapping[str, str] | None = None) -> EvalOptions:
    target = None
    if settings.platform:
        with contextlib.suppress(ValueError):
            target = platforms.parse(settings.platform)
    # Base images' configs (for runs' PATH, workdir and user) come from the disk cache
    # the CLI fills: no network on any keystroke path.
    return EvalOptions(
        build_args=dict(settings.build_args),
        target_platform=target,
        timeout=settings.timeout,
        memory_limit=settings.memory_limit,
        image_resolver=image_resolver(network=False),
        module_overlays=dict(module_overlays or {}),
        # The worker evaluates each document again on every edit: unchanged calls reuse their results.
        reuse_results=True,
    )


class Workers:
    """The busy worker and a spare, swapped when one must die. Used on the process thread only."""

    def __init__(self, memory_limit: int, first: Started | None = None) -> None:
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        self._current: Worker | None = None
        if first is not None:
            # A process started before the scheduler was made (`LuakitServer.start_first_worker`):
            # the first worker, unless the settings asked for another memory limit since.
            early = Worker(first.memory_limit, first)
            if first.memory_limit == memory_limit:
                self._current = early
            else:
                on_process_thread(early.kill)
        self._spare: Worker | None = None
        self.keep_spare = False  # set once the first worker has answered (`Scheduler._start_spares`)

    def start(self) -> None:
        """Have a current worker, and a spare once `keep_spare` is set."""
        with self._lock:
            if self._current is None or not self._current.alive:
                self._current = self._spare if self._spare and self._spare.alive else Worker(self.memory_limit)
                self._spare = None
            if self.keep_spare and (self._spare is None or not self._spare.alive):
                self._spare = Worker(self.memory_limit)

    def current(self, memory_limit: int) -> Worker:
        """The worker to evaluate with now, started for `memory_limit` (a changed limit restarts both:
        the process's address-space cap is set when it starts)."""
        if memory_limit != self.memory_limit:
            with self._lock:
                self.memory_limit = memory_limit
                for worker in (self._current, self._spare):
                    if worker is not None:
                        worker.kill()  # idle: the scheduler asks for a worker only between evaluations
                self._current = self._spare = None
        self.start()
        assert self._current is not None
        return self._current

    def replace(self, worker: Worker) -> None:
        """Kill `worker` (if still current) and promote the spare. Only from the thread that asked it."""
        with self._lock:
            worker.kill()
            if self._current is worker:
                self._current = None
        self.start()

    @staticmethod
    def interrupt(worker: Worker) -> None:
        """End `worker`'s evaluation from another thread than the one waiting for it."""
        worker.interrupt()

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self.interrupt(self._current)  # an evaluation thread may still be waiting on it
            if self._spare is not None:
                self._spare.kill()
            self._current = self._spare = None


class Scheduler:
    def __init__(
        self,
        publish: Callable[[Outcome], None],
        details: Callable[[Outcome], None] | None = None,
        memory_limit: int = 512 * MiB,
        clock: Clock | None = None,
        first_worker: Started | None = None,
    ) -> None:
        self._clock = clock or LoopClock()
        self._publish = publish
        self._details = details
        self._workers = Workers(memory_limit, first_worker)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="luakit-eval")
        self._waiting: dict[str, asyncio.Task[None]] = {}
        self._latest: dict[str, Job] = {}  # the job whose result a document's diagnostics should show
        self._published: dict[str, int] = {}
        self._running: Running | None = None
        self._warm: weakref.WeakSet[Worker] = weakref.WeakSet()  # workers that have answered
        self._closed = False
        self._lock = asyncio.Lock()
        # The detailed evaluations' own worker, thread and queue.
        self._details_worker: Worker | None = None
        self._details_worker_lock = threading.Lock()
        self._details_executor = ThreadPoolExecutor(1, thread_name_prefix="luakit-details")
        self._details_lock = asyncio.Lock()

    def warm_up(self) -> None:
        """Start the first worker in the background (it imports the compiler), unless the
        `first_worker` given is under way.

        Only the first: the spare and the details worker start once it has answered
        (`_start_spares`). Three Pythons importing the compiler at once on two cores
        made the first one, which the first diagnostics wait for, ~0.1-0.2 s later
        (docs/performance.md, "Start-up").
        """
        on_process_thread(self._workers.start)

    def _start_spares(self) -> None:
        """Start the spare and the details worker, in the background."""
        self._workers.keep_spare = True
        on_process_thread(self._workers.start)
        if self._details is not None:
            on_process_thread(self._details_worker_for, self._workers.memory_limit)

    def close(self) -> None:
        self._closed = True
        for task in self._waiting.values():
            task.cancel()
        on_process_thread(self._close_workers).result()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._details_executor.shutdown(wait=False, cancel_futures=True)

    def _close_workers(self) -> None:
        self._workers.close()
        if self._details_worker is not None:
            Workers.interrupt(self._details_worker)

    def forget(self, uri: str) -> None:
        """The document was closed: whatever is waiting or running for it will not be published."""
        self._latest.pop(uri, None)
        self._published.pop(uri, None)
        self._drop(uri)

    def schedule(self, job: Job, debounce: float = DEBOUNCE) -> None:
        """Evaluate `job` soon; anything else waiting or running for the same document becomes obsolete."""
        self._latest[job.uri] = job
        self._drop(job.uri)
        self._waiting[job.uri] = asyncio.get_running_loop().create_task(self._after(debounce, job))

    def _drop(self, uri: str) -> None:
        waiting = self._waiting.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        running = self._running
        if running is not None and running.job.uri == uri and running.droppable and running.worker in self._warm:
            late = running.started + KILL_AFTER - self._clock.monotonic()
            if late > 0:
                self._clock.call_later(late, self._kill, running)
            else:
                self._kill(running)

    def _kill(self, running: Running) -> None:
        """Kill an obsolete evaluation that is still running (on the event loop: the worker cannot
        have moved on to another job meanwhile)."""
        if self._running is not running or not self._obsolete(running.job):
            return
        self._running = None
        on_process_thread(self._replace_killed, running.worker)

    def _replace_killed(self, worker: Worker) -> None:
        Workers.interrupt(worker)  # the evaluation thread waiting for it gets WorkerGone
        self._workers.start()  # the spare takes over; a new spare starts

    def _obsolete(self, job: Job) -> bool:
        return self._latest.get(job.uri) is not job

    async def _after(self, delay: float, job: Job) -> None:
        await self._clock.sleep(delay)
        if self._waiting.get(job.uri) is asyncio.current_task():
            del self._waiting[job.uri]
        report = await self.run(job, frozenset())
        if report is None or self._obsolete(job) or self._published.get(job.uri, -1) > job.version:
            return
        self._published[job.uri] = job.version
        self._publish(Outcome(job, report))
        if self._details is not None and report.ok:
            # Digests need the whole graph encoded (nearly twice the evaluation's
            # time): worth it for hovers and inlay hints once the typing pauses.
            await self._clock.sleep(DETAILS_AFTER)
            detailed = await self._detail(job)
            if detailed is not None and not self._obsolete(job):
                self._details(Outcome(job, detailed))

    def _details_worker_for(self, memory_limit: int) -> Worker:
        with self._details_worker_lock:
            worker = self._details_worker
            if worker is None or not worker.alive or worker.memory_limit != memory_limit:
                if worker is not None:
                    worker.kill()  # idle: only `_detail` asks it, one request at a time
                worker = self._details_worker = Worker(memory_limit)
            return worker

    async def _detail(self, job: Job) -> Report | None:
        """The evaluation with digests, in the details worker; None when obsolete or failed."""
        async with self._details_lock:
            if self._closed or self._obsolete(job):
                return None
            options = eval_options(job.settings, job.module_overlays)
            worker = await asyncio.wrap_future(on_process_thread(self._details_worker_for, options.memory_limit))
            request = Request(job.script, options, frozenset({CALLS}))
            try:
                return await asyncio.get_running_loop().run_in_executor(self._details_executor, worker.ask, request)
            except (TimeoutError, WorkerGone):
                await asyncio.wrap_future(on_process_thread(worker.kill))  # the next one starts a new worker
                return None

    async def run(self, job: Job, want: frozenset[str], droppable: bool = True) -> Report | None:
        """Evaluate in the worker; None when the work became obsolete (the worker was killed for it)."""
        async with self._lock:
            if self._closed or (droppable and self._obsolete(job)):
                return None
            options = eval_options(job.settings, job.module_overlays)
            worker = await asyncio.wrap_future(on_process_thread(self._workers.current, options.memory_limit))
            self._running = Running(job, worker, droppable, self._clock.monotonic())
            request = Request(job.script, options, want)
            loop = asyncio.get_running_loop()
            try:
                report = await loop.run_in_executor(self._executor, worker.ask, request)
                self._warm.add(worker)
                if not self._workers.keep_spare and not self._closed:
                    self._start_spares()
                return report
            except EvaluationTimedOut as exc:  # located where the script was running when killed
                await asyncio.wrap_future(on_process_thread(self._workers.replace, worker))
                return Report([exc.problem], [], None, None)
            except WorkerGone:
                if droppable and self._obsolete(job):
                    return None
                await asyncio.wrap_future(on_process_thread(self._workers.replace, worker))
                return Report(
                    [Problem(f"{job.script.name}: the evaluation crashed", None, ProblemKind.LIMIT)], [], None, None
                )
            finally:
                self._running = None

    async def definition(self, job: Job, view: str) -> Report | None:
        """The Definition (or its DOT/JSON view) of `job`, for commands: the same code as the CLI."""
        want = {"definition": DEFINITION, "dot": DOT, "json": JSON}[view]
        return await self.run(job, frozenset({want, CALLS}), droppable=False)
