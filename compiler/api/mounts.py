"""bk.cache, bk.secret, bk.ssh, bk.tmpfs, bk.bind: mount values for `state:run`."""

from __future__ import annotations

import posixpath
from typing import Any

from compiler.api import values as v
from compiler.api.call import Call
from compiler.graph import nodes as g

_SHARING = {"shared": 0, "private": 1, "locked": 2}

CACHE_OPTIONS: dict[str, v.Reader] = {"id": v.nonempty_string, "sharing": v.one_of(*_SHARING)}
SECRET_OPTIONS: dict[str, v.Reader] = {
    "id": v.nonempty_string,
    "uid": v.uint32,
    "gid": v.uint32,
    "mode": v.mode,
    "optional": v.boolean,
}
SSH_OPTIONS: dict[str, v.Reader] = {"dest": v.nonempty_string, **SECRET_OPTIONS}
TMPFS_OPTIONS: dict[str, v.Reader] = {"size": v.non_negative}
BIND_OPTIONS: dict[str, v.Reader] = {"selector": v.nonempty_string, "readonly": v.boolean}


def _dest(call: Call, dest: Any) -> str:
    text = v.check(call.where, "destination", v.nonempty_string, dest)
    return text


def cache(call: Call, dest: Any = None, opts: Any = None) -> v.MountValue:
    target = _dest(call, dest)
    options = v.options(call.where, opts, CACHE_OPTIONS)
    # Like Dockerfile RUN --mount=type=cache: the id is namespaced with "/" and
    # defaults to the target, so luakit and Dockerfile builds share caches.
    cache_id = "/" + options.get("id", posixpath.normpath(target))
    return v.MountValue(g.CacheMount(target, cache_id, _SHARING[options.get("sharing", "shared")]))


def secret(call: Call, dest: Any = None, opts: Any = None) -> v.MountValue:
    target = _dest(call, dest)
    options = v.options(call.where, opts, SECRET_OPTIONS)
    secret_id = options.get("id") or posixpath.basename(target.rstrip("/"))
    if not secret_id:
        raise call.error("give an id: the destination has no file name to default to")
    return v.MountValue(
        g.SecretMount(
            target,
            secret_id,
            options.get("uid", 0),
            options.get("gid", 0),
            options.get("mode", 0o400),
            options.get("optional", False),
        )
    )


def ssh(call: Call, opts: Any = None, *extra: Any) -> v.MountValue:
    if isinstance(opts, str):
        raise call.error('takes an options table, e.g. bk.ssh({ dest = "/run/ssh.sock" })')
    options = v.options(call.where, opts, SSH_OPTIONS)
    return v.MountValue(
        g.SSHMount(
            options.get("dest", ""),
            options.get("id", "default"),
            options.get("uid", 0),
            options.get("gid", 0),
            options.get("mode", 0o600),
            options.get("optional", False),
        )
    )


def tmpfs(call: Call, dest: Any = None, opts: Any = None) -> v.MountValue:
    target = _dest(call, dest)
    options = v.options(call.where, opts, TMPFS_OPTIONS)
    return v.MountValue(g.TmpfsMount(target, options.get("size", 0)))


def bind(call: Call, state: Any = None, dest: Any = None, opts: Any = None) -> v.MountValue:
    if not isinstance(state, g.State):
        raise call.error(f"argument 1 must be a State to mount, got {v.type_name(state)}")
    target = _dest(call, dest)
    options = v.options(call.where, opts, BIND_OPTIONS)
    selector = options.get("selector", "")
    if selector:
        selector = posixpath.normpath("/" + selector).lstrip("/") or ""
    return v.MountValue(g.BindMount(target, state.ref, selector=selector, readonly=options.get("readonly", True)))
