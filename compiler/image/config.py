"""Base image configs in, the exported image's OCI config out (docs/llb.md#image-configs).

Shared by the CLI (configs from a registry) and the gateway frontend (configs
from `ResolveImageConfig`), so both ways of building give the same image.
Everything here is pure: bytes and values in, values out.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from compiler.api.exec import DEFAULT_PATH
from compiler.graph import nodes as g
from compiler.graph import platform as platforms
from compiler.graph.platform import Platform

if TYPE_CHECKING:
    from compiler.evaluate import Evaluation


def image_defaults_from_config(config_json: bytes, digest: str | None = None) -> g.ImageDefaults:
    """What a base image's config (a registry's or the gateway's config blob) gives later steps.

    `digest` is the manifest digest the reference resolved to, which `bk.image`
    pins. Raises ValueError, with a message for the user, when the blob is not
    an image config.
    """
    try:
        document = json.loads(config_json)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the image config is not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ValueError(f"the image config is not a JSON object (got {type(document).__name__})")
    # Go's encoding leaves out empty fields or writes null: both mean "not set".
    section = _or(document.get("config"), {})
    if not isinstance(section, dict):
        raise ValueError('the image config\'s "config" is not a JSON object')
    env = _or(section.get("Env"), [])
    if not isinstance(env, list) or not all(isinstance(e, str) for e in env):
        raise ValueError('the image config\'s "Env" is not a list of strings')
    workdir, user = _or(section.get("WorkingDir"), ""), _or(section.get("User"), "")
    if not isinstance(workdir, str) or not isinstance(user, str):
        raise ValueError('the image config\'s "WorkingDir" and "User" must be strings')
    return g.ImageDefaults(
        env=tuple(env),
        workdir=workdir,
        user=user,
        config=json.dumps(document, sort_keys=True, separators=(",", ":")),
        digest=digest or "",
    )


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def empty_image_config(platform: Platform) -> dict[str, Any]:
    """Dockerfile's config for an image built from scratch (`emptyImage`, docs/llb.md#image-configs)."""
    return {
        **platforms.oci_fields(platform),
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {"WorkingDir": "/", "Env": [DEFAULT_PATH]},
    }


def exported_image_config(evaluation: Evaluation, platform: Platform | None = None) -> dict[str, Any]:
    """The complete OCI image config for the export of a successful evaluation.

    The base image's config when the exported state descends from a resolved
    image (through runs, file ops, merges and diffs, as llb keeps it), else
    Dockerfile's scratch config; overlaid with `bk.export`'s options the way the
    matching Dockerfile instructions change it. `os`/`architecture`/`variant` come
    from `platform`, else from `bk.export`'s `os`/`arch`/`variant`, the exported
    state's platform or the target platform, else the host's. Pure.
    """
    export = evaluation.export
    if export is None:
        raise ValueError("nothing was exported")
    options: dict[str, Any] = export.config or {}
    chosen = platform or _platform_of(options) or export.state.platform or evaluation.options.target_platform
    chosen = chosen or platforms.host()
    base = export.state.image
    image = json.loads(base.config) if base is not None and base.config else empty_image_config(chosen)
    image.pop("created", None)  # the exporter dates the new image (Dockerfile drops it too)
    image.update(platforms.oci_fields(chosen))
    if image.get("variant") and not chosen.variant:
        del image["variant"]
    image["rootfs"] = {"type": "layers", "diff_ids": []}  # the exporter fills in the real layers
    image["config"] = overlay(image.get("config") or {}, options.get("config") or {})
    return image


def overlay(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` (OCI `config` keys from `bk.export`) applied to a base `config`, like Dockerfile.

    ENV replaces a variable in place or appends it; LABEL, EXPOSE and VOLUME add
    to the base's; ENTRYPOINT without CMD clears the base's CMD, so an inherited
    CMD is not passed to a new entrypoint. A PATH is always there, as every
    Dockerfile stage has one.
    """
    config = dict(base)
    env = tuple(config.get("Env") or ())
    if not any(e.startswith("PATH=") for e in env):
        config["Env"] = [*env, DEFAULT_PATH]  # appended at FROM, before the stage's own ENVs (Dockerfile)
    for key, value in changes.items():
        if key == "Env":
            config["Env"] = list(_set_env(tuple(config.get("Env") or ()), tuple(value)))
        elif key in ("Labels", "ExposedPorts", "Volumes"):
            config[key] = {**(config.get(key) or {}), **value}
        else:
            config[key] = value
    if "Entrypoint" in changes and "Cmd" not in changes:
        config.pop("Cmd", None)
    return config


def _set_env(env: tuple[str, ...], updates: tuple[str, ...]) -> tuple[str, ...]:
    result = list(env)
    for item in updates:
        name = item.split("=", 1)[0]
        at = next((i for i, e in enumerate(result) if e.split("=", 1)[0] == name), None)
        if at is None:
            result.append(item)
        else:
            result[at] = item
    return tuple(result)


def _platform_of(options: dict[str, Any]) -> Platform | None:
    if "os" not in options or "architecture" not in options:
        return None
    return platforms.normalize(options["os"], options["architecture"], options.get("variant", ""))
