"""The few LLBBridge calls the frontend makes, in the frontend's terms.

Each call's failure becomes a `GatewayError` whose message is BuildKit's own
(`rpc error: code = ... desc = ...` reduced to the description), so what the
user finally reads is about their build, not about gRPC.
"""

from __future__ import annotations

import json
import posixpath

import grpc

from compiler.api.call import ImageResolveError
from compiler.graph import nodes as g
from compiler.graph import platform as platforms
from compiler.graph.platform import Platform
from compiler.image.config import image_defaults_from_config
from compiler.llb.marshal import marshal_state
from compiler.runtime.modules import ModuleError
from luakit_frontend.pb import gateway_pb2 as gw
from luakit_frontend.pb.gateway_pb2_grpc import LLBBridgeStub

# A generous bound: a cold image-config lookup or local transfer can be slow,
# but a hung daemon must not hang the build forever.
CALL_TIMEOUT = 600.0


class GatewayError(Exception):
    """A gateway call failed; the message is the daemon's description of why."""


def _describe(err: grpc.RpcError) -> str:
    details = err.details() if isinstance(err, grpc.Call) else None
    return details or str(err)


def _missing(message: str) -> bool:
    return "no such file or directory" in message.lower() or "not found" in message.lower()


class Bridge:
    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = LLBBridgeStub(channel)

    def ping(self) -> gw.PongResponse:
        try:
            return self._stub.Ping(gw.PingRequest(), timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            raise GatewayError(f"cannot reach BuildKit's gateway: {_describe(err)}") from None

    def solve(self, definition: bytes) -> str:
        """The ref id of a lazily solved Definition (work happens when it is read or exported)."""
        request = gw.SolveRequest(Definition=definition, allowResultReturn=True, allowResultArrayRef=True)
        try:
            response = self._stub.Solve(request, timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            raise GatewayError(_describe(err)) from None
        return response.result.ref.id

    def read_file(self, ref_id: str, path: str) -> bytes | None:
        """A file of a solved ref; None when it does not exist."""
        try:
            return self._stub.ReadFile(gw.ReadFileRequest(Ref=ref_id, FilePath=path), timeout=CALL_TIMEOUT).Data
        except grpc.RpcError as err:
            message = _describe(err)
            if _missing(message):
                return None
            raise GatewayError(message) from None

    def resolve_image_config(self, ref: str, platform: Platform, mode: str) -> gw.ResolveImageConfigResponse:
        request = gw.ResolveImageConfigRequest(
            Ref=ref,
            Platform=gw.Platform(OS=platform.os, Architecture=platform.architecture, Variant=platform.variant),
            ResolveMode=mode,
            LogName=f"[internal] load metadata for {ref}",  # the progress line Dockerfile's FROM shows
        )
        try:
            return self._stub.ResolveImageConfig(request, timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            raise GatewayError(_describe(err)) from None

    def finish(self, result: gw.Result | None = None, error: str | None = None) -> None:
        """Return: the build's result, or its error. Called exactly once (BuildKit refuses a second)."""
        request = (
            gw.ReturnRequest(result=result)
            if error is None
            else gw.ReturnRequest(error=gw.Status(code=2, message=error))
        )
        self._stub.Return(request, timeout=CALL_TIMEOUT)


def default_platform(pong: gw.PongResponse) -> Platform:
    """The first worker's platform: what BuildKit builds when no platform is asked for."""
    for worker in pong.Workers:
        for p in worker.platforms:
            try:
                return platforms.normalize(p.OS, p.Architecture, p.Variant)
            except ValueError:
                continue
    return platforms.host()


def local_definition(name: str, session: str, include: tuple[str, ...]) -> bytes:
    """The Definition of the client's `--local NAME=DIR`, limited to `include` patterns.

    Only the build definition's files cross from the client (its Lua files,
    for `require`), not a whole context that may share the folder; the session
    id makes the source's cache key stable (no random `local.unique`).
    """
    attrs = [
        ("local.includepattern", json.dumps(list(include), separators=(",", ":"))),
        ("local.sharedkeyhint", name),
    ]
    if session:
        attrs.append(("local.session", session))
    node = g.SourceNode(
        "local://" + name,
        tuple(sorted(attrs)),
        ("source.local", "source.local.includepatterns", "source.local.sharedkeyhint", "source.local.sessionid"),
        meta=g.OpMetadata(description=(("llb.customname", f"[internal] load build definition from {name}"),)),
    )
    return marshal_state(g.State(g.Ref(node))).to_bytes()


class LocalFolder:
    """The build definition's folder in a solved local: serves the script and its `require`s."""

    def __init__(self, bridge: Bridge, ref_id: str, folder: str) -> None:
        self._bridge = bridge
        self._ref_id = ref_id
        self._folder = folder

    def read_bytes(self, path: str) -> bytes | None:
        return self._bridge.read_file(self._ref_id, posixpath.join(self._folder, path))

    def read_module(self, path: str) -> str | None:
        """`compiler.runtime.modules.ModuleReader`: a module's text, or None when absent."""
        try:
            data = self.read_bytes(path)
        except GatewayError as err:
            raise ModuleError(f"cannot read '{path}': {err}") from None
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ModuleError(f"'{path}' is not UTF-8 text") from None


class GatewayResolver:
    """`compiler.api.call.ImageResolver` through the gateway: BuildKit's own registry access.

    The daemon reaches registries with its own configuration (mirrors,
    insecure registries, credentials from the client's session), so a base
    image resolves exactly as the daemon will pull it.
    """

    def __init__(self, bridge: Bridge, default: Platform, mode: str) -> None:
        self._bridge = bridge
        self._default = default
        self._mode = mode

    def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None:
        ref = identifier.removeprefix("docker-image://")
        try:
            response = self._bridge.resolve_image_config(ref, platform or self._default, self._mode)
        except GatewayError as err:
            raise ImageResolveError(f"cannot resolve image '{ref}': {err}") from None
        try:
            return image_defaults_from_config(response.Config, response.Digest or None)
        except ValueError as err:
            raise ImageResolveError(f"image '{ref}': {err}") from None
