"""Base image configs from registries, for the CLI; from the disk cache only, for the language server.

The OCI distribution protocol as Docker and BuildKit speak it: a manifest (or an
index / Docker manifest list, narrowed to one platform) by tag or digest, then
its config blob. Authentication follows the registry's `WWW-Authenticate`
challenge (bearer tokens from its token service, or basic), with credentials
from the Docker config (`auths`, `credHelpers`, `credsStore`). Loopback
registries are tried over https and then plain http, as Docker and BuildKit do.

Every resolved config is kept on disk: by blob digest (content, never stale) and
by reference and platform (which digest a tag meant last time). A tag is looked
up again on every build, as Dockerfile does; the cache answers when the registry
cannot be reached, and is the only source of `cached_resolver()`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

from compiler.api.call import ImageResolveError, RegistryUnreachable
from compiler.graph import nodes as g
from compiler.graph import platform as platforms
from compiler.graph.platform import Platform
from compiler.image.config import image_defaults_from_config

DEFAULT_TIMEOUT = 10.0
MAX_DOCUMENT = 4 * 1024 * 1024  # manifests and configs are small; a bigger answer is not one

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

# Docker Hub's names: the registry in references, its API host, its key in the Docker config.
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"

_LOOPBACK = re.compile(r"^(localhost|127(\.\d+){3}|\[::1\])(:\d+)?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


# ---------------------------------------------------------------- references


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A normalized image reference: `docker.io/library/alpine:3.19[@sha256:…]`."""

    registry: str
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def api_host(self) -> str:
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def loopback(self) -> bool:
        return bool(_LOOPBACK.match(self.registry))

    def __str__(self) -> str:
        name = f"{self.registry}/{self.repository}"
        return name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def parse_identifier(identifier: str) -> ImageRef:
    """The parts of a normalized `docker-image://` identifier (what `bk.image` makes)."""
    name = identifier.removeprefix("docker-image://")
    name, _, digest = name.partition("@")
    registry, slash, rest = name.partition("/")
    if not slash or not rest:
        raise ImageResolveError(f'cannot resolve "{identifier}": not a normalized image reference')
    repository, colon, tag = rest.rpartition(":")
    if not colon or "/" in tag:
        repository, tag = rest, ""
    return ImageRef(registry, repository, tag, digest)


# ---------------------------------------------------------------- platforms


def platform_of(descriptor: Mapping[str, Any]) -> Platform | None:
    """The normalized platform of an index entry, None when it has none (attestations, junk)."""
    p = descriptor.get("platform")
    if not isinstance(p, Mapping):
        return None
    try:
        return platforms.normalize(str(p.get("os", "")), str(p.get("architecture", "")), str(p.get("variant") or ""))
    except ValueError:
        return None


def select_manifest(index: Mapping[str, Any], wanted: Platform) -> Mapping[str, Any] | None:
    """The index entry for `wanted`, like containerd's platform matcher.

    An exact match of the normalized platform first; else, for a request without
    a variant, the same os/architecture with any variant (the first listed).
    """
    entries = [m for m in index.get("manifests") or () if isinstance(m, Mapping)]
    candidates = [(platform_of(m), m) for m in entries]
    for p, m in candidates:
        if p == wanted:
            return m
    if not wanted.variant:
        for p, m in candidates:
            if p is not None and (p.os, p.architecture) == (wanted.os, wanted.architecture):
                return m
    return None


# ---------------------------------------------------------------- authentication


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="https://auth",service="reg",scope="a,b"` -> ("bearer", {realm, service, scope})."""
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    for m in re.finditer(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?', rest):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        params[m.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
    return scheme.lower(), params


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    secret: str

    @property
    def identity_token(self) -> bool:
        """Docker's convention for an OAuth refresh token stored in place of a password."""
        return self.username == "<token>"


def docker_config_path() -> Path:
    """`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, as the docker CLI reads it."""
    directory = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return Path(directory) / "config.json"


def _auth_key(server: str) -> str:
    """A Docker config key as the docker CLI compares them: no scheme, no path."""
    host = re.sub(r"^[a-z]+://", "", server.strip().lower()).split("/", 1)[0]
    return DOCKER_HUB if host in ("index.docker.io", DOCKER_HUB_API) else host


def credentials_for(registry: str, docker_config: Mapping[str, Any]) -> Credentials | None:
    """The credentials the Docker config holds for `registry` (a host such as `docker.io`).

    A `credHelpers` entry for the registry wins, then `credsStore`, then the
    base64 `auth` (or `username`/`password`) in `auths`, as in the docker CLI.
    Raises ImageResolveError when a configured helper fails.
    """
    key = _auth_key(registry)
    server = DOCKER_HUB_AUTH_KEY if key == DOCKER_HUB else key
    helpers = docker_config.get("credHelpers") or {}
    helper = next((h for name, h in helpers.items() if _auth_key(name) == key), None) or docker_config.get("credsStore")
    if helper:
        found = helper_credentials(str(helper), server)
        if found is not None:
            return found
    for name, entry in (docker_config.get("auths") or {}).items():
        if _auth_key(name) != key or not isinstance(entry, Mapping):
            continue
        if entry.get("identitytoken"):
            return Credentials("<token>", str(entry["identitytoken"]))
        if entry.get("auth"):
            try:
                user, sep, secret = base64.b64decode(str(entry["auth"]), validate=True).decode().partition(":")
            except ValueError:
                sep = ""
            if not sep:
                raise ImageResolveError(
                    f'the "auth" for {name} in {docker_config_path()} is not base64 of user:password'
                )
            return Credentials(user, secret)
        if entry.get("username"):
            return Credentials(str(entry["username"]), str(entry.get("password", "")))
    return None


def helper_credentials(helper: str, server: str) -> Credentials | None:
    """`docker-credential-<helper> get` for `server`; None when it has nothing for it."""
    program = f"docker-credential-{helper}"
    try:
        done = subprocess.run(
            [program, "get"], input=server.encode(), capture_output=True, timeout=DEFAULT_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise ImageResolveError(
            f"the Docker config names the credential helper {program}, which is not on PATH"
        ) from None
    except subprocess.TimeoutExpired:
        raise ImageResolveError(f"the credential helper {program} did not answer in {DEFAULT_TIMEOUT:g}s") from None
    if done.returncode != 0:
        message = done.stdout.decode(errors="replace").strip() or done.stderr.decode(errors="replace").strip()
        if "credentials not found" in message.lower():
            return None
        raise ImageResolveError(f"the credential helper {program} failed: {message or f'exit {done.returncode}'}")
    try:
        answer = json.loads(done.stdout)
        return Credentials(str(answer["Username"]), str(answer["Secret"]))
    except (ValueError, KeyError, TypeError):
        raise ImageResolveError(f"the credential helper {program} gave an answer that is not its JSON") from None


def load_docker_config(path: Path | None = None) -> dict[str, Any]:
    """The Docker config's contents; empty when there is none. Raises ImageResolveError when unreadable."""
    path = path or docker_config_path()
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ImageResolveError(f"cannot read the Docker config {path}: {exc}") from None
    return document if isinstance(document, dict) else {}


# ---------------------------------------------------------------- cache


def default_cache_dir() -> Path:
    """`$LUAKIT_CACHE_DIR/images`, else `$XDG_CACHE_HOME/luakit/images`, else `~/.cache/luakit/images`."""
    if os.environ.get("LUAKIT_CACHE_DIR"):
        return Path(os.environ["LUAKIT_CACHE_DIR"]) / "images"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "luakit" / "images"


@dataclass(frozen=True, slots=True)
class ImageCache:
    """Config blobs by digest, and what a reference resolved to for a platform.

    A cache: writes that fail (read-only home, full disk) are ignored, and a
    damaged entry reads as missing.
    """

    directory: Path

    def _ref_path(self, ref: ImageRef, platform: Platform) -> Path:
        key = hashlib.sha256(f"{ref}\0{platform}".encode()).hexdigest()
        return self.directory / "refs" / f"{key}.json"

    def _blob_path(self, digest: str) -> Path:
        return self.directory / "blobs" / "sha256" / digest.removeprefix("sha256:")

    def get(self, ref: ImageRef, platform: Platform) -> tuple[str, bytes] | None:
        """(manifest digest, config blob) last resolved for `ref` on `platform`."""
        try:
            entry = json.loads(self._ref_path(ref, platform).read_bytes())
            blob = self._blob_path(entry["config"]).read_bytes()
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(entry.get("digest"), str) or _sha256(blob) != entry["config"]:
            return None
        return entry["digest"], blob

    def put(self, ref: ImageRef, platform: Platform, digest: str, config_digest: str, blob: bytes) -> None:
        entry = {"ref": str(ref), "platform": str(platform), "digest": digest, "config": config_digest}
        _write_atomically(self._blob_path(config_digest), blob)
        _write_atomically(self._ref_path(ref, platform), json.dumps(entry, sort_keys=True).encode())


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a cache that cannot be written only costs a lookup next time


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- the registry client


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: Message
    body: bytes


@dataclass
class RegistryResolver:
    """An `ImageResolver` that reads base image configs from registries, with a disk cache.

    `network=False` is the cache-only variant: no requests at all, None for what
    the cache does not hold (the language server's); it reads the cache on every
    call, so a long-lived process sees what the CLI resolved since. `docker_config`
    is the Docker config's path (default: `docker_config_path()`). With the network,
    resolutions are remembered for the life of the object, so a script naming one
    image ten times asks once, and a registry that could not be reached is not
    asked again.
    """

    cache_dir: Path = field(default_factory=default_cache_dir)
    network: bool = True
    timeout: float = DEFAULT_TIMEOUT
    docker_config: Path | None = None
    _seen: dict[tuple[str, Platform], g.ImageDefaults | None] = field(default_factory=dict, repr=False)
    _unreachable: dict[str, str] = field(default_factory=dict, repr=False)
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None:
        wanted = platform or platforms.host()
        key = (identifier, wanted)
        if not self.network:  # a long-lived editor process: see what the CLI cached since
            return self._resolve(parse_identifier(identifier), wanted)
        if key not in self._seen:
            self._seen[key] = self._resolve(parse_identifier(identifier), wanted)
        return self._seen[key]

    def _resolve(self, ref: ImageRef, wanted: Platform) -> g.ImageDefaults | None:
        cache = ImageCache(Path(self.cache_dir))
        cached = cache.get(ref, wanted)
        if not self.network or (cached is not None and ref.digest):
            return None if cached is None else _defaults(ref, cached[1], cached[0])
        try:
            digest, config_digest, blob = self._fetch(ref, wanted)
        except RegistryUnreachable:
            if cached is not None:  # offline: what this tag meant last time
                return _defaults(ref, cached[1], cached[0])
            raise
        cache.put(ref, wanted, digest, config_digest, blob)
        return _defaults(ref, blob, digest)

    # The protocol: manifest (index -> platform manifest) -> config blob.

    def _fetch(self, ref: ImageRef, wanted: Platform) -> tuple[str, str, bytes]:
        top = self._get(ref, f"manifests/{ref.digest or ref.tag or 'latest'}", _ACCEPT)
        digest = top.headers.get("Docker-Content-Digest") or _sha256(top.body)
        if ref.digest and _sha256(top.body) != ref.digest:
            raise ImageResolveError(f'cannot resolve "{ref}": the registry sent a manifest with another digest')
        manifest = _document(ref, top.body, "manifest")
        if manifest.get("mediaType") in (OCI_INDEX, DOCKER_LIST) or "manifests" in manifest:
            chosen = select_manifest(manifest, wanted)
            if chosen is None:
                listed = sorted({str(p) for m in manifest.get("manifests") or () if (p := platform_of(m))})
                raise ImageResolveError(
                    f'cannot resolve "{ref}": it has no image for {wanted} (it has {", ".join(listed) or "none"})'
                )
            inner_digest = str(chosen.get("digest", ""))
            inner = self._get(ref, f"manifests/{inner_digest}", _ACCEPT)
            if _sha256(inner.body) != inner_digest:
                raise ImageResolveError(f'cannot resolve "{ref}": the registry sent a manifest with another digest')
            manifest = _document(ref, inner.body, "manifest")
        config = manifest.get("config")
        config_digest = str(config.get("digest", "")) if isinstance(config, Mapping) else ""
        if not _DIGEST.match(config_digest):
            raise ImageResolveError(f'cannot resolve "{ref}": its manifest names no config blob')
        blob = self._get(ref, f"blobs/{config_digest}", "*/*").body
        if _sha256(blob) != config_digest:
            raise ImageResolveError(f'cannot resolve "{ref}": the config blob does not match its digest')
        return digest, config_digest, blob

    def _get(self, ref: ImageRef, path: str, accept: str) -> _Response:
        url_path = f"/v2/{ref.repository}/{path}"
        scope = f"repository:{ref.repository}:pull"
        token = self._tokens.get((ref.api_host, scope))
        response = self._request(ref, url_path, accept, token and f"Bearer {token}")
        credentials = None
        if response.status == 401:
            credentials = credentials_for(ref.registry, load_docker_config(self.docker_config))
            authorization = self._authorize(ref, scope, response.headers.get("WWW-Authenticate", ""), credentials)
            response = self._request(ref, url_path, accept, authorization)
        if response.status == 200:
            return response
        if response.status in (401, 403):
            raise ImageResolveError(
                f'cannot resolve "{ref}": {response.status} unauthorized at registry {ref.registry} '
                f"({self._credentials_hint(ref, credentials)})"
            )
        raise ImageResolveError(f'cannot resolve "{ref}": {_status_text(response)} at registry {ref.registry}')

    def _credentials_hint(self, ref: ImageRef, credentials: Credentials | None) -> str:
        where = self.docker_config or docker_config_path()
        if credentials is not None:
            return f"the credentials from {where} were refused"
        return f"no credentials for it in {where}; log in with docker login {ref.registry}"

    def _authorize(self, ref: ImageRef, scope: str, challenge: str, credentials: Credentials | None) -> str:
        scheme, params = parse_challenge(challenge)
        if scheme == "basic":
            if credentials is None:
                raise ImageResolveError(
                    f'cannot resolve "{ref}": 401 unauthorized at registry {ref.registry} '
                    f"({self._credentials_hint(ref, None)})"
                )
            return "Basic " + base64.b64encode(f"{credentials.username}:{credentials.secret}".encode()).decode()
        if scheme != "bearer" or not params.get("realm"):
            raise ImageResolveError(
                f'cannot resolve "{ref}": 401 unauthorized at registry {ref.registry} '
                f"(unsupported authentication challenge {challenge!r})"
            )
        token = self._token(ref, params, scope, credentials)
        self._tokens[(ref.api_host, scope)] = token
        return f"Bearer {token}"

    def _token(self, ref: ImageRef, params: dict[str, str], scope: str, credentials: Credentials | None) -> str:
        """A bearer token from the registry's token service (the distribution token protocol)."""
        query = {"scope": params.get("scope") or scope}
        if params.get("service"):
            query["service"] = params["service"]
        realm = params["realm"]
        data: bytes | None = None
        headers: dict[str, str] = {}
        if credentials is not None and credentials.identity_token:
            # An identity token is an OAuth refresh token: POSTed, not sent as a password.
            form = {**query, "grant_type": "refresh_token", "refresh_token": credentials.secret, "client_id": "luakit"}
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            realm += ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)
            if credentials is not None:
                pair = f"{credentials.username}:{credentials.secret}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        response = self._open(ref, urllib.request.Request(realm, data=data, headers=headers))
        if response.status in (401, 403):
            raise ImageResolveError(
                f'cannot resolve "{ref}": {response.status} unauthorized from the token service of registry '
                f"{ref.registry} ({self._credentials_hint(ref, credentials)})"
            )
        if response.status != 200:
            raise ImageResolveError(
                f'cannot resolve "{ref}": {_status_text(response)} from the token service of registry {ref.registry}'
            )
        answer = _document(ref, response.body, "token answer")
        token = answer.get("token") or answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise ImageResolveError(f'cannot resolve "{ref}": the token service of {ref.registry} sent no token')
        return token

    def _request(self, ref: ImageRef, url_path: str, accept: str, authorization: str | None) -> _Response:
        schemes = ("https", "http") if ref.loopback else ("https",)
        last: RegistryUnreachable | None = None
        for scheme in schemes:
            request = urllib.request.Request(f"{scheme}://{ref.api_host}{url_path}", headers={"Accept": accept})
            if authorization:
                request.add_unredirected_header("Authorization", authorization)
            try:
                return self._open(ref, request)
            except RegistryUnreachable as err:
                last = err  # a loopback registry without TLS: plain http next
        assert last is not None
        raise last

    def _open(self, ref: ImageRef, request: urllib.request.Request) -> _Response:
        url = urllib.parse.urlsplit(request.full_url)
        host, origin = url.netloc, f"{url.scheme}://{url.netloc}"
        if origin in self._unreachable:  # the reason is the registry's; the message names this image
            raise RegistryUnreachable(f'cannot resolve "{ref}": {self._unreachable[origin]}')
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - https/http only
                return _Response(answer.status, answer.headers, answer.read(MAX_DOCUMENT))
        except urllib.error.HTTPError as err:
            with err:
                return _Response(err.code, err.headers, err.read(MAX_DOCUMENT))
        except (urllib.error.URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, ssl.SSLCertVerificationError) and not ref.loopback:
                raise ImageResolveError(
                    f'cannot resolve "{ref}": the TLS certificate of {host} is not trusted ({reason.verify_message})'
                ) from None
            self._unreachable[origin] = f"registry {host} is unreachable ({_reason(reason)})"
            raise RegistryUnreachable(f'cannot resolve "{ref}": {self._unreachable[origin]}') from None


def _reason(reason: object) -> str:
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def _status_text(response: _Response) -> str:
    """`404 manifest unknown`: the status and the registry's own error code, when it sent one."""
    words = {401: "unauthorized", 403: "forbidden", 404: "not found", 429: "too many requests"}
    detail = words.get(response.status, "error")
    try:
        errors = json.loads(response.body).get("errors") or []
        detail = str(errors[0].get("message") or errors[0].get("code")).lower() or detail
    except (ValueError, AttributeError, IndexError, TypeError):
        pass
    return f"{response.status} {detail}"


def _document(ref: ImageRef, body: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        raise ImageResolveError(f'cannot resolve "{ref}": the registry sent a {what} that is not JSON') from None
    if not isinstance(document, dict):
        raise ImageResolveError(f'cannot resolve "{ref}": the registry sent a {what} that is not a JSON object')
    return document


def _defaults(ref: ImageRef, blob: bytes, digest: str) -> g.ImageDefaults:
    try:
        return image_defaults_from_config(blob, digest)
    except ValueError as exc:
        raise ImageResolveError(f'cannot resolve "{ref}": {exc}') from None


def cached_resolver(cache_dir: Path | None = None) -> RegistryResolver:
    """The language server's resolver: what the CLI resolved before, never a request."""
    return RegistryResolver(cache_dir or default_cache_dir(), network=False)
