"""The options no other scenario needs: http headers and auth, https, resolve_digest,
the full export config, and with_metadata's ignore_cache."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scenario import scenario

from compiler.api.exec import DEFAULT_PATH

PAYLOAD = b"#!/bin/sh\necho downloaded\n"


class Recorder(ThreadingHTTPServer):
    """Serves PAYLOAD at /tool; /private needs `Authorization: Bearer s3cret`. Keeps request headers."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.server.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if self.path.startswith("/private") and self.headers.get("Authorization") != "Bearer s3cret":
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_http_headers_are_sent(buildkit, tmp_path, recorder):
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        local tool = bk.http("{recorder.url}/tool?v=1", {{
          headers = {{ ["User-Agent"] = "luakit-e2e/1", Accept = "application/x-sh" }}, filename = "tool",
        }})
        bk.export(tool)
        """,
    )
    assert (result.out / "tool").read_bytes() == PAYLOAD
    sent = [r for r in recorder.requests if r["path"].startswith("/tool")]
    assert sent and sent[-1]["user-agent"] == "luakit-e2e/1"
    assert sent[-1]["accept"] == "application/x-sh"


def test_http_auth_header_from_a_secret(buildkit, tmp_path, recorder):
    secret = tmp_path / "auth"
    secret.write_text("Bearer s3cret")
    script = f"""
        bk.export(bk.https("{recorder.url}/private/tool", {{ auth_header_secret = "auth", filename = "tool" }}))
        """
    result = scenario(buildkit, tmp_path / "ok", script, secrets=[f"id=auth,src={secret}"])
    assert (result.out / "tool").read_bytes() == PAYLOAD
    assert any(r.get("authorization") == "Bearer s3cret" for r in recorder.requests)
    # The secret never reaches the definition.
    assert b"s3cret" not in result.definition
    failed = scenario(buildkit, tmp_path / "missing", script.replace("/private/tool", "/private/other"), check=False)
    assert failed.build.returncode != 0
    assert "secret auth: not found" in failed.build.stderr


def test_image_without_config_lookup_builds(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("BASE"), { resolve_digest = false })
        bk.export(base:run("echo ok > /ok"))
        """,
    )
    assert (result.out / "ok").read_text() == "ok\n"


FULL_CONFIG = """
local base = bk.image(bk.arg("BASE"))
bk.export(base:mkdir("/data"), {
  entrypoint = { "/bin/sh", "-c" }, cmd = { "echo hi" }, env = { APP_ENV = "prod" }, user = "app",
  workdir = "/data", expose = { 8080, "53/udp" }, labels = { team = "build" }, volumes = { "/data" },
  stop_signal = "SIGINT", os = "linux", arch = "amd64", variant = "",
})
"""


def test_full_export_config_builds_and_is_kept(buildkit, tmp_path):
    result = scenario(buildkit, tmp_path, FULL_CONFIG)
    assert (result.out / "data").is_dir()
    # A definition carries no image config; `luakit dag --format json` shows the one the image
    # gets, which `build --config-out` gives the image exporter (tests/e2e/test_image_config.py)
    # and the gateway frontend returns. Without lookups (LUAKIT_NO_RESOLVE) the base is scratch's.
    dag = subprocess.run(
        [
            sys.executable,
            "-m",
            "compiler.cli",
            "dag",
            "--format",
            "json",
            "--arg",
            f"BASE={buildkit.busybox_ref}",
            str(tmp_path / "context" / "build.lua"),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    config = json.loads(dag.stdout)["export"]["config"]
    assert config == {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {
            "User": "app",
            "ExposedPorts": {"53/udp": {}, "8080/tcp": {}},
            "Env": [DEFAULT_PATH, "APP_ENV=prod"],
            "Entrypoint": ["/bin/sh", "-c"],
            "Cmd": ["echo hi"],
            "Volumes": {"/data": {}},
            "WorkingDir": "/data",
            "Labels": {"team": "build"},
            "StopSignal": "SIGINT",
        },
    }


def test_ignore_cache_reruns_the_step(buildkit, tmp_path):
    script = """
        local base = bk.image(bk.arg("BASE"))
        local cached = base:run("echo cached-step > /a")
        local fresh = cached:run("cat /proc/sys/kernel/random/uuid > /b"):with_metadata({ description = "always fresh", ignore_cache = true })
        bk.export(fresh)
        """
    first = scenario(buildkit, tmp_path / "one", script)
    second = scenario(buildkit, tmp_path / "two", script)
    # The ordinary step is cached the second time; the ignore_cache one runs again.
    assert "echo cached-step > /a" in second.build.stderr
    lines = second.build.stderr.splitlines()
    cached_ids = {line.split()[0] for line in lines if line.endswith("CACHED")}
    step_id = next(line.split()[0] for line in lines if line.endswith("always fresh"))
    assert step_id not in cached_ids
    assert (first.out / "b").read_text() != (second.out / "b").read_text()
