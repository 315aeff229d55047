"""Where the daemon is: `BUILDKIT_HOST` / `--addr`, as buildctl reads them (docs/cli.md).

`unix://` and `tcp://` (with TLS) are dialled by grpc. `docker-container://NAME`,
`podman-container://NAME` and `kube-pod://NAME` reach a daemon inside a container
as buildctl does: `buildctl dial-stdio` run there by the container tool, its pipes
relayed to one private socket that grpc dials.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, parse_qs, urlsplit

import grpc

DEFAULT_ADDRESS = "unix:///run/buildkit/buildkitd.sock"

# Larger than gRPC's 4 MiB default: a Definition with big inline files, or a
# status message with long logs, must not fail on size.
_MAX_MESSAGE = 64 * 1024 * 1024


class AddressError(ValueError):
    """An address or TLS file that cannot be used, said in the user's terms."""


@dataclass(frozen=True, slots=True)
class TLSFiles:
    ca_cert: str | None = None
    cert: str | None = None
    key: str | None = None
    server_name: str | None = None


NO_TLS = TLSFiles()


def default_address() -> str:
    return os.environ.get("BUILDKIT_HOST") or DEFAULT_ADDRESS


@dataclass(slots=True)
class Connection:
    """A channel to the daemon, and what a dial-stdio tool said if it failed."""

    channel: grpc.Channel
    tool: subprocess.Popen[bytes] | None = None
    tool_errors: list[str] = field(default_factory=list)
    _errors_read: threading.Event = field(default_factory=threading.Event)

    def explain(self, details: str) -> str:
        """Why the daemon cannot be reached: the container tool's own words when it had some."""
        if self.tool is not None:
            # grpc may see the pipe close before we have read why: give the tool a moment.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.tool.wait(timeout=2)
            self._errors_read.wait(timeout=2)
        return self.tool_errors[-1] if self.tool_errors else details


@contextlib.contextmanager
def open_channel(address: str, tls: TLSFiles = NO_TLS) -> Iterator[Connection]:
    """A connection to the daemon at `address`; closed (and its tool ended) on leaving."""
    parts = urlsplit(address)
    options: list[tuple[str, str | int]] = [
        ("grpc.max_receive_message_length", _MAX_MESSAGE),
        ("grpc.max_send_message_length", _MAX_MESSAGE),
    ]
    if parts.scheme in _DIAL_STDIO_TOOLS:
        with _dial_stdio(address, options) as connection:
            yield connection
        return
    with _channel(address, parts, tls, options) as channel:
        yield Connection(channel)


def _channel(
    address: str, parts: SplitResult, tls: TLSFiles, options: list[tuple[str, str | int]]
) -> grpc.Channel:
    if parts.scheme == "unix":
        path = parts.path or parts.netloc
        return grpc.insecure_channel(f"unix:{path}", options=options)
    if parts.scheme == "tcp":
        if not parts.hostname or not parts.port:
            raise AddressError(f"{address}: a tcp:// address needs host:port")
        target = f"{parts.hostname}:{parts.port}"
        if tls.ca_cert is None and tls.cert is None:
            return grpc.insecure_channel(target, options=options)
        credentials = grpc.ssl_channel_credentials(
            root_certificates=_read(tls.ca_cert, "--tlscacert"),
            private_key=_read(tls.key, "--tlskey"),
            certificate_chain=_read(tls.cert, "--tlscert"),
        )
        if tls.server_name:
            options.append(("grpc.ssl_target_name_override", tls.server_name))
        return grpc.secure_channel(target, credentials, options=options)
    raise AddressError(
        f"{address}: unknown address scheme (use unix://, tcp://, docker-container://, "
        "podman-container:// or kube-pod://)"
    )


# The container tool each scheme runs `buildctl dial-stdio` with, as buildctl's connhelpers do.
_DIAL_STDIO_TOOLS = {"docker-container": "docker", "podman-container": "podman", "kube-pod": "kubectl"}


def dial_stdio_command(address: str) -> list[str]:
    """The command that connects to the daemon inside the container `address` names."""
    parts = urlsplit(address)
    tool = _DIAL_STDIO_TOOLS[parts.scheme]
    name = parts.netloc or parts.path.lstrip("/")
    if not name:
        raise AddressError(f"{address}: needs a container name ({parts.scheme}://NAME)")
    if parts.scheme != "kube-pod":
        return [tool, "exec", "-i", name, "buildctl", "dial-stdio"]
    query = parse_qs(parts.query)
    flags = [f"--{key}={query[key][0]}" for key in ("context", "namespace") if key in query]
    container = [f"--container={query['container'][0]}"] if "container" in query else []
    return [tool, *flags, "exec", *container, "-i", name, "--", "buildctl", "dial-stdio"]


@contextlib.contextmanager
def _dial_stdio(address: str, options: list[tuple[str, str | int]]) -> Iterator[Connection]:
    from luakit_frontend.transport import relay  # the dial-stdio schemes' alone

    command = dial_stdio_command(address)
    if shutil.which(command[0]) is None:
        raise AddressError(f"{address}: needs `{command[0]}` on PATH to reach the daemon, and it is not there")
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    name = f"luakit-dial-{os.getpid()}-{os.urandom(16).hex()}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + name)
    listener.listen(1)
    connection = Connection(grpc.insecure_channel(f"unix-abstract:{name}", options=options), process)
    threading.Thread(
        target=relay, args=(listener, process.stdout.fileno(), process.stdin.fileno()), daemon=True
    ).start()

    def collect_errors() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if text := line.decode(errors="replace").strip():
                connection.tool_errors.append(f"`{' '.join(command)}` failed: {text}")
        connection._errors_read.set()

    threading.Thread(target=collect_errors, daemon=True).start()
    try:
        yield connection
    finally:
        connection.channel.close()
        with contextlib.suppress(OSError):
            listener.close()
        process.kill()
        process.wait()


def _read(path: str | None, flag: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AddressError(f"{flag} {path}: {exc.strerror or exc}") from None
