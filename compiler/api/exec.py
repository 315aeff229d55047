"""state:run -> ExecOp (docs/llb.md#exec), and state:get_mount."""

from __future__ import annotations

import functools
import re

from compiler.api import values as v
from compiler.api.call import Call
from compiler.api.paths import absolute
from compiler.graph import nodes as g
from compiler.records import replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

# What BuildKit and Dockerfile use when the image sets no PATH.
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_NETWORK = {"sandbox": 0, "host": 1, "none": 2}  # pb.NetMode
_SECURITY = {"sandbox": 0, "insecure": 1}  # pb.SecurityMode
_ULIMITS = (
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
)


# ---------------------------------------------------------------- environment


def _env_key(key: str) -> str:
    if not key or "=" in key:
        raise v.Invalid(f"must be a variable name without '=', got {v.shown(key)}")
    return key


def _env_entry(value: Any) -> tuple[str, str]:
    entry = v.string(value)
    key, sep, val = entry.partition("=")
    if not sep or not key:
        raise v.Invalid(f'must be a "KEY=value" string, got {v.shown(entry)}')
    return key, val


_ENV_MAP = v.mapping(_env_key, v.text, 'a table like { KEY = "value" } or a list like { "KEY=value" }')
_ENV_LIST = v.list_of(_env_entry, 'a list of "KEY=value" strings')


def env_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """A map (applied in key order) or a list of "K=V" (applied in list order)."""
    if isinstance(value, v.Table) and value.items and value.is_array():
        return _ENV_LIST(value)
    return tuple(_ENV_MAP(value).items())


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


@functools.lru_cache(maxsize=256)
def _start_env(image_env: tuple[str, ...]) -> tuple[str, ...]:
    """The env a run starts from on a state whose image sets `image_env`, before the run's own.

    Dockerfile's FROM appends the default PATH to an image env that has none. Kept per image
    env: a script runs many commands on few images, and working this out again for each run
    was ~1.5 us of it. `apply_env` of this and a run's updates is `apply_env` of the image env
    and them: the entries are read back as they were written.
    """
    has_path = any(e.startswith("PATH=") for e in image_env)
    return apply_env(image_env if has_path else (*image_env, DEFAULT_PATH), ())


# ---------------------------------------------------------------- options

_EXIT_CODE = v.bounded(0, 255)
_EXIT_CODES = v.list_of(_EXIT_CODE, "a list of exit codes")


def _exit_codes(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+)\s*\.\.\s*(\d+)\s*", value)
        if not m:
            raise v.Invalid(f'must be a number, a list or a range like "0..5", got {v.shown(value)}')
        low, high = int(m.group(1)), int(m.group(2))
        if not low <= high <= 255:
            raise v.Invalid(f"range {v.shown(value)} must go up, within 0..255")
        return tuple(range(low, high + 1))
    if isinstance(value, v.Table):
        return _EXIT_CODES(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (_EXIT_CODE(value),)
    raise v.must_be('a number, a list of numbers or a range like "0..5"', value)


def _mount(value: Any) -> g.Mount:
    if not isinstance(value, v.MountValue):
        raise v.must_be("a mount created by bk.cache/bk.secret/bk.ssh/bk.tmpfs/bk.bind", value)
    return value.mount


def _ip_address(value: Any) -> str:
    import ipaddress  # only when extra_hosts is used: it is slow to import

    text = v.string(value)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise v.Invalid(f"must be an IP address, got {v.shown(text)}") from None
    return text


_LIMITS = v.record({"soft": v.integer, "hard": v.integer}, "a number or a table like { soft = 1024, hard = 4096 }")


def _limit(value: Any) -> tuple[int, int]:
    if isinstance(value, v.Table):
        limits = _LIMITS(value)
        if "soft" not in limits:
            raise v.Invalid("needs soft (and optionally hard), like { soft = 1024, hard = 4096 }")
        return limits["soft"], limits.get("hard", limits["soft"])
    n = v.integer(value)
    return n, n


def _ulimit_name(name: str) -> str:
    if name not in _ULIMITS:
        raise v.Invalid(f"is not a ulimit (one of {', '.join(_ULIMITS)})")
    return name


_ULIMIT_MAP = v.mapping(_ulimit_name, _limit, "a table like { nofile = { soft = 1024, hard = 4096 } }")


def _ulimits(value: Any) -> tuple[g.Ulimit, ...]:
    return tuple(g.Ulimit(name, soft, hard) for name, (soft, hard) in _ULIMIT_MAP(value).items())


def _env_name(name: str) -> str:
    # An ASCII identifier is exactly [A-Za-z_][A-Za-z0-9_]*, a POSIX shell's variable name: no
    # pattern to compile at start-up, and cheaper per key than one.
    if not (name.isascii() and name.isidentifier()):
        raise v.Invalid("is not a valid environment variable name")
    return name


_SECRET_REF = v.record(
    {"id": v.nonempty_string, "optional": v.boolean}, 'a secret id or { id = "...", optional = true }'
)


def _secret_ref(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"id": v.nonempty_string(value)}
    return _SECRET_REF(value)


_SECRET_ENV = v.mapping(_env_name, _secret_ref, 'a table of env names to secret ids, like { TOKEN = "token" }')


def _secret_env(value: Any) -> tuple[g.SecretEnv, ...]:
    # The secret's id defaults to the variable's name.
    return tuple(g.SecretEnv(name, **({"id": name} | ref)) for name, ref in _SECRET_ENV(value).items())


RUN_OPTIONS: dict[str, v.Reader] = {
    "env": env_pairs,
    "cwd": v.nonempty_string,
    "user": v.user,
    "network": v.choice(_NETWORK),
    "security": v.choice(_SECURITY),
    "mounts": v.list_of(_mount, "a list of mounts"),
    "hostname": v.nonempty_string,
    "valid_exit_codes": _exit_codes,
    "extra_hosts": v.mapping(v.string, _ip_address, 'a table of host names to IP addresses, like { db = "10.0.0.2" }'),
    "ulimits": _ulimits,
    "secret_env": _secret_env,
    "readonly_rootfs": v.boolean,
}

# Options that are ExecNode fields as they are; the others are combined with the image's defaults.
# A set: each call looks at the options it was given (one or two, usually), not at all seven.
_NODE_FIELDS = frozenset(
    ("hostname", "network", "security", "secret_env", "ulimits", "valid_exit_codes", "readonly_rootfs")
)


# ---------------------------------------------------------------- run

_NO_IMAGE = g.ImageDefaults()  # what a state without an image config runs with

_ARGV = v.list_of(v.text, "a list of strings")


def _command(call: Call, cmd: Any) -> tuple[str, ...]:
    if isinstance(cmd, (str, bytes)):
        text = v.check(call, "command", v.string, cmd)
        if not text.strip():
            raise call.wrong(cmd, "command must not be empty")
        return ("/bin/sh", "-c", text)
    if isinstance(cmd, v.Table):
        args = v.check(call, "command", _ARGV, cmd)
        if not args:
            raise call.wrong(cmd, "command must not be empty")
        return args
    raise call.wrong(cmd, f"command must be a string or a list of strings, got {v.type_name(cmd)}")


def _place_mounts(call: Call, mounts: tuple[g.Mount, ...], cwd: str) -> tuple[g.Mount, ...]:
    placed: list[g.Mount] = []
    seen: set[str] = set()
    ssh_index = 0
    for mount in mounts:
        if isinstance(mount, g.SSHMount) and not mount.dest:
            mount = replace(mount, dest=f"/run/buildkit/ssh_agent.{ssh_index}")
        if isinstance(mount, g.SSHMount):
            ssh_index += 1
        dest = absolute(mount.dest, cwd)
        if dest == "/":
            raise call.error("a mount cannot replace the root filesystem '/'; run on that state instead")
        if dest in seen:
            raise call.error(f"two mounts at '{dest}'")
        seen.add(dest)
        # A mount given an absolute, clean path (the usual case) is kept as it is:
        # a copy costs more than the rest of placing it.
        placed.append(mount if dest == mount.dest else replace(mount, dest=dest))
    return tuple(placed)


def run(call: Call, state: g.State, cmd: Any = None, opts: Any = None) -> g.State:
    if cmd is None:
        raise call.missing("command argument required")
    args = _command(call, cmd)
    options = v.options(call, opts, RUN_OPTIONS)
    image = state.image or _NO_IMAGE
    env_updates = options.get("env", ())
    cwd = absolute(options["cwd"], image.workdir or "/") if "cwd" in options else (image.workdir or "/")
    mounts = _place_mounts(call, options.get("mounts", ()), cwd)
    ssh = [m for m in mounts if isinstance(m, g.SSHMount)]
    if ssh and not any(k == "SSH_AUTH_SOCK" for k, _ in env_updates):
        env_updates = (*env_updates, ("SSH_AUTH_SOCK", ssh[0].dest))
    node = g.ExecNode(
        root=state.ref,
        args=args,
        env=apply_env(_start_env(image.env), env_updates) if env_updates else _start_env(image.env),
        cwd=cwd,
        user=options.get("user", image.user),
        mounts=mounts,
        extra_hosts=tuple(options["extra_hosts"].items()) if "extra_hosts" in options else (),
        platform=call.node_platform(state.platform),
        location=call.location,
        **{key: value for key, value in options.items() if key in _NODE_FIELDS},
    )
    call.session.charge(256 + sum(map(len, node.args)) + sum(map(len, node.env)))  # map: no generator per call
    if node.readonly_rootfs:
        # Like llb: a read-only root is unchanged, so the result is the input
        # state; the exec's writable mounts are reached through get_mount.
        return replace(state, exec=node)
    return g.State(g.Ref(node, 0), platform=state.platform, image=state.image, exec=node)


def get_mount(call: Call, state: g.State, dest: Any = None) -> g.State:
    target = v.check(call, "destination", v.nonempty_string, dest)
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
