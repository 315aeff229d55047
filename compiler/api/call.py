"""The context every API function receives: where it was called from, and the session."""

from __future__ import annotations

from collections.abc import Mapping

from compiler.errors import Focus, Location, ProblemKind, Replacement, ScriptError
from compiler.graph import nodes as g
from compiler.graph.platform import Platform
from compiler.records import Record

_set = object.__setattr__  # how a record's __init__ sets its fields (compiler/records.py)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any, Protocol

    # Only type checkers need the protocol (a class of `typing`): a resolver is any object with `resolve`.
    class ImageResolver(Protocol):
        """Looks up a base image's config for the states built on it.

        `identifier` is a normalized `docker-image://` identifier; `platform` is the
        platform asked for (None: the resolver's default). Returns None when this
        resolver does not look images up; raises `ImageResolveError` when it tried
        and failed. A digest in the result pins the image (`ref@digest`, as
        Dockerfile does).
        """

        def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None: ...


class Export:
    """What `bk.export` was given. (Plain classes here and below, not dataclasses: docs/performance.md#cold-start.)"""

    __slots__ = ("state", "config", "location")

    def __init__(self, state: g.State, config: dict[str, Any] | None, location: Location | None) -> None:
        self.state = state
        self.config = config
        self.location = location


class ImageResolveError(Exception):
    """A base image's config could not be had; the message says why in the user's terms.

    `bk.image` turns it into a located error, as Dockerfile fails a build whose
    `FROM` cannot be resolved.
    """


class RegistryUnreachable(ImageResolveError):
    """The registry could not be contacted at all (no network, unknown host, time-out).

    `bk.image` turns it into a located warning and goes on with Dockerfile's
    defaults: the daemon may still reach the registry (or have the image) when it
    builds, and a script must stay checkable offline.
    """


class NoImageResolver:
    """The default: no lookups; runs get the default PATH and cwd "/"."""

    def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None:
        return None


class Noted(Record):
    """A thing accepted but probably not what the author meant: reported as a warning of `kind`.

    `location` is the call's; `focus` the part of it the warning is about, and
    `replacement` its certain fix (see `ScriptError`).
    """

    __slots__ = ("message", "location", "kind", "focus", "replacement", "function")
    message: str
    location: Location | None
    kind: ProblemKind
    focus: Focus | None
    replacement: Replacement | None
    function: str  # the call's name ("bk.image"): what `focus` is looked for in

    def __init__(
        self,
        message: str,
        location: Location | None,
        kind: ProblemKind,
        focus: Focus | None = None,
        replacement: Replacement | None = None,
        function: str = "",
    ) -> None:
        _set(self, "message", message)
        _set(self, "location", location)
        _set(self, "kind", kind)
        _set(self, "focus", focus)
        _set(self, "replacement", replacement)
        _set(self, "function", function)


class Session:
    """Per-evaluation inputs, and the bookkeeping the API writes to (export, budget, warnings)."""

    __slots__ = ("target", "build_args", "memory_budget", "resolver", "export", "charged", "warnings")

    def __init__(
        self,
        target: Platform | None,
        build_args: Mapping[str, str],
        memory_budget: int,
        resolver: ImageResolver | None = None,
    ) -> None:
        self.target = target
        self.build_args = build_args
        self.memory_budget = memory_budget
        self.resolver: ImageResolver = NoImageResolver() if resolver is None else resolver
        self.export: Export | None = None
        self.charged = 0
        self.warnings: list[Noted] = []

    def charge(self, nbytes: int) -> None:
        """Count memory the graph holds outside Lua against the same limit."""
        self.charged += nbytes
        if self.charged > self.memory_budget:
            raise ScriptError("the build graph exceeds the memory limit")


class Call(Record):
    """One API call in progress (a record, not a `typing.NamedTuple`: docs/performance.md#cold-start)."""

    __slots__ = ("where", "location", "session", "args")
    where: str  # the name users know: "bk.image", "state:run"
    location: Location | None
    session: Session
    args: tuple[Any, ...]  # the arguments as the API function receives them (a method's State first)

    def __init__(self, where: str, location: Location | None, session: Session, args: tuple[Any, ...] = ()) -> None:
        set_field = _set.__get__(self)  # bound once, as graph nodes' are (compiler/graph/nodes.py): one per API call
        set_field("where", where)
        set_field("location", location)
        set_field("session", session)
        set_field("args", args)

    def error(self, message: str, focus: Focus | None = None, replacement: Replacement | None = None) -> ScriptError:
        return ScriptError(f"{self.where}: {message}", focus, replacement)

    def warn(
        self, message: str, kind: ProblemKind, focus: Focus | None = None, replacement: Replacement | None = None
    ) -> None:
        """Record a warning about this call: "state:copy: mode is the decimal number 644 ..."."""
        noted = Noted(f"{self.where}: {message}", self.location, kind, focus, replacement, self.where)
        self.session.warnings.append(noted)

    def focus(self, value: Any, keys: tuple[str | int, ...] = (), key: bool = False) -> Focus | None:
        """The focus on the argument that is `value` (by identity), or None when no one argument is.

        Small numbers and one-letter strings are shared objects in Python: when two
        arguments are the same object, which one is meant cannot be told.
        """
        positions = [i for i, arg in enumerate(self.args, 1) if arg is value]
        if not positions and value is None:
            return Focus(0)  # an absent argument: the argument list
        return Focus(positions[0], keys, key) if len(positions) == 1 else None

    def missing(self, message: str) -> ScriptError:
        """A required argument is missing: located at the call's argument list."""
        return self.error(message, Focus(0))

    def wrong(self, value: Any, message: str) -> ScriptError:
        """The argument `value` is wrong: located at it."""
        return self.error(message, self.focus(value))

    def node_platform(self, state_platform: Platform | None) -> Platform | None:
        return state_platform or self.session.target
