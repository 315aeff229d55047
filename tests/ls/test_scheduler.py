"""The scheduler's timing rules, driven by a fake clock (no test waits for real time to pass).

The evaluations run in real worker processes; what the clock decides (the debounce, the
pause before the detailed evaluation, when an obsolete evaluation is killed) happens only
when a test advances it, so each rule is checked at the moment it must apply.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from multiprocessing import resource_tracker
from typing import Any

import pytest

from compiler.evaluate import MiB, ScriptSource
from compiler.isolated import on_process_thread
from compiler.worker_start import start_process
from luakit_ls.scheduler import DEBOUNCE, DETAILS_AFTER, KILL_AFTER, Job, Outcome, Scheduler
from luakit_ls.settings import Settings

pytestmark = pytest.mark.asyncio

URI = "file:///tmp/lk-scheduler/build.lua"
QUICK = 'local b = bk.image("alpine:3.19")\nbk.export(b:run("echo {}"))\n'
BUSY = "while true do end\n"
ANSWER_WITHIN = 60.0  # real seconds a worker may take to start and answer


class FakeClock:
    """Time that moves only when `advance` is called; `sleeping` waits (on a condition) for sleepers."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []
        self._timers: list[tuple[float, Callable[..., Any], tuple[Any, ...]]] = []
        self._changed = asyncio.Condition()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, future))
        async with self._changed:
            self._changed.notify_all()
        await future

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        self._timers.append((self.now + delay, callback, args))

    def pending(self) -> int:
        return sum(1 for _, future in self._sleepers if not future.done())

    def timers(self) -> int:
        return len(self._timers)

    async def sleeping(self, count: int) -> None:
        """Until `count` sleeps are pending."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.pending() >= count), ANSWER_WITHIN)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for deadline, future in self._sleepers:
            if deadline <= self.now and not future.done():
                future.set_result(None)
        due = [timer for timer in self._timers if timer[0] <= self.now]
        self._timers = [timer for timer in self._timers if timer[0] > self.now]
        for _, callback, args in due:
            callback(*args)


def job(version: int, text: str = QUICK, timeout: float = 2.0) -> Job:
    return Job(URI, version, ScriptSource(text, name="build.lua"), Settings(timeout=timeout))


async def until(condition: Callable[[], bool]) -> None:
    """Yield to the event loop (never sleeping) until `condition` holds."""
    deadline = time.monotonic() + ANSWER_WITHIN
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0)


async def next_of(queue: asyncio.Queue[Outcome]) -> Outcome:
    return await asyncio.wait_for(queue.get(), ANSWER_WITHIN)


def started_workers(before: set[int]) -> set[int]:
    """The worker processes started by this one and not in `before`, once the process thread has
    done what it was given (multiprocessing's resource tracker, started with the first, is not one)."""
    on_process_thread(lambda: None).result()  # it runs its work in order: what was handed to it is done
    found: set[int] = set()
    for task in os.scandir(f"/proc/{os.getpid()}/task"):
        with open(os.path.join(task.path, "children")) as children:
            found |= {int(child) for child in children.read().split()}
    return found - before - {getattr(resource_tracker._resource_tracker, "_pid", None)}  # not in its stubs


async def test_only_the_first_worker_starts_before_the_first_answer() -> None:
    # Three Pythons importing the compiler at once on two cores delay the one the first
    # diagnostics wait for; the spare and the details worker start once it has answered.
    clock, published = FakeClock(), asyncio.Queue[Outcome]()
    before = started_workers(set())
    scheduler = Scheduler(published.put_nowait, lambda outcome: None, clock=clock)
    try:
        scheduler.warm_up()
        assert len(started_workers(before)) == 1
        scheduler.schedule(job(1))
        await clock.sleeping(1)
        clock.advance(DEBOUNCE)
        assert (await next_of(published)).report.ok
        assert len(started_workers(before)) == 3  # the first, its spare, the details worker
    finally:
        scheduler.close()


@pytest.mark.parametrize("memory_limit_mib", [512, 256], ids=["same limit", "another limit"])
async def test_a_worker_process_started_before_the_scheduler_is_its_first_worker(memory_limit_mib: int) -> None:
    # The server starts one at `initialized`, before it makes its scheduler
    # (LuakitServer.start_first_worker): the scheduler takes it, unless the settings asked
    # for another limit (the address-space cap is set when a process starts), then it is
    # killed and replaced.
    first = on_process_thread(start_process, 512 * MiB).result()
    clock, published = FakeClock(), asyncio.Queue[Outcome]()
    before = started_workers(set())
    assert first.process.pid in before
    scheduler = Scheduler(published.put_nowait, None, memory_limit_mib * MiB, clock=clock, first_worker=first)
    try:
        scheduler.warm_up()
        started = started_workers(before)
        if memory_limit_mib == 512:
            assert started == set() and first.process.poll() is None
        else:
            assert len(started) == 1 and first.process.poll() is not None
        scheduler.schedule(job(1))
        await clock.sleeping(1)
        clock.advance(DEBOUNCE)
        assert (await next_of(published)).report.ok
        assert (first.process.poll() is None) == (memory_limit_mib == 512)  # it evaluated, or was gone
    finally:
        scheduler.close()


async def test_a_burst_of_edits_is_one_evaluation_of_the_last() -> None:
    clock, published = FakeClock(), asyncio.Queue[Outcome]()
    scheduler = Scheduler(published.put_nowait, None, clock=clock)
    try:
        for version in (1, 2, 3):
            scheduler.schedule(job(version, QUICK.replace("{}", str(version))))
        await clock.sleeping(1)  # the last edit's debounce: the earlier ones were dropped
        assert clock.pending() == 1 and published.empty()
        clock.advance(DEBOUNCE)
        outcome = await next_of(published)
        assert outcome.job.version == 3 and outcome.report.ok
        assert clock.pending() == 0 and published.empty()  # nothing else waits to be published
    finally:
        scheduler.close()


async def test_the_detailed_evaluation_waits_for_the_pause_and_only_for_the_latest() -> None:
    clock, published, detailed = FakeClock(), asyncio.Queue[Outcome](), asyncio.Queue[Outcome]()
    scheduler = Scheduler(published.put_nowait, detailed.put_nowait, clock=clock)
    try:
        scheduler.schedule(job(1))
        await clock.sleeping(1)
        clock.advance(DEBOUNCE)
        assert (await next_of(published)).job.version == 1
        await clock.sleeping(1)  # the pause before the details of version 1
        assert detailed.empty()

        scheduler.schedule(job(2))  # typing goes on: version 1's details are obsolete
        await clock.sleeping(2)
        clock.advance(DEBOUNCE)
        assert (await next_of(published)).job.version == 2
        await clock.sleeping(2)  # version 2's pause; version 1's is still pending
        clock.advance(DETAILS_AFTER)
        details = await next_of(detailed)
        assert details.job.version == 2
        assert [c.digest is not None for c in details.report.calls] == [True, True, False]
        # Version 1's sleep ended first and its details took the lock first: had they not been
        # dropped, they would have come before version 2's.
        assert detailed.empty()
    finally:
        scheduler.close()


async def test_an_obsolete_evaluation_is_killed_only_after_kill_after() -> None:
    clock, published = FakeClock(), asyncio.Queue[Outcome]()
    scheduler = Scheduler(published.put_nowait, None, clock=clock)
    try:
        scheduler.schedule(job(1))  # warms the worker: a worker that never answered is never killed
        await clock.sleeping(1)
        clock.advance(DEBOUNCE)
        assert (await next_of(published)).job.version == 1

        busy = job(2, BUSY, timeout=30)
        scheduler.schedule(busy)
        await clock.sleeping(1)
        clock.advance(DEBOUNCE)
        await until(lambda: scheduler._running is not None and scheduler._running.job is busy)
        assert scheduler._running is not None
        worker = scheduler._running.worker
        started = time.monotonic()

        scheduler.schedule(job(3))  # the busy evaluation is obsolete now, but younger than KILL_AFTER
        assert clock.timers() == 1 and worker.alive
        await clock.sleeping(1)  # version 3's debounce
        clock.advance(KILL_AFTER / 2)  # ends it; version 3 waits for the busy worker
        assert clock.timers() == 1 and worker.alive
        clock.advance(KILL_AFTER)  # past KILL_AFTER: the kill
        assert clock.timers() == 0
        outcome = await next_of(published)
        assert outcome.job.version == 3 and outcome.report.ok  # version 2 was never published
        assert not worker.alive
        assert time.monotonic() - started < 10  # killed, not left to its 30 s limit
    finally:
        scheduler.close()
