"""Script -> Evaluation: run a build script in the sandbox and collect what it built.

`evaluate` never raises for problems in the script: syntax errors, API misuse,
runtime errors, time-outs and memory exhaustion all come back as `Problem`s with
a location, next to whatever the script built before it stopped.
"""

from __future__ import annotations

import _thread
import contextlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property

from compiler.api.call import Export, NoImageResolver, Session
from compiler.api.dispatch import BRIDGE_NAMES, dispatch_at
from compiler.errors import Edit, Fix, Focus, Location, Problem, ProblemKind, Replacement, ScriptError
from compiler.graph import nodes as g
from compiler.graph.platform import Platform
from compiler.graph.walk import post_order
from compiler.records import Record, replace
from compiler.runtime.convert import Converter
from compiler.runtime.modules import ModuleError, ModuleReader, ModuleResolver, roots_for
from compiler.runtime.sources import SourceFile, SourceSet, chunk_name
from compiler.runtime.vm import Deadline, Sandbox

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

    from compiler.api.call import ImageResolver
    from compiler.api.reuse import Results

    # Loaded when first marshalling (below): `luakit validate` and most evaluations
    # never encode an op, and the encoder brings protobuf's upb (docs/performance.md).
    from compiler.llb.marshal import Digester, Marshalled

MiB = 1024 * 1024
DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY_LIMIT = 512 * MiB
_TIMEOUT_SENTINEL = b"\0luakit-timeout"  # the bridge's TIMEOUT: ends the script like the hook does

# How long past its timeout a host waits for a script stuck inside one C call (a
# huge string.rep, a pathological pattern: beyond the count hook) before giving up.
WATCHDOG_GRACE = 5.0


class NotText(ValueError):
    """A script's bytes are not UTF-8 text; `problem` locates the first bad byte."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


# The option and result types here are records or plain classes, not dataclasses, which
# cost a few ms of each start of the CLI to define (docs/performance.md#cold-start).
_set = object.__setattr__  # how a record's __init__ sets its fields (compiler/records.py)


class ScriptSource(Record):
    """A script to evaluate. `name` is how locations show it; `path` (if a file) roots `require`."""

    __slots__ = ("text", "name", "path")
    text: str
    name: str
    path: str | None

    def __init__(self, text: str, name: str = "build.lua", path: str | None = None) -> None:
        _set(self, "text", text)
        _set(self, "name", name)
        _set(self, "path", path)

    @classmethod
    def from_bytes(cls, data: bytes, name: str, path: str | None = None) -> ScriptSource:
        """The script in `data`; NotText (`name:line:col: the script is not UTF-8 text ...`) if it is not text.

        The column counts bytes, as the bad byte may start no character.
        """
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = data[: exc.start]
            column = len(before) - (before.rfind(b"\n") + 1)
            location = Location(name, before.count(b"\n") + 1, column)
            message = f"the script is not UTF-8 text (byte 0x{data[exc.start]:02x})"
            raise NotText(Problem(message, location, ProblemKind.SYNTAX)) from None
        return cls(text, name=name, path=path)

    @classmethod
    def from_file(cls, path: str) -> ScriptSource:
        """The script at `path`; OSError if it cannot be read, NotText if it is not text."""
        with open(path, "rb") as f:
            return cls.from_bytes(f.read(), name=path, path=path)


class EvalOptions(Record):
    """How to evaluate a script. `build_args` and `module_overlays` default to empty dicts,
    `image_resolver` to a `NoImageResolver`."""

    __slots__ = (
        "build_args",
        "target_platform",
        "timeout",
        "memory_limit",
        "image_resolver",
        "on_print",
        "on_progress",
        "module_reader",
        "module_overlays",
        "reuse_results",
    )
    build_args: Mapping[str, str]
    target_platform: Platform | None
    timeout: float
    memory_limit: int
    image_resolver: ImageResolver
    on_print: Callable[[Location | None, str], None] | None
    on_progress: Callable[[bytes, int], None] | None  # see `Progress`
    # Where `require` reads the script's own modules when they are not files next
    # to `ScriptSource.path` (the gateway frontend reads them through BuildKit).
    module_reader: ModuleReader | None
    # Module texts by absolute path, read by `require`/`dofile` before the disk: an
    # editor's open documents, unsaved edits included (a plain mapping: it is
    # pickled to compiler/isolated.py's worker). The compiled-chunk cache is keyed
    # by text, so an overlay never runs a stale compilation.
    module_overlays: Mapping[str, str]
    # Whether calls unchanged since the last evaluation of a script of the same name, in this
    # process, return that evaluation's results (compiler/api/reuse.py): for the editor's
    # worker, which evaluates a script again on each edit. Off for a one-off evaluation (the
    # CLI, the frontend), which would only pay for remembering its results.
    reuse_results: bool

    def __init__(
        self,
        build_args: Mapping[str, str] | None = None,
        target_platform: Platform | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        image_resolver: ImageResolver | None = None,
        on_print: Callable[[Location | None, str], None] | None = None,
        on_progress: Callable[[bytes, int], None] | None = None,
        module_reader: ModuleReader | None = None,
        module_overlays: Mapping[str, str] | None = None,
        reuse_results: bool = False,
    ) -> None:
        _set(self, "build_args", {} if build_args is None else build_args)
        _set(self, "target_platform", target_platform)
        _set(self, "timeout", timeout)
        _set(self, "memory_limit", memory_limit)
        _set(self, "image_resolver", NoImageResolver() if image_resolver is None else image_resolver)
        _set(self, "on_print", on_print)
        _set(self, "on_progress", on_progress)
        _set(self, "module_reader", module_reader)
        _set(self, "module_overlays", {} if module_overlays is None else module_overlays)
        _set(self, "reuse_results", reuse_results)


class CallRecord(Record):
    """One API call that succeeded, and the value it returned (one per call)."""

    __slots__ = ("function", "location", "value")
    function: str  # "bk.image", "state:run"
    location: Location | None
    value: Any

    def __init__(self, function: str, location: Location | None, value: Any) -> None:
        _set(self, "function", function)
        _set(self, "location", location)
        _set(self, "value", value)


class Evaluation:
    """What an evaluation found: the script's sources, its export, its problems, calls and logs."""

    def __init__(
        self,
        script: ScriptSource,
        options: EvalOptions,
        sources: list[SourceFile],
        export: Export | None,
        problems: list[Problem],
        calls: list[CallRecord],
        logs: list[tuple[Location | None, str]],
        modules: tuple[str, ...] = (),
    ) -> None:
        self.script = script
        self.options = options
        self.sources = sources
        self.export = export
        self.problems = problems
        self.calls = calls
        self.logs = logs
        # Absolute paths of the module files `require`/`dofile`/`loadfile` read, in load
        # order; one that failed to compile or raised is listed too.
        self.modules = modules

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @cached_property
    def marshalled(self) -> Marshalled:
        """The Definition of the export. Only for a successful evaluation."""
        if self.export is None:
            raise ValueError("nothing was exported")
        from compiler.llb.marshal import marshal_state

        state = self.export.state
        return marshal_state(state, self.sources, self.digester, exported_nodes(state))

    def definition_bytes(self) -> bytes:
        return self.marshalled.to_bytes()

    @cached_property
    def digester(self) -> Digester:
        """One encoder for every node of this evaluation, shared with the marshalled export."""
        from compiler.llb.marshal import Digester

        return Digester()

    def node_digest(self, node: g.Node) -> str:
        return self.digester.digest(node)


class Progress:
    """Where an evaluation was last seen running, for a watchdog that must end it from outside.

    `EvalOptions.on_progress` is called with (chunk name, line) at each look of the
    count hook (about every millisecond of Lua work). A script stuck inside one C
    call is seen no more, so the last line seen is the line that made that call,
    or one a moment before it.
    """

    def __init__(self) -> None:
        self.seen: tuple[bytes, int] | None = None

    def __call__(self, chunkname: bytes, line: int) -> None:
        self.seen = (chunkname, line)

    def location(self, script_name: str) -> Location | None:
        return seen_location(script_name, *self.seen) if self.seen else None


def seen_location(script_name: str, chunkname: bytes, line: int) -> Location | None:
    """The line a Progress saw, in a file named as users know it (the script, or a module's name)."""
    name = chunkname.decode("utf-8", "replace").removeprefix("@")
    if not name or line <= 0:
        return None
    return Location(script_name if name == chunk_name(script_name) else name, line)


def timeout_message(name: str, timeout: float, where: Location | None = None) -> str:
    """What every host says when a script outlives its time limit: `build.lua:12: ...` when the line is known."""
    prefix = f"{where.file}:{where.line}" if where else name
    return f"{prefix}: script evaluation timed out after {timeout:g}s"


@contextlib.contextmanager
def watchdog(timeout: float, give_up: Callable[[], None]) -> Iterator[None]:
    """Call `give_up` from another thread if the block outlives `timeout` + WATCHDOG_GRACE.

    For a script stuck inside one C call, which no hook can stop: `give_up` must
    end the process (after telling the user), as the evaluation cannot be ended.
    """
    # A bare `_thread` waiting on a lock rather than `threading.Timer`: the CLI would
    # import `threading` for this alone, ~1 ms of every start (docs/performance.md#cold-start).
    # The thread ends with the process, as a daemon thread does.
    finished = _thread.allocate_lock()
    finished.acquire()

    def watch() -> None:
        if not finished.acquire(timeout=timeout + WATCHDOG_GRACE):
            give_up()

    _thread.start_new_thread(watch, ())
    try:
        yield
    finally:
        finished.release()


# The last export's nodes, by the exported State: when an evaluation exports the very State of
# the last one (compiler/api/reuse.py reused every call that built it), its graph is the same
# and is not walked again; nor is it when the marshal asks for what `unused_steps` walked.
# One entry: it keeps one graph alive.
_last_export: tuple[g.State | None, dict[int, g.Node]] = (None, {})


def exported_nodes(state: g.State) -> dict[int, g.Node]:
    """The nodes under `state`, by id (identity, not digest: no encoding needed), in the order
    the marshal lists them (compiler/graph/walk.py), which is given them: one walk for both.
    Walked once for the last state asked about."""
    global _last_export
    last_state, nodes = _last_export  # read once: another thread may replace it
    if last_state is not state:
        nodes = post_order(state.ref.node) if state.ref is not None else {}
        _last_export = (state, nodes)
    return nodes


def unused_steps(evaluation: Evaluation) -> list[Problem]:
    """Warnings for steps whose result never reaches the export: BuildKit skips them.

    Only the last step of each unused chain is reported, once per call site. A
    step built twice (same op, same digest) counts as used when either copy is,
    as in BuildKit; digests are only computed when some step is unreachable by
    identity, so a script without unused steps costs one graph walk.
    """
    if evaluation.export is None:
        return []
    used = exported_nodes(evaluation.export.state)
    candidates = [
        call
        for call in evaluation.calls
        if isinstance(call.value, g.State)
        and call.value.ref is not None
        and call.location is not None
        and id(call.value.ref.node) not in used
    ]
    if not candidates:
        return []
    digester = evaluation.digester
    # Only a node of the same class encodes to the same op (one class per op kind), so only
    # the exported nodes of the candidates' classes are digested: an unused `bk.local_`
    # costs the digests of the exported sources, not an encoding of the whole graph.
    kinds = {type(call.value.ref.node) for call in candidates}
    exported = {digester.digest(node) for node in used.values() if type(node) in kinds}
    unused: dict[str, CallRecord] = {}
    for call in candidates:
        digest = digester.digest(call.value.ref.node)
        if digest not in exported:
            unused.setdefault(digest, call)
    consumed = {
        digester.digest(ref.node) for call in unused.values() for ref in call.value.ref.node.inputs() if ref is not None
    }
    warnings = []
    seen: set[Location] = set()
    for digest, call in unused.items():
        if digest in consumed or call.location is None or call.location in seen:
            continue
        seen.add(call.location)
        warnings.append(
            Problem(
                f"{call.function}: this result is never used by bk.export, so BuildKit will not run it",
                call.location,
                ProblemKind.UNUSED,
                "warning",
            )
        )
    return warnings


def evaluate(script: ScriptSource, options: EvalOptions | None = None) -> Evaluation:
    """Run `script` in a fresh sandbox. Pure: same script and options, same result.

    Work keyed by file content is shared between calls (call sites of a text,
    compiled modules), so re-evaluating an edited script in a long-lived process
    redoes only what the edit changed.
    """
    return _Host(script, options or EvalOptions()).run()


# Lookups of a name that does not exist, located at the name: the bridge's name -> the table
# written before the dot ("" for any: `state:mkfil`, `base.mkfil`).
_FIELD_LOOKUPS = {b"bk.__index": "bk", b"State.__index": ""}

# Compiled modules, by (chunk name, text): an unchanged module is not compiled again.
_CHUNK_CACHE_SIZE = 256
_compiled_chunks: OrderedDict[tuple[str, str], bytes] = OrderedDict()


class _Host:
    """The bridge's callbacks for one evaluation, wiring sources, conversion and dispatch."""

    def __init__(self, script: ScriptSource, options: EvalOptions) -> None:
        self.script = script
        self.options = options
        self.session = Session(
            options.target_platform, dict(options.build_args), options.memory_limit, options.image_resolver
        )
        self.sources = SourceSet()
        self.calls: list[CallRecord] = []
        self.logs: list[tuple[Location | None, str]] = []
        self.api_errors: dict[bytes, Problem] = {}
        roots = roots_for(script.path, script.name, options.module_reader, options.module_overlays)
        self.modules = ModuleResolver(roots, script.name)
        self.module_paths: dict[str, None] = {}  # an ordered set
        self.pending_chunks: dict[str, str] = {}
        self.deadline = Deadline(options.timeout)
        self.results: Results | None = None
        keyed = None  # the functions whose calls the bridge sends with their key: none without reuse
        if options.reuse_results:
            from compiler.api.reuse import KEYED, Results  # here: a one-off evaluation never needs it

            self.results, keyed = Results(script.name), KEYED
        self.sandbox = Sandbox(self, options.memory_limit, self.deadline, keyed)
        self.values = Converter(self.sandbox.identify, keys=self.results is not None)
        self.running: tuple[bytes, int] | None = None  # (chunk name, line) last seen running

    def run(self) -> Evaluation:
        name = self.script.name
        outcome = self.sandbox.run(self.sources.add(name, self.script.text), chunk_name(name))
        problems: list[Problem] = []
        if outcome.timed_out or outcome.out_of_memory:
            problems.append(self._limit_problem(outcome.timed_out))
        elif outcome.syntax_error is not None:
            problems.append(self.sources.syntax_problem(outcome.syntax_error))
        elif outcome.error is not None:
            problem = self._runtime_problem(outcome.error, outcome.error_source, outcome.error_line)
            trace = tuple(loc for chunk, line in outcome.trace if (loc := self.sources.known_line(chunk, line)))
            problems.append(replace(problem, trace=trace))
        elif self.session.export is None:
            problems.append(Problem(f"{name}: no bk.export() call - nothing to build", None, ProblemKind.EXPORT))
        for noted in self.session.warnings:
            where, fixes = self._pinpoint(noted.location, noted.function, noted.focus, noted.replacement)
            problems.append(Problem(noted.message, where, noted.kind, "warning", fixes=fixes))
        evaluation = Evaluation(
            self.script,
            self.options,
            self.sources.files,
            self.session.export,
            problems,
            self.calls,
            self.logs,
            tuple(self.module_paths),
        )
        if evaluation.ok:
            problems.extend(unused_steps(evaluation))
        if self.results is not None:
            stopped = outcome.timed_out or outcome.out_of_memory or outcome.syntax_error is not None
            self.results.finish(complete=not stopped and outcome.error is None)
        return evaluation

    def _limit_problem(self, timed_out: bool) -> Problem:
        """The time-out or memory error, at the line that was running when it struck.

        A time-out is seen by the count hook (or an API call) on the line that
        was running. Memory runs out inside an allocation, where no Lua code runs
        (Lua 5.1 calls no error handler for it), so that error names the last line
        the hook or an API call saw: usually a line of the loop that used the memory
        up; for one huge allocation, possibly a line that ran shortly before it.
        """
        if timed_out:
            what = f"script evaluation timed out after {self.options.timeout:g}s"
        else:
            what = f"script exceeded the memory limit of {self.options.memory_limit / MiB:g} MiB"
        location = self.sources.known_line(*self.running) if self.running else None
        if location is None:
            return Problem(f"{self.script.name}: {what}", None, ProblemKind.LIMIT)
        return Problem(what, location, ProblemKind.LIMIT)

    def _runtime_problem(self, error: Any, source: str, line: int) -> Problem:
        if isinstance(error, bytes) and error in self.api_errors:
            return self.api_errors[error]
        return self.sources.runtime_problem(error, source, line)

    # ------------------------------------------------------------ host callbacks
    # Each one ends in a value the bridge understands: an exception escaping into
    # Lua would surface as an unlocated "error object" instead of a message.

    def tick(self, source: bytes, line: int) -> bool:
        # Past the deadline the hook fires on every instruction, the bridge's own
        # included: the line that ran out of time is the first one seen then.
        if self.deadline.expired:
            return True
        self.running = (source, line)
        if self.options.on_progress is not None:
            self.options.on_progress(source, line)
        return self.deadline.tick()

    def reused(self, name: bytes, chunkname: bytes, line: int, call_key: bytes) -> tuple[Any, ...] | None:
        """The answer to a call of a function in reuse.KEYED made alike the last time; None if it must run.

        The bridge asks with the call's key alone, and sends the call with its arguments to `call`
        only on a None: a reused call's arguments never cross (lupa makes a Python object for each
        table and handle it passes, ~1.5 ms of the 1,259 calls of a 1,000-op script).
        """
        if self.deadline.expired or self.deadline.tick():
            return (b"error", _TIMEOUT_SENTINEL)
        if self.results is None:
            return None
        entry = BRIDGE_NAMES[name]
        location = self.sources.call_location(chunkname, line, entry.where)
        try:
            found = self.results.reused(name, (chunkname, line), location, self.session, call_key)
            if found is None:
                return None
            self.session.charge(512)
        except Exception as exc:  # the charge: the memory limit
            return self._failed(entry.where, location, exc)
        self.running = (chunkname, line)
        self.calls.append(found.record)
        return self.values.to_lua(found.record.value)

    def call(self, name: bytes, chunkname: bytes, line: int, call_key: bytes | None, *args: Any) -> tuple[Any, ...]:
        """An API call; `call_key`, its arguments written out by the bridge, is given when results are reused."""
        if self.deadline.expired:
            return (b"error", _TIMEOUT_SENTINEL)
        self.running = (chunkname, line)  # the hook's ticks alone report progress: this path is hot
        if self.deadline.tick():
            return (b"error", _TIMEOUT_SENTINEL)
        entry = BRIDGE_NAMES[name]
        if name in _FIELD_LOOKUPS and args and isinstance(args[0], bytes):
            # `bk.imge`, `state:mkfil`: the misspelled name itself
            key = args[0].decode("utf-8", "replace")
            field = self.sources.field_location(chunkname, line, _FIELD_LOOKUPS[name], key)
            location = field or self.sources.known_line(chunkname, line)
        else:
            location = self.sources.call_location(chunkname, line, entry.where or name.decode())
        try:
            from_lua = self.values.from_lua
            arguments = [from_lua(a) for a in args]
            if call_key is not None and self.results is not None:
                site = (chunkname, line)
                record = self.results.call(name, entry, site, location, self.session, call_key, arguments)
            else:
                record = CallRecord(entry.where, location, dispatch_at(entry, location, self.session, arguments))
            self.session.charge(512)
        except Exception as exc:
            return self._failed(entry.where, location, exc)
        self.calls.append(record)
        return self.values.to_lua(record.value)

    def _failed(self, where: str, location: Location | None, exc: Exception) -> tuple[Any, ...]:
        """The bridge's error for an API call that raised `exc`."""
        if isinstance(exc, ScriptError):
            return self._api_error(where, exc.message, location, exc.focus, exc.replacement)
        if isinstance(exc, RecursionError):
            return self._api_error(where, "table nested too deeply", location)
        if isinstance(exc, MemoryError):
            return self._api_error(where, "the build graph exceeds the memory limit", location)
        # a luakit bug, not the script's: still a located message, never a traceback
        return self._api_error(where, f"internal error ({exc or type(exc).__name__}); please report it", location)

    def _pinpoint(
        self, location: Location | None, function: str, focus: Focus | None, replacement: Replacement | None
    ) -> tuple[Location | None, tuple[Fix, ...]]:
        """The range of the mistake within the call at `location`, and its fix where the text there fits it.

        Where the text does not show the part (a computed options table), the
        whole call: a wider range, never a wrong one.
        """
        if location is None:
            return None, ()
        if focus is None:
            return location, self._fixes(location, replacement)
        part = self.sources.part_location(location, function, focus)
        if part is None:
            return location, ()
        return part, self._fixes(part, replacement)

    def _fixes(self, location: Location, replacement: Replacement | None) -> tuple[Fix, ...]:
        if replacement is None or not re.fullmatch(replacement.expected, self.sources.text_at(location)):
            return ()
        return (Fix(replacement.title, (Edit(location, replacement.text),)),)

    def _api_error(
        self,
        where: str,
        message: str,
        location: Location | None,
        focus: Focus | None = None,
        replacement: Replacement | None = None,
    ) -> tuple[Any, ...]:
        if where and not message.startswith(where):
            message = f"{where}: {message}"
        location, fixes = self._pinpoint(location, where, focus, replacement)
        problem = Problem(message, location, ProblemKind.API, fixes=fixes)
        text = str(problem).encode()
        self.api_errors[text] = problem
        return (b"error", text)

    def describe(self, handle: int) -> bytes:
        return self.values.describe(handle).encode()

    def print(self, chunkname: bytes, line: int, text: bytes) -> None:
        location = self.sources.known_line(chunkname, line)
        message = text.decode("utf-8", "replace")
        self.logs.append((location, message))
        if self.options.on_print is not None:
            self.options.on_print(location, message)

    def require(self, name: bytes, mode: bytes, chunkname: bytes, line: int) -> tuple[Any, ...]:
        module_name, how = name.decode("utf-8", "replace"), mode.decode()
        location = self.sources.call_location(chunkname, line, how)
        try:
            found = self.modules.find(module_name, how)
        except ModuleError as err:  # about the name: located at it
            return self._api_error(how, str(err), location, Focus(1))
        if found.path is not None:
            self.module_paths[found.path] = None
        text = self.sources.add(found.display_name, found.text)
        bytecode = _compiled_chunks.get((found.display_name, text))
        if bytecode is not None:
            _compiled_chunks.move_to_end((found.display_name, text))
            return (b"ok", bytecode, chunk_name(found.display_name).encode(), True)
        self.pending_chunks[found.display_name] = text
        return (b"ok", text.encode(), chunk_name(found.display_name).encode(), False)

    def compiled(self, chunkname: bytes, bytecode: bytes) -> None:
        name = self.sources.file_of(chunkname)
        text = self.pending_chunks.pop(name, None)
        if text is not None:
            _compiled_chunks[(name, text)] = bytecode
            if len(_compiled_chunks) > _CHUNK_CACHE_SIZE:
                _compiled_chunks.popitem(last=False)

    def getenv(self, name: bytes) -> bytes | None:
        value = self.session.build_args.get(name.decode("utf-8", "replace"))
        return None if value is None else value.encode()
