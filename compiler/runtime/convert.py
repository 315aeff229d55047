"""Values across the Lua boundary.

Arguments arrive as lupa objects: strings become `str` (or `bytes` where UTF-8
fails), tables become `values.Table`, and the opaque State/Mount/Platform
handles become the graph values they stand for. Results go back as handles.
A handle is an index into this converter's list; the bridge alone mints the
userdata that carry them, so a script cannot forge one.
"""

from __future__ import annotations

from collections.abc import Callable

from lupa import lua51

from compiler.api import values as v
from compiler.errors import ScriptError
from compiler.graph import nodes as g
from compiler.graph.platform import Platform

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

    # The bridge's `identify`: (kind, handle) for a userdata it minted, else (None, None).
    Identify = Callable[[Any], tuple[Any, Any]]

MAX_TABLE_DEPTH = 64

_KINDS: dict[type, bytes] = {g.State: b"State", v.MountValue: b"Mount", Platform: b"Platform"}


class Converter:
    def __init__(self, identify: Identify, keys: bool = False) -> None:
        self._identify = identify
        self.handles: list[Any] = []
        # Whether each handle carries its part of a call's key (the bridge's `call_key`, for
        # compiler/api/reuse.py): its value's identity, which the key must name across
        # evaluations, where a handle's index names it in one evaluation only.
        self._keys = keys

    def from_lua(self, value: Any, depth: int = 0) -> Any:
        kind = type(value)
        if kind is bytes:
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return value
        if value is None or kind is bool or kind is int or kind is float:
            return value
        lua_kind = lua51.lua_type(value)
        if lua_kind == "table":
            if depth > MAX_TABLE_DEPTH:
                raise ScriptError("table nested too deeply (or it contains itself)")
            convert = self.from_lua
            items = {}
            for key, item in value.items():
                # Keys are mostly names, and values mostly ASCII strings and numbers:
                # those are taken here rather than in a call per entry (half of the
                # entries of a typical options table).
                kind = type(item)
                if kind is bytes and item.isascii():
                    item = item.decode()
                elif kind is not int and kind is not float and kind is not bool:
                    item = convert(item, depth + 1)
                if type(key) is bytes and key.isascii():
                    items[key.decode()] = item
                else:
                    items[convert(key, depth + 1)] = item
            return v.Table(items)
        if lua_kind == "userdata":
            _, handle = self._identify(value)
            if handle is not None:
                return self.handles[handle]
        return v.Opaque(lua_kind or "userdata")

    def to_lua(self, result: Any) -> tuple[Any, ...]:
        """What the bridge's `finish` expects: ("value", x) or ("handle", kind, index, key part or nil)."""
        if result is None or isinstance(result, str):
            return (b"value", result.encode() if result is not None else None)
        self.handles.append(result)
        # An id is the value's while it lives: compiler/api/reuse.py keeps the arguments of every
        # call it remembers, so a key naming a handle's id never outlives the handle's value.
        key = b"h%x;" % id(result) if self._keys else None
        return (b"handle", _KINDS[type(result)], len(self.handles) - 1, key)

    def describe(self, handle: int) -> str:
        """`tostring()` of a handle."""
        value = self.handles[handle]
        if isinstance(value, g.State):
            if value.ref is None:
                return "State(scratch)"
            node = value.ref.node
            where = f" at {node.location}" if node.location else ""
            return f"State({node.kind}{where})"
        if isinstance(value, v.MountValue):
            mount = value.mount
            kind = type(mount).__name__.replace("Mount", "").lower()
            return f"Mount({kind} {mount.dest})"
        return str(value)
