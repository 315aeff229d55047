"""SSH agent forwarding: `--ssh default|ID=SOCKET`, served as sshforward.SSH (docs/cli.md).

A `run` with an ssh mount gets a socket inside the container; each connection
to it becomes one ForwardAgent stream here, which we connect to the user's agent.
The agent is forwarded read-only, as buildctl does: requests other than listing
keys and signing (adding or removing keys, locking it) are answered with a
failure and never reach it.
"""

from __future__ import annotations

import os
import socket
import stat
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path

import grpc

from luakit_buildkit.pb import sshforward_pb2 as pb
from luakit_buildkit.pb.sshforward_pb2_grpc import SSHServicer

DEFAULT_ID = "default"  # an ssh mount without an id asks for this one
_ID_METADATA = "buildkit.ssh.id"

# The agent protocol (draft-miller-ssh-agent): every message is a uint32 length,
# then a type byte and its body; a client request gets exactly one reply.
_FAILURE = 5
# Only listing keys and signing pass, as in Go's read-only agent: an allowlist, since
# old type numbers (SSH1's 9, "remove all RSA identities") still change OpenSSH's agent.
_READ_ONLY_REQUESTS = frozenset({
    11,  # REQUEST_IDENTITIES
    13,  # SIGN_REQUEST
})
_FAILURE_REPLY = struct.pack(">IB", 1, _FAILURE)


def parse_ssh(text: str) -> tuple[str, Path]:
    """`default`, `ID` or `ID=SOCKET` as buildx reads them; no socket means $SSH_AUTH_SOCK.

    Only agent sockets are forwarded (not key files: they would need an agent of our own).
    """
    ident, sep, path = text.partition("=")
    if not ident:
        raise ValueError(f"--ssh {text!r}: needs an id (default, or ID=SOCKET)")
    if "," in path:
        raise ValueError(f"--ssh {text!r}: one agent socket per id")
    if not sep or not path:
        path = os.environ.get("SSH_AUTH_SOCK", "")
        if not path:
            raise ValueError(f"--ssh {ident}: SSH_AUTH_SOCK is not set (start an ssh-agent or give ID=SOCKET)")
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ValueError(f"--ssh {ident}={path}: {exc.strerror or exc}") from None
    if not stat.S_ISSOCK(mode):
        raise ValueError(f"--ssh {ident}={path}: not an agent socket (key files are not supported)")
    return ident, Path(path)


class SSHAgents(SSHServicer):
    def __init__(self, agents: Mapping[str, Path]) -> None:
        self.agents = dict(agents)

    def CheckAgent(self, request: pb.CheckAgentRequest, context: grpc.ServicerContext) -> pb.CheckAgentResponse:
        ident = request.ID or DEFAULT_ID
        if ident not in self.agents:
            # The daemon shows this text; say the flag that would have provided it.
            context.abort(grpc.StatusCode.NOT_FOUND, f"no ssh agent {ident!r} (pass --ssh {ident})")
        return pb.CheckAgentResponse()

    def ForwardAgent(
        self, request_iterator: Iterator[pb.BytesMessage], context: grpc.ServicerContext
    ) -> Iterator[pb.BytesMessage]:
        ident = dict(context.invocation_metadata()).get(_ID_METADATA) or DEFAULT_ID
        path = self.agents.get(str(ident))
        if path is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no ssh agent {ident!r} (pass --ssh {ident})")
        assert path is not None
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as agent:
            try:
                agent.connect(str(path))
            except OSError as exc:
                context.abort(grpc.StatusCode.UNAVAILABLE, f"ssh agent {ident}: {path}: {exc.strerror or exc}")
            pending = b""
            try:
                for message in request_iterator:
                    pending += message.data
                    while (request := _take_message(pending)) is not None:
                        pending = pending[len(request):]
                        yield pb.BytesMessage(data=_answer(agent, request))
            except OSError:
                return  # the agent went away: the stream ends, as the socket would


def _take_message(buffer: bytes) -> bytes | None:
    """The first whole agent message in `buffer`, with its length prefix, if it has one."""
    if len(buffer) < 4:
        return None
    (length,) = struct.unpack(">I", buffer[:4])
    return buffer[: 4 + length] if len(buffer) >= 4 + length else None


def _answer(agent: socket.socket, request: bytes) -> bytes:
    if len(request) <= 4 or request[4] not in _READ_ONLY_REQUESTS:
        return _FAILURE_REPLY
    agent.sendall(request)
    header = _read_exactly(agent, 4)
    (length,) = struct.unpack(">I", header)
    return header + _read_exactly(agent, length)


def _read_exactly(agent: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = agent.recv(count - len(data))
        if not chunk:
            raise ConnectionError("the ssh agent closed the connection")
        data += chunk
    return data
