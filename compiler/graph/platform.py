"""Target platforms, normalized the way containerd's `platforms.Normalize` is.

The one place platform text becomes a `Platform`: the CLI's `--platform`, the
`platform` option of `bk.image`, `bk.platform(...)` and the `os`/`arch`/`variant`
of `bk.export` all go through `parse` or `normalize`, so `"linux/aarch64"` is the
same platform wherever it is written.
"""

from __future__ import annotations

import os
import re

from compiler.records import Record

# containerd's specifier components: letters, digits, '_', '.', '-' (an OS has no '.').
# Compiled by `re` on first use (its cache): most scripts never name a platform.
_OS = r"^[A-Za-z0-9_-]+$"
_COMPONENT = r"^[A-Za-z0-9_.-]+$"

EXAMPLE = "linux/arm64"


class Platform(Record):
    __slots__ = ("os", "architecture", "variant")
    os: str
    architecture: str
    variant: str

    def __init__(self, os: str, architecture: str, variant: str = "") -> None:
        object.__setattr__(self, "os", os)  # as records set their fields (compiler/records.py)
        object.__setattr__(self, "architecture", architecture)
        object.__setattr__(self, "variant", variant)

    def __str__(self) -> str:
        parts = [self.os, self.architecture] + ([self.variant] if self.variant else [])
        return "/".join(parts)


def oci_fields(platform: Platform) -> dict[str, str]:
    """The OCI `os`, `architecture` and (when set) `variant` fields, as image configs and indexes spell them."""
    fields = {"os": platform.os, "architecture": platform.architecture}
    if platform.variant:
        fields["variant"] = platform.variant
    return fields


def _arch(arch: str, variant: str) -> tuple[str, str]:
    """containerd's normalizeArch: canonical architecture names and variants."""
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64", "amd64"):
        return "amd64", "" if variant == "v1" else variant
    if arch in ("aarch64", "arm64"):
        if variant in ("8", "v8", "v8.0"):
            variant = ""
        elif variant in ("9", "9.0", "v9.0"):
            variant = "v9"
        return "arm64", variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        if variant in ("", "7"):
            variant = "v7"
        elif variant in ("5", "6", "8"):
            variant = "v" + variant
    return arch, variant


def normalize(os_name: str, arch: str, variant: str = "") -> Platform:
    """The canonical platform, like containerd's `platforms.Normalize`.

    `aarch64` -> `arm64` (a `v8` variant dropped), `armhf` -> `arm/v7`, `armel` -> `arm/v6`,
    `arm` -> `arm/v7`, `x86_64` -> `amd64`, `i386` -> `386` (no variant), `macos` -> `darwin`.
    Raises ValueError, with a message for the user, for a component containerd would reject.
    """
    if not re.match(_OS, os_name):
        raise ValueError(_invalid("OS", os_name))
    if not re.match(_COMPONENT, arch):
        raise ValueError(_invalid("architecture", arch))
    if variant and not re.match(_COMPONENT, variant):
        raise ValueError(_invalid("variant", variant))
    os_name = os_name.lower()
    if os_name == "macos":
        os_name = "darwin"
    architecture, variant = _arch(arch.lower(), variant.lower())
    return Platform(os_name, architecture, variant)


def parse(text: str) -> Platform:
    """`os/arch[/variant]`, normalized. Raises ValueError with a message for the user.

    Unlike containerd, an OS or an architecture alone is refused: containerd fills in
    the host's, which would make the output depend on the machine.
    """
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"invalid platform '{text}' (expected os/arch or os/arch/variant, e.g. {EXAMPLE})")
    try:
        return normalize(*parts)
    except ValueError as exc:
        raise ValueError(f"invalid platform '{text}': {exc}") from None


def _invalid(what: str, value: str) -> str:
    allowed = "letters, digits, '_' and '-'" if what == "OS" else "letters, digits, '_', '.' and '-'"
    shown = f"'{value}'" if value else "empty"
    return f"{what} {shown} is not valid (use {allowed})"


def host() -> Platform:
    """The platform images built here default to: Linux on this machine's architecture.

    Linux even on a macOS or Windows host, because BuildKit builds Linux images in
    a VM of the host's architecture there; this is the platform the daemon's
    exporter and a registry pull would pick by default.
    """
    if hasattr(os, "uname"):
        # What platform.machine() returns on POSIX, without importing the platform
        # module (~2 ms of regular expressions compiled at import, on every `luakit build`).
        machine = os.uname().machine
    else:  # Windows
        import platform

        machine = platform.machine()
    return normalize("linux", machine or "amd64")
