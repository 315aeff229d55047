"""Secrets.GetSecret: `--secret id=ID,src=FILE|env=VAR`, read when the daemon asks (docs/cli.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

from luakit_buildkit.pb import secrets_pb2
from luakit_buildkit.pb.secrets_pb2_grpc import SecretsServicer


@dataclass(frozen=True, slots=True)
class SecretSource:
    """Where a secret's value comes from: a file or an environment variable."""

    file: str | None = None
    env: str | None = None

    def read(self) -> bytes:
        if self.file is not None:
            return Path(self.file).read_bytes()
        assert self.env is not None
        return os.environ[self.env].encode()


def parse_secret(text: str) -> tuple[str, SecretSource]:
    """`id=ID,src=FILE` / `id=ID,env=VAR` as buildx reads them (`src` defaults to env `ID`)."""
    fields = dict(item.partition("=")[::2] for item in text.split(","))
    ident = fields.get("id")
    if not ident:
        raise ValueError(f"--secret {text!r}: needs id=ID")
    if "src" in fields or "source" in fields:
        path = fields.get("src") or fields["source"]
        if not Path(path).is_file():
            raise ValueError(f"--secret {text!r}: {path}: no such file")
        return ident, SecretSource(file=path)
    var = fields.get("env", ident)
    if var not in os.environ:
        raise ValueError(f"--secret {text!r}: environment variable {var} is not set")
    return ident, SecretSource(env=var)


class Secrets(SecretsServicer):
    def __init__(self, secrets: Mapping[str, SecretSource]) -> None:
        self.secrets = dict(secrets)

    def GetSecret(
        self, request: secrets_pb2.GetSecretRequest, context: grpc.ServicerContext
    ) -> secrets_pb2.GetSecretResponse:
        source = self.secrets.get(request.ID)
        if source is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"secret {request.ID} not found")
        assert source is not None
        try:
            return secrets_pb2.GetSecretResponse(data=source.read())
        except (OSError, KeyError) as exc:
            context.abort(grpc.StatusCode.NOT_FOUND, f"secret {request.ID}: {exc}")
            raise
