"""Every function and method of the `bk` API, with its option schema.

The bridge (runtime/bridge.lua) calls these by name; tests/test_stubs.py checks
this table against the stubs in types/, the single source of API truth.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from compiler.api import exec as exec_api
from compiler.api import file, graphops, mounts, sources
from compiler.api import values as v
from compiler.records import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any


class ApiFunction(Record):
    """An API function and its option readers. (A record, not a dataclass: docs/performance.md#cold-start.)"""

    __slots__ = ("impl", "options")
    impl: Callable[..., Any]
    options: Mapping[str, v.Reader] | None

    def __init__(self, impl: Callable[..., Any], options: Mapping[str, v.Reader] | None = None) -> None:
        object.__setattr__(self, "impl", impl)
        object.__setattr__(self, "options", options)


FUNCTIONS: dict[str, ApiFunction] = {
    "bk.image": ApiFunction(sources.image, sources.IMAGE_OPTIONS),
    "bk.local_": ApiFunction(sources.local, sources.LOCAL_OPTIONS),
    "bk.git": ApiFunction(sources.git, sources.GIT_OPTIONS),
    "bk.http": ApiFunction(sources.http, sources.HTTP_OPTIONS),
    "bk.https": ApiFunction(sources.http, sources.HTTP_OPTIONS),
    "bk.scratch": ApiFunction(sources.scratch),
    "bk.merge": ApiFunction(graphops.merge),
    "bk.diff": ApiFunction(graphops.diff),
    "bk.export": ApiFunction(graphops.export, graphops.EXPORT_OPTIONS),
    "bk.platform": ApiFunction(graphops.platform),
    "bk.arg": ApiFunction(graphops.arg),
    "bk.cache": ApiFunction(mounts.cache, mounts.CACHE_OPTIONS),
    "bk.secret": ApiFunction(mounts.secret, mounts.SECRET_OPTIONS),
    "bk.ssh": ApiFunction(mounts.ssh, mounts.SSH_OPTIONS),
    "bk.tmpfs": ApiFunction(mounts.tmpfs, mounts.TMPFS_OPTIONS),
    "bk.bind": ApiFunction(mounts.bind, mounts.BIND_OPTIONS),
}

METHODS: dict[str, ApiFunction] = {
    "State:run": ApiFunction(exec_api.run, exec_api.RUN_OPTIONS),
    "State:get_mount": ApiFunction(exec_api.get_mount),
    "State:copy": ApiFunction(file.copy, file.COPY_OPTIONS),
    "State:mkdir": ApiFunction(file.mkdir, file.MKDIR_OPTIONS),
    "State:mkfile": ApiFunction(file.mkfile, file.MKFILE_OPTIONS),
    "State:rm": ApiFunction(file.rm, file.RM_OPTIONS),
    "State:symlink": ApiFunction(file.symlink, file.SYMLINK_OPTIONS),
    "State:with_metadata": ApiFunction(graphops.with_metadata, graphops.METADATA_OPTIONS),
}


def user_name(name: str) -> str:
    """The name used in messages: `bk.image`, `state:run`."""
    return "state:" + name.split(":", 1)[1] if name.startswith("State:") else name
