"""Script -> Evaluation: run a build script in the sandbox and collect what it built.

`evaluate` never raises for problems in the script: syntax errors, API misuse,
runtime errors, time-outs and memory exhaustion all come back as `Problem`s with
a location, next to whatever the script built before it stopped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lupa import lua51

from compiler.api import values as v
from compiler.api.call import Call, Export, ImageResolver, NoImageResolver, Session
from compiler.api.registry import FUNCTIONS, METHODS, user_name
from compiler.errors import Location, Problem, ScriptError
from compiler.graph import nodes as g
from compiler.graph.platform import Platform
from compiler.llb.marshal import Digester, Marshalled, SourceFile, marshal_state
from compiler.runtime.callsite import CallLocator
from compiler.runtime.modules import ModuleError, ModuleResolver, roots_for
from compiler.runtime.vm import Deadline, Sandbox

MiB = 1024 * 1024
DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY_LIMIT = 512 * MiB
_TIMEOUT_SENTINEL = b"\0luakit-timeout"
_MAX_TABLE_DEPTH = 64


@dataclass(frozen=True)
class ScriptSource:
    """A script to evaluate. `name` is how locations show it; `path` (if a file) roots `require`."""

    text: str
    name: str = "build.lua"
    path: str | None = None

    @classmethod
    def from_file(cls, path: str) -> ScriptSource:
        with open(path, encoding="utf-8") as f:
            return cls(f.read(), name=path, path=path)


@dataclass(frozen=True)
class EvalOptions:
    build_args: Mapping[str, str] = field(default_factory=dict)
    target_platform: Platform | None = None
    timeout: float = DEFAULT_TIMEOUT
    memory_limit: int = DEFAULT_MEMORY_LIMIT
    image_resolver: ImageResolver = field(default_factory=NoImageResolver)
    on_print: Callable[[Location | None, str], None] | None = None


@dataclass(frozen=True)
class CallRecord:
    """One API call that succeeded, and the value it returned."""

    function: str  # "bk.image", "state:run"
    location: Location | None
    value: Any


@dataclass
class Evaluation:
    script: ScriptSource
    options: EvalOptions
    sources: list[SourceFile]
    export: Export | None
    problems: list[Problem]
    calls: list[CallRecord]
    logs: list[tuple[Location | None, str]]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @cached_property
    def marshalled(self) -> Marshalled:
        """The Definition of the export. Only for a successful evaluation."""
        if self.export is None:
            raise ValueError("nothing was exported")
        return marshal_state(self.export.state, self.sources)

    def definition_bytes(self) -> bytes:
        return self.marshalled.to_bytes()

    @cached_property
    def digester(self) -> Digester:
        """One encoder for every node of this evaluation, shared with the marshalled export."""
        return self.marshalled.digester if self.export else Digester()

    def node_digest(self, node: g.Node) -> str:
        return self.digester.digest(node)


def unused_steps(evaluation: Evaluation) -> list[Problem]:
    """Warnings for steps whose result never reaches the export: BuildKit skips them.

    Only the last step of each unused chain is reported, once per call site.
    """
    marshalled = evaluation.marshalled
    exported = {op.digest for op in marshalled.ops}
    unused: dict[str, CallRecord] = {}
    for call in evaluation.calls:
        state = call.value
        if not isinstance(state, g.State) or state.ref is None or call.location is None:
            continue
        digest = marshalled.digester.digest(state.ref.node)
        if digest not in exported:
            unused.setdefault(digest, call)
    consumed = {
        marshalled.digester.digest(ref.node)
        for call in unused.values()
        for ref in call.value.ref.node.inputs()
        if ref is not None
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
                "unused",
                "warning",
            )
        )
    return warnings


def evaluate(script: ScriptSource, options: EvalOptions | None = None) -> Evaluation:
    """Run `script` in a fresh sandbox. Pure: same script and options, same result."""
    return _Evaluator(script, options or EvalOptions()).run()


def strip_first_line_comment(text: str) -> str:
    """Lua files may start with `#!...` or `# syntax=...`; blank it, keeping line numbers."""
    if text.startswith("#"):
        newline = text.find("\n")
        return "" if newline < 0 else text[newline:]
    return text


_POSITION = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<message>.*)$", re.DOTALL)
_NEAR = re.compile(r"near '(?P<token>.*)'$")


class _Evaluator:
    """Implements the bridge's host callbacks for one evaluation."""

    def __init__(self, script: ScriptSource, options: EvalOptions) -> None:
        self.script = script
        self.options = options
        self.session = Session(
            options.target_platform, dict(options.build_args), options.memory_limit, options.image_resolver
        )
        self.sources: list[SourceFile] = []
        self.locators: dict[str, CallLocator] = {}
        self.call_locations: dict[tuple[bytes, int, str], Location | None] = {}
        self.problems: list[Problem] = []
        self.calls: list[CallRecord] = []
        self.logs: list[tuple[Location | None, str]] = []
        self.api_errors: dict[bytes, Problem] = {}
        self.modules = ModuleResolver(roots_for(script.path, script.name))
        self.deadline = Deadline(options.timeout)
        self.sandbox = Sandbox(self, options.memory_limit, self.deadline)

    # ------------------------------------------------------------ driving

    def run(self) -> Evaluation:
        text = self._register(self.script.name, self.script.text)
        outcome = self.sandbox.run(text, self.script.name)
        name = self.script.name
        if outcome.timed_out:
            self.problems.append(
                Problem(f"{name}: script evaluation timed out after {self.options.timeout:g}s", None, "limit")
            )
        elif outcome.out_of_memory:
            limit = self.options.memory_limit / MiB
            self.problems.append(Problem(f"{name}: script exceeded the memory limit of {limit:g} MiB", None, "limit"))
        elif outcome.syntax_error is not None:
            self.problems.append(self._syntax_problem(outcome.syntax_error))
        elif outcome.error is not None:
            self.problems.append(self._runtime_problem(outcome.error, outcome.error_source, outcome.error_line))
        elif self.session.export is None:
            self.problems.append(Problem(f"{name}: no bk.export() call - nothing to build", None, "export"))
        evaluation = Evaluation(
            self.script,
            self.options,
            self.sources,
            self.session.export,
            self.problems,
            self.calls,
            self.logs,
        )
        if evaluation.ok and evaluation.export is not None:
            self.problems.extend(unused_steps(evaluation))
        return evaluation

    def _register(self, name: str, text: str) -> str:
        self.sources.append(SourceFile(name, text))
        self.locators[name] = CallLocator(text)
        return strip_first_line_comment(text)

    # ------------------------------------------------------------ locations

    def _file(self, source: bytes) -> str:
        text = source.decode("utf-8", "replace")
        return text[1:] if text.startswith("@") else text

    def _line_location(self, file: str, line: int) -> Location:
        locator = self.locators.get(file)
        first, last = locator.line_range(line) if locator else (0, 0)
        return Location(file, line, first, line, last)

    def _call_location(self, source: bytes, line: int, name: str) -> Location | None:
        file = self._file(source)
        if not file or line <= 0:
            return None
        locator = self.locators.get(file)
        found = locator.locate(line, name.split(".")[-1].split(":")[-1]) if locator else None
        if found is None:
            return self._line_location(file, line)
        column, end_line, end_column = found
        return Location(file, line, column, end_line, end_column)

    # ------------------------------------------------------------ problems

    def _split_position(self, message: str) -> tuple[str, int, str] | None:
        m = _POSITION.match(message)
        if m and m.group("file") in self.locators:
            return m.group("file"), int(m.group("line")), m.group("message")
        return None

    def _syntax_problem(self, message: str) -> Problem:
        split = self._split_position(message)
        if split is None:
            return Problem(message, None, "syntax")
        file, line, text = split
        location = self._line_location(file, line)
        near = _NEAR.search(text)
        source_lines = next(s.text for s in self.sources if s.name == file).split("\n")
        if near and near.group("token") and line <= len(source_lines):
            column = source_lines[line - 1].rfind(near.group("token"))
            if column >= 0:
                location = Location(file, line, column, line, column + len(near.group("token")))
        return Problem(text, location, "syntax")

    def _runtime_problem(self, error: Any, source: str, line: int) -> Problem:
        if isinstance(error, bytes) and error in self.api_errors:
            return self.api_errors[error]
        if isinstance(error, bytes):
            message = error.decode("utf-8", "replace")
            split = self._split_position(message)
            if split is not None:
                file, err_line, text = split
                return Problem(text, self._line_location(file, err_line), "runtime")
        else:
            message = f"error object is a {lua51.lua_type(error) or type(error).__name__} value"
        file = source[1:] if source.startswith("@") else source
        location = self._line_location(file, line) if file in self.locators and line > 0 else None
        return Problem(message, location, "runtime")

    # ------------------------------------------------------------ host callbacks

    def call(self, name_bytes: bytes, source: bytes, line: int, *args: Any) -> tuple[Any, ...]:
        if self.deadline.tick():
            return (b"error", _TIMEOUT_SENTINEL)
        name = name_bytes.decode()
        key = (source, line, name)
        if key in self.call_locations:  # calls in loops: one lookup per call site
            location = self.call_locations[key]
        else:
            location = self.call_locations[key] = self._call_location(source, line, name)
        where = user_name(name)
        try:
            converted = [self._convert(arg, 0) for arg in args]
            result = self._dispatch(name, where, location, converted)
            self.session.charge(512)
        except ScriptError as err:
            return self._api_error(where, err.message, location)
        except RecursionError:
            return self._api_error(where, f"{where}: table nested too deeply", location)
        self.calls.append(CallRecord(where, location, result))
        return self._to_lua(result)

    def _dispatch(self, name: str, where: str, location: Location | None, args: list[Any]) -> Any:
        call = Call(where, location, self.session)
        if name == "State.__index":
            key = args[0] if args else None
            methods = sorted(n.split(":", 1)[1] for n in METHODS)
            hint = v.unknown_option(str(key), dict.fromkeys(methods, v.string)).replace("unknown option", "no method")
            raise ScriptError(f"State has {hint}")
        if name == "Mount.__index":
            raise ScriptError("a Mount has no fields or methods; pass it to state:run{ mounts = { ... } }")
        if name == "Platform.__index":
            raise ScriptError('a Platform has no fields; use tostring(platform) for "os/arch"')
        if name in METHODS:
            if not args or not isinstance(args[0], g.State):
                method = name.split(":", 1)[1]
                raise ScriptError(f"{where}: call it on a State with a colon: state:{method}(...)")
            return METHODS[name].impl(call, *args)
        return FUNCTIONS[name].impl(call, *args)

    def _api_error(self, where: str, message: str, location: Location | None) -> tuple[Any, ...]:
        if not message.startswith(where) and not message.startswith("State has"):
            message = f"{where}: {message}"
        problem = Problem(message, location, "api")
        text = str(problem).encode()
        self.api_errors[text] = problem
        return (b"error", text)

    def _convert(self, value: Any, depth: int) -> Any:
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return value
        kind = lua51.lua_type(value)
        if kind == "table":
            if depth > _MAX_TABLE_DEPTH:
                raise ScriptError("table nested too deeply (or it contains itself)")
            items = {self._convert(k, depth + 1): self._convert(val, depth + 1) for k, val in value.items()}
            return v.Table(items)
        if kind == "userdata":
            handle_kind = self.sandbox.kind(value)
            if handle_kind is not None:
                return self.session.values[self.sandbox.handle(value)]
        return v.Opaque(kind or "userdata")

    def _to_lua(self, result: Any) -> tuple[Any, ...]:
        if result is None or isinstance(result, str):
            return (b"value", result.encode() if result is not None else None)
        kind = {g.State: b"State", v.MountValue: b"Mount", Platform: b"Platform"}[type(result)]
        self.session.values.append(result)
        return (b"handle", kind, len(self.session.values) - 1)

    def describe(self, handle: int) -> bytes:
        value = self.session.values[handle]
        if isinstance(value, g.State):
            if value.ref is None:
                return b"State(scratch)"
            node = value.ref.node
            where = f" at {node.location}" if node.location else ""
            return f"State({node.kind}{where})".encode()
        if isinstance(value, v.MountValue):
            mount = value.mount
            kind = type(mount).__name__.replace("Mount", "").lower()
            return f"Mount({kind} {mount.dest})".encode()
        return str(value).encode()

    def print(self, source: bytes, line: int, text: bytes) -> None:
        file = self._file(source)
        location = self._line_location(file, line) if file in self.locators and line > 0 else None
        message = text.decode("utf-8", "replace")
        self.logs.append((location, message))
        if self.options.on_print is not None:
            self.options.on_print(location, message)

    def require(self, name: bytes, mode: bytes, source: bytes, line: int) -> tuple[Any, ...]:
        module_name = name.decode("utf-8", "replace")
        location = self._call_location(source, line, mode.decode())
        try:
            found = self.modules.find(module_name, mode.decode())
        except ModuleError as err:
            return self._api_error(mode.decode(), str(err), location)
        if found.display_name not in self.locators:
            text = self._register(found.display_name, found.text)
        else:
            text = strip_first_line_comment(found.text)
        return (b"ok", text.encode(), found.display_name.encode())

    def getenv(self, name: bytes) -> bytes | None:
        value = self.session.build_args.get(name.decode("utf-8", "replace"))
        return None if value is None else value.encode()
