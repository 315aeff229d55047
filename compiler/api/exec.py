"""state:run -> ExecOp (llb-facts §2.7), and state:get_mount."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from compiler.api import values as v
from compiler.api.call import Call
from compiler.api.paths import absolute
from compiler.graph import nodes as g

# What BuildKit and Dockerfile use when the image sets no PATH.
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_NETWORK = {"sandbox": 0, "host": 1, "none": 2}
_SECURITY = {"sandbox": 0, "insecure": 1}
_ULIMITS = [
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
]
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """A map (applied in key order) or a list of "K=V" (applied in list order)."""
    if isinstance(value, v.Table) and value.items and value.is_array():
        pairs = []
        for i, item in enumerate(value.array(), 1):
            if not isinstance(item, str) or "=" not in item or item.startswith("="):
                raise v.Invalid('a list of "KEY=value" strings', f'[{i}] must be a "KEY=value" string')
            key, _, val = item.partition("=")
            pairs.append((key, val))
        return tuple(pairs)
    return tuple(sorted(v.string_map(value).items()))


def _exit_codes(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+)\s*\.\.\s*(\d+)\s*", value)
        if not m:
            raise v.Invalid("exit codes", f"must be a number, a list or a range like \"0..5\", got '{value}'")
        low, high = int(m.group(1)), int(m.group(2))
        if not low <= high <= 255:
            raise v.Invalid("exit codes", f"range '{value}' must go up, within 0..255")
        return tuple(range(low, high + 1))
    if isinstance(value, v.Table) and value.is_array() and value.items:
        return tuple(v.bounded(0, 255)(item) for item in value.array())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (v.bounded(0, 255)(value),)
    raise v.Invalid('a number, a list of numbers or a range like "0..5"')


def _mounts(value: Any) -> tuple[g.Mount, ...]:
    if not isinstance(value, v.Table) or not value.is_array():
        raise v.Invalid("a list of mounts")
    out = []
    for i, item in enumerate(value.array(), 1):
        if not isinstance(item, v.MountValue):
            raise v.Invalid(
                "mounts",
                f"[{i}] must be a mount created by bk.cache/bk.secret/bk.ssh/bk.tmpfs/bk.bind, got {v.type_name(item)}",
            )
        out.append(item.mount)
    return tuple(out)


def _extra_hosts(value: Any) -> tuple[tuple[str, str], ...]:
    import ipaddress  # only when extra_hosts is used: it is slow to import

    hosts = v.string_map(value)
    for host, ip in hosts.items():
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise v.Invalid("IP addresses", f"['{host}'] must be an IP address, got '{ip}'") from None
    return tuple(sorted(hosts.items()))


def _ulimit(name: str, value: Any) -> g.Ulimit:
    if isinstance(value, v.Table):
        limits = v.read_table("ulimit", value, {"soft": v.integer, "hard": v.integer})
        if "soft" not in limits:
            raise v.Invalid("a limit", f"['{name}'] needs soft (and optionally hard)")
        return g.Ulimit(name, limits["soft"], limits.get("hard", limits["soft"]))
    n = v.integer(value)
    return g.Ulimit(name, n, n)


def _ulimits(value: Any) -> tuple[g.Ulimit, ...]:
    if not isinstance(value, v.Table) or (value.items and value.is_array()):
        raise v.Invalid("a table like { nofile = { soft = 1024, hard = 4096 } }")
    out = []
    for name in sorted(value.items, key=str):
        if name not in _ULIMITS:
            raise v.Invalid("ulimits", f"['{name}'] is not a ulimit (one of {', '.join(_ULIMITS)})")
        out.append(_ulimit(name, value.items[name]))
    return tuple(out)


def _secret_env(value: Any) -> tuple[g.SecretEnv, ...]:
    if not isinstance(value, v.Table) or (value.items and value.is_array()):
        raise v.Invalid('a table of env names to secret ids, like { TOKEN = "token" }')
    out = []
    for name in sorted(value.items, key=str):
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise v.Invalid("env names", f"[{name!r}] is not a valid environment variable name")
        item = value.items[name]
        if isinstance(item, str):
            out.append(g.SecretEnv(name, item))
        else:
            opts = v.read_table("secret_env", item, {"id": v.nonempty_string, "optional": v.boolean})
            out.append(g.SecretEnv(name, opts.get("id", name), opts.get("optional", False)))
    return tuple(out)


RUN_OPTIONS: dict[str, v.Reader] = {
    "env": env_pairs,
    "cwd": v.nonempty_string,
    "user": v.nonempty_string,
    "network": v.one_of(*_NETWORK),
    "security": v.one_of(*_SECURITY),
    "mounts": _mounts,
    "hostname": v.nonempty_string,
    "valid_exit_codes": _exit_codes,
    "extra_hosts": _extra_hosts,
    "ulimits": _ulimits,
    "secret_env": _secret_env,
    "readonly_rootfs": v.boolean,
}


def _command(call: Call, cmd: Any) -> tuple[str, ...]:
    if isinstance(cmd, str):
        if not cmd.strip():
            raise call.error("command must not be empty")
        return ("/bin/sh", "-c", cmd)
    if isinstance(cmd, v.Table) and cmd.is_array():
        args = []
        for i, item in enumerate(cmd.array(), 1):
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = v.number_text(item)
            if not isinstance(item, str):
                raise call.error(f"command[{i}] must be a string, got {v.type_name(item)}")
            args.append(item)
        if not args:
            raise call.error("command must not be empty")
        return tuple(args)
    raise call.error(f"command must be a string or a list of strings, got {v.type_name(cmd)}")


def apply_env(base: tuple[str, ...], updates: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """llb's EnvList: setting a key again moves it to the end."""
    entries: dict[str, str] = {}
    for item in base:
        key, _, val = item.partition("=")
        entries.pop(key, None)
        entries[key] = val
    for key, val in updates:
        entries.pop(key, None)
        entries[key] = val
    return tuple(f"{k}={val}" for k, val in entries.items())


def _place_mounts(call: Call, mounts: tuple[g.Mount, ...], cwd: str) -> tuple[g.Mount, ...]:
    placed: list[g.Mount] = []
    seen: set[str] = set()
    ssh_index = 0
    for mount in mounts:
        if isinstance(mount, g.SSHMount) and not mount.dest:
            mount = dataclasses.replace(mount, dest=f"/run/buildkit/ssh_agent.{ssh_index}")
        if isinstance(mount, g.SSHMount):
            ssh_index += 1
        dest = absolute(mount.dest, cwd)
        if dest == "/":
            raise call.error("a mount cannot replace the root filesystem '/'; run on that state instead")
        if dest in seen:
            raise call.error(f"two mounts at '{dest}'")
        seen.add(dest)
        placed.append(dataclasses.replace(mount, dest=dest))
    return tuple(placed)


def run(call: Call, state: g.State, cmd: Any = None, opts: Any = None) -> g.State:
    if cmd is None:
        raise call.error("command argument required")
    args = _command(call, cmd)
    options = v.options(call.where, opts, RUN_OPTIONS)
    image = state.image or g.ImageDefaults()
    base_env = image.env if any(e.startswith("PATH=") for e in image.env) else (DEFAULT_PATH, *image.env)
    env_updates = options.get("env", ())
    cwd = absolute(options["cwd"], image.workdir or "/") if "cwd" in options else (image.workdir or "/")
    mounts = _place_mounts(call, options.get("mounts", ()), cwd)
    if any(isinstance(m, g.SSHMount) for m in mounts) and not any(k == "SSH_AUTH_SOCK" for k, _ in env_updates):
        first = next(m for m in mounts if isinstance(m, g.SSHMount))
        env_updates = (*env_updates, ("SSH_AUTH_SOCK", first.dest))
    readonly = options.get("readonly_rootfs", False)
    node = g.ExecNode(
        root=state.ref,
        args=args,
        env=apply_env(base_env, env_updates),
        cwd=cwd,
        user=options.get("user", image.user),
        hostname=options.get("hostname", ""),
        network=_NETWORK[options.get("network", "sandbox")],
        security=_SECURITY[options.get("security", "sandbox")],
        mounts=mounts,
        secret_env=options.get("secret_env", ()),
        extra_hosts=options.get("extra_hosts", ()),
        ulimits=options.get("ulimits", ()),
        valid_exit_codes=options.get("valid_exit_codes", ()),
        readonly_rootfs=readonly,
        platform=call.node_platform(state.platform),
        location=call.location,
    )
    call.session.charge(256 + sum(len(a) for a in node.args) + sum(len(e) for e in node.env))
    if readonly:
        # Like llb: a read-only root is unchanged, so the result is the input
        # state; the exec's writable mounts are reached through get_mount.
        return dataclasses.replace(state, exec=node)
    return g.State(g.Ref(node, 0), platform=state.platform, image=state.image, exec=node)


def get_mount(call: Call, state: g.State, dest: Any = None) -> g.State:
    target = v.check(call.where, "destination", v.nonempty_string, dest)
    exec_node = state.exec
    if exec_node is None:
        raise call.error("this state was not made by state:run; get_mount reads a run's writable bind mounts")
    path = absolute(target, exec_node.cwd)
    index = exec_node.output_index(path)
    if index is None or path == "/":
        writable = [m.dest for m in exec_node.mounts if isinstance(m, g.BindMount) and not m.readonly]
        listing = ", ".join(f"'{d}'" for d in writable) or "none"
        raise call.error(
            f"no writable bind mount at '{path}' (writable mounts: {listing}; "
            "use bk.bind(state, dest, { readonly = false }))"
        )
    return g.State(g.Ref(exec_node, index), platform=state.platform)
