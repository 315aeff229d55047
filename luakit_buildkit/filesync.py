"""FileSync.DiffCopy: send a local directory to the daemon as fsutil does (docs/cli.md, `luakit buildx`).

The daemon (the receiver) asks for a directory by name; we list it in lexical
order, parents before children, one STAT packet per entry (the receiver rejects
any other order), then answer its REQ packets with the files' bytes. Only
requested files are read.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import grpc

from luakit_buildkit.pb import fsutil_pb2 as fs
from luakit_buildkit.pb.filesync_pb2_grpc import FileSyncServicer

# Each gRPC message costs us ~0.1 ms whatever its size (docs/performance.md): big files go
# in 1 MiB pieces, far below the 4 MiB a Go gRPC peer accepts.
CHUNK = 1024 * 1024

# Go's os.FileMode type bits, which fsutil puts in Stat.mode above the permissions.
GO_DIR = 1 << 31
GO_SYMLINK = 1 << 27
GO_DEVICE = 1 << 26
GO_PIPE = 1 << 25
GO_SOCKET = 1 << 24
GO_SETUID = 1 << 23
GO_SETGID = 1 << 22
GO_CHARDEV = 1 << 21
GO_STICKY = 1 << 20


# The type bits of each file type, by stat.S_IFMT (a dict lookup: the listing asks once per file).
_GO_TYPE = {
    stat.S_IFREG: 0,
    stat.S_IFDIR: GO_DIR,
    stat.S_IFLNK: GO_SYMLINK,
    stat.S_IFIFO: GO_PIPE,
    stat.S_IFSOCK: GO_SOCKET,
    stat.S_IFCHR: GO_DEVICE | GO_CHARDEV,
    stat.S_IFBLK: GO_DEVICE,
}


def go_mode(st_mode: int) -> int:
    mode = (st_mode & 0o777) | _GO_TYPE.get(stat.S_IFMT(st_mode), 0)
    if st_mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX):
        if st_mode & stat.S_ISUID:
            mode |= GO_SETUID
        if st_mode & stat.S_ISGID:
            mode |= GO_SETGID
        if st_mode & stat.S_ISVTX:
            mode |= GO_STICKY
    return mode


@dataclass(frozen=True, slots=True)
class Filter:
    """The include/exclude patterns the daemon sends (glob patterns on `/` paths)."""

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()

    @property
    def empty(self) -> bool:
        return not self.include and not self.exclude

    def excluded(self, path: str) -> bool:
        return any(_matches(path, p) for p in self.exclude if not p.startswith("!")) and not any(
            _matches(path, p[1:]) for p in self.exclude if p.startswith("!")
        )

    def included(self, path: str, is_dir: bool) -> bool:
        """Whether `path` is sent (a directory also when something below it may be)."""
        if not self.include:
            return True
        for pattern in self.include:
            pattern = pattern.strip("/")
            if _matches(path, pattern):
                return True
            if is_dir and (pattern + "/").startswith(path + "/"):
                return True
        return False


def _matches(path: str, pattern: str) -> bool:
    pattern = pattern.strip("/")
    if pattern in ("", "."):
        return True
    # A pattern matching a directory matches everything under it.
    parts = path.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[: i + 1]), pattern) for i in range(len(parts)))


def walk(root: Path, rules: Filter) -> Iterator[tuple[str, os.stat_result]]:
    """Entries under `root` in fsutil's order: names sorted per directory, parents first.

    Paths are joined as strings, not `Path`s, and the patterns are not consulted when
    there are none: this runs once per file of the context (docs/performance.md).
    """
    check = not rules.empty

    def visit(directory: str, prefix: str) -> Iterator[tuple[str, os.stat_result]]:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return
        for name in names:
            rel = prefix + name
            st = os.lstat(f"{directory}/{name}")
            is_dir = stat.S_ISDIR(st.st_mode)
            if check and (rules.excluded(rel) or not rules.included(rel, is_dir)):
                continue
            yield rel, st
            if is_dir:
                yield from visit(f"{directory}/{name}", rel + "/")

    yield from visit(str(root), "")


def listing(root: Path, rules: Filter) -> Iterator[fs.Packet]:
    """The STAT packets, in order; an entry's implicit ID is its place here.

    A generator, so the first packets leave while the rest of the tree is being read;
    each Stat is filled in inside its packet (building it apart and then the packet
    would copy it).
    """
    seen_inodes: dict[tuple[int, int], str] = {}
    for rel, st in walk(root, rules):
        mode = st.st_mode
        packet = fs.Packet(type=fs.PACKET_STAT)
        entry = packet.stat
        entry.path, entry.mode, entry.uid, entry.gid = rel, go_mode(mode), st.st_uid, st.st_gid
        entry.modTime = st.st_mtime_ns
        if stat.S_ISREG(mode):
            if st.st_nlink > 1 and (first := seen_inodes.setdefault((st.st_dev, st.st_ino), rel)) != rel:
                entry.linkname = first  # a second name of a file already sent is a hardlink to it
            else:
                entry.size = st.st_size
        elif stat.S_ISLNK(mode):
            entry.linkname = os.readlink(root / rel)
            entry.size = len(entry.linkname)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            entry.devmajor, entry.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
            entry.size = st.st_size
        elif not stat.S_ISDIR(mode):
            entry.size = st.st_size  # fifos and sockets, as lstat gives them; directories say 0
        yield packet


def _metadata_values(context: grpc.ServicerContext, key: str) -> list[str]:
    pairs = list(context.invocation_metadata())
    encoded = any(k == f"{key}-encoded" and v == "1" for k, v in pairs)
    return [unquote(str(v)) if encoded else str(v) for k, v in pairs if k == key]


class FileSync(FileSyncServicer):
    """Serves the `--local NAME=DIR` directories of one build."""

    def __init__(self, dirs: Mapping[str, Path]) -> None:
        self.dirs = dict(dirs)

    def DiffCopy(self, request_iterator: Iterator[fs.Packet], context: grpc.ServicerContext) -> Iterator[fs.Packet]:
        names = _metadata_values(context, "dir-name")
        name = names[0] if names else ""
        root = self.dirs.get(name)
        if root is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no local directory {name!r} (pass --local {name}=DIR)")
        assert root is not None
        rules = Filter(
            include=_metadata_values(context, "include-patterns"),
            exclude=_metadata_values(context, "exclude-patterns"),
        )
        paths: list[str] = []  # by implicit ID: what a REQ packet asks for
        for packet in listing(root, rules):
            paths.append(packet.stat.path)
            yield packet
        yield fs.Packet(type=fs.PACKET_STAT)
        for packet in request_iterator:
            if packet.type == fs.PACKET_REQ:
                yield from _file_data(root / paths[packet.ID], packet.ID)
            elif packet.type == fs.PACKET_FIN:
                yield fs.Packet(type=fs.PACKET_FIN)
                return
            elif packet.type == fs.PACKET_ERR:
                return


def _file_data(path: Path, ident: int) -> Iterator[fs.Packet]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield fs.Packet(type=fs.PACKET_DATA, ID=ident, data=chunk)
    yield fs.Packet(type=fs.PACKET_DATA, ID=ident)
