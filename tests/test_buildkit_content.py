"""`type=local` caches without a daemon: the session's content store and the OCI layout.

The content store (luakit_buildkit/contentstore.py) is served by the session's HTTP/2
server to grpcio's real client, the calls made as the daemon makes them (containerd's
proxy store: STAT first, WRITEs at the offset, COMMIT with size and digest). The daemon
itself reads and writes it in tests/e2e/test_local_cache.py.
"""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from luakit_buildkit import localcache
from luakit_buildkit.contentstore import STORE_ID_HEADER, ContentStore
from luakit_buildkit.h2server import MethodTable
from luakit_buildkit.pb import content_pb2 as pb
from luakit_buildkit.pb.content_pb2_grpc import ContentStub, add_ContentServicer_to_server
from tests.h2_serving import served

STORE = [(STORE_ID_HEADER, "local:cache")]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[ContentStub, Path]]:
    """A grpcio stub of a ContentStore over `tmp_path/cache`, served by an H2Server."""
    root = tmp_path / "cache"
    root.mkdir()
    table = MethodTable()
    add_ContentServicer_to_server(ContentStore({"local:cache": root}), table)
    with served(table, tmp_path) as channel:
        yield ContentStub(channel), root


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _write(stub: ContentStub, data: bytes, *, expected: str, chunk: int = 1 << 20) -> list[pb.WriteContentResponse]:
    """One blob, as the daemon's writer sends it: STAT, the data in chunks, COMMIT."""
    requests = [pb.WriteContentRequest(action=pb.STAT, ref=f"ref-{expected}", total=len(data), expected=expected)]
    requests += [
        pb.WriteContentRequest(action=pb.WRITE, offset=at, data=data[at:at + chunk]) for at in range(0, len(data), chunk)
    ]
    requests.append(pb.WriteContentRequest(action=pb.COMMIT, offset=len(data), total=len(data), expected=expected))
    return list(stub.Write(iter(requests), metadata=STORE, timeout=30))


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "ingest").iterdir()) if (root / "ingest").exists() else []


def test_a_written_blob_is_read_back_by_offset_and_size(store):
    stub, root = store
    data = bytes(range(256)) * 12_000  # 3 MiB: several WRITEs and several Read messages
    responses = _write(stub, data, expected=_digest(data))
    assert [r.action for r in responses] == [pb.STAT] + [pb.WRITE] * 3 + [pb.COMMIT]
    assert responses[-1].offset == len(data) and responses[-1].digest == _digest(data)
    blob = root / "blobs" / "sha256" / hashlib.sha256(data).hexdigest()
    assert blob.read_bytes() == data
    assert stat.S_IMODE(blob.stat().st_mode) == 0o444  # read-only, as containerd leaves its blobs
    assert _leftovers(root) == []
    info = stub.Info(pb.InfoRequest(digest=_digest(data)), metadata=STORE, timeout=10).info
    assert (info.digest, info.size) == (_digest(data), len(data))
    whole = b"".join(r.data for r in stub.Read(pb.ReadContentRequest(digest=_digest(data)), metadata=STORE))
    assert whole == data
    part = list(stub.Read(pb.ReadContentRequest(digest=_digest(data), offset=1000, size=5000), metadata=STORE))
    assert b"".join(r.data for r in part) == data[1000:6000] and part[0].offset == 1000


def test_a_wrong_digest_leaves_no_blob(store):
    stub, root = store
    with pytest.raises(grpc.RpcError) as failed:
        _write(stub, b"what was sent", expected=_digest(b"what was promised"))
    assert failed.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "unexpected commit digest" in failed.value.details()
    assert not (root / "blobs").exists() and _leftovers(root) == []


def test_a_write_cut_off_before_commit_leaves_no_blob(store):
    stub, root = store
    data = b"x" * 100_000
    requests = [
        pb.WriteContentRequest(action=pb.STAT, ref="cut", total=len(data), expected=_digest(data)),
        pb.WriteContentRequest(action=pb.WRITE, data=data[:50_000]),
    ]
    responses = list(stub.Write(iter(requests), metadata=STORE, timeout=30))  # the stream ends, no COMMIT
    assert responses[-1].offset == 50_000
    assert not (root / "blobs").exists() and _leftovers(root) == []


def test_an_existing_blob_is_already_there(store):
    stub, _ = store
    _write(stub, b"once", expected=_digest(b"once"))
    with pytest.raises(grpc.RpcError) as again:
        _write(stub, b"once", expected=_digest(b"once"))
    # containerd's writer takes ALREADY_EXISTS as done.
    assert again.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_missing_blobs_bad_digests_and_unknown_stores(store):
    stub, _ = store
    with pytest.raises(grpc.RpcError) as missing:
        stub.Info(pb.InfoRequest(digest=_digest(b"never")), metadata=STORE, timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as outside:
        list(stub.Read(pb.ReadContentRequest(digest="sha256:../../etc/passwd"), metadata=STORE, timeout=10))
    assert outside.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as unknown:
        stub.Info(pb.InfoRequest(digest=_digest(b"x")), metadata=[(STORE_ID_HEADER, "local:other")], timeout=10)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND and "unknown store local:other" in unknown.value.details()


def _blob(root: Path, data: bytes) -> dict[str, object]:
    path = root / "blobs" / "sha256" / hashlib.sha256(data).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": _digest(data), "size": len(data)}


def test_the_manifest_is_tagged_in_index_json_as_buildctl_does(tmp_path):
    cache = tmp_path / "cache"
    dest = {"dest": str(cache), "mode": "max"}
    assert localcache.export_directory(dest) == cache and cache.is_dir()
    first = _blob(cache, b'{"first":1}')
    localcache.record_exports({localcache.MANIFEST_KEY: json.dumps(first)}, [dest])
    assert (cache / "oci-layout").read_text() == '{"imageLayoutVersion":"1.0.0"}'
    assert (cache / "index.json").read_text() == (
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":'
        f'"application/vnd.oci.image.manifest.v1+json","digest":"{first["digest"]}","size":11,'
        '"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}'
    )
    # Another tag is kept beside it; the same tag again replaces its manifest.
    other = _blob(cache, b'{"other":1}')
    localcache.record_exports({localcache.MANIFEST_KEY: json.dumps(other)}, [{**dest, "tag": "v2"}])
    second = _blob(cache, b'{"second":1}')
    localcache.record_exports({localcache.MANIFEST_KEY: json.dumps(second)}, [dest])
    manifests = json.loads((cache / "index.json").read_text())["manifests"]
    assert [(m["digest"], m["annotations"]["org.opencontainers.image.ref.name"]) for m in manifests] == [
        (other["digest"], "v2"), (second["digest"], "latest")
    ]
    assert localcache.import_attrs({"src": str(cache)})["digest"] == second["digest"]
    assert localcache.import_attrs({"src": str(cache), "tag": "v2"})["digest"] == other["digest"]
    assert not (cache / "index.json.lock").exists()


def test_reset_keeps_only_what_index_json_reaches(tmp_path):
    cache = tmp_path / "cache"
    layer, config, stray = b"layer", b"{}", b"left from an older build"
    for data in (layer, config, stray):
        _blob(cache, data)
    manifest = json.dumps({"config": {"digest": _digest(config)}, "layers": [{"digest": _digest(layer)}]}).encode()
    descriptor = _blob(cache, manifest)
    localcache.record_exports({localcache.MANIFEST_KEY: json.dumps(descriptor)}, [{"dest": str(cache), "reset": "true"}])
    kept = {p.name for p in (cache / "blobs" / "sha256").iterdir()}
    assert kept == {hashlib.sha256(d).hexdigest() for d in (layer, config, manifest)}


def test_an_import_with_nothing_to_import_says_why(tmp_path):
    def why(attrs: dict[str, str]) -> str:
        with pytest.raises(localcache.CacheSkipped) as skipped:
            localcache.import_attrs(attrs)
        return str(skipped.value)

    missing = tmp_path / "missing"
    assert why({"src": str(missing)}) == f"local cache import at {missing} skipped: no such directory"
    assert not missing.exists()  # buildctl would have made it; nothing to make for an import
    empty = tmp_path / "empty"
    empty.mkdir()
    assert why({"src": str(empty)}) == (
        f"local cache import at {empty} skipped: no index.json in it (not a cache --cache-to type=local wrote)"
    )
    (empty / "index.json").write_text('{"schemaVersion":2,"manifests":[]}')
    assert why({"src": str(empty), "tag": "v1"}) == f"local cache import at {empty} skipped: nothing tagged 'v1' in its index.json"
    assert why({"src": str(empty), "digest": _digest(b"gone")}) == (
        f"local cache import at {empty} skipped: {_digest(b'gone')} is not in it"
    )
    with pytest.raises(ValueError, match="needs src=DIR"):
        localcache.import_attrs({})
    with pytest.raises(ValueError, match="needs dest=DIR"):
        localcache.export_directory({"mode": "max"})
