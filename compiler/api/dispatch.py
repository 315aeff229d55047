"""From the name the bridge sends ("bk.image", "State:run") to the function that implements it."""

from __future__ import annotations

from collections.abc import Callable

from compiler.api import values as v
from compiler.api.call import Call
from compiler.api.registry import FUNCTIONS, METHODS, user_name
from compiler.errors import Focus, ScriptError
from compiler.graph import nodes as g
from compiler.records import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

    from compiler.api.call import Session
    from compiler.errors import Location

# inspect.CO_VARARGS, without importing inspect (docs/performance.md#cold-start): the code flag of a `*args`.
_CO_VARARGS = 0x04


class Entry(Record):
    """A function the bridge can call. (A record, not a dataclass: docs/performance.md#cold-start.)"""

    __slots__ = ("where", "impl", "method", "parameters")
    where: str  # the name users know: "bk.image", "state:run"; "" for messages that name their subject
    impl: Callable[..., Any]
    method: bool
    # The parameters after `call` (None: any number), read from the code once rather than on every call.
    parameters: tuple[str, ...] | None

    def __init__(
        self, where: str, impl: Callable[..., Any], method: bool, parameters: tuple[str, ...] | None = ()
    ) -> None:
        object.__setattr__(self, "where", where)
        object.__setattr__(self, "impl", impl)
        object.__setattr__(self, "method", method)
        if parameters == ():  # not given: read from the code (a copy or unpickling passes it on)
            code = impl.__code__
            parameters = None if code.co_flags & _CO_VARARGS else code.co_varnames[1 : code.co_argcount]
        object.__setattr__(self, "parameters", parameters)


def _no_such_state_field(call: Call, key: Any = None, *_: Any) -> Any:
    methods = sorted(n.split(":", 1)[1] for n in METHODS)
    hint = v.unknown_option(str(key), dict.fromkeys(methods, v.string)).replace("unknown option", "no method")
    raise ScriptError(f"State has {hint}", replacement=v.rename(str(key), v.closest(str(key), methods)))


def _no_such_function(call: Call, key: Any = None, *_: Any) -> Any:
    """`bk.imge`: the bridge's `bk` table has no such field."""
    name = str(key)
    functions = sorted(n.split(".", 1)[1] for n in FUNCTIONS)
    meant = v.closest(name, functions)
    hint = f" (did you mean '{meant}'?)" if meant else ""
    raise ScriptError(f"bk has no function {v.shown(name)}{hint}", replacement=v.rename(name, meant))


def _no_mount_fields(call: Call, *_: Any) -> Any:
    raise ScriptError("a Mount has no fields or methods; pass it to state:run{ mounts = { ... } }")


def _no_platform_fields(call: Call, *_: Any) -> Any:
    raise ScriptError('a Platform has no fields; use tostring(platform) for "os/arch"')


ENTRIES: dict[str, Entry] = {
    **{name: Entry(user_name(name), f.impl, False) for name, f in FUNCTIONS.items()},
    **{name: Entry(user_name(name), f.impl, True) for name, f in METHODS.items()},
    # indexing a handle with an unknown key (the bridge's __index)
    "State.__index": Entry("", _no_such_state_field, False),
    "bk.__index": Entry("", _no_such_function, False),
    "Mount.__index": Entry("", _no_mount_fields, False),
    "Platform.__index": Entry("", _no_platform_fields, False),
}


# The bridge sends names as bytes: looked up without decoding.
BRIDGE_NAMES: dict[bytes, Entry] = {name.encode(): entry for name, entry in ENTRIES.items()}


def _arguments(entry: Entry, args: list[Any]) -> list[Any]:
    """`args` without trailing nils the function has no parameter for; too many is the script's mistake."""
    names = entry.parameters
    if names is None:
        return args
    given = len(args)
    if given <= len(names):  # nothing to trim (`dispatch_at` does not call for it)
        return args
    while given > len(names) and args[given - 1] is None:  # as good as absent
        given -= 1
    if given > len(names):
        shown = [("options" if n == "opts" else n) for n in names]
        if entry.method:  # the State before the colon is not an argument users count
            shown, given = shown[1:], given - 1
        raise ScriptError(
            f"{entry.where}: takes at most {len(shown)} arguments ({', '.join(shown)}), got {given}",
            Focus(len(names) + 1),  # the first one too many
        )
    return args[:given]


def dispatch_at(entry: Entry, location: Location | None, session: Session, args: list[Any]) -> Any:
    """Run one API call, which the script made at `location` in `session`. Raises ScriptError for
    mistakes in the script.

    One function, the `Call` made here: every call of every script passes, and each Python
    frame and call on the way costs ~0.1-0.2 us of a call's ~10-20 us.
    """
    if entry.method and (not args or not isinstance(args[0], g.State)):
        method = entry.where.split(":", 1)[1]
        raise ScriptError(f"{entry.where}: call it on a State with a colon: state:{method}(...)")
    call = Call(entry.where, location, session, tuple(args))
    parameters = entry.parameters
    if parameters is not None and len(args) > len(parameters):  # trailing nils, or too many
        args = _arguments(entry, args)
    return entry.impl(call, *args)
