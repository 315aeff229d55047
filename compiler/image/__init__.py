"""Image configs: reading a base image's, and the one the exported image gets."""

import os
from collections.abc import Mapping


def lookups_disabled(environ: Mapping[str, str] = os.environ) -> bool:
    """LUAKIT_NO_RESOLVE set to anything but "" or "0": no registry lookups (CI, offline machines)."""
    return environ.get("LUAKIT_NO_RESOLVE", "") not in ("", "0")
