"""`luakit buildx` on a real BuildKit: the Python control-API client (luakit_buildkit).

Builds push to the harness's registry and are read back from it over HTTP; a
failing step must be reported at the Lua line that wrote it.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
import urllib.request
import uuid
from pathlib import Path

import buildkit_harness

# A buildkitd of one test's own (tests/e2e/own_daemon.py).
from own_daemon import own_daemon  # noqa: E402
from servers import long_step, step_runs  # noqa: E402

# The frontend image scripts/frontend-image makes, and a build through it (tests/e2e/test_frontend.py).
from test_frontend import frontend, frontend_build  # noqa: E402, F401 - a fixture and a helper

# A docker-registry that wants alice/s3cret (tests/e2e/test_image_config.py).
from test_image_config import password_registry_at  # noqa: E402

# The real ssh-agent with one key, and busybox with the host's ssh-add (tests/e2e/test_mounts.py).
from test_mounts import ssh_add_image, ssh_agent  # noqa: E402, F401 - fixtures

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
LUAKIT = [sys.executable, "-m", "compiler.cli"]


def _buildx(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LUAKIT, "buildx", str(script), "--progress", "plain", "--no-resolve", *args],
        capture_output=True, text=True, timeout=300,
    )


def _registry_json(registry: str, path: str, accept: str) -> dict:
    request = urllib.request.Request(f"http://{registry}/v2/{path}", headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_push_gets_the_script_config(buildkit, busybox_ref, registry, tmp_path):
    script = tmp_path / "build.lua"
    script.write_text(textwrap.dedent(f"""\
        local base = bk.image("{busybox_ref}")
        bk.export(base:run("echo hi > /hello"), {{ entrypoint = {{ "/bin/cat", "/hello" }}, env = {{ A = "1" }} }})
    """))
    meta = tmp_path / "meta.json"
    result = _buildx(script, "--addr", buildkit.addr, "-t", f"{registry}/buildx-test:1", "--push",
                     "--metadata-file", str(meta))
    assert result.returncode == 0, result.stderr
    assert "echo hi > /hello" in result.stderr  # plain progress names the step
    response = json.loads(meta.read_text())
    manifest = _registry_json(registry, "buildx-test/manifests/1", OCI_MANIFEST)
    config = _registry_json(registry, f"buildx-test/blobs/{manifest['config']['digest']}", "*/*")
    assert response["containerimage.config.digest"] == manifest["config"]["digest"]
    # As buildx writes it: the descriptor decoded from its base64 JSON, the names as strings.
    assert response["containerimage.descriptor"]["mediaType"] == OCI_MANIFEST
    assert response["containerimage.descriptor"]["digest"] == response["containerimage.digest"]
    assert response["image.name"] == f"{registry}/buildx-test:1"
    assert config["config"]["Entrypoint"] == ["/bin/cat", "/hello"]
    assert "A=1" in config["config"]["Env"]


def test_failed_step_is_reported_at_its_lua_line(buildkit, busybox_ref, tmp_path):
    script = tmp_path / "build.lua"
    script.write_text(textwrap.dedent(f"""\
        local base = bk.image("{busybox_ref}")
        local ok = base:run("true")
        bk.export(ok:run("echo boom-output; exit 3"))
    """))
    result = _buildx(script, "--addr", buildkit.addr)
    assert result.returncode == 5, result.stderr
    last = [line for line in result.stderr.splitlines() if line.startswith(str(script))]
    assert last, result.stderr
    assert last[0].startswith(f"{script}:3:"), last[0]
    assert last[0].endswith(": run failed: /bin/sh -c echo boom-output; exit 3: exit code 3"), last[0]
    # The step's last output lines follow the error line.
    tail = result.stderr.splitlines()[result.stderr.splitlines().index(last[0]) + 1:]
    assert "  | boom-output" in tail, result.stderr


def test_unreachable_daemon_is_one_clear_line(tmp_path):
    script = tmp_path / "build.lua"
    script.write_text('bk.export(bk.scratch():mkfile("/a", "x"))\n')
    result = _buildx(script, "--addr", f"unix://{tmp_path}/no.sock")
    assert result.returncode == 6, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("luakit buildx: cannot reach BuildKit at unix://"), result.stderr
    assert "Traceback" not in result.stderr


def _make_context(root: Path) -> None:
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "skip").mkdir()
    (root / "a.txt").write_text("alpha\n")
    (root / "run.sh").write_text("#!/bin/sh\necho run\n")
    (root / "run.sh").chmod(0o755)
    (root / "sub" / "deep" / "b.bin").write_bytes(bytes(range(256)) * 300)
    (root / "skip" / "no.txt").write_text("excluded\n")
    (root / "link").symlink_to("a.txt")
    os.link(root / "a.txt", root / "sub" / "hard.txt")
    (root / "ro.txt").write_text("read only\n")
    (root / "ro.txt").chmod(0o444)


def _layer_entries(registry: str, repo: str) -> dict[str, tuple]:
    """name → (type, mode, uid, gid, linkname, content) of the image's last layer."""
    manifest = _registry_json(registry, f"{repo}/manifests/1", OCI_MANIFEST)
    digest = manifest["layers"][-1]["digest"]
    with urllib.request.urlopen(f"http://{registry}/v2/{repo}/blobs/{digest}", timeout=30) as response:
        blob = response.read()
    entries = {}
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        for member in tar:
            data = tar.extractfile(member).read() if member.isfile() else b""
            entries[member.name] = (member.type, member.mode, member.uid, member.gid, member.linkname, data)
    return entries


def test_context_matches_buildctl(buildkit, busybox_ref, registry, tmp_path):
    """The same Definition, context sent by buildctl and by us: the same layer."""
    context = tmp_path / "ctx"
    context.mkdir()
    _make_context(context)
    script = context / "build.lua"
    script.write_text(textwrap.dedent(f"""\
        local src = bk.local_("context", {{ exclude = {{ "skip", "build.lua" }} }})
        bk.export(bk.image("{busybox_ref}"):copy(src, ".", "/ctx"))
    """))
    definition = subprocess.run([*LUAKIT, "build", str(script), "--no-resolve"], capture_output=True, check=True).stdout
    buildkit.buildctl(
        "build", "--local", f"context={context}",
        "--output", f"type=image,name={registry}/ctx-buildctl:1,push=true", input=definition,
    )
    result = _buildx(script, "--addr", buildkit.addr, "-t", f"{registry}/ctx-buildx:1", "--push")
    assert result.returncode == 0, result.stderr
    ours = _layer_entries(registry, "ctx-buildx")
    theirs = _layer_entries(registry, "ctx-buildctl")
    assert ours == theirs
    assert "ctx/skip/no.txt" not in ours and "ctx/skip" not in ours
    assert ours["ctx/link"][4] == "a.txt"
    assert ours["ctx/run.sh"][1] & 0o777 == 0o755


def test_local_and_tar_exports_match_buildctl(buildkit, busybox_ref, tmp_path):
    script = tmp_path / "build.lua"
    script.write_text(textwrap.dedent("""\
        local out = bk.scratch():mkdir("/d", { mode = 493 }):mkfile("/d/f.txt", "content\\n", { mode = 384 })
        bk.export(out:mkfile("/top", "x"))
    """))
    definition = subprocess.run([*LUAKIT, "build", str(script), "--no-resolve"], capture_output=True, check=True).stdout
    buildkit.buildctl("build", "--output", f"type=local,dest={tmp_path / 'theirs'}", input=definition)
    result = _buildx(script, "--addr", buildkit.addr, "--output", f"type=local,dest={tmp_path / 'ours'}",
                     "--output", f"type=tar,dest={tmp_path / 'out.tar'}")
    assert result.returncode == 0, result.stderr

    def tree(root: Path) -> list[tuple]:
        return sorted(
            (str(p.relative_to(root)), p.stat().st_mode, p.read_bytes() if p.is_file() else b"")
            for p in root.rglob("*")
        )

    assert tree(tmp_path / "ours") == tree(tmp_path / "theirs")
    assert (tmp_path / "ours" / "d" / "f.txt").read_text() == "content\n"
    with tarfile.open(tmp_path / "out.tar") as tar:
        assert sorted(tar.getnames()) == ["d", "d/f.txt", "top"]


def test_secrets_from_file_and_env(buildkit, busybox_ref, tmp_path):
    script = tmp_path / "build.lua"
    script.write_text(textwrap.dedent(f"""\
        local base = bk.image("{busybox_ref}")
        local st = base:run("mkdir /o && cat /s/file > /o/file && cat /s/env > /o/env", {{
          mounts = {{ bk.secret("/s/file", {{ id = "fromfile" }}), bk.secret("/s/env", {{ id = "fromenv" }}) }},
        }})
        bk.export(bk.scratch():copy(st, "/o", "/"))
    """))
    (tmp_path / "secret.txt").write_text("file-secret")
    env = {**os.environ, "MY_SECRET": "env-secret"}
    result = subprocess.run(
        [*LUAKIT, "buildx", str(script), "--no-resolve", "--addr", buildkit.addr, "--progress", "plain",
         "--secret", f"id=fromfile,src={tmp_path / 'secret.txt'}", "--secret", "id=fromenv,env=MY_SECRET",
         "-o", f"type=local,dest={tmp_path / 'out'}"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "file").read_text() == "file-secret"
    assert (tmp_path / "out" / "env").read_text() == "env-secret"
    missing = _buildx(script, "--addr", buildkit.addr, "--secret", "id=fromenv,env=LUAKIT_NO_SUCH_VAR")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "luakit buildx: --secret 'id=fromenv,env=LUAKIT_NO_SUCH_VAR': environment variable LUAKIT_NO_SUCH_VAR is not set"
    ]


def test_ctrl_c_cancels_and_exits_130(buildkit, busybox_ref, tmp_path):
    script = tmp_path / "build.lua"
    marker = uuid.uuid4().hex
    command = long_step(marker, 120)
    script.write_text(f'bk.export(bk.image("{busybox_ref}"):run("{command}"))\n')
    proc = subprocess.Popen(
        [*LUAKIT, "buildx", str(script), "--no-resolve", "--progress", "plain", "--no-cache", "--addr", buildkit.addr],
        stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith(f"START /bin/sh -c {command}"):
            break
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 130
    assert "luakit: interrupted" in proc.stderr.read()
    # The daemon was told: its `sleep` is gone within seconds, not two minutes.
    deadline = time.monotonic() + 15
    while step_runs(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not step_runs(marker)


def test_registry_cache_export_then_import_after_prune(buildkit, busybox_ref, registry, tmp_path):
    script = tmp_path / "build.lua"
    marker = uuid.uuid4().hex
    script.write_text(f'bk.export(bk.image("{busybox_ref}"):run("echo {marker} > /m"))\n')
    cache = f"type=registry,ref={registry}/buildx-cache:{marker[:8]},mode=max"
    first = _buildx(script, "--addr", buildkit.addr, "--cache-to", cache)
    assert first.returncode == 0, first.stderr
    assert "DONE" in first.stderr and f"CACHED /bin/sh -c echo {marker}" not in first.stderr
    buildkit.buildctl("prune", "--all")
    second = _buildx(script, "--addr", buildkit.addr, "--cache-from", cache.removesuffix(",mode=max"))
    assert second.returncode == 0, second.stderr
    assert f"CACHED /bin/sh -c echo {marker} > /m" in second.stderr, second.stderr


def test_ssh_agent_forwarded_read_only(buildkit, ssh_agent, ssh_add_image, tmp_path):  # noqa: F811
    sock, fingerprint = ssh_agent
    script = tmp_path / "build.lua"
    script.write_text(textwrap.dedent(f"""\
        local st = bk.image("{ssh_add_image}"):run(
          "mkdir /o && ssh-add -l > /o/keys && (ssh-add -D 2> /o/remove || true) && ssh-add -l > /o/after",
          {{ mounts = {{ bk.ssh(), bk.ssh({{ id = "other", dest = "/other.sock" }}) }} }})
        bk.export(bk.scratch():copy(st, "/o", "/"))
    """))
    env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
    result = subprocess.run(
        [*LUAKIT, "buildx", str(script), "--no-resolve", "--addr", buildkit.addr, "--progress", "plain",
         "--ssh", "default", "--ssh", f"other={sock}", "-o", f"type=local,dest={tmp_path / 'out'}"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert fingerprint in (tmp_path / "out" / "keys").read_text()
    # Forwarded read-only: the build could not remove the user's keys.
    assert "Failed" in (tmp_path / "out" / "remove").read_text()
    assert fingerprint in (tmp_path / "out" / "after").read_text()
    listed = subprocess.run(["ssh-add", "-l"], env=env, capture_output=True, text=True)
    assert fingerprint in listed.stdout

    missing = _buildx(script, "--addr", buildkit.addr, "--ssh", f"default={tmp_path / 'no.sock'}")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"luakit buildx: --ssh default={tmp_path / 'no.sock'}: No such file or directory"
    ]


def test_push_with_docker_config_credentials(buildkit, busybox_ref, tmp_path):
    script = tmp_path / "build.lua"
    script.write_text(f'bk.export(bk.image("{busybox_ref}"):run("echo pushed > /p"))\n')
    docker = tmp_path / "docker"
    docker.mkdir()
    with password_registry_at(tmp_path / "registry") as private:
        ref = f"{private}/pushed:1"
        refused = subprocess.run(
            [*LUAKIT, "buildx", str(script), "--no-resolve", "--addr", buildkit.addr, "-t", ref, "--push"],
            capture_output=True, text=True, timeout=300, env={**os.environ, "DOCKER_CONFIG": str(docker)},
        )
        assert refused.returncode == 5, refused.stderr
        assert refused.stderr.strip().splitlines()[-1] == (
            f"luakit buildx: push to {ref} refused: 401 Unauthorized"
            f" (credentials for {private} come from {docker / 'config.json'})"
        )
        assert "Traceback" not in refused.stderr, refused.stderr
        auth = base64.b64encode(b"alice:s3cret").decode()
        (docker / "config.json").write_text(json.dumps({"auths": {private: {"auth": auth}}}))
        pushed = subprocess.run(
            [*LUAKIT, "buildx", str(script), "--no-resolve", "--addr", buildkit.addr, "-t", ref, "--push"],
            capture_output=True, text=True, timeout=300, env={**os.environ, "DOCKER_CONFIG": str(docker)},
        )
        assert pushed.returncode == 0, pushed.stderr
        request = urllib.request.Request(
            f"http://{private}/v2/pushed/manifests/1",
            headers={"Accept": OCI_MANIFEST, "Authorization": f"Basic {auth}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.load(response)["mediaType"] == OCI_MANIFEST


# ---------------------------------------------------------------- a daemon of the test's own


def _certificates(directory: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate it signed, and a second CA."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    paths: dict[str, Path] = {}

    def write(name: str, data: bytes) -> None:
        paths[name] = directory / f"{name}.pem"
        paths[name].write_bytes(data)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool, usage=None, san=None) -> bytes:
        builder = (
            x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if usage:
            builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def private(key) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    import ipaddress

    ca_key, other_key, server_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
    write("ca", certificate("luakit test CA", ca_key, "luakit test CA", ca_key, ca=True))
    write("other-ca", certificate("another CA", other_key, "another CA", other_key, ca=True))
    write("server", certificate(
        "buildkitd", server_key, "luakit test CA", ca_key, ca=False, usage=[ExtendedKeyUsageOID.SERVER_AUTH],
        san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
    ))
    write("server-key", private(server_key))
    write("client", certificate(
        "luakit", client_key, "luakit test CA", ca_key, ca=False, usage=[ExtendedKeyUsageOID.CLIENT_AUTH]
    ))
    write("client-key", private(client_key))
    return paths


def test_tcp_with_mutual_tls(buildkit, tmp_path):
    certs = _certificates(tmp_path)
    script = tmp_path / "build.lua"
    script.write_text('bk.export(bk.scratch():mkfile("/over-tls", "yes"))\n')
    with own_daemon(buildkit, tmp_path / "daemon", certs) as daemon:
        built = _buildx(script, "--addr", daemon.addr, *daemon.tls_flags, "-o", f"type=local,dest={tmp_path / 'out'}")
        assert built.returncode == 0, built.stderr
        assert (tmp_path / "out" / "over-tls").read_text() == "yes"

        flags = list(daemon.tls_flags)
        flags[1] = str(certs["other-ca"])
        wrong = _buildx(script, "--addr", daemon.addr, *flags)
        assert wrong.returncode == 6, wrong.stderr
        assert wrong.stderr.strip().splitlines() == [
            f"luakit buildx: cannot reach BuildKit at {daemon.addr}: its TLS certificate is not signed by"
            f" --tlscacert {certs['other-ca']}"
        ]


def test_daemon_killed_mid_build(buildkit, busybox_ref, tmp_path):
    script = tmp_path / "build.lua"
    script.write_text(f'bk.export(bk.image("{busybox_ref}"):run("sleep 97"))\n')
    with own_daemon(buildkit, tmp_path / "daemon") as daemon:
        proc = subprocess.Popen(
            [*LUAKIT, "buildx", str(script), "--no-resolve", "--progress", "plain", "--addr", daemon.addr],
            stderr=subprocess.PIPE, text=True,
        )
        try:
            assert proc.stderr is not None
            for line in proc.stderr:
                if line.startswith("START /bin/sh -c sleep 97"):
                    break
            daemon.kill()
            assert proc.wait(timeout=30) == 6
            rest = proc.stderr.read()
        finally:
            proc.kill()
    assert rest.strip().splitlines() == [f"luakit buildx: lost the connection to BuildKit at {daemon.addr} during the build"]


def _platform_configs(registry: str, repo: str) -> dict[tuple[str, str], dict]:
    """(os, architecture) → the image config of each manifest in the index, timestamps left out."""
    index = _registry_json(registry, f"{repo}/manifests/1", buildkit_harness.MANIFEST_ACCEPT)
    assert index["mediaType"] in buildkit_harness.INDEX_MEDIA_TYPES, index
    configs = {}
    for entry in index["manifests"]:
        manifest = _registry_json(registry, f"{repo}/manifests/{entry['digest']}", OCI_MANIFEST)
        config = _registry_json(registry, f"{repo}/blobs/{manifest['config']['digest']}", "*/*")
        config.pop("created", None)
        for step in config.get("history", []):
            step.pop("created", None)
        configs[(entry["platform"]["os"], entry["platform"]["architecture"])] = config
    return configs


def test_two_platforms_make_the_frontends_index(buildkit, frontend, registry, tmp_path):  # noqa: F811
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "hello.txt").write_text("hello\n")
    (folder / "build.lua").write_text(textwrap.dedent("""\
        -- no step runs a binary, so no emulation is needed for the foreign platform
        local src = bk.local_("context", { include = { "hello.txt" } })
        local image = bk.scratch():copy(src, "hello.txt", "/hello.txt"):mkfile("/marker", bk.arg("TARGETARCH") or "?")
        bk.export(image, { entrypoint = { "/hello" }, env = { A = "1" }, labels = { kind = "multi" } })
    """))
    both = "linux/amd64,linux/arm64"
    ours = _buildx(folder / "build.lua", "--addr", buildkit.addr, "--platform", both,
                   "-t", f"{registry}/buildx-multi:1", "--push")
    assert ours.returncode == 0, ours.stderr
    frontend_build(buildkit, frontend, folder, opts={"platform": both},
                   output=buildkit.push_output(f"{registry}/frontend-multi-same:1"))
    configs = _platform_configs(registry, "buildx-multi")
    assert sorted(configs) == [("linux", "amd64"), ("linux", "arm64")]
    assert configs == _platform_configs(registry, "frontend-multi-same")
    assert configs[("linux", "arm64")]["config"]["Entrypoint"] == ["/hello"]


def test_docker_container_address_through_buildctl_dial_stdio(buildkit, tmp_path):
    """The relay of `buildctl dial-stdio`'s pipes, on the real daemon.

    No container runtime runs here: a stand-in `docker` on PATH runs the real
    `buildctl dial-stdio` against the harness's daemon, as `docker exec` would inside
    the container.
    """
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "docker").write_text(
        f'#!/bin/sh\n[ "$*" = "exec -i bk buildctl dial-stdio" ] || exit 64\n'
        f'exec {buildkit.buildctl_path} --addr {buildkit.addr} dial-stdio\n'
    )
    (tools / "docker").chmod(0o755)
    script = tmp_path / "build.lua"
    script.write_text('bk.export(bk.scratch():mkfile("/via-dial-stdio", "yes"))\n')
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"}
    built = subprocess.run(
        [*LUAKIT, "buildx", str(script), "--no-resolve", "--progress", "plain", "--addr", "docker-container://bk",
         "-o", f"type=local,dest={tmp_path / 'out'}"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "out" / "via-dial-stdio").read_text() == "yes"


def test_container_tool_failure_is_its_own_words(tmp_path):
    """The real docker CLI with no Docker daemon: its error, in one line."""
    if shutil.which("docker") is None:
        return  # nothing to run: the missing tool is tests/test_buildkit_units.py's case
    script = tmp_path / "build.lua"
    script.write_text('bk.export(bk.scratch():mkfile("/a", "x"))\n')
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    done = subprocess.run(
        [*LUAKIT, "buildx", str(script), "--no-resolve", "--addr", "docker-container://bk"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert done.returncode == 6, done.stderr
    assert done.stderr.splitlines() == [
        "luakit buildx: cannot reach BuildKit at docker-container://bk: `docker exec -i bk buildctl dial-stdio`"
        f" failed: Cannot connect to the Docker daemon at unix://{tmp_path}/no-docker.sock."
        " Is the docker daemon running?"
    ]


def test_progress_auto_on_a_terminal_is_the_live_view(buildkit, busybox_ref, tmp_path):
    import pty

    script = tmp_path / "build.lua"
    script.write_text(f'bk.export(bk.image("{busybox_ref}"):run("echo from-the-step; sleep 1"))\n')
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [*LUAKIT, "buildx", str(script), "--no-resolve", "--no-cache", "--addr", buildkit.addr],
        stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, env={**os.environ, "COLUMNS": "200"},
    )
    os.close(terminal)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once the process has closed the terminal
        while chunk := os.read(controller, 65536):
            shown += chunk
    os.close(controller)
    assert proc.wait(timeout=60) == 0
    text = shown.decode(errors="replace")
    assert "\x1b[" in text  # drawn in place, not printed line by line
    assert "START " not in text
    final = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text[text.rindex("[+] Building"):])
    assert f"=> /bin/sh -c echo from-the-step; sleep 1  {script}:1:" in final, final
    assert re.search(r"build.lua:1:\d+  1\.\ds", final), final  # the step's time
