"""gRPC over the frontend's stdio: the one connection buildkitd gives a frontend.

buildkitd serves LLBBridge with a Go `http2.Server` on the frontend process's
pipes: the frontend is the HTTP/2 client, writing frames to stdout and reading
the daemon's from stdin (docs/llb.md#the-gateway-frontend-protocol). grpcio can only dial sockets, so
the channel dials a private abstract unix socket and a relay copies bytes
between that one connection and stdin/stdout, unchanged. Nothing else may
reach stdout, so fd 1 is pointed at stderr first: a stray print from any
library then lands in buildkitd's log instead of corrupting the stream.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid

import grpc

# BuildKit's limits on both sides of the gateway connection.
MAX_MESSAGE = 16 * 1024 * 1024
_CHUNK = 64 * 1024


def stdio_channel() -> grpc.Channel:
    """A grpc channel whose single connection is this process's stdin/stdout."""
    daemon_in = os.dup(0)  # frames from buildkitd
    daemon_out = os.dup(1)  # frames to buildkitd
    os.dup2(2, 1)
    with open(os.devnull, "rb") as null:
        os.dup2(null.fileno(), 0)

    name = f"luakit-frontend-{os.getpid()}-{uuid.uuid4().hex}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + name)  # abstract: needs no writable directory in the image
    listener.listen(1)
    threading.Thread(target=relay, args=(listener, daemon_in, daemon_out), daemon=True).start()
    return grpc.insecure_channel(
        f"unix-abstract:{name}",
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            # The Go client dials "localhost"; the daemon ignores :authority,
            # but a unix path there would read oddly in its logs.
            ("grpc.default_authority", "localhost"),
        ],
    )


def relay(listener: socket.socket, daemon_in: int, daemon_out: int) -> None:
    """Accept grpc's connection, then pump bytes both ways until either side ends.

    Exactly one connection is accepted: the stdio stream cannot be shared, and a
    reconnect after it ends would have nothing to talk to. (luakit_buildkit relays
    `buildctl dial-stdio`'s pipes with it too.)
    """
    conn, _ = listener.accept()
    listener.close()
    threading.Thread(target=_to_daemon, args=(conn, daemon_out), daemon=True).start()
    try:
        while data := os.read(daemon_in, _CHUNK):
            conn.sendall(data)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_WR)


def _to_daemon(conn: socket.socket, daemon_out: int) -> None:
    try:
        while data := conn.recv(_CHUNK):
            view = memoryview(data)
            while view:
                view = view[os.write(daemon_out, view) :]
    except OSError:
        pass
    with contextlib.suppress(OSError):
        os.close(daemon_out)
