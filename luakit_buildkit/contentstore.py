"""containerd's content API over cache directories: how the daemon reads and writes
`type=local` caches through the session (docs/cli.md, buildx caches).

The daemon names the store in each call's `buildkit-attachable-store-id` metadata:
`local:` + the cache's `src`/`dest` as the SolveRequest gives them (localcache.store_id).
A store is a directory laid out as containerd's local store and the OCI image layout
lay it out, so buildctl reads what we write and the other way round: blobs at
`blobs/<algorithm>/<hex>`, read-only once written. It calls Info (does a blob exist,
its size), Read (a blob's bytes from an offset) and Write (one blob per stream: STAT,
WRITEs at the current offset, COMMIT with the size and digest it expects).

A blob being written goes to a temporary file under `ingest/`, hashed as it streams,
and is renamed into `blobs/` only when COMMIT finds the size and digest right: a
failed, cancelled or lying write leaves no half blob behind. Writes do not resume
across streams (each starts at offset 0), which the daemon's writer handles.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NoReturn

import grpc
from google.protobuf import empty_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from luakit_buildkit.pb import content_pb2 as pb
from luakit_buildkit.pb.content_pb2_grpc import ContentServicer

# The metadata by which the daemon says which store a call is for.
STORE_ID_HEADER = "buildkit-attachable-store-id"
# Per Read message: large enough to be few, well below the daemon's message limit.
_READ_CHUNK = 1024 * 1024
# The algorithms go-digest knows, with the length of their hex part.
_DIGEST = re.compile(r"(?P<algorithm>sha256|sha384|sha512):(?P<hex>[a-f0-9]+)")
_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}


class _Refused(Exception):
    """Why a Write stream ends, raised below Write and turned into its status there."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


def _abort(context: grpc.ServicerContext, code: grpc.StatusCode, details: str) -> NoReturn:
    """End the call with this status (grpc's abort raises; its stubs do not say so)."""
    context.abort(code, details)
    raise AssertionError("unreachable: grpc's abort raises")


def blob_path(root: Path, digest: str) -> Path:
    """Where a blob lives in a store; ValueError for anything that is not a digest (no `..`)."""
    found = _DIGEST.fullmatch(digest)
    if found is None or len(found["hex"]) != _HEX_LENGTH[found["algorithm"]]:
        raise ValueError(f"{digest!r} is not a valid digest")
    return root / "blobs" / found["algorithm"] / found["hex"]


def _timestamp(ns: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(ns)
    return stamp


class _Ingest:
    """One blob being written: a temporary file beside the store's blobs and its running hash."""

    def __init__(self, root: Path, ref: str) -> None:
        self.root = root
        self.ref = ref
        self.total = 0
        self.expected = ""
        self.started = self.updated = time.time_ns()
        ingest = root / "ingest"
        ingest.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=ingest, prefix=".luakit-")
        self.path = Path(name)
        self.file = os.fdopen(fd, "wb")
        self.algorithm = "sha256"
        self.hash = hashlib.sha256()
        self.offset = 0
        self.aborted = False

    def expect(self, digest: str) -> None:
        blob_path(self.root, digest)  # a valid digest, or ValueError
        self.expected = digest
        algorithm = digest.partition(":")[0]
        if algorithm != self.algorithm:
            self.algorithm, self.hash = algorithm, hashlib.new(algorithm)
            self._rehash()

    def truncate(self) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.hash = hashlib.new(self.algorithm)
        self.offset = 0

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.hash.update(data)
        self.offset += len(data)
        self.updated = time.time_ns()

    def digest(self) -> str:
        return f"{self.algorithm}:{self.hash.hexdigest()}"

    def commit(self) -> None:
        """Verify size and digest, then move the blob into place read-only; `_Refused` if wrong."""
        if self.total > 0 and self.offset != self.total:
            raise _Refused(grpc.StatusCode.FAILED_PRECONDITION,
                           f"unexpected commit size {self.offset}, expected {self.total}")
        actual = self.digest()
        if self.expected and actual != self.expected:
            raise _Refused(grpc.StatusCode.FAILED_PRECONDITION,
                           f"unexpected commit digest {actual}, expected {self.expected}")
        target = blob_path(self.root, actual)
        if target.exists():
            raise _Refused(grpc.StatusCode.ALREADY_EXISTS, f"content {actual}: already exists")
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.chmod(self.path, 0o444)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)
        _sync_directory(target.parent)

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _rehash(self) -> None:
        self.file.flush()
        with open(self.path, "rb") as f:
            while chunk := f.read(_READ_CHUNK):
                self.hash.update(chunk)


def _sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ContentStore(ContentServicer):
    """The content service of the session: `stores` maps a store id to its directory."""

    def __init__(self, stores: Mapping[str, Path]) -> None:
        self.stores = dict(stores)
        self._lock = threading.Lock()
        self._ingests: dict[tuple[str, str], _Ingest] = {}

    def Info(self, request: pb.InfoRequest, context: grpc.ServicerContext) -> pb.InfoResponse:
        path = self._blob(request.digest, context)
        try:
            stat = path.stat()
        except FileNotFoundError:
            _abort(context, grpc.StatusCode.NOT_FOUND, f"content {request.digest}: not found")
        modified = _timestamp(stat.st_mtime_ns)
        return pb.InfoResponse(
            info=pb.Info(digest=request.digest, size=stat.st_size, created_at=modified, updated_at=modified)
        )

    def Read(self, request: pb.ReadContentRequest, context: grpc.ServicerContext) -> Iterator[pb.ReadContentResponse]:
        path = self._blob(request.digest, context)
        try:
            blob = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            _abort(context, grpc.StatusCode.NOT_FOUND, f"content {request.digest}: not found")
        with blob:
            size = os.fstat(blob.fileno()).st_size
            offset = max(request.offset, 0)
            if offset > size:
                _abort(context, grpc.StatusCode.OUT_OF_RANGE, f"read past object length {size} bytes")
            end = size if request.size <= 0 else min(size, offset + request.size)
            blob.seek(offset)
            while offset < end and (data := blob.read(min(_READ_CHUNK, end - offset))):
                yield pb.ReadContentResponse(offset=offset, data=data)
                offset += len(data)

    def Status(self, request: pb.StatusRequest, context: grpc.ServicerContext) -> pb.StatusResponse:
        ingest = self._ingests.get((self._store_id(context), request.ref))
        if ingest is None:
            _abort(context, grpc.StatusCode.NOT_FOUND, f"no write in progress for ref {request.ref}")
        return pb.StatusResponse(status=pb.Status(
            ref=ingest.ref, offset=ingest.offset, total=ingest.total, expected=ingest.expected,
            started_at=_timestamp(ingest.started), updated_at=_timestamp(ingest.updated),
        ))

    def Abort(self, request: pb.AbortRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        ingest = self._ingests.get((self._store_id(context), request.ref))
        if ingest is None:
            _abort(context, grpc.StatusCode.NOT_FOUND, f"no write in progress for ref {request.ref}")
        # Its stream fails at its next message and drops what it wrote.
        ingest.aborted = True
        return empty_pb2.Empty()

    def Write(
        self, request_iterator: Iterator[pb.WriteContentRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.WriteContentResponse]:
        store_id = self._store_id(context)
        root = self._root(context)
        request = next(request_iterator, None)
        if request is None:
            return
        if not request.ref:
            _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "first message must have a reference")
        key = (store_id, request.ref)
        with self._lock:
            if key in self._ingests:
                # The daemon's writer waits and tries again, as with containerd's own lock.
                _abort(context, grpc.StatusCode.UNAVAILABLE, f"ref {request.ref} locked")
            self._ingests[key] = ingest = _Ingest(root, request.ref)
        try:
            while request is not None:
                yield self._step(ingest, request)
                if request.action == pb.COMMIT:
                    return
                request = next(request_iterator, None)
        except _Refused as refused:
            _abort(context, refused.code, refused.details)
        except ValueError as exc:
            _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        finally:
            with self._lock:
                self._ingests.pop(key, None)
            ingest.discard()

    def _step(self, ingest: _Ingest, request: pb.WriteContentRequest) -> pb.WriteContentResponse:
        """One message of a Write stream, as containerd's content service answers it."""
        if ingest.aborted:
            raise _Refused(grpc.StatusCode.NOT_FOUND, f"write of ref {ingest.ref} was aborted")
        if request.expected:
            ingest.expect(request.expected)
            if blob_path(ingest.root, request.expected).exists():
                raise _Refused(grpc.StatusCode.ALREADY_EXISTS, f"blob with expected digest {request.expected} exists")
        if request.total > 0:
            ingest.total = request.total
        if request.action == pb.STAT:
            return pb.WriteContentResponse(
                action=pb.STAT, offset=ingest.offset, total=ingest.total, digest=ingest.digest(),
                started_at=_timestamp(ingest.started), updated_at=_timestamp(ingest.updated),
            )
        if request.offset > 0 and request.offset != ingest.offset:
            raise _Refused(grpc.StatusCode.OUT_OF_RANGE,
                           f"write @{request.offset} must occur at current offset {ingest.offset}")
        if request.offset == 0 and ingest.offset > 0:
            ingest.truncate()
        if request.data:
            ingest.write(request.data)
        if request.action == pb.COMMIT:
            ingest.commit()
        return pb.WriteContentResponse(action=request.action, offset=ingest.offset, digest=ingest.digest())

    def _store_id(self, context: grpc.ServicerContext) -> str:
        ids = [str(v) for k, v in context.invocation_metadata() if k == STORE_ID_HEADER]
        if not ids:
            _abort(context, grpc.StatusCode.INVALID_ARGUMENT, f"request lacks metadata {STORE_ID_HEADER!r}")
        return ids[0]

    def _root(self, context: grpc.ServicerContext) -> Path:
        store_id = self._store_id(context)
        root = self.stores.get(store_id)
        if root is None:
            _abort(context, grpc.StatusCode.NOT_FOUND, f"unknown store {store_id}")
        return root

    def _blob(self, digest: str, context: grpc.ServicerContext) -> Path:
        root = self._root(context)
        try:
            return blob_path(root, digest)
        except ValueError:
            _abort(context, grpc.StatusCode.INVALID_ARGUMENT, f"{digest!r} failed validation")
