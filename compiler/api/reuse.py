"""API results reused from the last evaluation of the same script (the editor's keystrokes).

The language server's worker evaluates a script again after every edit, and most
lines are unchanged: the same call, at the same place, on the same inputs, builds
the same node. Building it (reading the options, cleaning paths, creating the
records) was about half of each evaluation of a 1,000-op script
(docs/performance.md#warm-evaluation); looking its result up is a fraction of that.

A call's result is reused when these are all the same as for a call of the last
evaluation (or an earlier call of this one):

- the function (its bridge name, `b"State:run"`);
- the call's location (the node records it, columns included);
- the target platform of the evaluation;
- each argument: strings, numbers and booleans by value and type (`1`, `1.0` and
  `true` are equal in Python, not to the API), tables entry by entry, and handles
  (State, Mount, Platform) by identity: the very object a reused call returned.

So a line is reused only when every line it builds on was reused (or is equal by
value), as the nodes hold their inputs by identity. What a call did besides
returning its result is done again: the warnings it recorded are recorded again,
and the memory it charged is charged again. Calls that failed are not remembered.

Only the functions whose result depends on nothing else are reused. `bk.image`
depends on the image resolver too (its disk cache changes when `luakit build`
fills it), so it runs every time; but when it returns a State equal to the one it
returned last time, that State is kept, so the lines built on it can be reused.
`bk.export` and `bk.arg` run every time.
"""

from __future__ import annotations

from collections import OrderedDict

from compiler.api import values as v
from compiler.api.call import Call, Session
from compiler.api.dispatch import Entry, dispatch
from compiler.graph import nodes as g
from compiler.graph.platform import Platform

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

    from compiler.api.call import Noted
    from compiler.errors import Location

# The bridge names of the functions whose result is a function of the key alone.
REUSABLE = frozenset(
    {
        b"State:run",
        b"State:get_mount",
        b"State:copy",
        b"State:mkdir",
        b"State:mkfile",
        b"State:rm",
        b"State:symlink",
        b"State:with_metadata",
        b"bk.local_",
        b"bk.git",
        b"bk.http",
        b"bk.https",
        b"bk.scratch",
        b"bk.merge",
        b"bk.diff",
        b"bk.platform",
        b"bk.cache",
        b"bk.secret",
        b"bk.ssh",
        b"bk.tmpfs",
        b"bk.bind",
    }
)
# Run every time, but an equal State keeps the last one's identity (see the docstring).
KEPT_WHEN_EQUAL = frozenset({b"bk.image"})

# The scripts whose last results are kept: a few open documents.
_SCRIPTS = 8
# A script's results that keep the last ones too (see `Results.finish`) are dropped past this.
_MAX_RESULTS = 200_000

_HANDLES = (g.State, v.MountValue, Platform)


class Remembered:
    """A call's result, and what else the call did. (Not a record: it is never compared.)"""

    __slots__ = ("result", "arguments", "warnings", "charged")

    def __init__(self, result: Any, arguments: list[Any], warnings: tuple[Noted, ...], charged: int) -> None:
        self.result = result
        # The arguments hold the handles the key names by id(): an id stays theirs while they live.
        self.arguments = arguments
        self.warnings = warnings
        self.charged = charged


def _key(value: Any) -> Any:
    """An argument as a part of a key: equal only for arguments every API function treats alike."""
    kind = type(value)
    if kind is str or kind is bytes or value is None:
        return value  # never equal to the tuples below, nor to each other
    if kind is v.Table:
        return (v.Table, tuple([(_key(k), _key(item)) for k, item in value.items.items()]))
    if kind is float:
        return (float, value.hex())  # -0.0 is not 0.0 here, and nan is equal to nan
    if kind in _HANDLES:
        return (kind, id(value))
    return (kind, value)  # int, bool, Opaque


class Results:
    """The results of one evaluation's calls, and those of the last evaluation of its script."""

    def __init__(self, script_name: str, enabled: bool = True) -> None:
        self.script_name = script_name
        self.enabled = enabled  # off: every call is dispatched, and nothing is remembered
        self.previous = _last.get(script_name, {}) if enabled else {}
        self.current: dict[tuple[Any, ...], Remembered] = {}

    def call(self, name: bytes, entry: Entry, location: Location | None, session: Session, arguments: list[Any]) -> Any:
        """`dispatch` of this call, or the result of the same call the last time."""
        reusable = name in REUSABLE
        if not self.enabled or (not reusable and name not in KEPT_WHEN_EQUAL):
            return dispatch(entry, Call(entry.where, location, session, tuple(arguments)), arguments)
        key = (name, location, session.target, *[_key(a) for a in arguments])
        found = self.current.get(key) or self.previous.get(key)
        if found is not None and reusable:
            self.current[key] = found
            session.warnings.extend(found.warnings)  # recorded before the charge, as the functions do
            session.charge(found.charged)
            return found.result
        warned, charged = len(session.warnings), session.charged
        result = dispatch(entry, Call(entry.where, location, session, tuple(arguments)), arguments)
        if found is not None and _equal_sources(found.result, result):
            result = found.result
        self.current[key] = Remembered(result, arguments, tuple(session.warnings[warned:]), session.charged - charged)
        return result

    def finish(self, complete: bool) -> None:
        """Keep this evaluation's results for the next one of the script.

        An evaluation that stopped early (a syntax error while typing, a runtime
        error) keeps the last results too, for the lines it did not reach.
        """
        if not self.enabled:
            return
        kept = self.current
        if not complete and len(self.previous) + len(self.current) <= _MAX_RESULTS:
            kept = {**self.previous, **self.current}
        _last[self.script_name] = kept
        _last.move_to_end(self.script_name)
        while len(_last) > _SCRIPTS:
            _last.popitem(last=False)


def _equal_sources(old: Any, new: Any) -> bool:
    """Whether two States are the same source op, field by field (source nodes have no inputs)."""
    if type(old) is not g.State or type(new) is not g.State or old.ref is None or new.ref is None:
        return False
    old_node, new_node = old.ref.node, new.ref.node
    return (
        type(old_node) is g.SourceNode
        and type(new_node) is g.SourceNode
        and old_node._field_values(old_node) == new_node._field_values(new_node)
        and old.ref.index == new.ref.index
        and old.platform == new.platform
        and old.image == new.image
        and old.exec is None
        and new.exec is None
    )


# Script name -> the results of its last evaluation, most recently evaluated last.
_last: OrderedDict[str, dict[tuple[Any, ...], Remembered]] = OrderedDict()
