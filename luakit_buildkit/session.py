"""The build's session: gRPC services we serve to the daemon over Control.Session.

The daemon talks HTTP/2 (as a gRPC client) inside the bytes of the
Control.Session stream; `h2server.H2Server` answers it there, with grpcio's
generated handlers of our servicers. A service only some builds use (secrets,
ssh, exports written back) is imported when a build uses it.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import h2.exceptions

from luakit_buildkit.auth import Auth
from luakit_buildkit.filesync import FileSync
from luakit_buildkit.h2server import H2Server, MethodTable
from luakit_buildkit.pb import control_pb2 as pb
from luakit_buildkit.pb import health_pb2
from luakit_buildkit.pb.auth_pb2_grpc import add_AuthServicer_to_server
from luakit_buildkit.pb.control_pb2_grpc import ControlStub
from luakit_buildkit.pb.filesync_pb2_grpc import add_FileSyncServicer_to_server
from luakit_buildkit.pb.health_pb2_grpc import HealthServicer, add_HealthServicer_to_server

if TYPE_CHECKING:
    from luakit_buildkit.filesend import Destination
    from luakit_buildkit.secrets import SecretSource

# Up to this much per Session message: fewer, larger messages (docs/performance.md).
_MESSAGE = 1024 * 1024


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
        content_stores: Mapping[str, Path] | None = None,
    ) -> None:
        self.id = os.urandom(16).hex()
        table = MethodTable()
        add_HealthServicer_to_server(_Health(), table)
        # Always served, as buildctl does: pulls of private base images need it too.
        add_AuthServicer_to_server(Auth(), table)
        if locals_:
            add_FileSyncServicer_to_server(FileSync(locals_), table)
        if secrets:
            from luakit_buildkit.pb.secrets_pb2_grpc import add_SecretsServicer_to_server
            from luakit_buildkit.secrets import Secrets

            add_SecretsServicer_to_server(Secrets(secrets), table)
        if ssh:
            from luakit_buildkit.pb.sshforward_pb2_grpc import add_SSHServicer_to_server
            from luakit_buildkit.ssh import SSHAgents

            add_SSHServicer_to_server(SSHAgents(ssh), table)
        if content_stores:
            # `type=local` caches: the daemon reads and writes them here (localcache.py).
            from luakit_buildkit.contentstore import ContentStore
            from luakit_buildkit.pb.content_pb2_grpc import add_ContentServicer_to_server

            add_ContentServicer_to_server(ContentStore(content_stores), table)
        methods = table.methods
        if destinations:
            from luakit_buildkit.filesend import handler as filesend_handler

            table.add_generic_rpc_handlers((filesend_handler(destinations),))
            methods.append("/moby.filesync.v1.FileSend/DiffCopy")
        self._outgoing: queue.Queue[bytes | None] = queue.Queue()
        self._server = H2Server(table, self._outgoing.put)
        metadata = [
            ("x-docker-expose-session-uuid", self.id),
            ("x-docker-expose-session-name", "luakit"),
            ("x-docker-expose-session-sharedkey", ""),
            *(("x-docker-expose-session-grpc-method", m) for m in methods),
        ]
        self._call = stub.Session(self._requests(), metadata=metadata)
        threading.Thread(target=self._receive, name="luakit-session-in", daemon=True).start()

    def _requests(self) -> Iterator[pb.BytesMessage]:
        """Our bytes to the daemon: what queued while the last message was sent goes as one."""
        ended = False
        while not ended and (data := self._outgoing.get()) is not None:
            parts, size = [data], len(data)
            while size < _MESSAGE:
                try:
                    more = self._outgoing.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    ended = True
                    break
                parts.append(more)
                size += len(more)
            yield pb.BytesMessage(data=b"".join(parts))

    def _receive(self) -> None:
        """The daemon's bytes, to our HTTP/2 server."""
        try:
            for message in self._call:
                self._server.feed(message.data)
        except (grpc.RpcError, h2.exceptions.ProtocolError):
            pass
        self._server.close()

    def close(self) -> None:
        self._call.cancel()
        self._outgoing.put(None)
        self._server.close()
