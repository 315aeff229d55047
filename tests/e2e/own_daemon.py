"""A buildkitd of one e2e test's own, beside the session's shared one (tests/conftest.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import buildkit_harness


class OwnDaemon:
    """A buildkitd of one test's own: to listen on tcp:// with TLS, to be killed, or to have a cache
    no other test's prune can pull from under it. It trusts the harness's plain-HTTP registry, as the
    harness's daemon does, so it can pull the test images from there."""

    def __init__(self, buildkit, directory: Path, certs: dict[str, Path] | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if certs is None:
            self.addr = f"unix://{directory / 'buildkitd.sock'}"
            tls = ""
            self.tls_flags: list[str] = []
        else:
            self.addr = f"tcp://127.0.0.1:{buildkit_harness.free_port()}"
            tls = f'[grpc.tls]\n  cert = "{certs["server"]}"\n  key = "{certs["server-key"]}"\n  ca = "{certs["ca"]}"\n'
            self.tls_flags = ["--tlscacert", str(certs["ca"]), "--tlscert", str(certs["client"]),
                              "--tlskey", str(certs["client-key"])]
        (directory / "buildkitd.toml").write_text(textwrap.dedent(f"""\
            root = "{directory / 'root'}"
            [grpc]
              address = ["{self.addr}"]
            [worker.oci]
              enabled = true
              snapshotter = "overlayfs"
              binary = "{shutil.which('runc')}"
            [worker.containerd]
              enabled = false
            [registry."{buildkit.registry}"]
              http = true
              insecure = true
        """) + tls)
        self.buildctl_path = buildkit.buildctl_path
        self.log = directory / "buildkitd.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(buildkit.buildkitd_path), "--config", str(directory / "buildkitd.toml")],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.log.read_text()
            workers = subprocess.run(
                [str(buildkit.buildctl_path), "--addr", self.addr, *self.tls_flags, "debug", "workers"],
                capture_output=True, timeout=30,
            )
            if workers.returncode == 0 and len(workers.stdout.splitlines()) > 1:
                break
            assert time.monotonic() < deadline, workers.stderr
            time.sleep(0.2)

    def buildctl(self, *args: str, input: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        """`buildctl` against this daemon; the caller checks the exit code."""
        return subprocess.run(
            [str(self.buildctl_path), "--addr", self.addr, *self.tls_flags, *args],
            input=input, capture_output=True, timeout=300,
        )

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        # A killed daemon leaves its steps' containers running: end them, by the root they run in.
        root = str(self.log.parent)
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if entry.name.isdigit() and os.readlink(entry / "root").startswith(root):
                    os.kill(int(entry.name), signal.SIGKILL)
        buildkit_harness.unmount_under(self.log.parent)


@contextlib.contextmanager
def own_daemon(buildkit, directory: Path, certs: dict[str, Path] | None = None) -> Iterator[OwnDaemon]:
    daemon = OwnDaemon(buildkit, directory, certs)
    try:
        yield daemon
    finally:
        daemon.close()
