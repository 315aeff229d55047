"""The server's settings: from `initializationOptions` and `workspace/didChangeConfiguration`.

Both carry the same object, either bare or under a `luakit` key:

    { "timeout": 2, "memoryLimit": 512, "buildArgs": { "VERSION": "1.2" },
      "platform": "linux/arm64", "files": ["build.lua", "*.build.lua"],
      "buildkitHost": "unix:///run/buildkit/buildkitd.sock",
      "buildOutput": { "type": "image", "name": "registry.example/app:1", "push": true } }

`buildOutput` is what `luakit.build` exports: none (solve only), `{"type": "local",
"dest": DIR}` (DIR relative to the script's folder) or `{"type": "image", "name":
NAME, "push": BOOL}`.
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
    buildkit_host: str | None = None  # the daemon `luakit.build` uses (None: $BUILDKIT_HOST, else buildx's)
    build_output: BuildOutput | None = None  # what `luakit.build` exports (None: solve only)

    @property
    def memory_limit(self) -> int:
        """`memory_limit_mib` in bytes, as the evaluator and its worker processes take it."""
        return self.memory_limit_mib * 1024 * 1024


@dataclass(frozen=True)
class BuildOutput:
    """`buildOutput`: a local folder (`dest`) or an image (`name`, pushed when `push`)."""

    type: str  # "local" or "image"
    dest: str = ""
    name: str = ""
    push: bool = False


def _build_output(value: Any) -> BuildOutput | None:
    if not value:
        return None  # `{}` or "": solve only
    kind = value.get("type")
    if kind == "local" and isinstance(value.get("dest"), str) and value["dest"]:
        return BuildOutput("local", dest=value["dest"])
    if kind == "image" and isinstance(value.get("name"), str) and value["name"]:
        return BuildOutput("image", name=value["name"], push=value.get("push") is True)
    raise ValueError("expected {type: local, dest} or {type: image, name, push}")


_KEYS = {
    "timeout": ("timeout", lambda v: float(v) if float(v) > 0 else None),
    "memoryLimit": ("memory_limit_mib", lambda v: int(v) if int(v) > 0 else None),
    "buildArgs": ("build_args", lambda v: {str(k): str(x) for k, x in dict(v).items()}),
    "platform": ("platform", lambda v: str(v) if v else None),
    "files": ("files", lambda v: tuple(str(g) for g in v) or DEFAULT_FILES),
    "buildkitHost": ("buildkit_host", lambda v: str(v) if v else None),
    "buildOutput": ("build_output", _build_output),
}
# Keys whose null (or empty) value means "the default", not an invalid value.
_NULLABLE = ("platform", "buildkitHost", "buildOutput")


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
            parsed, invalid = (read(item) if item is not None else None), False
        except (TypeError, ValueError, AttributeError):
            parsed, invalid = None, True
        if invalid or (parsed is None and key not in _NULLABLE):
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
