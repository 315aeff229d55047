"""The session's HTTP/2 server (luakit_buildkit/h2server.py) against grpcio's real client.

The daemon's side is Go's gRPC client (tests/e2e/test_buildx.py); here grpcio's C-core
client checks the same framing: unary and streaming calls, statuses and their messages,
and flow control on a response larger than the windows.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from luakit_buildkit.filesync import FileSync
from luakit_buildkit.h2server import MethodTable
from luakit_buildkit.pb import fsutil_pb2 as fs
from luakit_buildkit.pb import health_pb2, secrets_pb2
from luakit_buildkit.pb.filesync_pb2_grpc import FileSyncStub, add_FileSyncServicer_to_server
from luakit_buildkit.pb.health_pb2_grpc import HealthStub, add_HealthServicer_to_server
from luakit_buildkit.pb.secrets_pb2_grpc import SecretsStub, add_SecretsServicer_to_server
from luakit_buildkit.secrets import Secrets
from luakit_buildkit.session import _Health
from tests.h2_serving import served


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[grpc.Channel]:
    """A grpcio channel whose one connection is served by an H2Server."""
    files = tmp_path / "ctx"
    files.mkdir()
    for n in range(300):
        (files / f"f{n:03d}").write_bytes(b"x" * n)
    (files / "big").write_bytes(bytes(range(256)) * (160 * 1024))  # 40 MiB: more than any window
    table = MethodTable()
    add_HealthServicer_to_server(_Health(), table)
    add_SecretsServicer_to_server(Secrets({}), table)
    add_FileSyncServicer_to_server(FileSync({"context": files}), table)
    with served(table, tmp_path) as ch:
        yield ch


def test_unary_call_and_a_status_with_its_message(channel):
    response = HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert response.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as failed:
        SecretsStub(channel).GetSecret(secrets_pb2.GetSecretRequest(ID="clé %41"), timeout=10)
    assert failed.value.code() == grpc.StatusCode.NOT_FOUND
    assert failed.value.details() == "secret clé %41 not found"


def test_unknown_method_is_unimplemented(channel):
    call = channel.unary_unary("/no.such.Service/Method")
    with pytest.raises(grpc.RpcError) as failed:
        call(b"", timeout=10)
    assert failed.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_streaming_both_ways_with_flow_control(channel):
    requests: queue.Queue[fs.Packet | None] = queue.Queue()

    def outgoing() -> Iterator[fs.Packet]:
        while (packet := requests.get()) is not None:
            yield packet

    stats: list[fs.Stat] = []
    data = b""
    replies = FileSyncStub(channel).DiffCopy(outgoing(), metadata=[("dir-name", "context")], timeout=60)
    for packet in replies:
        if packet.type == fs.PACKET_STAT and packet.HasField("stat"):
            stats.append(packet.stat)
        elif packet.type == fs.PACKET_STAT:  # the listing's end: ask for the big file
            requests.put(fs.Packet(type=fs.PACKET_REQ, ID=[s.path for s in stats].index("big")))
        elif packet.type == fs.PACKET_DATA and packet.data:
            data += packet.data
        elif packet.type == fs.PACKET_DATA:
            requests.put(fs.Packet(type=fs.PACKET_FIN))
        elif packet.type == fs.PACKET_FIN:
            requests.put(None)
    assert len(stats) == 301
    assert data == bytes(range(256)) * (160 * 1024)
