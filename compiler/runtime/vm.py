"""A fresh, sandboxed Lua 5.1 state per evaluation (lupa), and its limits."""

from __future__ import annotations

import os
import time

from lupa import lua51

from compiler.runtime.modules import STDLIB_PREFIX

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Protocol

    # Only type checkers need the protocol (a class of `typing`): at run time the host is any object.
    class Host(Protocol):
        """What the bridge calls back into (implemented by compiler.evaluate)."""

        def call(self, name: bytes, source: bytes, line: int, key: bytes | None, *args: Any) -> tuple[Any, ...]:
            """An API call; `key` is its arguments written out, for the functions in the sandbox's `keyed`."""
            ...

        def reused(self, name: bytes, source: bytes, line: int, key: bytes) -> tuple[Any, ...] | None:
            """The answer to a keyed call made alike the last time, else None: then `call` is called."""
            ...

        def describe(self, handle: int) -> bytes: ...
        def print(self, source: bytes, line: int, text: bytes) -> None: ...
        def require(self, name: bytes, mode: bytes, source: bytes, line: int) -> tuple[Any, ...]: ...
        def getenv(self, name: bytes) -> bytes | None: ...
        def compiled(self, chunkname: bytes, bytecode: bytes) -> None: ...
        def tick(self, source: bytes, line: int) -> bool:
            """Whether the time is up; `source` and `line` say what was running (the count hook's view)."""
            ...


_BRIDGE = os.path.join(os.path.dirname(__file__), "bridge.lua")  # a str: no pathlib (compiler/runtime/modules.py)

# Instructions between two looks at the clock: about 1 ms of Lua work, and
# about 4% of the time of a tight pure-Lua loop (10,000 cost 10%).
HOOK_COUNT = 100_000


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.expired = False

    def tick(self) -> bool:
        if not self.expired and time.monotonic() >= self.expires:
            self.expired = True
        return self.expired


def _deny_attributes(obj: object, name: object, is_setting: bool) -> object:
    # No Lua code may reach into a Python object (lupa asks before every access).
    raise AttributeError("not accessible from build scripts")


class LuaOutcome:
    """How the main chunk ended: None fields mean success. (Not a dataclass: docs/performance.md#cold-start.)"""

    def __init__(
        self,
        syntax_error: str | None = None,
        error: Any = None,
        error_source: str = "",
        error_line: int = 0,
        trace: tuple[tuple[str, int], ...] = (),  # (chunk name, line) of each Lua frame, innermost first
        timed_out: bool = False,
        out_of_memory: bool = False,
    ) -> None:
        self.syntax_error = syntax_error
        self.error = error
        self.error_source = error_source
        self.error_line = error_line
        self.trace = trace
        self.timed_out = timed_out
        self.out_of_memory = out_of_memory


# The bridge compiled, once per process: compiling its text took ~0.25 ms of each evaluation
# (a quarter of a small script's), loading the compiled chunk ~0.04 ms. Compiled under the
# name `execute` gives a text ("<python>"), so its functions' debug info is the same.
_bridge_chunk: bytes | None = None


def _bridge(lua: Any) -> bytes:
    global _bridge_chunk
    if _bridge_chunk is None:
        with open(_BRIDGE, "rb") as f:
            text = f.read()
        # In a state no script has run in: the bridge removes string.dump from the sandbox.
        _bridge_chunk = lua.execute(
            b"local text, name = ...; return string.dump(assert(loadstring(text, name)))", text, b"<python>"
        )
    return _bridge_chunk


class Sandbox:
    def __init__(
        self, host: Host, memory_limit: int, deadline: Deadline, keyed: Mapping[bytes, bool] | None = None
    ) -> None:
        """`keyed`: the API functions whose calls send their key (the bridge's `call_key`), each to
        whether the bridge asks `host.reused` first."""
        self.deadline = deadline
        self.lua = lua51.LuaRuntime(
            encoding=None,
            max_memory=memory_limit,
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_filter=_deny_attributes,
        )
        bridge = _bridge(self.lua)
        host_table = self.lua.table_from(
            {
                b"call": host.call,
                b"reused": host.reused,
                b"describe": host.describe,
                b"print": host.print,
                b"tick": host.tick,
                b"require": host.require,
                b"getenv": host.getenv,
                b"compiled": host.compiled,
            }
        )
        keyed_table = self.lua.table_from(keyed) if keyed else None
        self._run_main, self.identify = self.lua.execute(
            bridge, host_table, HOOK_COUNT, ("@" + STDLIB_PREFIX).encode(), keyed_table
        )

    def memory_used(self) -> int:
        return int(self.lua.get_memory_used() or 0)

    def run(self, text: str, chunkname: str) -> LuaOutcome:
        try:
            problem = self._run_main(text.encode(), chunkname.encode())
        except lua51.LuaMemoryError:
            return LuaOutcome(out_of_memory=True, timed_out=self.deadline.expired)
        except lua51.LuaError as exc:
            # After the deadline the hook fires on every instruction, error
            # handlers included, so a time-out can surface here.
            if self.deadline.expired:
                return LuaOutcome(timed_out=True)
            return LuaOutcome(error=str(exc).encode())
        if self.deadline.expired:
            return LuaOutcome(timed_out=True)
        if problem is None:
            return LuaOutcome()
        if problem[b"syntax"]:
            return LuaOutcome(syntax_error=_text(problem[b"message"]))
        message = problem[b"message"]
        if problem[b"timeout"]:
            return LuaOutcome(timed_out=True)
        if isinstance(message, bytes) and message.endswith(b"not enough memory"):
            return LuaOutcome(out_of_memory=True)
        return LuaOutcome(
            error=message,
            error_source=_text(problem[b"source"] or b""),
            error_line=int(problem[b"line"] or 0),
            trace=_frames(problem[b"trace"]),
        )


def _frames(trace: Any) -> tuple[tuple[str, int], ...]:
    frames = []
    for frame in trace.values() if trace is not None else ():
        source, _, line = _text(frame).rpartition(":")
        if line.isdigit():
            frames.append((source, int(line)))
    return tuple(frames)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
