"""bk.merge, bk.diff, state:with_metadata, bk.export, bk.platform, bk.arg."""

from __future__ import annotations

import re

from compiler.api import values as v
from compiler.api.call import Call, Export
from compiler.api.exec import env_pairs
from compiler.graph import nodes as g
from compiler.graph.platform import Platform, host, oci_fields
from compiler.records import replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any


def _states(call: Call, args: tuple[Any, ...]) -> list[g.State]:
    if len(args) == 1 and isinstance(args[0], v.Table) and args[0].is_array():
        args = tuple(args[0].array())
    while args and args[-1] is None:
        args = args[:-1]
    states = []
    for i, arg in enumerate(args, 1):
        if not isinstance(arg, g.State):
            raise call.wrong(arg, f"argument {i} must be a State, got {v.type_name(arg)}")
        states.append(arg)
    return states


def merge(call: Call, *args: Any) -> g.State:
    states = _states(call, args)
    if len(states) < 2:
        raise call.missing("requires at least 2 states")
    layers = [s for s in states if s.ref is not None]  # scratch adds nothing
    if not layers:
        return g.State(None, platform=call.session.target)
    if len(layers) == 1:
        return layers[0]
    node = g.MergeNode(tuple(s.ref for s in layers if s.ref is not None), call.location)
    platforms = {s.platform for s in layers}
    # Like llb.Merge, the result keeps the first layer's image config: the others are laid on it.
    return g.State(
        g.Ref(node),
        platform=platforms.pop() if len(platforms) == 1 else call.session.target,
        image=layers[0].image,
    )


def diff(call: Call, lower: Any = None, upper: Any = None) -> g.State:
    if lower is None or upper is None:
        raise call.missing("requires lower and upper state arguments")
    for i, arg in ((1, lower), (2, upper)):
        if not isinstance(arg, g.State):
            raise call.wrong(arg, f"argument {i} must be a State, got {v.type_name(arg)}")
    if lower.ref is None:
        return upper  # the diff from nothing is everything
    node = g.DiffNode(lower.ref, upper.ref, call.location)
    # Like llb.Diff (`lower.WithOutput(...)`): the image config is the lower state's.
    return g.State(g.Ref(node), platform=upper.platform or lower.platform, image=lower.image)


METADATA_OPTIONS: dict[str, v.Reader] = {
    "description": v.nonempty_string,
    "progress_group": v.nonempty_string,
    "ignore_cache": v.boolean,
}


def with_metadata(call: Call, state: g.State, opts: Any = None) -> g.State:
    if opts is None:
        raise call.missing('options argument required, e.g. { description = "compile" }')
    o = v.options(call, opts, METADATA_OPTIONS)
    if state.ref is None:
        raise call.error("bk.scratch() has no operation to describe")
    node = state.ref.node
    meta = node.meta
    description = dict(meta.description)
    if "description" in o:
        description["llb.customname"] = o["description"]
    new_meta = g.OpMetadata(
        tuple(sorted(description.items())),
        o.get("progress_group", meta.progress_group),
        o.get("ignore_cache", meta.ignore_cache),
    )
    # Same op, same digest; only the metadata differs, and the marshaller merges it.
    new_node = replace(node, meta=new_meta)
    exec_node = new_node if isinstance(new_node, g.ExecNode) and state.exec is node else state.exec
    return replace(state, ref=g.Ref(new_node, state.ref.index), exec=exec_node)


# ---------------------------------------------------------------- export


def _port(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{v.bounded(1, 65535)(value)}/tcp"
    text = v.string(value)
    m = re.fullmatch(r"(\d+)(?:/(tcp|udp|sctp))?", text.strip().lower())
    if not m or not 1 <= int(m.group(1)) <= 65535:
        raise v.Invalid(f'must be a port like "8080" or "53/udp", got {v.shown(text)}')
    return f"{int(m.group(1))}/{m.group(2) or 'tcp'}"


def _env_list(value: Any) -> tuple[str, ...]:
    return tuple(f"{k}={val}" for k, val in env_pairs(value))


def _argv(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        raise v.Invalid(f'must be a list of strings like {{"/bin/app", "--flag"}}, got the string {v.shown(value)}')
    return v.string_list(value)


EXPORT_OPTIONS: dict[str, v.Reader] = {
    "entrypoint": _argv,
    "cmd": _argv,
    "env": _env_list,
    "user": v.user,
    "workdir": v.nonempty_string,
    "expose": v.list_of(_port, "a list of ports"),
    "labels": v.string_map,
    "volumes": v.string_list,
    "stop_signal": v.nonempty_string,
    "os": v.nonempty_string,
    "arch": v.nonempty_string,
    "variant": v.string,
}


def image_config(o: dict[str, Any], platform: Platform | None) -> dict[str, Any]:
    """An OCI image config (the parts the script decides) from validated export options."""
    config: dict[str, Any] = {}
    if "user" in o:
        config["User"] = o["user"]
    if "expose" in o:
        config["ExposedPorts"] = {port: {} for port in sorted(set(o["expose"]))}
    if "env" in o:
        config["Env"] = list(o["env"])
    if "entrypoint" in o:
        config["Entrypoint"] = list(o["entrypoint"])
    if "cmd" in o:
        config["Cmd"] = list(o["cmd"])
    if "volumes" in o:
        config["Volumes"] = {path: {} for path in sorted(set(o["volumes"]))}
    if "workdir" in o:
        config["WorkingDir"] = o["workdir"]
    if "labels" in o:
        config["Labels"] = dict(sorted(o["labels"].items()))
    if "stop_signal" in o:
        config["StopSignal"] = o["stop_signal"]
    result: dict[str, Any] = oci_fields(platform) if platform is not None else {}
    result["config"] = config
    return result


def _image_platform(call: Call, o: dict[str, Any], platform: Platform | None) -> Platform | None:
    """The exported image's platform: the state's (or target's), with os/arch/variant given in the config.

    What is given neither way comes from the host, as for an export that names none
    (`compiler.image.config.exported_image_config`).
    """
    if not {"os", "arch", "variant"} & o.keys():
        return platform
    fallback = platform or host()
    os_name = o.get("os", fallback.os)
    arch = o.get("arch", fallback.architecture)
    variant = o.get("variant", fallback.variant if "arch" not in o else "")
    try:
        return v.platform_of(os_name, arch, variant)
    except v.Invalid as err:
        raise call.error(v.sentence("os/arch/variant", err)) from None


def export(call: Call, state: Any = None, config: Any = None) -> None:
    if call.session.export is not None:
        raise call.error("already called (a script exports one state; several exports are not supported yet)")
    if not isinstance(state, g.State):
        raise call.wrong(state, f"argument 1 must be the State to export, got {v.type_name(state)}")
    cfg = None
    if config is not None:
        o = v.options(call, config, EXPORT_OPTIONS)
        cfg = image_config(o, _image_platform(call, o, state.platform or call.session.target))
    call.session.export = Export(state, cfg, call.location)


def platform(call: Call, spec: Any = None, arch: Any = None, variant: Any = None) -> Platform:
    if spec is None:
        raise call.missing('requires an os/arch string like "linux/arm64", or os and arch')
    if arch is None:
        if variant is not None:
            raise call.error("takes an os/arch string, or os, arch and variant")
        return v.check(call, "argument 1", v.platform, spec)
    os_name = v.check(call, "argument 1 (os)", v.nonempty_string, spec)
    arch_name = v.check(call, "argument 2 (arch)", v.nonempty_string, arch)
    variant_name = v.check(call, "argument 3 (variant)", v.string, variant) if variant is not None else ""
    try:
        return v.platform_of(os_name, arch_name, variant_name)
    except v.Invalid as err:
        raise call.error(v.sentence("", err)) from None


def arg(call: Call, name: Any = None, default: Any = None) -> str | None:
    key = v.check(call, "name", v.nonempty_string, name)
    if default is None:
        return call.session.build_args.get(key)
    return call.session.build_args.get(key, v.check(call, "default", v.text, default))
