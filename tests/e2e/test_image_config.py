"""Image config through the CLI: base configs resolved from registries, and the exported config.

A base image with its own PATH, env, working directory, user, entrypoint, cmd,
labels and ports is built with BuildKit's Dockerfile frontend and pushed to the
harness registry. `luakit build` (resolution on) must give a `run` on it what a
Dockerfile `RUN` on it gets, and `--config-out` must put the script's config,
laid over the base's, into the pushed image through plain `buildctl`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import buildkit_harness
import pytest
from servers import stop, wait_port

BASE_DOCKERFILE = textwrap.dedent(
    """\
    FROM scratch
    COPY busybox /bin/busybox
    COPY passwd group /etc/
    ENV PATH=/opt/tools/bin:/usr/bin:/bin GREETING=hello
    RUN ["/bin/busybox", "--install", "-s", "/bin"]
    RUN mkdir -p /srv/app /opt/tools/bin && chown 1000:1000 /srv/app
    WORKDIR /srv/app
    USER 1000
    ENTRYPOINT ["/bin/sh", "-c"]
    CMD ["echo base"]
    LABEL base.label=yes
    EXPOSE 9000
    """
)

REPORT = (
    "{ env | sort | grep -v -e '^SHLVL=' -e '^_=' -e '^OLDPWD='; echo cwd=$(pwd); echo uid=$(id -u); } > report.txt"
)


def luakit(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """The real CLI with registry resolution on (tests/conftest.py turns it off for the others)."""
    environment = {k: v for k, v in os.environ.items() if k != "LUAKIT_NO_RESOLVE"}
    proc = subprocess.run(
        [sys.executable, "-m", "compiler.cli", *args],
        capture_output=True,
        timeout=120,
        env={**environment, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"luakit {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return proc


@pytest.fixture(scope="module")
def base_ref(buildkit: buildkit_harness.BuildKit, registry: str) -> str:
    return buildkit.build_base_image(
        "lk-config-base:1",
        BASE_DOCKERFILE,
        {
            "busybox": buildkit_harness.BUSYBOX_BINARY,
            "passwd": buildkit_harness.ETC_PASSWD,
            "group": buildkit_harness.ETC_GROUP,
        },
    )


@pytest.fixture
def cache_env(tmp_path: Path) -> dict[str, str]:
    return {"LUAKIT_CACHE_DIR": str(tmp_path / "cache"), "DOCKER_CONFIG": str(tmp_path / "docker")}


def write_script(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "build.lua"
    script.write_text(textwrap.dedent(text))
    return script


def report(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_run_on_a_resolved_image_sees_what_dockerfile_run_sees(buildkit, base_ref, tmp_path, cache_env):
    script = write_script(
        tmp_path / "lk",
        f"""
        local base = bk.image("{base_ref}")
        bk.export(base:run("{REPORT}"))
        """,
    )
    definition = luakit("build", str(script), env=cache_env).stdout
    ours = tmp_path / "ours"
    buildkit.build(definition, output=f"type=local,dest={ours}")

    theirs = tmp_path / "theirs"
    buildkit.build_dockerfile(
        f'FROM {base_ref}\nRUN ["/bin/sh", "-c", "{REPORT}"]\n', output=f"type=local,dest={theirs}"
    )

    got = report((ours / "srv/app/report.txt").read_text())
    assert got == report((theirs / "srv/app/report.txt").read_text())
    assert got["PATH"] == "/opt/tools/bin:/usr/bin:/bin"
    assert got["GREETING"] == "hello"
    assert (got["cwd"], got["uid"]) == ("/srv/app", "1000")
    # Pinned like Dockerfile pins FROM: the identifier names the digest that was resolved.
    manifest_digest = _manifest_digest(base_ref)
    assert f"{base_ref}@{manifest_digest}".encode() in definition


def test_without_resolution_the_output_is_unchanged(base_ref, tmp_path, cache_env):
    script = write_script(tmp_path, f'bk.export(bk.image("{base_ref}"):run("true"))\n')
    offline = luakit("build", "--no-resolve", str(script), env=cache_env).stdout
    assert base_ref.encode() in offline and b"@sha256:" not in offline
    assert b"/opt/tools/bin" not in offline
    assert b"/opt/tools/bin" in luakit("build", str(script), env=cache_env).stdout


def test_export_config_reaches_the_pushed_image_through_plain_buildctl(
    buildkit, registry, base_ref, tmp_path, cache_env
):
    script = write_script(
        tmp_path / "lk",
        f"""
        local base = bk.image("{base_ref}")
        local app = base:run("echo built > built.txt")
        bk.export(app, {{
          entrypoint = {{ "/bin/sh", "-c", "cat built.txt" }},
          env = {{ MODE = "prod", GREETING = "hi" }},
          user = "0",
          workdir = "/srv",
          expose = {{ 8080, "53/udp" }},
          labels = {{ team = "build" }},
        }})
        """,
    )
    config_file = tmp_path / "config.json"
    definition = luakit("build", str(script), "--config-out", str(config_file), env=cache_env).stdout
    ref = f"{registry}/lk-config-out:1"
    config_attr = "containerimage.config=" + config_file.read_text().strip()
    csv_field = '"' + config_attr.replace('"', '""') + '"'  # buildctl reads --output as one CSV record
    buildkit.build(definition, output=f"{buildkit.push_output(ref)},{csv_field}")

    pushed = buildkit.image_config(ref)
    config = pushed["config"]
    assert config["Entrypoint"] == ["/bin/sh", "-c", "cat built.txt"]
    assert "Cmd" not in config  # a new entrypoint drops the base's cmd, as in Dockerfile
    assert config["Env"] == ["PATH=/opt/tools/bin:/usr/bin:/bin", "GREETING=hi", "MODE=prod"]
    assert (config["User"], config["WorkingDir"]) == ("0", "/srv")
    assert config["ExposedPorts"] == {"9000/tcp": {}, "8080/tcp": {}, "53/udp": {}}
    assert config["Labels"] == {"base.label": "yes", "team": "build"}
    host_os, host_arch = buildkit_harness._host_platform()
    assert (pushed["os"], pushed["architecture"]) == (host_os, host_arch)
    # The base's layers plus the run's: the exporter completed the rootfs and history.
    assert len(pushed["rootfs"]["diff_ids"]) == len(buildkit.image_config(base_ref)["rootfs"]["diff_ids"]) + 1


def test_without_the_config_attribute_the_image_has_the_exporter_default(
    buildkit, registry, base_ref, tmp_path, cache_env
):
    """The control: the config above came from --config-out, not from the definition."""
    script = write_script(tmp_path, f'bk.export(bk.image("{base_ref}"):run("true"), {{ user = "0" }})\n')
    ref = f"{registry}/lk-config-none:1"
    buildkit.build(luakit("build", str(script), env=cache_env).stdout, output=buildkit.push_output(ref))
    assert "User" not in buildkit.image_config(ref)["config"]


def test_a_missing_image_is_an_error_and_an_unreachable_registry_a_warning(registry, tmp_path, cache_env):
    missing = write_script(tmp_path / "missing", f'bk.export(bk.image("{registry}/no-such-image:1"))\n')
    failed = luakit("validate", str(missing), env=cache_env, check=False)
    assert failed.returncode == 1
    assert (
        f'build.lua:1:11: bk.image: cannot resolve "{registry}/no-such-image:1": 404 manifest unknown '
        f"at registry {registry}"
    ) in failed.stderr.decode()

    down = write_script(tmp_path / "down", 'bk.export(bk.image("127.0.0.1:9/down:1"):run("true"))\n')
    warned = luakit("build", str(down), env=cache_env, check=False)
    assert warned.returncode == 0, warned.stderr.decode()
    assert 'warning: bk.image: cannot resolve "127.0.0.1:9/down:1": registry 127.0.0.1:9 is unreachable' in (
        warned.stderr.decode()
    )
    assert luakit("build", "--no-resolve", str(down), env=cache_env).stderr == b""


# ---------------------------------------------------------------- a registry with a password


@contextlib.contextmanager
def password_registry_at(directory: Path) -> Iterator[str]:
    """A docker-registry that wants `alice`/`s3cret` (htpasswd, bcrypt) on a free loopback port."""
    directory.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # the registry accepts only bcrypt; libxcrypt makes it

        hashed = crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH))
    (directory / "htpasswd").write_text(f"alice:{hashed}\n")
    port = buildkit_harness.free_port()
    (directory / "registry.yml").write_text(
        textwrap.dedent(
            f"""\
            version: 0.1
            log: {{level: warn, accesslog: {{disabled: true}}}}
            storage: {{filesystem: {{rootdirectory: {directory / "data"}}}}}
            http: {{addr: 127.0.0.1:{port}}}
            auth: {{htpasswd: {{realm: luakit-test, path: {directory / "htpasswd"}}}}}
            """
        )
    )
    proc = subprocess.Popen(
        ["docker-registry", "serve", str(directory / "registry.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_port(port, proc, "docker-registry (htpasswd)")
        yield f"127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture
def password_registry(tmp_path: Path) -> Iterator[str]:
    with password_registry_at(tmp_path / "registry") as address:
        yield address


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _manifest_digest(ref: str) -> str:
    host, _, rest = ref.partition("/")
    name, _, tag = rest.rpartition(":")
    request = urllib.request.Request(
        f"http://{host}/v2/{name}/manifests/{tag}", headers={"Accept": buildkit_harness.MANIFEST_ACCEPT}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return "sha256:" + hashlib.sha256(answer.read()).hexdigest()


def push_config_only_image(registry: str, name: str, config: dict, authorization: str) -> None:
    """Upload a config blob and a manifest naming it (no layers: resolution reads only these)."""
    blob = json.dumps(config).encode()
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    headers = {"Authorization": authorization}
    start = urllib.request.Request(f"http://{registry}/v2/{name}/blobs/uploads/", method="POST", headers=headers)
    with urllib.request.urlopen(start, timeout=30) as answer:
        location = answer.headers["Location"]
    if location.startswith("/"):
        location = f"http://{registry}{location}"
    upload = urllib.request.Request(
        f"{location}{'&' if '?' in location else '?'}digest={digest}",
        data=blob,
        method="PUT",
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    urllib.request.urlopen(upload, timeout=30).close()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest, "size": len(blob)},
        "layers": [],
    }
    put = urllib.request.Request(
        f"http://{registry}/v2/{name}/manifests/1",
        data=json.dumps(manifest).encode(),
        method="PUT",
        headers={**headers, "Content-Type": "application/vnd.oci.image.manifest.v1+json"},
    )
    urllib.request.urlopen(put, timeout=30).close()


PRIVATE_CONFIG = {
    "os": "linux",
    "architecture": buildkit_harness._host_platform()[1],
    "rootfs": {"type": "layers", "diff_ids": []},
    "config": {"Env": ["PATH=/private/bin:/bin", "SECRET_PLACE=yes"], "WorkingDir": "/private", "User": "42"},
}


def test_credentials_from_the_docker_config_and_a_helper_and_the_cache_offline(password_registry, tmp_path):
    push_config_only_image(password_registry, "private", PRIVATE_CONFIG, _basic("alice", "s3cret"))
    script = write_script(tmp_path / "lk", f'bk.export(bk.image("{password_registry}/private:1"):run("true"))\n')
    docker = tmp_path / "docker"
    docker.mkdir()
    env = {"LUAKIT_CACHE_DIR": str(tmp_path / "cache"), "DOCKER_CONFIG": str(docker)}

    # No credentials: the registry's 401 in the user's terms.
    failed = luakit("validate", str(script), env=env, check=False)
    assert failed.returncode == 1
    assert f"401 unauthorized at registry {password_registry}" in failed.stderr.decode()

    # `auths` as `docker login` writes it.
    auth = base64.b64encode(b"alice:s3cret").decode()
    (docker / "config.json").write_text(json.dumps({"auths": {password_registry: {"auth": auth}}}))
    dag = luakit("dag", "--format", "json", str(script), env=env).stdout.decode()
    assert "/private/bin:/bin" in dag and "SECRET_PLACE=yes" in dag and '"/private"' in dag

    # A credential helper on PATH (a real program, as docker runs it), with the wrong password first.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-lktest"
    helper.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            read server
            [ "$1" = get ] && [ "$server" = "{password_registry}" ] || exit 1
            echo '{{"ServerURL":"'$server'","Username":"alice","Secret":"'$(cat {tmp_path}/secret)'"}}'
            """
        )
    )
    helper.chmod(0o755)
    (tmp_path / "secret").write_text("wrong")
    (docker / "config.json").write_text(json.dumps({"auths": {}, "credHelpers": {password_registry: "lktest"}}))
    helper_env = {**env, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LUAKIT_CACHE_DIR": str(tmp_path / "cache2")}
    failed = luakit("validate", str(script), env=helper_env, check=False)
    assert f"401 unauthorized at registry {password_registry}" in failed.stderr.decode()
    (tmp_path / "secret").write_text("s3cret")
    assert "/private/bin" in luakit("dag", "--format", "json", str(script), env=helper_env).stdout.decode()


def test_the_cache_answers_when_the_registry_is_gone(tmp_path):
    script = write_script(tmp_path / "lk", "")
    docker = tmp_path / "docker"
    docker.mkdir()
    env = {"LUAKIT_CACHE_DIR": str(tmp_path / "cache"), "DOCKER_CONFIG": str(docker)}
    with password_registry_at(tmp_path / "registry") as address:
        push_config_only_image(address, "cached", PRIVATE_CONFIG, _basic("alice", "s3cret"))
        auth = base64.b64encode(b"alice:s3cret").decode()
        (docker / "config.json").write_text(json.dumps({"auths": {f"http://{address}": {"auth": auth}}}))
        script.write_text(f'bk.export(bk.image("{address}/cached:1"):run("true"))\n')
        online = luakit("build", str(script), env=env)
        assert b"/private/bin" in online.stdout
    # The registry is stopped: the same build, from the cache, without a warning.
    offline = luakit("build", str(script), env=env)
    assert offline.stdout == online.stdout
    assert offline.stderr == b""
    # ... and what the language server will use: the cache only, never the network.
    from compiler.evaluate import EvalOptions, ScriptSource, evaluate
    from compiler.image.registry import cached_resolver

    resolver = cached_resolver(tmp_path / "cache" / "images")
    evaluation = evaluate(ScriptSource.from_file(str(script)), EvalOptions(image_resolver=resolver))
    assert evaluation.ok and evaluation.definition_bytes() == online.stdout


def test_an_index_is_narrowed_to_the_target_platform(buildkit, registry, tmp_path, cache_env):
    ref = f"{registry}/lk-multi:1"
    buildkit.build_dockerfile(
        "FROM scratch\nARG TARGETARCH\nENV ARCH_MARK=$TARGETARCH\nWORKDIR /on-$TARGETARCH\nCOPY marker /marker\n",
        {"marker": "x"},
        output=buildkit.push_output(ref),
        opts={"platform": "linux/amd64,linux/arm64"},
    )
    script = write_script(tmp_path, f'bk.export(bk.image("{ref}"):run("true"))\n')

    def run_meta(*flags: str) -> dict:
        graph = json.loads(luakit("dag", "--format", "json", *flags, str(script), env=cache_env).stdout)
        (run,) = [op for op in graph["ops"] if op["kind"] == "exec"]
        return run

    arm = json.dumps(run_meta("--platform", "linux/aarch64"))
    assert "ARCH_MARK=arm64" in arm and "/on-arm64" in arm
    here = json.dumps(run_meta())
    host_arch = buildkit_harness._host_platform()[1]
    assert f"ARCH_MARK={host_arch}" in here and f"/on-{host_arch}" in here
    # The pin is the index's digest, as Dockerfile pins it: the daemon still picks the platform.
    definition = luakit("build", "--platform", "linux/arm64", str(script), env=cache_env).stdout
    assert f"{ref}@{_manifest_digest(ref)}".encode() in definition
    missing = luakit("validate", "--platform", "linux/s390x", str(script), env=cache_env, check=False)
    assert missing.returncode == 1
    assert f'cannot resolve "{ref}": it has no image for linux/s390x (it has linux/amd64, linux/arm64)' in (
        missing.stderr.decode()
    )


# ---------------------------------------------------------------- a registry with a token service


class TokenService:
    """A small token service, as Docker Hub's auth.docker.io: basic auth in, a signed JWT out.

    The registry (docker-registry in token mode) trusts its self-signed certificate and
    checks the signature, issuer, audience and the access granted, so a token is only
    accepted if luakit asked for the right scope with the right credentials.
    """

    ISSUER = "luakit-test-issuer"
    SERVICE = "luakit-test-registry"

    def __init__(self, directory: Path) -> None:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "luakit test token signer")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_der = cert.public_bytes(serialization.Encoding.DER)
        self.bundle = directory / "token-signer.pem"
        self.bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.requests: list[dict[str, str]] = []

    def token(self, subject: str, repository: str, actions: list[str]) -> str:
        import time

        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        def b64url(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        now = int(time.time())
        claims = {
            "iss": self.ISSUER,
            "sub": subject,
            "aud": self.SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now - 10,
            "jti": os.urandom(8).hex(),
            "access": [{"type": "repository", "name": repository, "actions": actions}],
        }
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def answer(self, query: dict[str, str], authorization: str) -> tuple[int, dict]:
        """GET /token?service=…&scope=repository:NAME:pull with alice's password."""
        self.requests.append({**query, "authorization": authorization})
        if authorization != _basic("alice", "s3cret") or query.get("service") != self.SERVICE:
            return 401, {"details": "bad credentials"}
        _, repository, actions = query.get("scope", "repository::").split(":", 2)
        return 200, {"token": self.token("alice", repository, [a for a in actions.split(",") if a == "pull"])}


@pytest.fixture
def token_registry(tmp_path: Path) -> Iterator[tuple[str, TokenService]]:
    import http.server
    import threading
    import urllib.parse

    service = TokenService(tmp_path)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urllib.parse.urlsplit(self.path)
            status, body = service.answer(
                dict(urllib.parse.parse_qsl(url.query)), self.headers.get("Authorization", "")
            )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = buildkit_harness.free_port()
    (tmp_path / "registry.yml").write_text(
        textwrap.dedent(
            f"""\
            version: 0.1
            log: {{level: warn, accesslog: {{disabled: true}}}}
            storage: {{filesystem: {{rootdirectory: {tmp_path / "data"}}}}}
            http: {{addr: 127.0.0.1:{port}}}
            auth:
              token:
                realm: http://127.0.0.1:{server.server_address[1]}/token
                service: {TokenService.SERVICE}
                issuer: {TokenService.ISSUER}
                rootcertbundle: {service.bundle}
            """
        )
    )
    proc = subprocess.Popen(
        ["docker-registry", "serve", str(tmp_path / "registry.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_port(port, proc, "docker-registry (token auth)")
        yield f"127.0.0.1:{port}", service
    finally:
        stop(proc)
        server.shutdown()
        server.server_close()


def test_bearer_tokens_from_the_registrys_token_service(token_registry, tmp_path):
    address, service = token_registry
    push_token = service.token("alice", "private", ["pull", "push"])
    push_config_only_image(address, "private", PRIVATE_CONFIG, f"Bearer {push_token}")
    script = write_script(tmp_path / "lk", f'bk.export(bk.image("{address}/private:1"):run("true"))\n')
    docker = tmp_path / "docker"
    docker.mkdir()
    env = {"LUAKIT_CACHE_DIR": str(tmp_path / "cache"), "DOCKER_CONFIG": str(docker)}

    # Without credentials the token service refuses, and the message says so.
    failed = luakit("validate", str(script), env=env, check=False)
    assert failed.returncode == 1
    assert (
        f"401 unauthorized from the token service of registry {address} (no credentials for it in {docker}"
    ) in failed.stderr.decode()

    auth = base64.b64encode(b"alice:s3cret").decode()
    (docker / "config.json").write_text(json.dumps({"auths": {address: {"auth": auth}}}))
    dag = luakit("dag", "--format", "json", str(script), env=env).stdout.decode()
    assert "/private/bin:/bin" in dag and "SECRET_PLACE=yes" in dag
    asked = service.requests[-1]
    assert (asked["service"], asked["scope"]) == (TokenService.SERVICE, "repository:private:pull")
