"""Image configs: reading a base image's, and the one the exported image gets."""

from __future__ import annotations

import os
from collections.abc import Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from compiler.api.call import ImageResolver


def lookups_disabled(environ: Mapping[str, str] = os.environ) -> bool:
    """LUAKIT_NO_RESOLVE set to anything but "" or "0": no registry lookups (CI, offline machines)."""
    return environ.get("LUAKIT_NO_RESOLVE", "") not in ("", "0")


def image_resolver(network: bool, offline: bool = False) -> ImageResolver:
    """How base image configs are found: registries (`network`), else only the disk cache.

    None at all when `offline` (`--no-resolve`) or LUAKIT_NO_RESOLVE say so. The
    registry module (the network stack) is only loaded when it is used.
    """
    from compiler.api.call import NoImageResolver

    if offline or lookups_disabled():
        return NoImageResolver()
    from compiler.image.registry import RegistryResolver, cached_resolver

    return RegistryResolver() if network else cached_resolver()
