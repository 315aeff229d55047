"""state:copy, mkdir, mkfile, rm, symlink -> one FileOp each (docs/llb.md#file-ops)."""

from __future__ import annotations

from compiler.api import values as v
from compiler.api.call import Call
from compiler.api.paths import absolute
from compiler.graph import nodes as g

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

COPY_OPTIONS: dict[str, v.Reader] = {
    "mode": v.mode,
    "owner": v.owner,
    "follow_symlink": v.boolean,
    "create_dest_path": v.boolean,
    "allow_wildcard": v.boolean,
    "allow_empty_wildcard": v.boolean,
    "copy_dir_contents": v.boolean,
    "include": v.string_list,
    "exclude": v.string_list,
}
# BuildKit applies only a mode's permission bits to mkdir and mkfile (mode & 0777).
MKDIR_OPTIONS: dict[str, v.Reader] = {"mode": v.permissions, "make_parents": v.boolean, "owner": v.owner}
MKFILE_OPTIONS: dict[str, v.Reader] = {"mode": v.permissions, "owner": v.owner}
RM_OPTIONS: dict[str, v.Reader] = {"allow_not_found": v.boolean, "allow_wildcard": v.boolean}
SYMLINK_OPTIONS: dict[str, v.Reader] = {"owner": v.owner}

# The options of each action are the fields of its node (compiler/graph/nodes.py),
# whose defaults are the API's: only what the script gave is passed on.


def _workdir(state: g.State) -> str:
    return state.image.workdir if state.image and state.image.workdir else "/"


def _path(call: Call, what: str, value: Any) -> str:
    return v.check(call, what, v.nonempty_string, value)


def _result(call: Call, state: g.State, action: g.FileAction) -> g.State:
    node = g.FileNode(state.ref, action, call.location)
    return g.State(g.Ref(node), platform=state.platform, image=state.image)


def copy(
    call: Call, state: g.State, source: Any = None, src: Any = None, dest: Any = None, opts: Any = None
) -> g.State:
    if not isinstance(source, g.State):
        raise call.wrong(source, f"argument 1 (source) must be a State, got {v.type_name(source)}")
    src_path = _path(call, "src", src)
    dest_path = _path(call, "dest", dest)
    options = v.options(call, opts, COPY_OPTIONS)
    action = g.Copy(
        source=source.ref,
        src=absolute(src_path, _workdir(source)),
        dest=absolute(dest_path, _workdir(state), keep_slash=True),
        **options,
    )
    return _result(call, state, action)


def mkdir(call: Call, state: g.State, path: Any = None, opts: Any = None) -> g.State:
    p = _path(call, "path", path)
    options = v.options(call, opts, MKDIR_OPTIONS)
    return _result(call, state, g.Mkdir(absolute(p, _workdir(state)), **options))


def mkfile(call: Call, state: g.State, path: Any = None, data: Any = None, opts: Any = None) -> g.State:
    p = _path(call, "path", path)
    if data is None:
        raise call.missing('data argument required (use "" for an empty file)')
    content = v.check(call, "data", v.data, data)
    options = v.options(call, opts, MKFILE_OPTIONS)
    call.session.charge(len(content))
    return _result(call, state, g.Mkfile(absolute(p, _workdir(state)), content, **options))


def rm(call: Call, state: g.State, path: Any = None, opts: Any = None) -> g.State:
    p = _path(call, "path", path)
    options = v.options(call, opts, RM_OPTIONS)
    return _result(call, state, g.Rm(absolute(p, _workdir(state)), **options))


def symlink(call: Call, state: g.State, oldpath: Any = None, newpath: Any = None, opts: Any = None) -> g.State:
    target = _path(call, "oldpath (the link target)", oldpath)
    link = _path(call, "newpath (the link to create)", newpath)
    options = v.options(call, opts, SYMLINK_OPTIONS)
    # llb does not normalize symlink paths: a relative target stays relative.
    return _result(call, state, g.Symlink(target, absolute(link, _workdir(state)), **options))
