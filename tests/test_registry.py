"""The registry client's pure parts, its credentials and its cache (compiler/image/registry.py).

The protocol against real registries (auth, indexes, the cache offline) is
tested in tests/e2e/test_image_config.py.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from compiler.api.call import ImageResolveError, RegistryUnreachable
from compiler.graph.platform import Platform
from compiler.image import image_resolver
from compiler.image.registry import (
    Credentials,
    ImageCache,
    ImageRef,
    RegistryResolver,
    cached_resolver,
    credentials_for,
    default_cache_dir,
    parse_challenge,
    parse_identifier,
    select_manifest,
)


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("docker-image://docker.io/library/alpine:3.19", ImageRef("docker.io", "library/alpine", "3.19")),
        ("localhost:5000/team/app:1", ImageRef("localhost:5000", "team/app", "1")),
        (
            "docker-image://ghcr.io/o/r:v1@sha256:" + "a" * 64,
            ImageRef("ghcr.io", "o/r", "v1", "sha256:" + "a" * 64),
        ),
        (
            "docker.io/library/alpine@sha256:" + "b" * 64,
            ImageRef("docker.io", "library/alpine", "", "sha256:" + "b" * 64),
        ),
    ],
)
def test_identifiers_split_into_registry_repository_tag_and_digest(identifier, expected):
    ref = parse_identifier(identifier)
    assert ref == expected
    assert str(ref) == identifier.removeprefix("docker-image://")


def test_docker_hub_is_asked_at_its_api_host_and_loopback_registries_are_known():
    assert parse_identifier("docker.io/library/alpine:3").api_host == "registry-1.docker.io"
    assert parse_identifier("127.0.0.1:5000/a:1").loopback and parse_identifier("localhost/a:1").loopback
    assert not parse_identifier("ghcr.io/a:1").loopback


INDEX = {
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"digest": "sha256:amd", "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": "sha256:arm64", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"digest": "sha256:armv6", "platform": {"os": "linux", "architecture": "arm", "variant": "v6"}},
        {"digest": "sha256:att", "platform": {"os": "unknown", "architecture": "unknown"}},
    ],
}


@pytest.mark.parametrize(
    ("wanted", "digest"),
    [
        (Platform("linux", "amd64"), "sha256:amd"),
        (Platform("linux", "arm64"), "sha256:arm64"),  # arm64/v8 is arm64, normalized
        (Platform("linux", "arm", "v6"), "sha256:armv6"),
        (Platform("linux", "arm", "v7"), None),  # v6 is not v7
        (Platform("linux", "s390x"), None),
        (Platform("windows", "amd64"), None),
    ],
)
def test_an_index_is_narrowed_to_the_wanted_platform(wanted, digest):
    chosen = select_manifest(INDEX, wanted)
    assert (chosen["digest"] if chosen else None) == digest


def test_a_request_without_variant_takes_any_variant_of_the_architecture():
    index = {
        "manifests": [
            {"digest": "sha256:x", "platform": {"os": "linux", "architecture": "riscv64", "variant": "rva22"}}
        ]
    }
    assert select_manifest(index, Platform("linux", "riscv64"))["digest"] == "sha256:x"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
            (
                "bearer",
                {
                    "realm": "https://auth.docker.io/token",
                    "service": "registry.docker.io",
                    "scope": "repository:library/alpine:pull",
                },
            ),
        ),
        ('Basic realm="luakit-test"', ("basic", {"realm": "luakit-test"})),
        (
            'Bearer realm="https://r/t", scope="repository:a:pull,push", error="invalid_token"',
            ("bearer", {"realm": "https://r/t", "scope": "repository:a:pull,push", "error": "invalid_token"}),
        ),
        ("Bearer realm=https://r/t,service=r", ("bearer", {"realm": "https://r/t", "service": "r"})),
        ('Bearer realm="a \\"quoted\\" realm"', ("bearer", {"realm": 'a "quoted" realm'})),
        ("", ("", {})),
    ],
)
def test_authentication_challenges_are_parsed(header, expected):
    assert parse_challenge(header) == expected


def _auth(user: str, secret: str) -> str:
    return base64.b64encode(f"{user}:{secret}".encode()).decode()


def test_credentials_come_from_auths_under_any_spelling_of_the_registry():
    config = {
        "auths": {
            "https://index.docker.io/v1/": {"auth": _auth("hub", "h")},
            "http://localhost:5000": {"auth": _auth("local", "l")},
            "ghcr.io": {"username": "gh", "password": "g"},
            "quay.io": {"identitytoken": "refresh"},
        }
    }
    assert credentials_for("docker.io", config) == Credentials("hub", "h")
    assert credentials_for("localhost:5000", config) == Credentials("local", "l")
    assert credentials_for("ghcr.io", config) == Credentials("gh", "g")
    quay = credentials_for("quay.io", config)
    assert quay == Credentials("<token>", "refresh") and quay.identity_token
    assert credentials_for("example.com", config) is None


def test_a_bad_auth_entry_is_a_clear_error():
    with pytest.raises(ImageResolveError, match='the "auth" for r.io in .* is not base64'):
        credentials_for("r.io", {"auths": {"r.io": {"auth": "%%%"}}})


@pytest.fixture
def helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real `docker-credential-lktest` on PATH that knows one server; it logs what it was asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "docker-credential-lktest"
    program.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            read server
            echo "$1 $server" >> {tmp_path}/asked
            if [ "$server" = "https://index.docker.io/v1/" ] || [ "$server" = "private.example" ]; then
              echo '{{"ServerURL":"'$server'","Username":"helped","Secret":"pw"}}'
            else
              echo "credentials not found in native keychain"; exit 1
            fi
            """
        )
    )
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "asked"


def test_credential_helpers_are_asked_with_dockers_server_names(helper):
    config = {"credHelpers": {"private.example": "lktest"}, "auths": {"other.example": {"auth": _auth("a", "b")}}}
    assert credentials_for("private.example", config) == Credentials("helped", "pw")
    assert credentials_for("other.example", config) == Credentials("a", "b")  # no helper for it
    store = {"credsStore": "lktest", "auths": {"elsewhere.example": {"auth": _auth("fallback", "f")}}}
    assert credentials_for("docker.io", store) == Credentials("helped", "pw")
    assert credentials_for("elsewhere.example", store) == Credentials("fallback", "f")  # the store has none
    assert helper.read_text().splitlines() == [
        "get private.example",
        "get https://index.docker.io/v1/",
        "get elsewhere.example",
    ]


def test_a_missing_or_failing_helper_is_a_clear_error(helper, tmp_path):
    with pytest.raises(ImageResolveError, match="credential helper docker-credential-nosuch, which is not on PATH"):
        credentials_for("r.io", {"credsStore": "nosuch"})
    broken = tmp_path / "bin" / "docker-credential-broken"
    broken.write_text("#!/bin/sh\necho 'keychain locked' >&2\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(ImageResolveError, match="docker-credential-broken failed: keychain locked"):
        credentials_for("r.io", {"credsStore": "broken"})


def test_the_cache_keeps_digest_and_blob_and_ignores_damage(tmp_path):
    cache = ImageCache(tmp_path)
    ref = parse_identifier("localhost:5000/app:1")
    blob = b'{"config":{}}'
    import hashlib

    config_digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    amd64 = Platform("linux", "amd64")
    assert cache.get(ref, amd64) is None
    cache.put(ref, amd64, "sha256:manifest", config_digest, blob)
    assert cache.get(ref, amd64) == ("sha256:manifest", blob)
    assert cache.get(ref, Platform("linux", "arm64")) is None  # per platform
    (tmp_path / "blobs" / "sha256" / config_digest.removeprefix("sha256:")).write_bytes(b"tampered")
    assert cache.get(ref, amd64) is None


def test_the_cache_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("LUAKIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "luakit" / "images"
    monkeypatch.setenv("LUAKIT_CACHE_DIR", str(tmp_path / "own"))
    assert default_cache_dir() == tmp_path / "own" / "images"


def test_an_unreachable_registry_is_said_once_and_the_cache_only_resolver_never_asks(tmp_path):
    resolver = RegistryResolver(tmp_path, timeout=2)
    with pytest.raises(
        RegistryUnreachable, match=r'cannot resolve "127.0.0.1:9/a:1": registry 127.0.0.1:9 is unreachable \('
    ):
        resolver.resolve("docker-image://127.0.0.1:9/a:1", None)
    # The same host again: remembered, not retried, and the message names the image asked for.
    with pytest.raises(RegistryUnreachable, match=r'^cannot resolve "127.0.0.1:9/b:1": registry 127.0.0.1:9 is'):
        resolver.resolve("docker-image://127.0.0.1:9/b:1", None)
    assert cached_resolver(tmp_path).resolve("docker-image://127.0.0.1:9/a:1", None) is None


def test_a_cached_config_answers_the_cache_only_resolver(tmp_path):
    blob = json.dumps({"config": {"Env": ["PATH=/x"], "User": "u"}}).encode()
    import hashlib

    ref = parse_identifier("127.0.0.1:9/a:1")
    ImageCache(tmp_path).put(
        ref, Platform("linux", "arm64"), "sha256:m", "sha256:" + hashlib.sha256(blob).hexdigest(), blob
    )
    found = cached_resolver(tmp_path).resolve("docker-image://127.0.0.1:9/a:1", Platform("linux", "arm64"))
    assert found is not None and (found.env, found.user, found.digest) == (("PATH=/x",), "u", "sha256:m")
    # The network resolver falls back to it when the registry cannot be reached.
    again = RegistryResolver(tmp_path, timeout=2).resolve("docker-image://127.0.0.1:9/a:1", Platform("linux", "arm64"))
    assert again == found


def test_the_editors_resolver_reads_the_cache_where_it_resolves_and_loads_no_network_code_before(monkeypatch, tmp_path):
    # The language server makes it for every evaluation and pickles it to its worker: made in a
    # new Python, it leaves the registry module (urllib.request, http.client, email) unloaded.
    monkeypatch.delenv("LUAKIT_NO_RESOLVE", raising=False)  # tests/conftest.py sets it
    made = subprocess.run(
        [sys.executable, "-c", LOADS_NO_REGISTRY], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert made.stdout.split() == ["False", "False"], made.stdout
    blob = json.dumps({"config": {"Env": ["PATH=/y"]}}).encode()
    import hashlib

    monkeypatch.setenv("LUAKIT_CACHE_DIR", str(tmp_path))
    resolver = pickle.loads(pickle.dumps(image_resolver(network=False)))
    assert resolver.resolve("docker-image://127.0.0.1:9/c:1", Platform("linux", "arm64")) is None  # nothing cached
    ImageCache(tmp_path / "images").put(
        parse_identifier("127.0.0.1:9/c:1"),
        Platform("linux", "arm64"),
        "sha256:m",
        "sha256:" + hashlib.sha256(blob).hexdigest(),
        blob,
    )
    found = resolver.resolve("docker-image://127.0.0.1:9/c:1", Platform("linux", "arm64"))  # cached since: seen
    assert found is not None and found.env == ("PATH=/y",)


LOADS_NO_REGISTRY = """
import pickle, sys
from compiler.image import image_resolver
pickle.dumps(image_resolver(network=False))
assert type(image_resolver(network=False)).__name__ != "NoImageResolver"
print("compiler.image.registry" in sys.modules, "http.client" in sys.modules)
"""
