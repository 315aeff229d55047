"""Solve a Definition on BuildKit and stream its status (docs/cli.md, buildx).

`build` is the one entry point the faces (CLI, language server) call: typed
arguments in, a `BuildResult` or a typed exception out, progress through a
callback. Nothing here prints. What only some builds use (the gateway calls of a
multi-platform build, exports written back to us) is imported by them: a warm
`luakit buildx` is over in a few tenths of a second (docs/performance.md).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc

from compiler.graph.platform import Platform
from luakit_buildkit import localcache
from luakit_buildkit.connection import NO_TLS, Connection, TLSFiles, default_address, open_channel
from luakit_buildkit.pb import control_pb2 as pb
from luakit_buildkit.pb.control_pb2_grpc import ControlStub
from luakit_buildkit.session import Session

if TYPE_CHECKING:
    from luakit_buildkit.filesend import Destination
    from luakit_buildkit.secrets import SecretSource

# How many output lines of a failed step the error keeps.
LOG_TAIL_LINES = 20


@dataclass(frozen=True, slots=True)
class ExportSpec:
    """One `--output`: an exporter type (image, registry, local, tar, oci, docker) and its attributes."""

    type: str
    attrs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One StatusResponse from the daemon, as received (vertices repeat with more filled in)."""

    response: pb.StatusResponse


@dataclass(frozen=True, slots=True)
class BuildResult:
    exporter_response: Mapping[str, str]
    # Said after the build: a local cache's reset that could not run.
    warnings: Sequence[str] = ()


class BuildError(Exception):
    """Any build that did not finish; `str()` is one line for the user."""


class DaemonUnreachable(BuildError):
    pass


class Cancelled(BuildError):
    pass


class CacheExportFailed(BuildError):
    """The build ran, but a `type=local` cache's index.json could not be written."""


class BuildFailed(BuildError):
    """A step failed: which vertex, its name, its exit code if a process, and its last output lines."""

    def __init__(self, message: str, vertex_digest: str | None, step_name: str | None,
                 exit_code: int | None, log_tail: Sequence[str]) -> None:
        super().__init__(message)
        self.message = message
        self.vertex_digest = vertex_digest
        self.step_name = step_name
        self.exit_code = exit_code
        self.log_tail = list(log_tail)


class _Tracker:
    """What the status stream told about each vertex: its name, error and output."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self.logs: dict[str, list[str]] = {}

    def take(self, response: pb.StatusResponse) -> None:
        for vertex in response.vertexes:
            self.names[vertex.digest] = vertex.name
            if vertex.error:
                self.errors[vertex.digest] = vertex.error
        for log in response.logs:
            lines = self.logs.setdefault(log.vertex, [])
            lines.extend(log.msg.decode("utf-8", "replace").splitlines())
            del lines[:-LOG_TAIL_LINES]


@dataclass(frozen=True, slots=True)
class PlatformBuild:
    """One platform of a multi-platform build: its evaluation's Definition and image config."""

    platform: Platform
    definition: bytes
    image_config: Mapping[str, Any]


def build(
    definition: bytes | Sequence[PlatformBuild],
    *,
    addr: str | None = None,
    tls: TLSFiles = NO_TLS,
    exports: Sequence[ExportSpec] = (),
    cache_from: Sequence[ExportSpec] = (),
    cache_to: Sequence[ExportSpec] = (),
    no_cache: bool = False,
    locals: Mapping[str, Path] | None = None,
    secrets: Mapping[str, SecretSource] | None = None,
    ssh: Mapping[str, Path] | None = None,
    frontend_attrs: Mapping[str, str] | None = None,
    on_status: Callable[[StatusUpdate], None] | None = None,
    cancel: threading.Event | None = None,
) -> BuildResult:
    """Build on the daemon at `addr` (default $BUILDKIT_HOST); the one entry point of the faces.

    `definition` is a serialized pb.Definition, or one `PlatformBuild` per platform:
    then we act as the build's gateway client (as a frontend would) and return
    their refs with per-platform configs, which an image exporter makes an index of.
    `exports` are the `--output`s (a `dest` of local/tar/oci/docker is written here);
    `cache_from`/`cache_to` the caches: `type=local` ones are read and written here, as
    buildctl does (localcache.py; an import with nothing to import is left out, so faces
    call `localcache.import_attrs` first to say why, and ValueError for a bad `dest`);
    `locals` the folders `bk.local_` names; `secrets` and `ssh` what runs mount;
    registry credentials come from the Docker config. `on_status` receives every
    status message from the status thread; setting `cancel` stops the build on the
    daemon. Raises `BuildFailed` (the failed vertex, its exit code and last output
    lines), `DaemonUnreachable`, `Cancelled`, or `connection.AddressError`.
    """
    address = addr or default_address()
    ref = os.urandom(16).hex()  # 128 random bits, as uuid4 would give (uuid's import costs ~2 ms)
    attrs = dict(frontend_attrs or {})
    if no_cache:
        attrs["no-cache"] = ""
    platform_builds = () if isinstance(definition, bytes) else tuple(definition)
    imports, content_stores = _cache_imports(cache_from)
    local_exports = [c.attrs for c in cache_to if c.type == "local"]
    for export in local_exports:
        content_stores[localcache.store_id(export.get("dest", ""))] = localcache.export_directory(export)
    request = pb.SolveRequest(
        Ref=ref,
        Definition=definition if isinstance(definition, bytes) else b"",
        FrontendAttrs=attrs,
        Exporters=[pb.Exporter(Type=e.type, Attrs=dict(e.attrs)) for e in exports],
        Cache=pb.CacheOptions(
            Imports=imports,
            Exports=[pb.CacheOptionsEntry(Type=c.type, Attrs=dict(c.attrs)) for c in cache_to],
        ),
    )
    tracker = _Tracker()
    with open_channel(address, tls) as connection:
        channel = connection.channel
        stub = ControlStub(channel)
        # Exports written back to us: their `dest` is ours, not an attribute for the daemon.
        destinations: dict[int, Destination] = {}
        for index, exporter in enumerate(request.Exporters):
            if exporter.Type in ("local", "tar", "oci", "docker") and "dest" in exporter.Attrs:
                from luakit_buildkit.filesend import Destination

                destinations[index] = Destination(exporter.Type, exporter.Attrs.pop("dest"))
        session = Session(
            stub, locals_=locals or {}, destinations=destinations, secrets=secrets or {}, ssh=ssh or {},
            content_stores=content_stores,
        )
        try:
            request.Session = session.id
            gateway = None
            if platform_builds:
                gateway = functools.partial(_gateway, channel, ref, platform_builds)
            result = _solve(stub, request, gateway, tracker, address, tls, connection, on_status, cancel)
        finally:
            session.close()
    try:
        warnings = localcache.record_exports(result.exporter_response, local_exports)
    except (OSError, ValueError) as exc:
        raise CacheExportFailed(f"cannot write the local cache's index.json: {getattr(exc, 'strerror', None) or exc}"
                                ) from None
    return BuildResult(result.exporter_response, warnings)


def _cache_imports(cache_from: Sequence[ExportSpec]) -> tuple[list[pb.CacheOptionsEntry], dict[str, Path]]:
    """The imports for the SolveRequest, and the content stores the `type=local` ones are read from."""
    imports, stores = [], {}
    for c in cache_from:
        attrs = dict(c.attrs)
        if c.type == "local":
            try:
                attrs = localcache.import_attrs(attrs)
            except localcache.CacheSkipped:
                continue  # as buildctl: the build runs without it
            stores[localcache.store_id(attrs["src"])] = Path(attrs["src"])
        imports.append(pb.CacheOptionsEntry(Type=c.type, Attrs=attrs))
    return imports, stores


def _solve(
    stub: ControlStub,
    request: pb.SolveRequest,
    gateway: Callable[[], str | None] | None,
    tracker: _Tracker,
    address: str,
    tls: TLSFiles,
    connection: Connection,
    on_status: Callable[[StatusUpdate], None] | None,
    cancel: threading.Event | None,
) -> BuildResult:
    ref = request.Ref
    status_done = threading.Event()

    def follow_status() -> None:
        try:
            for response in stub.Status(pb.StatusRequest(Ref=ref)):
                tracker.take(response)
                if on_status is not None:
                    on_status(StatusUpdate(response))
        except grpc.RpcError:
            pass  # the Solve call reports what went wrong
        finally:
            status_done.set()

    status_thread = threading.Thread(target=follow_status, name="luakit-status", daemon=True)
    status_thread.start()
    solve = stub.Solve.future(request)
    gateway_failed: list[str] = []
    if gateway is not None:

        def serve() -> None:
            # Without our Return the daemon would wait for ever: end the Solve instead.
            if (problem := gateway()) is not None:
                gateway_failed.append(problem)
                solve.cancel()

        # Started after Solve: the daemon finds the build our calls serve by its ref.
        threading.Thread(target=serve, name="luakit-gateway", daemon=True).start()
    # Woken by the Solve's end at once (a warm build is over in a few tenths of a second:
    # polling for it would add up to a poll's period); a cancel is seen within 0.1 s.
    solved = threading.Event()
    solve.add_done_callback(lambda _: solved.set())
    while not solved.wait(0.1):
        if cancel is not None and cancel.is_set():
            solve.cancel()
            raise Cancelled("build cancelled")
    if gateway_failed:
        raise BuildFailed(gateway_failed[0], None, None, None, [])
    try:
        response = solve.result()
    except grpc.RpcError as exc:
        # Let the last status messages (the failed vertex, its logs) arrive.
        status_done.wait(5)
        raise _failure(exc, address, tls, connection, tracker) from None
    status_done.wait(5)
    return BuildResult(dict(response.ExporterResponse))


class _BuildId(grpc.UnaryUnaryClientInterceptor):
    """Adds the build id by which the daemon routes gateway calls to our Solve."""

    def __init__(self, ref: str) -> None:
        self.ref = ref

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        metadata = [*(details.metadata or ()), ("buildkit-controlapi-buildid", self.ref)]
        return continuation(details._replace(metadata=metadata), request)


def _gateway(channel: grpc.Channel, ref: str, builds: Sequence[PlatformBuild]) -> str | None:
    """Solve each platform's Definition and Return them as luakit_frontend returns its result.

    None once Returned (the Solve call then tells how the build went), else why not.
    """
    from luakit_frontend.bridge import Bridge, GatewayError
    from luakit_frontend.result import Built, build_result

    bridge = Bridge(grpc.intercept_channel(channel, _BuildId(ref)))
    try:
        try:
            built = [Built(b.platform, bridge.solve(b.definition), dict(b.image_config)) for b in builds]
        except GatewayError as exc:
            bridge.finish(error=str(exc))
            return None
        bridge.finish(result=build_result(built, multi_platform=True))
    except grpc.RpcError as exc:
        return f"the daemon refused the platforms' results: {exc.details() if isinstance(exc, grpc.Call) else exc}"
    return None


def _failure(
    exc: grpc.RpcError, address: str, tls: TLSFiles, connection: Connection, tracker: _Tracker
) -> BuildError:
    code = exc.code() if isinstance(exc, grpc.Call) else None
    details = (exc.details() if isinstance(exc, grpc.Call) else None) or str(exc)
    if code == grpc.StatusCode.UNAVAILABLE and tracker.names:
        # The build had started: the daemon went away (killed, restarted, network gone).
        return DaemonUnreachable(f"lost the connection to BuildKit at {address} during the build")
    if code == grpc.StatusCode.UNAVAILABLE:
        reason = connection.explain(_unreachable_reason(details, tls))
        return DaemonUnreachable(f"cannot reach BuildKit at {address}: {reason}")
    if code == grpc.StatusCode.CANCELLED:
        return Cancelled("build cancelled")
    digest = next(reversed(tracker.errors), None)
    if digest is None:
        return BuildFailed(details, None, None, None, [])
    error = tracker.errors[digest]
    return BuildFailed(error, digest, tracker.names.get(digest), _exit_code(error), tracker.logs.get(digest, []))


def _unreachable_reason(details: str, tls: TLSFiles) -> str:
    """grpc's connection error, said in the terms of the flags that caused it."""
    if "CERTIFICATE_VERIFY_FAILED" in details:
        trusted = f"--tlscacert {tls.ca_cert}" if tls.ca_cert else "the system's certificate authorities"
        return f"its TLS certificate is not signed by {trusted}"
    if "handshake failed" in details.lower():
        # The daemon refused us (no or an unknown client certificate) or spoke no TLS.
        reason = details.rsplit("SSL_ERROR_SSL: ", 1)[-1].removesuffix(": OK")
        return f"TLS handshake failed ({reason}); check --tlscert/--tlskey"
    return details


def _exit_code(error: str) -> int | None:
    # BuildKit's exec error reads `process "…" did not complete successfully: exit code: N`.
    marker = "exit code: "
    at = error.rfind(marker)
    if at < 0:
        return None
    digits = error[at + len(marker):].split()[0] if error[at + len(marker):].split() else ""
    return int(digits) if digits.isdigit() else None
