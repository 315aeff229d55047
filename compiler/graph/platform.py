"""Target platforms, normalized the way containerd's `platforms.Normalize` does."""

from __future__ import annotations

from dataclasses import dataclass

_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "armhf": "arm",
    "armel": "arm",
    "i386": "386",
    "i686": "386",
}


@dataclass(frozen=True, slots=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        parts = [self.os, self.architecture] + ([self.variant] if self.variant else [])
        return "/".join(parts)


def normalize(os_name: str, arch: str, variant: str = "") -> Platform:
    """Normalize like containerd: `aarch64` -> `arm64` (variant v8 dropped), `arm` -> `arm/v7`."""
    os_name = os_name.lower()
    arch = arch.lower()
    variant = variant.lower()
    if arch == "aarch64" and variant in ("", "8", "v8"):
        variant = ""
    arch = _ARCH_ALIASES.get(arch, arch)
    if arch == "arm64" and variant in ("8", "v8"):
        variant = ""
    elif arch == "arm":
        if variant in ("", "7"):
            variant = "v7"
        elif variant in ("5", "6", "8"):
            variant = "v" + variant
    elif arch == "amd64" and variant == "v1":
        variant = ""
    return Platform(os_name, arch, variant)


def parse(text: str) -> Platform:
    """Parse `os/arch[/variant]`. Raises ValueError with a user-facing message."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"invalid platform '{text}' (expected os/arch or os/arch/variant, e.g. linux/arm64)")
    return normalize(*parts)
