"""Loopback servers and git helpers shared by the e2e scenarios."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity and no system/user config; returns stdout."""
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="e2e",
        GIT_AUTHOR_EMAIL="e2e@example.invalid",
        GIT_COMMITTER_NAME="e2e",
        GIT_COMMITTER_EMAIL="e2e@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        HOME=str(cwd),
    )
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 10.0) -> None:
    """Wait until `proc` listens on 127.0.0.1:`port`; fail with its stderr if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else b""
            raise RuntimeError(f"{what} exited with {proc.returncode}: {err!r}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} not listening on {port} after {timeout}s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a process started with start_new_session=True, and its process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()


def start_git_daemon(served: Path, port: int) -> subprocess.Popen:
    """`git daemon` serving the repositories under `served` at git://127.0.0.1:`port`/."""
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--export-all",
            f"--base-path={served}",
            f"--port={port}",
            "--listen=127.0.0.1",
            "--reuseaddr",
            "--enable=upload-pack",
            str(served),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: per-connection children go with it
    )
    try:
        wait_port(port, proc, "git daemon")
    except RuntimeError:
        stop(proc)
        raise
    return proc


def long_step(marker: str, seconds: int) -> str:
    """A `run` command that sleeps and that only this test's build runs: the shell stays (the
    `echo` after the sleep keeps it from exec'ing `sleep`) with `marker` in its command line."""
    return f"sleep {seconds}; echo {marker}"


def step_runs(marker: str) -> bool:
    """Whether the step `long_step(marker, ...)` made is still running on this machine (the daemon
    runs its containers here). Other builds' sleeps, from parallel test runs, do not count."""
    return subprocess.run(["pgrep", "-f", f"echo {marker}"], capture_output=True).returncode == 0
