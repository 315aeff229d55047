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
- the arguments, as the bridge writes them out (its `call_key`, in
  compiler/runtime/bridge.lua): strings, numbers and booleans by value and type (`1`,
  `1.0` and `true` are equal in Python, not to the API), tables entry by entry, and
  handles (State, Mount, Platform) by identity: the very object a reused call returned.
  A reused call's arguments are not converted at all.

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

import itertools
from collections import OrderedDict

from compiler.api.call import Session
from compiler.api.dispatch import Entry, dispatch_at
from compiler.evaluate import CallRecord
from compiler.graph import nodes as g

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

    from compiler.api.call import Noted
    from compiler.errors import Location

    Site = tuple[bytes, int]  # the chunk name and line the bridge reports a call at

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
# The functions whose calls the bridge sends with their key, each to whether the bridge asks
# for its result first (`Results.reused`): a crossing into Python, in vain for one that always runs.
KEYED = {name: name in REUSABLE for name in REUSABLE | KEPT_WHEN_EQUAL}

# The scripts whose last results are kept: a few open documents, and at most about this many
# results in all (each keeps its graph alive: a few hundred bytes a result).
_SCRIPTS = 8
_MAX_RESULTS = 200_000


class Remembered:
    """A call's result, and what else the call did. (Not a record: it is never compared.)"""

    __slots__ = ("record", "arguments", "warnings", "charged", "evaluation")

    def __init__(
        self, record: CallRecord, arguments: list[Any], warnings: tuple[Noted, ...], charged: int, evaluation: int
    ) -> None:
        # The call as the evaluation lists it, its result in `value`: the same for a reused call
        # (same function, location and result), and immutable, so it is listed again rather
        # than made again (~1 us a call).
        self.record = record
        # The arguments hold the handles the key names by id() (compiler/runtime/convert.py's
        # `to_lua`): an id stays theirs while they live.
        self.arguments = arguments
        self.warnings = warnings
        self.charged = charged
        self.evaluation = evaluation  # the last evaluation that made or reused it (see `Results.finish`)


_evaluations = itertools.count(1)


class Results:
    """The results of a script's calls: this evaluation's, and those kept from the last one.

    One table per script, each entry stamped with the last evaluation that used it,
    so that a reused call costs one lookup. Its key is the function, the chunk name
    and line Lua reported the call at, the target and the bridge's string of the
    arguments, all hashed in C; the location, whose hash is Python's (compiler/records.py),
    is compared once found, most often by identity. Evaluations of a script run one
    at a time (the editor's worker).
    """

    def __init__(self, script_name: str) -> None:
        self.script_name = script_name
        self.entries = _scripts.get(script_name, {})
        self.evaluation = next(_evaluations)

    def reused(
        self, name: bytes, site: Site, location: Location | None, session: Session, arguments_key: bytes
    ) -> Remembered | None:
        """What the same call returned the last time (its warnings and charge recorded again); None if it must run.

        `site` is the (chunk name, line) the bridge reported the call at, `location` the range
        found there, `arguments_key` the bridge's key of the call's arguments.
        """
        if name not in REUSABLE:
            return None
        found = self.entries.get(_key(name, site, session, arguments_key))
        if found is None or not _same(found.record.location, location):
            return None
        found.evaluation = self.evaluation
        session.warnings.extend(found.warnings)  # recorded before the charge, as the functions do
        session.charge(found.charged)
        return found

    def call(
        self,
        name: bytes,
        entry: Entry,
        site: Site,
        location: Location | None,
        session: Session,
        arguments_key: bytes,
        arguments: list[Any],
    ) -> CallRecord:
        """`dispatch` of a call of a function in `KEYED` that `reused` had no result for, kept for the next time."""
        key = _key(name, site, session, arguments_key)
        found = self.entries.get(key)  # an equal bk.image keeps its State (see the docstring)
        warned, charged = len(session.warnings), session.charged
        result = dispatch_at(entry, location, session, arguments)
        # (A source node records its location: equal sources were called at the same place.)
        if found is not None and _equal_sources(found.record.value, result):
            record = found.record
        else:
            record = CallRecord(entry.where, location, result)
        warnings = tuple(session.warnings[warned:])
        self.entries[key] = Remembered(record, arguments, warnings, session.charged - charged, self.evaluation)
        return record

    def finish(self, complete: bool) -> None:
        """Keep this evaluation's results for the next one of the script, and drop the others.

        An evaluation that stopped early (a syntax error while typing, a runtime
        error) keeps the older results too, for the lines it did not reach.
        """
        entries = self.entries
        if complete or len(entries) > _MAX_RESULTS:
            # The others deleted, rather than this evaluation's copied: after an edit they are
            # few, and a copied key is hashed again (its Location's hash is Python's: ~1 ms in
            # all for a 1,000-call script).
            stale = [key for key, found in entries.items() if found.evaluation != self.evaluation]
            for key in stale:
                del entries[key]
        _scripts[self.script_name] = entries
        _scripts.move_to_end(self.script_name)
        while len(_scripts) > _SCRIPTS or (len(_scripts) > 1 and sum(map(len, _scripts.values())) > _MAX_RESULTS):
            _scripts.popitem(last=False)  # the script evaluated least recently


def _key(name: bytes, site: Site, session: Session, arguments_key: bytes) -> tuple[object, ...]:
    """A call's entry in `Results.entries` (see `Results`): all of it hashed in C."""
    return (name, site, session.target, arguments_key)


def _same(old: Location | None, new: Location | None) -> bool:
    """Whether a kept call's location is this call's. Most often the very object (a one-line call's
    is kept by its line's text: compiler/runtime/sources.py), so compared by identity first."""
    return old is new or old == new


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


# Script name -> its calls' results (see `Results`), the most recently evaluated script last.
_scripts: OrderedDict[str, dict[tuple[Any, ...], Remembered]] = OrderedDict()
