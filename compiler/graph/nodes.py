"""The op graph: immutable nodes that mirror BuildKit's LLB operations.

The field defaults here are the API's defaults (mkdir 0755, mkfile 0644, copy like
Dockerfile COPY, secrets 0400, ssh sockets 0600, ...): API functions pass on only
the options a script gave, so each default is stated once, here.

A node holds its inputs as `Ref`s to other nodes, never as digests: digests are
computed once, when the graph is marshalled (compiler/llb). Nodes compare by
identity, which keeps building and walking a 10,000-op graph cheap; two nodes
with equal content still marshal to one op with one digest.

Nodes and their parts are records (compiler/records.py): each class lists its
fields in `__slots__` and sets them in a written `__init__`. Defining them costs
nothing at import, where dataclasses generated and compiled those methods for
every class on each start of the CLI (docs/performance.md#cold-start).
"""

from __future__ import annotations

from compiler.records import IdentityRecord, Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from compiler.errors import Location
    from compiler.graph.platform import Platform

# Mode value meaning "keep the source's mode" (FileActionCopy.mode = -1).
KEEP_MODE = -1

_set = object.__setattr__  # how a record's __init__ sets its fields (compiler/records.py)
# The records made for each API call (a node, its State, a file action) set their fields through
# `_set` bound to the record once (`_set.__get__(self)`, as attrs does): each field then costs
# ~145 ns instead of ~205 (unbound, each call slices its arguments and checks the type again).
# A run's ExecNode sets 17, so a cold evaluation of 10,000 ops saves ~5 ms this way.


class OpMetadata(Record):
    """Per-op metadata. Not part of the digest; merged when ops share a digest."""

    __slots__ = ("description", "progress_group", "ignore_cache")
    description: tuple[tuple[str, str], ...]
    progress_group: str
    ignore_cache: bool

    def __init__(
        self, description: tuple[tuple[str, str], ...] = (), progress_group: str = "", ignore_cache: bool = False
    ) -> None:
        _set(self, "description", description)
        _set(self, "progress_group", progress_group)
        _set(self, "ignore_cache", ignore_cache)


# The metadata of an op that has none: one value shared by all, as records are immutable.
NO_METADATA = OpMetadata()


class Ref(IdentityRecord):
    """One output of a node."""

    __slots__ = ("node", "index")
    node: Node
    index: int

    def __init__(self, node: Node, index: int = 0) -> None:
        _set(self, "node", node)
        _set(self, "index", index)


# ---------------------------------------------------------------- sources


class SourceNode(IdentityRecord):
    __slots__ = ("identifier", "attrs", "caps", "platform", "location", "meta")
    identifier: str
    attrs: tuple[tuple[str, str], ...]
    caps: tuple[str, ...]
    platform: Platform | None
    location: Location | None
    meta: OpMetadata

    kind = "source"

    def __init__(
        self,
        identifier: str,
        attrs: tuple[tuple[str, str], ...],
        caps: tuple[str, ...],
        platform: Platform | None = None,
        location: Location | None = None,
        meta: OpMetadata = NO_METADATA,
    ) -> None:
        set_field = _set.__get__(self)  # bound once: see `_set` above
        set_field("identifier", identifier)
        set_field("attrs", attrs)
        set_field("caps", caps)
        set_field("platform", platform)
        set_field("location", location)
        set_field("meta", meta)

    def inputs(self) -> tuple[Ref | None, ...]:
        return ()


# ---------------------------------------------------------------- exec


class BindMount(Record):
    __slots__ = ("dest", "source", "selector", "readonly")
    dest: str
    source: Ref | None  # None: scratch
    selector: str
    readonly: bool

    def __init__(self, dest: str, source: Ref | None, selector: str = "", readonly: bool = True) -> None:
        _set(self, "dest", dest)
        _set(self, "source", source)
        _set(self, "selector", selector)
        _set(self, "readonly", readonly)


class CacheMount(Record):
    __slots__ = ("dest", "id", "sharing")
    dest: str
    id: str
    sharing: int  # pb.CacheSharingOpt

    def __init__(self, dest: str, id: str, sharing: int = 0) -> None:
        _set(self, "dest", dest)
        _set(self, "id", id)
        _set(self, "sharing", sharing)


class TmpfsMount(Record):
    __slots__ = ("dest", "size")
    dest: str
    size: int

    def __init__(self, dest: str, size: int = 0) -> None:
        _set(self, "dest", dest)
        _set(self, "size", size)


class SecretMount(Record):
    __slots__ = ("dest", "id", "uid", "gid", "mode", "optional")
    dest: str
    id: str
    uid: int
    gid: int
    mode: int
    optional: bool

    def __init__(
        self, dest: str, id: str, uid: int = 0, gid: int = 0, mode: int = 0o400, optional: bool = False
    ) -> None:
        _set(self, "dest", dest)
        _set(self, "id", id)
        _set(self, "uid", uid)
        _set(self, "gid", gid)
        _set(self, "mode", mode)
        _set(self, "optional", optional)


class SSHMount(Record):
    __slots__ = ("dest", "id", "uid", "gid", "mode", "optional")
    dest: str  # "" until the exec numbers its ssh mounts: /run/buildkit/ssh_agent.N
    id: str  # as llb and Dockerfile emit it; the daemon reads "" as the forward "default"
    uid: int
    gid: int
    mode: int
    optional: bool

    def __init__(
        self, dest: str = "", id: str = "", uid: int = 0, gid: int = 0, mode: int = 0o600, optional: bool = False
    ) -> None:
        _set(self, "dest", dest)
        _set(self, "id", id)
        _set(self, "uid", uid)
        _set(self, "gid", gid)
        _set(self, "mode", mode)
        _set(self, "optional", optional)


Mount = BindMount | CacheMount | TmpfsMount | SecretMount | SSHMount


class SecretEnv(Record):
    __slots__ = ("name", "id", "optional")
    name: str
    id: str
    optional: bool

    def __init__(self, name: str, id: str, optional: bool = False) -> None:
        _set(self, "name", name)
        _set(self, "id", id)
        _set(self, "optional", optional)


class Ulimit(Record):
    __slots__ = ("name", "soft", "hard")
    name: str
    soft: int
    hard: int

    def __init__(self, name: str, soft: int, hard: int) -> None:
        _set(self, "name", name)
        _set(self, "soft", soft)
        _set(self, "hard", hard)


def _dest_bytes(mount: BindMount | CacheMount | TmpfsMount) -> bytes:
    return mount.dest.encode()  # llb sorts mounts with Go's bytewise strings.Compare


class ExecNode(IdentityRecord):
    """A process run on a root filesystem. `root` is the "/" mount's source."""

    __slots__ = (
        "root",
        "args",
        "env",
        "cwd",
        "user",
        "hostname",
        "network",
        "security",
        "mounts",
        "secret_env",
        "extra_hosts",
        "ulimits",
        "valid_exit_codes",
        "readonly_rootfs",
        "platform",
        "location",
        "meta",
    )
    root: Ref | None
    args: tuple[str, ...]
    env: tuple[str, ...]
    cwd: str
    user: str
    hostname: str
    network: int  # pb.NetMode
    security: int  # pb.SecurityMode
    mounts: tuple[Mount, ...]
    secret_env: tuple[SecretEnv, ...]
    extra_hosts: tuple[tuple[str, str], ...]
    ulimits: tuple[Ulimit, ...]
    valid_exit_codes: tuple[int, ...]
    readonly_rootfs: bool
    platform: Platform | None
    location: Location | None
    meta: OpMetadata

    kind = "exec"

    def __init__(
        self,
        root: Ref | None,
        args: tuple[str, ...],
        env: tuple[str, ...],
        cwd: str,
        user: str = "",
        hostname: str = "",
        network: int = 0,
        security: int = 0,
        mounts: tuple[Mount, ...] = (),
        secret_env: tuple[SecretEnv, ...] = (),
        extra_hosts: tuple[tuple[str, str], ...] = (),
        ulimits: tuple[Ulimit, ...] = (),
        valid_exit_codes: tuple[int, ...] = (),
        readonly_rootfs: bool = False,
        platform: Platform | None = None,
        location: Location | None = None,
        meta: OpMetadata = NO_METADATA,
    ) -> None:
        set_field = _set.__get__(self)  # bound once: see `_set` above
        set_field("root", root)
        set_field("args", args)
        set_field("env", env)
        set_field("cwd", cwd)
        set_field("user", user)
        set_field("hostname", hostname)
        set_field("network", network)
        set_field("security", security)
        set_field("mounts", mounts)
        set_field("secret_env", secret_env)
        set_field("extra_hosts", extra_hosts)
        set_field("ulimits", ulimits)
        set_field("valid_exit_codes", valid_exit_codes)
        set_field("readonly_rootfs", readonly_rootfs)
        set_field("platform", platform)
        set_field("location", location)
        set_field("meta", meta)

    def filesystem_mounts(self) -> list[BindMount | CacheMount | TmpfsMount]:
        """The root and the other non-secret mounts, sorted by destination like llb."""
        root = BindMount("/", self.root, readonly=self.readonly_rootfs)
        if not self.mounts:
            return [root]
        others = [m for m in self.mounts if isinstance(m, (BindMount, CacheMount, TmpfsMount))]
        return sorted([root, *others], key=_dest_bytes)

    def output_index(self, dest: str) -> int | None:
        """The output number of the writable bind mount at `dest`, or None."""
        index = 0
        for mount in self.filesystem_mounts():
            if isinstance(mount, BindMount) and not mount.readonly:
                if mount.dest == dest:
                    return index
                index += 1
        return None

    def inputs(self) -> tuple[Ref | None, ...]:
        # The order of `filesystem_mounts`, without building the root's mount (every graph walk
        # calls this): "/" sorts before any other destination, and a stable sort keeps the root,
        # listed first there, ahead of another mount at "/".
        if not self.mounts:
            return (self.root,)
        binds = sorted((m for m in self.mounts if isinstance(m, BindMount)), key=_dest_bytes)
        return (self.root, *(m.source for m in binds))


# ---------------------------------------------------------------- file


class Owner(Record):
    """A user and group, each a name or a numeric id (None: unchanged)."""

    __slots__ = ("user", "group")
    user: str | int | None
    group: str | int | None

    def __init__(self, user: str | int | None = None, group: str | int | None = None) -> None:
        _set(self, "user", user)
        _set(self, "group", group)


class Copy(Record):
    __slots__ = (
        "source",
        "src",
        "dest",
        "mode",
        "owner",
        "follow_symlink",
        "copy_dir_contents",
        "create_dest_path",
        "allow_wildcard",
        "allow_empty_wildcard",
        "include",
        "exclude",
    )
    source: Ref | None
    src: str
    dest: str
    mode: int
    owner: Owner | None
    follow_symlink: bool
    copy_dir_contents: bool
    create_dest_path: bool
    allow_wildcard: bool
    allow_empty_wildcard: bool
    include: tuple[str, ...]
    exclude: tuple[str, ...]

    def __init__(
        self,
        source: Ref | None,
        src: str,
        dest: str,
        mode: int = KEEP_MODE,
        owner: Owner | None = None,
        follow_symlink: bool = True,
        copy_dir_contents: bool = True,
        create_dest_path: bool = True,
        allow_wildcard: bool = True,
        allow_empty_wildcard: bool = True,
        include: tuple[str, ...] = (),
        exclude: tuple[str, ...] = (),
    ) -> None:
        set_field = _set.__get__(self)  # bound once: see `_set` above
        set_field("source", source)
        set_field("src", src)
        set_field("dest", dest)
        set_field("mode", mode)
        set_field("owner", owner)
        set_field("follow_symlink", follow_symlink)
        set_field("copy_dir_contents", copy_dir_contents)
        set_field("create_dest_path", create_dest_path)
        set_field("allow_wildcard", allow_wildcard)
        set_field("allow_empty_wildcard", allow_empty_wildcard)
        set_field("include", include)
        set_field("exclude", exclude)


class Mkdir(Record):
    __slots__ = ("path", "mode", "make_parents", "owner")
    path: str
    mode: int
    make_parents: bool
    owner: Owner | None

    def __init__(self, path: str, mode: int = 0o755, make_parents: bool = False, owner: Owner | None = None) -> None:
        set_field = _set.__get__(self)  # bound once: see `_set` above
        set_field("path", path)
        set_field("mode", mode)
        set_field("make_parents", make_parents)
        set_field("owner", owner)


class Mkfile(Record):
    __slots__ = ("path", "data", "mode", "owner")
    path: str
    data: bytes
    mode: int
    owner: Owner | None

    def __init__(self, path: str, data: bytes, mode: int = 0o644, owner: Owner | None = None) -> None:
        set_field = _set.__get__(self)  # bound once: see `_set` above
        set_field("path", path)
        set_field("data", data)
        set_field("mode", mode)
        set_field("owner", owner)


class Rm(Record):
    __slots__ = ("path", "allow_not_found", "allow_wildcard")
    path: str
    allow_not_found: bool
    allow_wildcard: bool

    def __init__(self, path: str, allow_not_found: bool = False, allow_wildcard: bool = False) -> None:
        _set(self, "path", path)
        _set(self, "allow_not_found", allow_not_found)
        _set(self, "allow_wildcard", allow_wildcard)


class Symlink(Record):
    __slots__ = ("oldpath", "newpath", "owner")
    oldpath: str
    newpath: str
    owner: Owner | None

    def __init__(self, oldpath: str, newpath: str, owner: Owner | None = None) -> None:
        _set(self, "oldpath", oldpath)
        _set(self, "newpath", newpath)
        _set(self, "owner", owner)


FileAction = Copy | Mkdir | Mkfile | Rm | Symlink


class FileNode(IdentityRecord):
    """One file action applied to `base` (None: scratch)."""

    __slots__ = ("base", "action", "location", "meta")
    base: Ref | None
    action: FileAction
    location: Location | None
    meta: OpMetadata

    kind = "file"
    platform = None

    def __init__(
        self, base: Ref | None, action: FileAction, location: Location | None = None, meta: OpMetadata = NO_METADATA
    ) -> None:
        set_field = _set.__get__(self)  # bound once: see `_set` above
        set_field("base", base)
        set_field("action", action)
        set_field("location", location)
        set_field("meta", meta)

    def inputs(self) -> tuple[Ref | None, ...]:
        if isinstance(self.action, Copy):
            return (self.base, self.action.source)
        return (self.base,)


# ---------------------------------------------------------------- merge / diff


class MergeNode(IdentityRecord):
    __slots__ = ("sources", "location", "meta")
    sources: tuple[Ref, ...]
    location: Location | None
    meta: OpMetadata

    kind = "merge"
    platform = None

    def __init__(
        self, sources: tuple[Ref, ...], location: Location | None = None, meta: OpMetadata = NO_METADATA
    ) -> None:
        _set(self, "sources", sources)
        _set(self, "location", location)
        _set(self, "meta", meta)

    def inputs(self) -> tuple[Ref | None, ...]:
        return self.sources


class DiffNode(IdentityRecord):
    __slots__ = ("lower", "upper", "location", "meta")
    lower: Ref
    upper: Ref | None
    location: Location | None
    meta: OpMetadata

    kind = "diff"
    platform = None

    def __init__(
        self, lower: Ref, upper: Ref | None, location: Location | None = None, meta: OpMetadata = NO_METADATA
    ) -> None:
        set_field = _set.__get__(self)  # bound once: see `_set` above
        set_field("lower", lower)
        set_field("upper", upper)
        set_field("location", location)
        set_field("meta", meta)

    def inputs(self) -> tuple[Ref | None, ...]:
        return (self.lower, self.upper)


Node = SourceNode | ExecNode | FileNode | MergeNode | DiffNode


# ---------------------------------------------------------------- states


class ImageDefaults(Record):
    """What a base image's config contributes to the states built on it (like Dockerfile `FROM`).

    `env`, `workdir` and `user` are what later `run`s start from. `config` is the
    base image's whole OCI config as canonical JSON text ("" when unknown), which
    the exported image's config starts from; `digest` is the manifest digest the
    reference resolved to ("" when unknown), which `bk.image` pins.
    """

    __slots__ = ("env", "workdir", "user", "config", "digest")
    env: tuple[str, ...]
    workdir: str
    user: str
    config: str
    digest: str

    def __init__(
        self, env: tuple[str, ...] = (), workdir: str = "", user: str = "", config: str = "", digest: str = ""
    ) -> None:
        _set(self, "env", env)
        _set(self, "workdir", workdir)
        _set(self, "user", user)
        _set(self, "config", config)
        _set(self, "digest", digest)


class State(Record):
    """A filesystem state: what a Lua `State` value stands for.

    `ref` None is scratch (the empty filesystem, no op at all). `exec` is set on
    states returned by `run`, so `get_mount` can reach the exec's other outputs.
    """

    __slots__ = ("ref", "platform", "image", "exec")
    ref: Ref | None
    platform: Platform | None
    image: ImageDefaults | None
    exec: ExecNode | None

    def __init__(
        self,
        ref: Ref | None,
        platform: Platform | None = None,
        image: ImageDefaults | None = None,
        exec: ExecNode | None = None,
    ) -> None:
        set_field = _set.__get__(self)  # bound once: see `_set` above
        set_field("ref", ref)
        set_field("platform", platform)
        set_field("image", image)
        set_field("exec", exec)


SCRATCH = State(None)
