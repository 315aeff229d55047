"""The build's session: gRPC services we serve to the daemon over Control.Session.

The daemon talks HTTP/2 (as a gRPC client) inside the bytes of the
Control.Session stream. Rather than speak HTTP/2 ourselves, we run a grpcio
server on a private unix socket and copy bytes between the stream and one
connection to that socket: grpcio does all the framing.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from concurrent import futures
from pathlib import Path

import grpc

from luakit_buildkit.auth import Auth
from luakit_buildkit.filesend import Destination
from luakit_buildkit.filesend import handler as filesend_handler
from luakit_buildkit.filesync import FileSync
from luakit_buildkit.pb import control_pb2 as pb
from luakit_buildkit.pb import health_pb2
from luakit_buildkit.pb.auth_pb2_grpc import add_AuthServicer_to_server
from luakit_buildkit.pb.control_pb2_grpc import ControlStub
from luakit_buildkit.pb.filesync_pb2_grpc import add_FileSyncServicer_to_server
from luakit_buildkit.pb.health_pb2_grpc import HealthServicer, add_HealthServicer_to_server
from luakit_buildkit.pb.secrets_pb2_grpc import add_SecretsServicer_to_server
from luakit_buildkit.pb.sshforward_pb2_grpc import add_SSHServicer_to_server
from luakit_buildkit.secrets import Secrets, SecretSource
from luakit_buildkit.ssh import SSHAgents

# As much as the socket holds per Session message: fewer, larger messages (docs/performance.md).
_READ = 1024 * 1024


class _Health(HealthServicer):
    def Check(
        self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext
    ) -> health_pb2.HealthCheckResponse:
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


class Session:
    """One session: start it before Solve (its id goes into the SolveRequest), close it after."""

    def __init__(
        self,
        stub: ControlStub,
        *,
        locals_: Mapping[str, Path],
        destinations: Mapping[int, Destination],
        secrets: Mapping[str, SecretSource],
        ssh: Mapping[str, Path],
    ) -> None:
        self.id = uuid.uuid4().hex
        self._dir = tempfile.TemporaryDirectory(prefix="luakit-session-")
        path = f"{self._dir.name}/s.sock"
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        methods = ["/grpc.health.v1.Health/Check"]
        add_HealthServicer_to_server(_Health(), self._server)
        # Always served, as buildctl does: pulls of private base images need it too.
        add_AuthServicer_to_server(Auth(), self._server)
        methods += [
            f"/moby.filesync.v1.Auth/{m}"
            for m in ("Credentials", "FetchToken", "GetTokenAuthority", "VerifyTokenAuthority")
        ]
        if locals_:
            add_FileSyncServicer_to_server(FileSync(locals_), self._server)
            methods.append("/moby.filesync.v1.FileSync/DiffCopy")
        if secrets:
            add_SecretsServicer_to_server(Secrets(secrets), self._server)
            methods.append("/moby.buildkit.secrets.v1.Secrets/GetSecret")
        if ssh:
            add_SSHServicer_to_server(SSHAgents(ssh), self._server)
            methods += ["/moby.sshforward.v1.SSH/CheckAgent", "/moby.sshforward.v1.SSH/ForwardAgent"]
        if destinations:
            self._server.add_generic_rpc_handlers((filesend_handler(destinations),))
            methods.append("/moby.filesync.v1.FileSend/DiffCopy")
        self._server.add_insecure_port(f"unix:{path}")
        self._server.start()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(path)
        self._outgoing: queue.Queue[bytes | None] = queue.Queue()
        metadata = [
            ("x-docker-expose-session-uuid", self.id),
            ("x-docker-expose-session-name", "luakit"),
            ("x-docker-expose-session-sharedkey", ""),
            *(("x-docker-expose-session-grpc-method", m) for m in methods),
        ]
        self._call = stub.Session(self._requests(), metadata=metadata)
        threading.Thread(target=self._read_socket, name="luakit-session-out", daemon=True).start()
        threading.Thread(target=self._write_socket, name="luakit-session-in", daemon=True).start()

    def _requests(self) -> Iterator[pb.BytesMessage]:
        while (data := self._outgoing.get()) is not None:
            yield pb.BytesMessage(data=data)

    def _read_socket(self) -> None:
        """Our server's bytes, to the daemon."""
        try:
            while data := self._sock.recv(_READ):
                self._outgoing.put(data)
        except OSError:
            pass
        self._outgoing.put(None)

    def _write_socket(self) -> None:
        """The daemon's bytes, to our server."""
        try:
            for message in self._call:
                self._sock.sendall(message.data)
        except (grpc.RpcError, OSError):
            pass
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._call.cancel()
        self._sock.close()
        self._outgoing.put(None)
        self._server.stop(grace=None)
        self._dir.cleanup()
