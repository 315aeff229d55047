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


def go_mode(st_mode: int) -> int:
    mode = st_mode & 0o777
    if stat.S_ISDIR(st_mode):
        mode |= GO_DIR
    elif stat.S_ISLNK(st_mode):
        mode |= GO_SYMLINK
    elif stat.S_ISFIFO(st_mode):
        mode |= GO_PIPE
    elif stat.S_ISSOCK(st_mode):
        mode |= GO_SOCKET
    elif stat.S_ISCHR(st_mode):
        mode |= GO_DEVICE | GO_CHARDEV
    elif stat.S_ISBLK(st_mode):
        mode |= GO_DEVICE
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
    """Entries under `root` in fsutil's order: names sorted per directory, parents first."""

    def visit(directory: Path, prefix: str) -> Iterator[tuple[str, os.stat_result]]:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return
        for name in names:
            rel = f"{prefix}{name}"
            st = os.lstat(directory / name)
            is_dir = stat.S_ISDIR(st.st_mode)
            if rules.excluded(rel) or not rules.included(rel, is_dir):
                continue
            yield rel, st
            if is_dir:
                yield from visit(directory / name, rel + "/")

    yield from visit(root, "")


def listing(root: Path, rules: Filter) -> tuple[list[fs.Stat], list[str]]:
    """The STAT packets' contents and, by implicit ID, the paths to read on request."""
    stats: list[fs.Stat] = []
    paths: list[str] = []
    seen_inodes: dict[tuple[int, int], str] = {}
    for rel, st in walk(root, rules):
        entry = fs.Stat(
            path=rel, mode=go_mode(st.st_mode), uid=st.st_uid, gid=st.st_gid,
            size=st.st_size, modTime=st.st_mtime_ns,
        )
        if stat.S_ISLNK(st.st_mode):
            entry.linkname = os.readlink(root / rel)
            entry.size = len(entry.linkname)
        elif stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            # A second name of a file already sent is a hardlink to the first.
            first = seen_inodes.setdefault((st.st_dev, st.st_ino), rel)
            if first != rel:
                entry.linkname = first
                entry.size = 0
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            entry.devmajor, entry.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        if not stat.S_ISDIR(st.st_mode):
            entry.size = entry.size if not stat.S_ISDIR(st.st_mode) else 0
        else:
            entry.size = 0
        stats.append(entry)
        paths.append(rel)
    return stats, paths


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
        stats, paths = listing(root, rules)
        for entry in stats:
            yield fs.Packet(type=fs.PACKET_STAT, stat=entry)
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
