"""The gateway Result for built platforms: refs and image-config metadata. Pure.

The exporter takes an image's config only from these metadata keys, never from
the Definition (docs/llb.md#image-configs): `containerimage.config` for one ref, or, for a
refs map, `containerimage.config/<platform id>` plus the `refs.platforms` map
that must name exactly the refs' keys.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from compiler.graph.platform import Platform, oci_fields
from luakit_frontend.pb import gateway_pb2 as gw

CONFIG_KEY = "containerimage.config"
PLATFORMS_KEY = "refs.platforms"


@dataclass(frozen=True)
class Built:
    """One platform's build: the solved ref and its image config."""

    platform: Platform
    ref_id: str
    config: dict[str, Any]


def platform_id(platform: Platform) -> str:
    """containerd's `FormatAll(Normalize(p))`; `Platform` is already normalized."""
    return str(platform)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def build_result(builds: Sequence[Built], multi_platform: bool) -> gw.Result:
    """A single ref for one platform (unless a refs map is asked for), else a refs map."""
    if not builds:
        raise ValueError("no platform was built")
    mapping = {"Platforms": [{"ID": platform_id(b.platform), "Platform": oci_fields(b.platform)} for b in builds]}
    metadata = {PLATFORMS_KEY: _json_bytes(mapping)}
    if len(builds) == 1 and not multi_platform:
        (only,) = builds
        metadata[CONFIG_KEY] = _json_bytes(only.config)
        return gw.Result(ref=gw.Ref(id=only.ref_id), metadata=metadata)
    refs = {}
    for b in builds:
        refs[platform_id(b.platform)] = gw.Ref(id=b.ref_id)
        metadata[f"{CONFIG_KEY}/{platform_id(b.platform)}"] = _json_bytes(b.config)
    return gw.Result(refs=gw.RefMap(refs=refs), metadata=metadata)
