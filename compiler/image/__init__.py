"""Image configs: reading a base image's, and the one the exported image gets."""

from __future__ import annotations

import os
from collections.abc import Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from compiler.api.call import ImageResolver
    from compiler.graph import nodes as g
    from compiler.graph.platform import Platform


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
    if not network:
        return CacheOnlyResolver()
    from compiler.image.registry import RegistryResolver

    return RegistryResolver()


class CacheOnlyResolver:
    """`image_resolver(network=False)`: what the CLI resolved before (the disk cache), never a
    request; the registry module is loaded by the process that resolves, on its first image.

    The language server makes one for every evaluation and sends it to its worker, which
    does the resolving: building `compiler.image.registry.cached_resolver()` there instead
    had the server import the network stack (urllib.request, http.client, email: ~30 ms, more
    under load) just before it could send its first evaluation.
    """

    def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None:
        from compiler.image.registry import cached_resolver

        # Each call reads the cache afresh, so a long-lived editor process sees what the CLI
        # resolved since (RegistryResolver with network=False).
        return cached_resolver().resolve(identifier, platform)
