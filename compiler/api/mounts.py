"""bk.cache, bk.secret, bk.ssh, bk.tmpfs, bk.bind: mount values for `state:run`."""

from __future__ import annotations

import posixpath

from compiler.api import values as v
from compiler.api.call import Call
from compiler.graph import nodes as g

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

_SHARING = {"shared": 0, "private": 1, "locked": 2}  # pb.CacheSharingOpt

# Options are the fields of the mount's node (compiler/graph/nodes.py), whose
# defaults are the API's: only what the script gave is passed on.
CACHE_OPTIONS: dict[str, v.Reader] = {"id": v.nonempty_string, "sharing": v.choice(_SHARING)}
SECRET_OPTIONS: dict[str, v.Reader] = {
    "id": v.nonempty_string,
    "uid": v.numeric_id,
    "gid": v.numeric_id,
    "mode": v.permissions,  # BuildKit applies mode & 0777 to secrets and ssh sockets
    "optional": v.boolean,
}
SSH_OPTIONS: dict[str, v.Reader] = {"dest": v.nonempty_string, **SECRET_OPTIONS}
TMPFS_OPTIONS: dict[str, v.Reader] = {"size": v.non_negative}
BIND_OPTIONS: dict[str, v.Reader] = {"selector": v.nonempty_string, "readonly": v.boolean}


def _dest(call: Call, dest: Any) -> str:
    return v.check(call, "destination", v.nonempty_string, dest)


def cache(call: Call, dest: Any = None, opts: Any = None) -> v.MountValue:
    target = _dest(call, dest)
    options = v.options(call, opts, CACHE_OPTIONS)
    # Like Dockerfile RUN --mount=type=cache: the id is namespaced with "/" and
    # defaults to the target, so luakit and Dockerfile builds share caches.
    cache_id = "/" + options.pop("id", posixpath.normpath(target))
    return v.MountValue(g.CacheMount(target, cache_id, **options))


def secret(call: Call, dest: Any = None, opts: Any = None) -> v.MountValue:
    target = _dest(call, dest)
    options = v.options(call, opts, SECRET_OPTIONS)
    secret_id = options.pop("id", None) or posixpath.basename(target.rstrip("/"))
    if not secret_id:
        raise call.error("give an id: the destination has no file name to default to")
    return v.MountValue(g.SecretMount(target, secret_id, **options))


def ssh(call: Call, opts: Any = None) -> v.MountValue:
    if isinstance(opts, str):
        raise call.error('takes an options table, e.g. bk.ssh({ dest = "/run/ssh.sock" })')
    return v.MountValue(g.SSHMount(**v.options(call, opts, SSH_OPTIONS)))


def tmpfs(call: Call, dest: Any = None, opts: Any = None) -> v.MountValue:
    target = _dest(call, dest)
    return v.MountValue(g.TmpfsMount(target, **v.options(call, opts, TMPFS_OPTIONS)))


def bind(call: Call, state: Any = None, dest: Any = None, opts: Any = None) -> v.MountValue:
    if not isinstance(state, g.State):
        raise call.wrong(state, f"argument 1 must be a State to mount, got {v.type_name(state)}")
    target = _dest(call, dest)
    options = v.options(call, opts, BIND_OPTIONS)
    if "selector" in options:
        options["selector"] = posixpath.normpath("/" + options["selector"]).lstrip("/")
    return v.MountValue(g.BindMount(target, state.ref, **options))
