"""The `luakit.build` command: the open script built on BuildKit, as `luakit buildx` builds it.

`run` is the build itself, a plain blocking function (the server runs it on a
thread): the Definition and image config the CLI would make, the daemon of the
`buildkitHost` setting, the export of `buildOutput`, `bk.local_("context")` the
script's folder. Its `Outcome` becomes the command's answer and, for a step that
failed, an LK010 diagnostic at the Lua call that made the step (docs/editors.md).
`build` is the server's side: work-done progress, cancellation, publishing.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as t

from compiler.errors import Location, Problem, ProblemKind
from luakit_ls.client import ClientFeatures
from luakit_ls.settings import BuildOutput, Settings

if TYPE_CHECKING:
    from compiler.pb import llb as pb
    from luakit_buildkit.client import ExportSpec, StatusUpdate


@dataclass(frozen=True)
class Built:
    exporter_response: Mapping[str, str]
    seconds: float


@dataclass(frozen=True)
class StepFailed:
    """A step the daemon ran failed: the CLI's one line, the Lua call that made the step, its last output."""

    line: str
    location: Location | None
    log_tail: tuple[str, ...]


@dataclass(frozen=True)
class NotBuilt:
    """No build happened or it broke off: an unreachable daemon, a bad address, a script with errors."""

    message: str


@dataclass(frozen=True)
class BuildCancelled:
    pass


Outcome = Built | StepFailed | NotBuilt | BuildCancelled


def exports(output: BuildOutput | None, config: Mapping[str, Any] | None, folder: Path) -> list[ExportSpec]:
    """The exporter `buildOutput` names (none: solve only); an image gets the script's whole config."""
    from luakit_buildkit.client import ExportSpec

    if output is None:
        return []
    if output.type == "local":
        return [ExportSpec("local", {"dest": str(folder / output.dest)})]
    attrs = {"name": output.name, "push": "true" if output.push else "false"}
    if config is not None:
        attrs["containerimage.config"] = json.dumps(config, separators=(",", ":"))
    return [ExportSpec("image", attrs)]


class StepWatch:
    """The step running now, from the daemon's status stream: `on_step` hears its name and Lua line."""

    def __init__(self, definition: pb.Definition, on_step: Callable[[str], None]) -> None:
        self.definition = definition
        self.on_step = on_step
        self.running: dict[str, str] = {}  # digest -> name, in the order the steps started
        self.said = ""

    def __call__(self, update: StatusUpdate) -> None:
        from luakit_buildkit.steps import step_location

        for vertex in update.response.vertexes:
            if vertex.HasField("completed") or vertex.cached:
                self.running.pop(vertex.digest, None)
            elif vertex.HasField("started"):
                self.running.setdefault(vertex.digest, vertex.name)
        if not self.running:
            return
        digest, name = next(reversed(self.running.items()))
        where = step_location(self.definition, digest)
        message = f"{name} ({where.file}:{where.line})" if where else name
        if message != self.said:
            self.said = message
            self.on_step(message)


def run(
    definition: bytes,
    config: Mapping[str, Any] | None,
    *,
    folder: Path,
    settings: Settings,
    on_step: Callable[[str], None],
    cancel: threading.Event,
) -> Outcome:
    """Build `definition` on the daemon (blocks until it is done, failed or cancelled)."""
    from compiler.pb import llb as pb
    from luakit_buildkit import client
    from luakit_buildkit.connection import AddressError
    from luakit_buildkit.steps import failure_line, step_location

    graph = pb.Definition.FromString(definition)
    started = time.monotonic()
    try:
        result = client.build(
            definition,
            addr=settings.buildkit_host,
            exports=exports(settings.build_output, config, folder),
            locals={"context": folder},
            on_status=StepWatch(graph, on_step),
            cancel=cancel,
        )
    except client.Cancelled:
        return BuildCancelled()
    except client.BuildFailed as exc:
        return StepFailed(failure_line(exc), step_location(graph, exc.vertex_digest), tuple(exc.log_tail))
    except (client.BuildError, AddressError) as exc:
        return NotBuilt(str(exc))
    except OSError as exc:  # an export folder that cannot be written
        return NotBuilt(f"build output: {exc.strerror or exc}")
    return Built(dict(result.exporter_response), round(time.monotonic() - started, 3))


def answer(outcome: Outcome, script: str) -> dict[str, Any]:
    """The command's answer: `built`, `failed` (with the CLI's line) or `cancelled`."""
    if isinstance(outcome, Built):
        return {"status": "built", "exporterResponse": dict(outcome.exporter_response), "seconds": outcome.seconds}
    if isinstance(outcome, BuildCancelled):
        return {"status": "cancelled"}
    if isinstance(outcome, StepFailed):
        where = outcome.location or script
        return {"status": "failed", "message": f"{where}: {outcome.line}", "log": list(outcome.log_tail)}
    return {"status": "failed", "message": outcome.message}


def refused(validation: Mapping[str, Any]) -> dict[str, Any]:
    """A command answer of `commands` (no URI, an unreadable script) as `luakit.build` answers."""
    return {"status": "failed", "message": "; ".join(validation.get("problems", ()))}


def failure_diagnostics(
    failure: StepFailed, script: str, text: str, uri: str, folder: Path, client: ClientFeatures
) -> dict[str, list[t.Diagnostic]]:
    """The failed step as an LK010 diagnostic at its Lua call, by file URI; the output's tail in the message.

    `script` is the name the evaluation gave the script (as the CLI names it: its
    file name); a module's name is relative to the script's folder.
    """
    from luakit_ls.diagnostics import file_lines, to_diagnostics, uri_for

    location = failure.location
    if location is not None and location.file != script:
        location = Location(str(folder / location.file), location.line, location.column,
                            location.end_line, location.end_column)
    message = "\n".join([failure.line, *failure.log_tail])
    lines = text.split("\n")
    found = to_diagnostics(
        [Problem(message, location, ProblemKind.BUILD)],
        script,
        lambda name: lines if name == script else file_lines(name),
        client,
    )
    return {uri if name == script else uri_for(name): diagnostics for name, diagnostics in found.items()}


def origin(uri: str) -> str:
    """The Outbox key of a script's last build: its diagnostics are shown with the evaluation's."""
    return f"{uri}#luakit.build"


def drop(outbox: Any, uri: str) -> dict[str, list[t.Diagnostic]]:
    """Forget the last build's diagnostics of `uri` (edited or closed); what to publish again."""
    return outbox.update(origin(uri), {}) if outbox.reported(origin(uri)) else {}


_ENDS = {Built: "built", StepFailed: "failed", NotBuilt: "failed", BuildCancelled: "cancelled"}


async def _evaluate_and_run(ls: Any, job: Any, progress: Progress, cancel: threading.Event) -> Outcome:
    report = await ls.scheduler.definition(job, "definition")
    report = report and ls.shown(job.uri, report)
    if report is None or cancel.is_set():
        return BuildCancelled()
    if report.definition is None:
        problems = "; ".join(str(p) for p in report.problems if p.severity == "error")
        return NotBuilt(f"{job.script.name} does not evaluate: {problems}")
    loop = asyncio.get_running_loop()

    def on_step(message: str) -> None:  # on the status thread
        loop.call_soon_threadsafe(progress.report, message)

    return await asyncio.to_thread(
        run,
        report.definition,
        report.export_config,
        folder=Path(job.script.path).parent,
        settings=job.settings,
        on_step=on_step,
        cancel=cancel,
    )


class Progress:
    """Work-done progress for one build, when the client supports it; its cancel sets `cancel`."""

    def __init__(self, ls: Any, cancel: threading.Event) -> None:
        self.ls = ls
        self.cancel = cancel
        self.token: str | None = None

    async def begin(self, title: str, message: str) -> None:
        if not self.ls.client.work_done_progress:
            return
        token = f"luakit.build/{uuid.uuid4().hex}"
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception:  # noqa: BLE001 - a client that refuses the token gets no progress
            return
        self.token = token
        self.ls.work_done_progress.begin(token, t.WorkDoneProgressBegin(title, cancellable=True, message=message))
        self.ls.work_done_progress.tokens[token].add_done_callback(self._cancelled)

    def _cancelled(self, future: Future[Any]) -> None:
        if future.cancelled():
            self.cancel.set()

    def report(self, message: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.report(self.token, t.WorkDoneProgressReport(message=message))

    def end(self, message: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, t.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)


async def build(ls: Any, job: Any, request: Future[Any] | None) -> dict[str, Any]:
    """`luakit.build` for the server: evaluate `job` as the CLI would, build it off the event loop,
    publish a failed step, answer. `request` is the command's own request: its `$/cancelRequest`
    cancels the build too."""
    cancel = threading.Event()
    if request is not None:
        request.add_done_callback(lambda future: cancel.set() if future.cancelled() else None)
    script = job.script.name
    if job.script.path is None:
        return answer(NotBuilt(f"{script}: save the script to build it (its folder is the context)"), script)
    progress = Progress(ls, cancel)
    await progress.begin("luakit: build", f"evaluating {script}")
    outcome: Outcome = NotBuilt("the build stopped")
    try:
        outcome = await _evaluate_and_run(ls, job, progress, cancel)
    finally:
        await asyncio.sleep(0)  # the step reports the status thread queued go out before the end
        progress.end(_ENDS[type(outcome)])
    if isinstance(outcome, StepFailed):
        found = failure_diagnostics(
            outcome, script, job.script.text, job.uri, Path(job.script.path).parent, ls.client
        )
        ls._publish(ls.outbox.update(origin(job.uri), found))
    elif isinstance(outcome, Built):
        ls._publish(drop(ls.outbox, job.uri))
    elif isinstance(outcome, NotBuilt):
        ls.window_show_message(t.ShowMessageParams(t.MessageType.Error, f"luakit: {outcome.message}"))
    return answer(outcome, script)
