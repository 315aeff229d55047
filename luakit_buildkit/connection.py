"""Where the daemon is: `BUILDKIT_HOST` / `--addr`, as buildctl reads them (docs/buildx.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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


def open_channel(address: str, tls: TLSFiles = NO_TLS) -> grpc.Channel:
    """A gRPC channel to the daemon at `address` (unix:// or tcp://)."""
    parts = urlsplit(address)
    options: list[tuple[str, str | int]] = [
        ("grpc.max_receive_message_length", _MAX_MESSAGE),
        ("grpc.max_send_message_length", _MAX_MESSAGE),
    ]
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
    if parts.scheme in ("docker-container", "kube-pod", "podman-container"):
        raise AddressError(f"{address}: {parts.scheme}:// addresses are not supported yet; use unix:// or tcp://")
    raise AddressError(f"{address}: unknown address scheme (use unix:///path or tcp://host:port)")


def _read(path: str | None, flag: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AddressError(f"{flag} {path}: {exc.strerror or exc}") from None
