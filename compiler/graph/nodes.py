"""The op graph: immutable nodes that mirror BuildKit's LLB operations.

The field defaults here are the API's defaults (mkdir 0755, mkfile 0644, copy like
Dockerfile COPY, secrets 0400, ssh sockets 0600, ...): API functions pass on only
the options a script gave, so each default is stated once, here.

A node holds its inputs as `Ref`s to other nodes, never as digests: digests are
computed once, when the graph is marshalled (compiler/llb). Nodes compare by
identity, which keeps building and walking a 10,000-op graph cheap; two nodes
with equal content still marshal to one op with one digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler.errors import Location
from compiler.graph.platform import Platform

# Mode value meaning "keep the source's mode" (FileActionCopy.mode = -1).
KEEP_MODE = -1


@dataclass(frozen=True, slots=True)
class OpMetadata:
    """Per-op metadata. Not part of the digest; merged when ops share a digest."""

    description: tuple[tuple[str, str], ...] = ()
    progress_group: str = ""
    ignore_cache: bool = False


@dataclass(frozen=True, eq=False, slots=True)
class Ref:
    """One output of a node."""

    node: Node
    index: int = 0


# ---------------------------------------------------------------- sources


@dataclass(frozen=True, eq=False, slots=True)
class SourceNode:
    identifier: str
    attrs: tuple[tuple[str, str], ...]
    caps: tuple[str, ...]
    platform: Platform | None = None
    location: Location | None = None
    meta: OpMetadata = field(default_factory=OpMetadata)

    kind = "source"

    def inputs(self) -> tuple[Ref | None, ...]:
        return ()


# ---------------------------------------------------------------- exec


@dataclass(frozen=True, slots=True)
class BindMount:
    dest: str
    source: Ref | None  # None: scratch
    selector: str = ""
    readonly: bool = True


@dataclass(frozen=True, slots=True)
class CacheMount:
    dest: str
    id: str
    sharing: int = 0  # pb.CacheSharingOpt


@dataclass(frozen=True, slots=True)
class TmpfsMount:
    dest: str
    size: int = 0


@dataclass(frozen=True, slots=True)
class SecretMount:
    dest: str
    id: str
    uid: int = 0
    gid: int = 0
    mode: int = 0o400
    optional: bool = False


@dataclass(frozen=True, slots=True)
class SSHMount:
    dest: str = ""  # "" until the exec numbers its ssh mounts: /run/buildkit/ssh_agent.N
    id: str = ""  # as llb and Dockerfile emit it; the daemon reads "" as the forward "default"
    uid: int = 0
    gid: int = 0
    mode: int = 0o600
    optional: bool = False


Mount = BindMount | CacheMount | TmpfsMount | SecretMount | SSHMount


@dataclass(frozen=True, slots=True)
class SecretEnv:
    name: str
    id: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Ulimit:
    name: str
    soft: int
    hard: int


def _dest_bytes(mount: BindMount | CacheMount | TmpfsMount) -> bytes:
    return mount.dest.encode()  # llb sorts mounts with Go's bytewise strings.Compare


@dataclass(frozen=True, eq=False, slots=True)
class ExecNode:
    """A process run on a root filesystem. `root` is the "/" mount's source."""

    root: Ref | None
    args: tuple[str, ...]
    env: tuple[str, ...]
    cwd: str
    user: str = ""
    hostname: str = ""
    network: int = 0  # pb.NetMode
    security: int = 0  # pb.SecurityMode
    mounts: tuple[Mount, ...] = ()
    secret_env: tuple[SecretEnv, ...] = ()
    extra_hosts: tuple[tuple[str, str], ...] = ()
    ulimits: tuple[Ulimit, ...] = ()
    valid_exit_codes: tuple[int, ...] = ()
    readonly_rootfs: bool = False
    platform: Platform | None = None
    location: Location | None = None
    meta: OpMetadata = field(default_factory=OpMetadata)

    kind = "exec"

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


@dataclass(frozen=True, slots=True)
class Owner:
    """A user and group, each a name or a numeric id (None: unchanged)."""

    user: str | int | None = None
    group: str | int | None = None


@dataclass(frozen=True, slots=True)
class Copy:
    source: Ref | None
    src: str
    dest: str
    mode: int = KEEP_MODE
    owner: Owner | None = None
    follow_symlink: bool = True
    copy_dir_contents: bool = True
    create_dest_path: bool = True
    allow_wildcard: bool = True
    allow_empty_wildcard: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mkdir:
    path: str
    mode: int = 0o755
    make_parents: bool = False
    owner: Owner | None = None


@dataclass(frozen=True, slots=True)
class Mkfile:
    path: str
    data: bytes
    mode: int = 0o644
    owner: Owner | None = None


@dataclass(frozen=True, slots=True)
class Rm:
    path: str
    allow_not_found: bool = False
    allow_wildcard: bool = False


@dataclass(frozen=True, slots=True)
class Symlink:
    oldpath: str
    newpath: str
    owner: Owner | None = None


FileAction = Copy | Mkdir | Mkfile | Rm | Symlink


@dataclass(frozen=True, eq=False, slots=True)
class FileNode:
    """One file action applied to `base` (None: scratch)."""

    base: Ref | None
    action: FileAction
    location: Location | None = None
    meta: OpMetadata = field(default_factory=OpMetadata)

    kind = "file"
    platform = None

    def inputs(self) -> tuple[Ref | None, ...]:
        if isinstance(self.action, Copy):
            return (self.base, self.action.source)
        return (self.base,)


# ---------------------------------------------------------------- merge / diff


@dataclass(frozen=True, eq=False, slots=True)
class MergeNode:
    sources: tuple[Ref, ...]
    location: Location | None = None
    meta: OpMetadata = field(default_factory=OpMetadata)

    kind = "merge"
    platform = None

    def inputs(self) -> tuple[Ref | None, ...]:
        return self.sources


@dataclass(frozen=True, eq=False, slots=True)
class DiffNode:
    lower: Ref
    upper: Ref | None
    location: Location | None = None
    meta: OpMetadata = field(default_factory=OpMetadata)

    kind = "diff"
    platform = None

    def inputs(self) -> tuple[Ref | None, ...]:
        return (self.lower, self.upper)


Node = SourceNode | ExecNode | FileNode | MergeNode | DiffNode


# ---------------------------------------------------------------- states


@dataclass(frozen=True, slots=True)
class ImageDefaults:
    """What a base image's config contributes to the states built on it (like Dockerfile `FROM`).

    `env`, `workdir` and `user` are what later `run`s start from. `config` is the
    base image's whole OCI config as canonical JSON text ("" when unknown), which
    the exported image's config starts from; `digest` is the manifest digest the
    reference resolved to ("" when unknown), which `bk.image` pins.
    """

    env: tuple[str, ...] = ()
    workdir: str = ""
    user: str = ""
    config: str = ""
    digest: str = ""


@dataclass(frozen=True, slots=True)
class State:
    """A filesystem state: what a Lua `State` value stands for.

    `ref` None is scratch (the empty filesystem, no op at all). `exec` is set on
    states returned by `run`, so `get_mount` can reach the exec's other outputs.
    """

    ref: Ref | None
    platform: Platform | None = None
    image: ImageDefaults | None = None
    exec: ExecNode | None = None


SCRATCH = State(None)
