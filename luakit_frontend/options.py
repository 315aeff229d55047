"""The frontend's options: BuildKit's `BUILDKIT_FRONTEND_OPT_<i>` env, as values. Pure.

Keys follow the Dockerfile frontend's conventions (dockerui, docs/llb.md#the-gateway-frontend-protocol)
so that `buildctl`/`docker buildx` flags mean the same with either frontend.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from compiler.graph import platform as platforms
from compiler.graph.platform import Platform

DEFAULT_FILENAME = "build.lua"
SYNTAX_FILENAME = "Dockerfile"
OPT_PREFIX = "BUILDKIT_FRONTEND_OPT_"


class OptionError(ValueError):
    """A frontend option the user passed is not valid; the message says which and why."""


@dataclass(frozen=True)
class FrontendOptions:
    filename: str = DEFAULT_FILENAME
    build_args: Mapping[str, str] = field(default_factory=dict)
    # Empty: none asked for; the build is for the worker's default platform.
    platforms: tuple[Platform, ...] = ()
    multi_platform: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    dockerfile_local: str = "dockerfile"
    context_local: str = "context"
    image_resolve_mode: str = "default"


def opts_from_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The opts buildkitd passed: one `BUILDKIT_FRONTEND_OPT_<i>=key=value` variable each.

    `i` follows Go's map order (random), so only the values count; each splits at
    its first `=`, as keys cannot contain one (Go's grpcclient does the same).
    """
    opts: dict[str, str] = {}
    for name, entry in environ.items():
        if name.startswith(OPT_PREFIX) and name[len(OPT_PREFIX) :].isdigit():
            key, _, value = entry.partition("=")
            opts[key] = value
    return opts


def parse_options(opts: Mapping[str, str]) -> FrontendOptions:
    """`FrontendOptions` from the raw opts; OptionError for a value we cannot use.

    Unknown keys are ignored, as the Dockerfile frontend ignores them: buildx
    sends many (attestations, cache hints) that mean nothing to a luakit build.
    """
    # Reached through a `# syntax=` line (the Dockerfile frontend adds `cmdline`),
    # the script is the file the Dockerfile frontend was reading: its default name.
    filename = opts.get("filename") or (SYNTAX_FILENAME if "cmdline" in opts else DEFAULT_FILENAME)
    if filename.startswith("/") or ".." in filename.split("/"):
        raise OptionError(f"filename '{filename}': name a file inside the build definition's folder")
    return FrontendOptions(
        filename=filename,
        build_args=_prefixed(opts, "build-arg:"),
        platforms=parse_platforms(opts.get("platform", "")),
        multi_platform=_true(opts.get("multi-platform", ""))
        or _true(opts.get("build-arg:BUILDKIT_MULTI_PLATFORM", "")),
        labels=_prefixed(opts, "label:"),
        dockerfile_local=opts.get("dockerfilekey") or "dockerfile",
        context_local=opts.get("contextkey") or "context",
        image_resolve_mode=_resolve_mode(opts.get("image-resolve-mode", "")),
    )


def parse_platforms(text: str) -> tuple[Platform, ...]:
    """`linux/amd64,linux/arm64` -> normalized platforms, each once, in the order given."""
    found: list[Platform] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            platform = platforms.parse(item)
        except ValueError as exc:
            raise OptionError(f"platform option: {exc}") from None
        if platform not in found:
            found.append(platform)
    return tuple(found)


def session_id(environ: Mapping[str, str] = os.environ) -> str:
    """The client's session, which serves its `--local` folders."""
    return environ.get("BUILDKIT_SESSION_ID", "")


def _prefixed(opts: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {key[len(prefix) :]: value for key, value in sorted(opts.items()) if key.startswith(prefix)}


def _true(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def _resolve_mode(text: str) -> str:
    mode = text or "default"
    if mode not in ("default", "pull", "local"):
        raise OptionError(f"image-resolve-mode '{text}': use default, pull or local")
    return mode
