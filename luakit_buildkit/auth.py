"""Registry credentials for the daemon (pulls, pushes, registry caches), served as Auth (docs/cli.md).

The credentials come from the Docker config that luakit's image resolver reads
(compiler/image/registry.py: `auths`, `credHelpers`, `credsStore`), looked up when
the daemon asks for a host. We hand out credentials only: the token calls are
answered UNIMPLEMENTED, as buildctl's provider does when it holds no token
authority, and the daemon then fetches registry tokens itself with them.
"""

from __future__ import annotations

import threading
from typing import Any, NoReturn

import grpc

from compiler.api.call import ImageResolveError
from luakit_buildkit.pb import auth_pb2 as pb
from luakit_buildkit.pb.auth_pb2_grpc import AuthServicer


class Auth(AuthServicer):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: dict[str, Any] | None = None

    def _docker_config(self) -> dict[str, Any]:
        # Read on the first question, not at start: a build that needs no registry
        # must not fail on an unreadable config.
        # The registry module (urllib, ssl) loads on the daemon's first question, not at start.
        from compiler.image.registry import load_docker_config

        with self._lock:
            if self._config is None:
                self._config = load_docker_config()
            return self._config

    def Credentials(self, request: pb.CredentialsRequest, context: grpc.ServicerContext) -> pb.CredentialsResponse:
        from compiler.image.registry import credentials_for

        try:
            found = credentials_for(request.Host, self._docker_config())
        except ImageResolveError as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
            raise AssertionError("unreachable: abort raises") from exc
        if found is None:
            return pb.CredentialsResponse()  # anonymous, as buildctl answers
        if found.identity_token:
            return pb.CredentialsResponse(Secret=found.secret)
        return pb.CredentialsResponse(Username=found.username, Secret=found.secret)

    def FetchToken(self, request: pb.FetchTokenRequest, context: grpc.ServicerContext) -> NoReturn:
        _unimplemented(context)

    def GetTokenAuthority(self, request: pb.GetTokenAuthorityRequest, context: grpc.ServicerContext) -> NoReturn:
        _unimplemented(context)

    def VerifyTokenAuthority(
        self, request: pb.VerifyTokenAuthorityRequest, context: grpc.ServicerContext
    ) -> NoReturn:
        _unimplemented(context)


def _unimplemented(context: grpc.ServicerContext) -> NoReturn:
    # Not the generated base's NotImplementedError: grpcio would log its traceback.
    context.abort(grpc.StatusCode.UNIMPLEMENTED, "luakit holds no token authority")
    raise AssertionError("unreachable: abort raises")
