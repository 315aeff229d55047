"""The context every API function receives: where it was called from, and the session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from compiler.errors import Location, ProblemKind, ScriptError
from compiler.graph import nodes as g
from compiler.graph.platform import Platform


@dataclass
class Export:
    state: g.State
    config: dict[str, Any] | None
    location: Location | None


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


class ImageResolver(Protocol):
    """Looks up a base image's config for the states built on it.

    `identifier` is a normalized `docker-image://` identifier; `platform` is the
    platform asked for (None: the resolver's default). Returns None when this
    resolver does not look images up; raises `ImageResolveError` when it tried
    and failed. A digest in the result pins the image (`ref@digest`, as
    Dockerfile does).
    """

    def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None: ...


class NoImageResolver:
    """The default: no lookups; runs get the default PATH and cwd "/"."""

    def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None:
        return None


@dataclass
class Session:
    """Per-evaluation inputs, and the bookkeeping the API writes to (export, budget, warnings).

    `warnings` holds `(message, location, kind)` for things that are accepted but probably
    not what the author meant; the evaluator reports them as warning problems of that kind.
    """

    target: Platform | None
    build_args: Mapping[str, str]
    memory_budget: int
    resolver: ImageResolver = field(default_factory=NoImageResolver)
    export: Export | None = None
    charged: int = 0
    warnings: list[tuple[str, Location | None, ProblemKind]] = field(default_factory=list)

    def charge(self, nbytes: int) -> None:
        """Count memory the graph holds outside Lua against the same limit."""
        self.charged += nbytes
        if self.charged > self.memory_budget:
            raise ScriptError("the build graph exceeds the memory limit")


class Call(NamedTuple):
    """One API call in progress: an immutable tuple, because one is made for every call."""

    where: str  # the name users know: "bk.image", "state:run"
    location: Location | None
    session: Session

    def error(self, message: str) -> ScriptError:
        return ScriptError(f"{self.where}: {message}")

    def warn(self, message: str, kind: ProblemKind) -> None:
        """Record a warning located at this call: "state:copy: mode is the decimal number 644 ..."."""
        self.session.warnings.append((f"{self.where}: {message}", self.location, kind))

    def node_platform(self, state_platform: Platform | None) -> Platform | None:
        return state_platform or self.session.target
