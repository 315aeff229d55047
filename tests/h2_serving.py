"""A MethodTable served by our H2Server on a unix socket, and grpcio's real client channel to it:
how the session's services are tested without a daemon."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc

from luakit_buildkit.h2server import H2Server, MethodTable


@contextlib.contextmanager
def served(table: MethodTable, folder: Path) -> Iterator[grpc.Channel]:
    """A channel to `table`, served over one connection on a socket in `folder`."""
    path = folder / "s.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        server = H2Server(table, conn.sendall)
        while data := conn.recv(65536):
            server.feed(data)
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        with grpc.insecure_channel(f"unix:{path}") as channel:
            yield channel
    finally:
        listener.close()
