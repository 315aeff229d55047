"""One graph node -> one pb.Op, its bytes, digest and capabilities.

The rules (input numbering, mount order, defaults, caps) follow BuildKit's own
`client/llb`; docs/llb.md says what each is and why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from compiler.graph import nodes as g
from compiler.graph.platform import Platform
from compiler.pb import llb as pb
from compiler.records import Record

# sha256 from CPython's own small module rather than hashlib: hashlib loads OpenSSL's
# binding (`_hashlib`, ~2 ms of every `luakit build`; `_sha256` ~0.4 ms). The digests are
# the same (SHA-256 is SHA-256); ops are a few hundred bytes, where OpenSSL's speed does not
# show. Python 3.12 renamed the module `_sha2`.
try:
    from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    try:  # Python >= 3.12
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # a Python built without its own hash modules
        from hashlib import sha256

_set = object.__setattr__  # how a record's __init__ sets its fields (compiler/records.py); one made per op

# Index meaning "no input" (scratch) or "no output" (solver/pb/const.go).
EMPTY = -1

# Resolves an input Ref (None = scratch) to (digest, output index).
Resolve = Callable[[g.Ref], tuple[str, int]]


class EncodedOp(Record):
    __slots__ = ("data", "digest", "caps", "inputs")
    data: bytes
    digest: str
    caps: tuple[str, ...]
    inputs: tuple[tuple[str, int], ...]

    def __init__(self, data: bytes, digest: str, caps: tuple[str, ...], inputs: tuple[tuple[str, int], ...]) -> None:
        _set(self, "data", data)
        _set(self, "digest", digest)
        _set(self, "caps", caps)
        _set(self, "inputs", inputs)


def digest_of(data: bytes) -> str:
    return "sha256:" + sha256(data).hexdigest()


# An op's bytes are three serializations one after the other (protobuf messages
# concatenate; docs/llb.md#op-encoding-and-digests): its inputs, then the fields Go writes
# next (platform, constraints), then the `op` oneof, which Go writes last and upb, ordering
# strictly by field number, would write first. Each part is an `Op` holding only those
# fields. Parts that many ops share are serialized once and reused: the middle part is the
# same for every op on one platform, and a diff's or merge's oneof holds nothing but input
# indexes (the digests are in the inputs), so wide merges of diffs reuse a handful.


@functools.lru_cache(maxsize=64)
def platform_and_constraints(platform: Platform | None) -> bytes:
    """The fields Go writes between the inputs and the oneof, serialized: a graph has few platforms."""
    op = pb.Op()
    if platform is not None:
        op.platform.CopyFrom(pb.Platform(OS=platform.os, Architecture=platform.architecture, Variant=platform.variant))
    op.constraints.SetInParent()  # llb always emits an empty WorkerConstraints
    return op.SerializeToString(deterministic=True)


@functools.lru_cache(maxsize=64)
def _diff_body(lower: int, upper: int) -> bytes:
    """A DiffOp's oneof, serialized: it holds nothing but its two input indexes."""
    op = pb.Op()
    op.diff.lower.input = lower
    op.diff.upper.input = upper
    return op.SerializeToString(deterministic=True)


@functools.lru_cache(maxsize=64)
def _merge_body(count: int) -> bytes:
    """A MergeOp's oneof, serialized: inputs 0..count-1 in order (a merge's inputs are not deduplicated)."""
    op = pb.Op()
    for index in range(count):
        op.merge.inputs.add().input = index
    return op.SerializeToString(deterministic=True)


class _Inputs:
    """Op.inputs, deduplicated by (digest, index), in the order they are met."""

    __slots__ = ("_resolve", "items")  # one per op encoded: slots make it quicker to build

    def __init__(self, resolve: Resolve) -> None:
        self._resolve = resolve
        self.items: list[tuple[str, int]] = []

    def index(self, ref: g.Ref | None) -> int:
        if ref is None:
            return EMPTY
        key = self._resolve(ref)
        if key not in self.items:
            self.items.append(key)
        return self.items.index(key)

    def append(self, ref: g.Ref) -> int:
        """Add without deduplication (MergeOp lists repeated inputs twice)."""
        self.items.append(self._resolve(ref))
        return len(self.items) - 1


def encode(node: g.Node, resolve: Resolve) -> EncodedOp:
    inputs = _Inputs(resolve)
    if isinstance(node, g.MergeNode):
        for ref in node.sources:
            inputs.append(ref)
        body = _merge_body(len(node.sources))
        caps: tuple[str, ...] = ("mergeop",)
    elif isinstance(node, g.DiffNode):
        body = _diff_body(inputs.index(node.lower), inputs.index(node.upper))
        caps = ("diffop",)
    else:
        op = pb.Op()  # the oneof alone
        if isinstance(node, g.ExecNode):
            caps = _exec(op, node, inputs)
        elif isinstance(node, g.FileNode):
            caps = _file(op, node, inputs)
        elif isinstance(node, g.SourceNode):
            caps = _source(op, node)
        else:  # pragma: no cover - the Node union is closed
            raise TypeError(f"unknown node {node!r}")
        body = op.SerializeToString(deterministic=True)
    head = pb.Op()
    for digest, index in inputs.items:
        added = head.inputs.add()  # field by field: the keyword form of `add` is twice as slow
        added.digest = digest
        added.index = index
    data = head.SerializeToString(deterministic=True) + platform_and_constraints(node.platform) + body
    return EncodedOp(data, digest_of(data), _sorted_caps(caps), tuple(inputs.items))


@functools.lru_cache(maxsize=256)
def _sorted_caps(caps: tuple[str, ...]) -> tuple[str, ...]:
    """`caps` sorted, without repeats. A graph's ops come in a few kinds with the same caps
    each, so looking the answer up beats sorting a set per op."""
    return tuple(sorted(set(caps)))


def _source(op: pb.Op, node: g.SourceNode) -> tuple[str, ...]:
    op.source.identifier = node.identifier
    for key, value in node.attrs:
        op.source.attrs[key] = value
    return node.caps


# ---------------------------------------------------------------- exec


# An exec op's oneof but its args and env, serialized, by what it is made of. The ops of a
# loop, and most ops of a script, run different commands (often with an env that differs too:
# a step number, a version) in the same directory, with the same mounts and options: parsing
# that part back (~1 µs) and adding the args and env costs a fraction of setting every field
# again (~10-20 µs). upb serializes a message's fields in number order whatever order they
# were set in, so the bytes are those of the op built whole (tests/test_wire.py).
# Bounded like the call-site caches: an editor's worker encodes evaluation after evaluation.
_EXEC_BODIES_LIMIT = 4096
_exec_bodies: dict[tuple[object, ...], tuple[bytes, tuple[str, ...]]] = {}


def _exec_key(node: g.ExecNode, inputs: _Inputs) -> tuple[object, ...] | None:
    """Every field `_exec_fields` reads, with the root's input index; None with bind mounts
    (their input indexes would have to be part of it: such ops are built whole)."""
    for mount in node.mounts:
        if isinstance(mount, g.BindMount):
            return None
    return (
        inputs.index(node.root),
        node.cwd,
        node.user,
        node.hostname,
        node.network,
        node.security,
        node.mounts,
        node.secret_env,
        node.extra_hosts,
        node.ulimits,
        node.valid_exit_codes,
        node.readonly_rootfs,
    )


def _exec(op: pb.Op, node: g.ExecNode, inputs: _Inputs) -> tuple[str, ...]:
    key = _exec_key(node, inputs)
    if key is None:
        caps = _exec_fields(op, node, inputs)
    else:
        found = _exec_bodies.get(key)
        if found is None:
            caps = _exec_fields(op, node, inputs)
            if len(_exec_bodies) >= _EXEC_BODIES_LIMIT:
                _exec_bodies.clear()
            _exec_bodies[key] = (op.SerializeToString(deterministic=True), caps)
        else:
            body, caps = found
            op.MergeFromString(body)
    meta = op.exec.meta
    meta.args.extend(node.args)
    meta.env.extend(node.env)
    return caps


def _exec_fields(op: pb.Op, node: g.ExecNode, inputs: _Inputs) -> tuple[str, ...]:
    """Everything of `node`'s ExecOp but its args and env, in `op`; its caps."""
    caps = ["exec.meta.base"]
    exec_op = op.exec
    meta = exec_op.meta
    meta.cwd = node.cwd
    meta.user = node.user
    meta.hostname = node.hostname
    # llb always sets this: unmount stubs created for mount points, recursively.
    meta.removeMountStubsRecursive = True
    for host, ip in node.extra_hosts:
        meta.extraHosts.add(Host=host, IP=ip)
    if node.ulimits:
        caps.append("exec.meta.ulimit")
        for limit in node.ulimits:
            meta.ulimit.add(Name=limit.name, Soft=limit.soft, Hard=limit.hard)
    if node.valid_exit_codes:
        caps.append("exec.validexitcode")
        meta.validExitCodes.extend(node.valid_exit_codes)
    exec_op.network = node.network  # type: ignore[assignment]  # enum values are ints at run time
    if node.network != pb.UNSET:
        caps.append("exec.meta.network")
    exec_op.security = node.security  # type: ignore[assignment]
    if node.security != pb.SANDBOX:
        caps.append("exec.meta.security")

    output = 0
    for mount in node.filesystem_mounts():
        m = exec_op.mounts.add()  # field by field, like the head's inputs
        m.dest = mount.dest
        if isinstance(mount, g.BindMount):
            m.input = inputs.index(mount.source)
            if mount.source is not None:
                caps.append("exec.mount.bind")
            if mount.selector:
                m.selector = mount.selector
                caps.append("exec.mount.selector")
            m.readonly = mount.readonly
            if mount.readonly:
                m.output = EMPTY
            else:
                m.output = output
                output += 1
        elif isinstance(mount, g.CacheMount):
            m.input = EMPTY
            m.output = EMPTY
            m.mountType = pb.CACHE
            m.cacheOpt.ID = mount.id
            m.cacheOpt.sharing = mount.sharing
            caps += ["exec.mount.cache", "exec.mount.cache.sharing"]
        else:
            m.input = EMPTY
            m.output = EMPTY
            m.mountType = pb.TMPFS
            m.TmpfsOpt.size = mount.size
            caps.append("exec.mount.tmpfs")
            if mount.size > 0:
                caps.append("exec.mount.tmpfs.size")

    # Secrets, then SSH sockets, after the sorted mounts and in the order given;
    # llb leaves their output at 0 (the daemon ignores it for these types).
    for secret in (m for m in node.mounts if isinstance(m, g.SecretMount)):
        m = exec_op.mounts.add(input=EMPTY, dest=secret.dest, mountType=pb.SECRET)
        m.secretOpt.CopyFrom(
            pb.SecretOpt(ID=secret.id, uid=secret.uid, gid=secret.gid, mode=secret.mode, optional=secret.optional)
        )
        caps.append("exec.mount.secret")
    for socket in (m for m in node.mounts if isinstance(m, g.SSHMount)):
        m = exec_op.mounts.add(input=EMPTY, dest=socket.dest, mountType=pb.SSH)
        m.SSHOpt.CopyFrom(
            pb.SSHOpt(ID=socket.id, uid=socket.uid, gid=socket.gid, mode=socket.mode, optional=socket.optional)
        )
        caps.append("exec.mount.ssh")
    for env_secret in node.secret_env:
        exec_op.secretenv.add(ID=env_secret.id, name=env_secret.name, optional=env_secret.optional)
    if node.secret_env:
        caps += ["exec.mount.secret", "exec.secretenv"]
    return tuple(caps)


# ---------------------------------------------------------------- file


def _user_opt(target: pb.UserOpt, value: str | int, base_index: int) -> None:
    if isinstance(value, int):
        target.byID = value
    else:
        target.byName.name = value
        target.byName.input = base_index


def _owner(target: pb.ChownOpt, owner: g.Owner, base_index: int) -> None:
    if owner.user is not None:
        _user_opt(target.user, owner.user, base_index)
    if owner.group is not None:
        _user_opt(target.group, owner.group, base_index)


def _file(op: pb.Op, node: g.FileNode, inputs: _Inputs) -> tuple[str, ...]:
    action = node.action
    fa = op.file.actions.add()
    fa.input = inputs.index(node.base)
    fa.secondaryInput = EMPTY
    fa.output = 0  # the only (so last) action of this FileOp
    if isinstance(action, g.Copy):
        fa.secondaryInput = inputs.index(action.source)
        c = fa.copy
        c.src = action.src
        c.dest = action.dest
        c.mode = action.mode
        c.followSymlink = action.follow_symlink
        c.dirCopyContents = action.copy_dir_contents
        c.createDestPath = action.create_dest_path
        c.allowWildcard = action.allow_wildcard
        c.allowEmptyWildcard = action.allow_empty_wildcard
        c.timestamp = -1
        c.include_patterns.extend(action.include)
        c.exclude_patterns.extend(action.exclude)
        if action.owner is not None:
            _owner(c.owner, action.owner, fa.input)
    elif isinstance(action, g.Mkdir):
        d = fa.mkdir
        d.path = action.path
        d.mode = action.mode
        d.makeParents = action.make_parents
        d.timestamp = -1
        if action.owner is not None:
            _owner(d.owner, action.owner, fa.input)
    elif isinstance(action, g.Mkfile):
        f = fa.mkfile
        f.path = action.path
        f.mode = action.mode
        f.data = action.data
        f.timestamp = -1
        if action.owner is not None:
            _owner(f.owner, action.owner, fa.input)
    elif isinstance(action, g.Rm):
        r = fa.rm
        r.path = action.path
        r.allowNotFound = action.allow_not_found
        r.allowWildcard = action.allow_wildcard
    else:
        s = fa.symlink
        s.oldpath = action.oldpath
        s.newpath = action.newpath
        s.timestamp = -1
        if action.owner is not None:
            _owner(s.owner, action.owner, fa.input)
    # llb never emits the finer file.* caps (docs/llb.md#caps): file.base only.
    return ("file.base",)
