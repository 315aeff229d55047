"""When evaluations run, and where: off the event loop, in a warm worker process.

Edits arrive faster than evaluations finish. The rules (after ruff's server and
esbonio's agent process):

* each document waits a short debounce after its last edit, so a burst of
  keystrokes costs one evaluation;
* evaluations run in a long-lived `compiler.isolated.Worker`, never on the
  event loop; a spare worker is kept started, so replacing one costs nothing;
* a newer edit makes older work obsolete: if the worker is busy with an older
  version of the same document it is killed and the spare takes over, so
  nothing queues behind obsolete work;
* results carry the version they were computed for, and a result older than
  one already published is dropped; so is the result of any job that is no
  longer the document's latest (a newer edit, a settings change, a close);
* a script that outlives its limit (even inside one C call) is killed and
  reported as timed out.

The scheduler knows nothing of LSP: it takes text and settings and hands a
`Outcome` to a callback. Completion, hover and symbols never wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from compiler.errors import Problem
from compiler.evaluate import EvalOptions, MiB, ScriptSource
from compiler.graph import platform as platforms
from compiler.isolated import CALLS, DEFINITION, DOT, JSON, Report, Request, Worker, WorkerGone
from luakit_ls.settings import Settings

DEBOUNCE = 0.03  # seconds of quiet after an edit before evaluating


@dataclass(frozen=True)
class Job:
    uri: str
    version: int
    script: ScriptSource
    settings: Settings


@dataclass(frozen=True)
class Outcome:
    job: Job
    report: Report


def eval_options(settings: Settings) -> EvalOptions:
    target = None
    if settings.platform:
        with contextlib.suppress(ValueError):
            target = platforms.parse(settings.platform)
    return EvalOptions(
        build_args=dict(settings.build_args),
        target_platform=target,
        timeout=settings.timeout,
        memory_limit=settings.memory_limit_mib * MiB,
    )


class Workers:
    """The busy worker and a spare, swapped when one must die."""

    def __init__(self, memory_limit: int) -> None:
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        self._current: Worker | None = None
        self._spare: Worker | None = None

    def start(self) -> None:
        with self._lock:
            if self._current is None or not self._current.alive:
                self._current = self._spare if self._spare and self._spare.alive else Worker(self.memory_limit)
                self._spare = None
            if self._spare is None or not self._spare.alive:
                self._spare = Worker(self.memory_limit)

    def current(self) -> Worker:
        self.start()
        assert self._current is not None
        return self._current

    def replace(self, worker: Worker) -> None:
        """Kill `worker` (if still current) and promote the spare."""
        with self._lock:
            # The thread waiting on the worker may have closed its pipe already (Worker.kill closes it again).
            with contextlib.suppress(OSError):
                worker.kill()
            if self._current is worker:
                self._current = None
        self.start()

    def close(self) -> None:
        with self._lock:
            for worker in (self._current, self._spare):
                if worker is not None:
                    worker.kill()
            self._current = self._spare = None


class Scheduler:
    def __init__(
        self,
        publish: Callable[[Outcome], None],
        details: Callable[[Outcome], None] | None = None,
        memory_limit: int = 512 * MiB,
    ) -> None:
        self._publish = publish
        self._details = details
        self._workers = Workers(memory_limit)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="luakit-eval")
        self._waiting: dict[str, asyncio.Task[None]] = {}
        self._latest: dict[str, Job] = {}  # the job whose result a document's diagnostics should show
        self._published: dict[str, int] = {}
        self._running: tuple[Job, Worker, bool] | None = None  # and whether it may be dropped
        self._lock = asyncio.Lock()

    def warm_up(self) -> None:
        """Start the worker processes in the background (they import the compiler)."""
        threading.Thread(target=self._workers.start, daemon=True).start()

    def close(self) -> None:
        for task in self._waiting.values():
            task.cancel()
        self._workers.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def forget(self, uri: str) -> None:
        """The document was closed: whatever is waiting or running for it will not be published."""
        self._drop(uri)
        self._latest.pop(uri, None)
        self._published.pop(uri, None)

    def schedule(self, job: Job, debounce: float = DEBOUNCE) -> None:
        """Evaluate `job` soon; anything else waiting or running for the same document becomes obsolete."""
        self._drop(job.uri)
        self._latest[job.uri] = job
        self._waiting[job.uri] = asyncio.get_running_loop().create_task(self._after(debounce, job))

    def _drop(self, uri: str) -> None:
        waiting = self._waiting.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        running = self._running
        if running is not None and running[0].uri == uri and running[2]:
            # Kill the obsolete evaluation now rather than wait for it (commands' evaluations are never dropped).
            self._executor_free_kill(running[1])

    def _executor_free_kill(self, worker: Worker) -> None:
        threading.Thread(target=self._workers.replace, args=(worker,), daemon=True).start()

    def _obsolete(self, job: Job) -> bool:
        return self._latest.get(job.uri) is not job

    async def _after(self, delay: float, job: Job) -> None:
        await asyncio.sleep(delay)
        if self._waiting.get(job.uri) is asyncio.current_task():
            del self._waiting[job.uri]
        report = await self.run(job, frozenset())
        if report is None or self._obsolete(job) or self._published.get(job.uri, -1) > job.version:
            return
        self._published[job.uri] = job.version
        self._publish(Outcome(job, report))
        if self._details is not None and report.ok:
            # Digests need the whole graph encoded: worth it for hovers and inlay
            # hints, but only once the diagnostics are out and nothing newer waits.
            detailed = await self.run(job, frozenset({CALLS}))
            if detailed is not None and not self._obsolete(job):
                self._details(Outcome(job, detailed))

    async def run(self, job: Job, want: frozenset[str], droppable: bool = True) -> Report | None:
        """Evaluate in the worker; None when the work became obsolete (the worker was killed for it)."""
        async with self._lock:
            if droppable and self._obsolete(job):
                return None
            worker = self._workers.current()
            self._running = (job, worker, droppable)
            request = Request(job.script, eval_options(job.settings), want)
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(self._executor, worker.ask, request)
            except TimeoutError as exc:
                self._workers.replace(worker)
                return Report([Problem(str(exc), None, "limit")], [], None, None)
            except (WorkerGone, OSError):
                # OSError: the worker was killed from another thread while this one used its pipe
                # (Worker.ask then fails closing the pipe a second time).
                if droppable and self._obsolete(job):
                    return None
                self._workers.replace(worker)
                return Report([Problem(f"{job.script.name}: the evaluation crashed", None, "limit")], [], None, None)
            finally:
                self._running = None

    async def definition(self, job: Job, view: str) -> Report | None:
        """The Definition (or its DOT/JSON view) of `job`, for commands: the same code as the CLI."""
        want = {"definition": DEFINITION, "dot": DOT, "json": JSON}[view]
        return await self.run(job, frozenset({want, CALLS}), droppable=False)
