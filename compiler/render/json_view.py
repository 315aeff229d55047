"""JSON of the op graph: every op with digest, kind, inputs, location and details."""

from __future__ import annotations

import json
from typing import Any

from compiler.errors import Location
from compiler.llb.marshal import Marshalled
from compiler.pb import llb as pb
from compiler.render.views import filtered_edges, op_views


def _location(loc: Location) -> dict[str, Any]:
    return {
        "file": loc.file,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line or loc.line,
        "end_column": loc.end_column,
    }


def graph_json(
    marshalled: Marshalled, export_config: dict[str, Any] | None, kinds: set[str] | None = None
) -> dict[str, Any]:
    """The ops (only `kinds`, with `edges` through the hidden ones, when given) and the export.

    `export_config` is shown as the export's `config`: the CLI passes the image's complete
    config (`compiler.image.config.exported_image_config`), as `build --config-out` writes it.
    """
    views = op_views(marshalled)
    keep = {v.op.digest for v in views if kinds is None or v.kind in kinds}
    ops = []
    for view in views:
        if view.op.digest not in keep:
            continue
        locations = view.op.locations()
        entry: dict[str, Any] = {
            "digest": view.op.digest,
            "kind": view.kind,
            "inputs": [{"digest": d, "index": i} for d, i in view.op.encoded.inputs],
            "location": _location(locations[0]) if locations else None,
            "platform": str(view.op.node.platform) if view.op.node.platform else None,
            "summary": view.summary(),
            "details": view.details(),
        }
        if len(locations) > 1:
            entry["also_at"] = [_location(loc) for loc in locations[1:]]
        ops.append(entry)
    result: dict[str, Any] = {"ops": ops}
    if kinds is not None:
        result["edges"] = [{"from": a, "to": b} for a, b in filtered_edges(views, keep)]
    export: dict[str, Any] = {"config": export_config}
    defs = getattr(marshalled.definition, "def")
    if defs:  # the last op names the result
        target = pb.Op.FromString(defs[-1]).inputs[0]
        export.update({"digest": target.digest, "index": target.index})
    result["export"] = export
    return result


def render_json(marshalled: Marshalled, export_config: dict[str, Any] | None, kinds: set[str] | None = None) -> str:
    return json.dumps(graph_json(marshalled, export_config, kinds), indent=2, sort_keys=False) + "\n"
