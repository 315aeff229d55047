"""The server's settings: from `initializationOptions` and `workspace/didChangeConfiguration`.

Both carry the same object, either bare or under a `luakit` key:

    { "timeout": 2, "memoryLimit": 512, "buildArgs": { "VERSION": "1.2" },
      "platform": "linux/arm64", "files": ["build.lua", "*.build.lua"] }
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_FILES = ("build.lua", "*.build.lua")


@dataclass(frozen=True)
class Settings:
    timeout: float = 2.0  # seconds an evaluation may run in the editor
    memory_limit_mib: int = 512
    build_args: Mapping[str, str] = field(default_factory=dict)
    platform: str | None = None  # target platform, "os/arch[/variant]"
    files: tuple[str, ...] = DEFAULT_FILES  # globs of build scripts (besides files that call `bk.`)


_KEYS = {
    "timeout": ("timeout", lambda v: float(v) if float(v) > 0 else None),
    "memoryLimit": ("memory_limit_mib", lambda v: int(v) if int(v) > 0 else None),
    "buildArgs": ("build_args", lambda v: {str(k): str(x) for k, x in dict(v).items()}),
    "platform": ("platform", lambda v: str(v) if v else None),
    "files": ("files", lambda v: tuple(str(g) for g in v) or DEFAULT_FILES),
}


def merge(settings: Settings, value: Any) -> tuple[Settings, list[str]]:
    """`settings` updated from a client's object; invalid entries are reported, not fatal.

    Unknown keys are ignored: clients send whole configuration sections. The
    platform is checked later, by `platform_complaint`, once the compiler is loaded.
    """
    if isinstance(value, Mapping) and isinstance(value.get("luakit"), Mapping):
        value = value["luakit"]
    if not isinstance(value, Mapping):
        return settings, []
    changes: dict[str, Any] = {}
    complaints = []
    for key, item in value.items():
        if key not in _KEYS:
            continue
        name, read = _KEYS[key]
        try:
            parsed = read(item) if item is not None else None
        except (TypeError, ValueError, AttributeError):
            parsed = None
        if parsed is None and key != "platform":
            complaints.append(f"luakit.{key}: ignored invalid value {item!r}")
            continue
        changes[name] = parsed
    return dataclasses.replace(settings, **changes), complaints


def platform_complaint(settings: Settings) -> str | None:
    """Why the `platform` setting cannot be used (evaluations then use the default), or None.

    Needs the compiler's platform parser, so it is asked once the compiler has loaded.
    """
    if not settings.platform:
        return None
    from compiler.graph import platform as platforms

    try:
        platforms.parse(settings.platform)
    except ValueError as exc:
        return f"luakit.platform: {exc}; evaluating for the default platform"
    return None
