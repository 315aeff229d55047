"""FileSend.DiffCopy: exports the daemon writes back to us (docs/cli.md, `luakit buildx`).

`local` exports arrive as fsutil packets (the daemon is the sender, we are the
receiver and ask for every regular file); `tar`, `oci` and `docker` exports
arrive as raw bytes of one tar stream. The method is declared with
BytesMessage, but for `local` the daemon puts fsutil packets themselves on the
stream, so the handler takes and gives raw message bytes and decodes each kind
itself (`handler()`). Which `--output` a call is for is the
`buildkit-attachable-exporter-id` metadata: an index into the SolveRequest's
exporters.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import grpc

from luakit_buildkit.filesync import GO_DIR, GO_SYMLINK
from luakit_buildkit.pb import filesend_pb2 as send_pb
from luakit_buildkit.pb import fsutil_pb2 as fs


@dataclass(frozen=True, slots=True)
class Destination:
    """Where one exporter's output goes: a directory (`local`) or a file (the tar kinds; '-' is stdout)."""

    kind: str
    path: str


def handler(destinations: Mapping[int, Destination]) -> grpc.GenericRpcHandler:
    """The FileSend service for the session's server, on raw message bytes."""
    service = FileSend(destinations)
    return grpc.method_handlers_generic_handler(
        "moby.filesync.v1.FileSend",
        {"DiffCopy": grpc.stream_stream_rpc_method_handler(service.DiffCopy, _same, _same)},
    )


def _same(data: bytes) -> bytes:
    return data


class FileSend:
    def __init__(self, destinations: Mapping[int, Destination]) -> None:
        self.destinations = dict(destinations)

    def DiffCopy(self, request_iterator: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        ids = [v for k, v in context.invocation_metadata() if k == "buildkit-attachable-exporter-id"]
        index = int(ids[0]) if ids and str(ids[0]).isdigit() else 0
        destination = self.destinations.get(index)
        if destination is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no destination for exporter {index}")
        assert destination is not None
        if destination.kind == "local":
            yield from _receive_tree(Path(destination.path), request_iterator)
        else:
            _receive_stream(destination.path, request_iterator)


def _receive_stream(path: str, messages: Iterator[bytes]) -> None:
    if path == "-":
        out: BinaryIO = os.fdopen(os.dup(1), "wb")
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        out = open(path, "wb")  # noqa: SIM115 - closed below, on every path
    with out:
        for message in messages:
            out.write(send_pb.BytesMessage.FromString(message).data)


def _receive_tree(root: Path, messages: Iterator[bytes]) -> Iterator[bytes]:
    root.mkdir(parents=True, exist_ok=True)
    entries: list[fs.Stat] = []
    for message in messages:
        packet = fs.Packet.FromString(message)
        if packet.type == fs.PACKET_ERR:
            raise OSError(packet.data.decode("utf-8", "replace"))
        if packet.type != fs.PACKET_STAT:
            continue
        if not packet.HasField("stat"):
            break
        entries.append(packet.stat)
    wanted: dict[int, BinaryIO] = {}
    for ident, entry in enumerate(entries):
        target = root / entry.path
        if entry.mode & GO_DIR:
            target.mkdir(exist_ok=True)
        elif entry.mode & GO_SYMLINK:
            if target.is_symlink() or target.exists():
                target.unlink()
            target.symlink_to(entry.linkname)
        elif entry.linkname:
            if target.exists():
                target.unlink()
            os.link(root / entry.linkname, target)
        elif entry.mode & ~0o7777 == 0:
            wanted[ident] = open(target, "wb")  # noqa: SIM115 - closed when its last DATA arrives
            yield fs.Packet(type=fs.PACKET_REQ, ID=ident).SerializeToString()
    while wanted:
        chunk = next(messages, None)
        if chunk is None:
            break
        packet = fs.Packet.FromString(chunk)
        if packet.type == fs.PACKET_DATA and packet.ID in wanted:
            if packet.data:
                wanted[packet.ID].write(packet.data)
            else:
                wanted.pop(packet.ID).close()
        elif packet.type == fs.PACKET_ERR:
            raise OSError(packet.data.decode("utf-8", "replace"))
    for f in wanted.values():
        f.close()
    # Modes and times last, deepest first, so a read-only directory is filled before it closes.
    for entry in reversed(entries):
        target = root / entry.path
        if entry.mode & GO_SYMLINK:
            continue
        os.chmod(target, stat.S_IMODE(entry.mode & 0o777) | _special(entry.mode))
        os.utime(target, ns=(entry.modTime, entry.modTime))
    yield fs.Packet(type=fs.PACKET_FIN).SerializeToString()
    for _ in messages:
        pass


def _special(go_mode: int) -> int:
    bits = 0
    if go_mode & (1 << 23):
        bits |= stat.S_ISUID
    if go_mode & (1 << 22):
        bits |= stat.S_ISGID
    if go_mode & (1 << 20):
        bits |= stat.S_ISVTX
    return bits
