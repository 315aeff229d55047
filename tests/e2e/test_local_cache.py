"""`luakit buildx --cache-to/--cache-from type=local` on a real BuildKit.

A local cache is an OCI layout the client writes and reads through the session's
content store (luakit_buildkit/localcache.py). Each test has a daemon of its own:
the round trip prunes the daemon's cache, which must not pull layers from under
another test's build. "All CACHED" is checked on the daemon's own status (rawjson):
every op of the Definition except its sources (an image or a local directory is
looked at again on every build; BuildKit never reports those as cached).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

# A buildkitd of one test's own (tests/e2e/own_daemon.py).
from own_daemon import OwnDaemon, own_daemon

from compiler.pb import ops_pb2 as pb

LUAKIT = [sys.executable, "-m", "compiler.cli"]


def _project(tmp_path: Path, busybox_ref: str) -> Path:
    """A build with a run step and file steps (one copying from the context); a new marker each time."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "app.txt").write_text("from the context\n")
    marker = uuid.uuid4().hex
    (folder / "build.lua").write_text(textwrap.dedent(f"""\
        local ctx = bk.local_("context")
        local files = bk.scratch()
          :mkdir("/out")
          :mkfile("/out/marker", "{marker}")
          :copy(ctx, "app.txt", "/out/app.txt")
        local built = bk.image("{busybox_ref}"):run("cat /files/out/marker /files/out/app.txt > /made", {{
          mounts = {{ bk.bind(files, "/files") }},
        }})
        bk.export(bk.scratch():copy(built, "/made", "/made"))
    """))
    return folder


def _definition(script: Path) -> bytes:
    built = subprocess.run([*LUAKIT, "build", "--no-resolve", str(script)], capture_output=True, timeout=120)
    assert built.returncode == 0, built.stderr.decode()
    return built.stdout


def _steps(definition: bytes) -> set[str]:
    """The digests of the Definition's ops that are not sources: what a cache can answer."""
    parsed = pb.Definition.FromString(definition)
    steps = set()
    for op_bytes in getattr(parsed, "def"):  # `def` is a Python keyword
        op = pb.Op.FromString(op_bytes)
        if op.WhichOneof("op") in ("exec", "file"):
            steps.add("sha256:" + hashlib.sha256(op_bytes).hexdigest())
    return steps


def _uncached(rawjson: str, steps: set[str]) -> set[str]:
    """The names of the steps the daemon ran rather than answered from its cache (rawjson on stderr)."""
    seen: dict[str, str] = {}
    cached: set[str] = set()
    for line in rawjson.splitlines():
        if not line.startswith("{"):
            continue
        for vertex in json.loads(line).get("vertexes", []):
            if vertex.get("digest") in steps:
                seen[vertex["digest"]] = vertex.get("name", "")
                if vertex.get("cached"):
                    cached.add(vertex["digest"])
    assert set(seen) == steps, f"the daemon did not report every step: {rawjson}"
    return {name for digest, name in seen.items() if digest not in cached}


def _buildx(daemon: OwnDaemon, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LUAKIT, "buildx", str(folder / "build.lua"), "--no-resolve", "--addr", daemon.addr, *args],
        capture_output=True, text=True, timeout=300,
    )


def _buildctl_build(daemon: OwnDaemon, folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return daemon.buildctl(
        "build", "--local", f"context={folder}", "--progress", "rawjson", *args,
        input=_definition(folder / "build.lua"),
    )


def _prune(daemon: OwnDaemon) -> None:
    pruned = daemon.buildctl("prune", "--all")
    assert pruned.returncode == 0, pruned.stderr.decode()


def _assert_oci_layout(cache: Path) -> None:
    index = json.loads((cache / "index.json").read_text())
    assert index["manifests"], index
    for descriptor in index["manifests"]:
        algorithm, hexdigest = descriptor["digest"].split(":")
        blob = cache / "blobs" / algorithm / hexdigest
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == hexdigest


def _write(daemon: OwnDaemon, folder: Path, tool: str, cache: Path) -> None:
    """A first build that exports everything it made (mode=max) to the cache directory."""
    if tool == "luakit":
        built = _buildx(daemon, folder, "--progress", "plain", "--cache-to", f"type=local,dest={cache},mode=max")
        assert built.returncode == 0, built.stderr
    else:
        written = _buildctl_build(daemon, folder, "--export-cache", f"type=local,dest={cache},mode=max")
        assert written.returncode == 0, written.stderr.decode()
    _assert_oci_layout(cache)


def _read(daemon: OwnDaemon, folder: Path, tool: str, cache: Path, steps: set[str]) -> set[str]:
    """The steps a build from an empty daemon cache ran although the cache directory was imported."""
    _prune(daemon)
    if tool == "luakit":
        built = _buildx(daemon, folder, "--progress", "rawjson", "--cache-from", f"type=local,src={cache}")
        assert built.returncode == 0, built.stderr
        return _uncached(built.stderr, steps)
    read = _buildctl_build(daemon, folder, "--import-cache", f"type=local,src={cache}")
    assert read.returncode == 0, read.stderr.decode()
    return _uncached(read.stderr.decode(), steps)


# BuildKit itself, buildctl writing and reading, runs one step again: a file op with no input
# (`mkdir` on scratch) is solved again rather than loaded from the imported cache. Each round trip
# must leave exactly what buildctl's own leaves: every other step, the run included, CACHED.
NOT_FROM_A_CACHE = {"mkdir /out"}


@pytest.mark.parametrize(("writer", "reader"), [
    ("buildctl", "buildctl"),  # BuildKit's own round trip, the reference NOT_FROM_A_CACHE comes from
    ("luakit", "luakit"),
    ("luakit", "buildctl"),
    ("buildctl", "luakit"),
])
def test_cache_written_then_read_after_prune(buildkit, busybox_ref, tmp_path, writer, reader):
    folder = _project(tmp_path, busybox_ref)
    steps = _steps(_definition(folder / "build.lua"))
    assert len(steps) == 5  # mkdir, mkfile, the copy from the context, the run, the final copy
    with own_daemon(buildkit, tmp_path / "daemon") as daemon:
        _write(daemon, folder, writer, tmp_path / "cache")
        assert _read(daemon, folder, reader, tmp_path / "cache", steps) == NOT_FROM_A_CACHE


def test_missing_cache_source_warns_and_builds(buildkit, busybox_ref, tmp_path):
    folder = _project(tmp_path, busybox_ref)
    missing = tmp_path / "no-such-cache"
    with own_daemon(buildkit, tmp_path / "daemon") as daemon:
        result = _buildx(daemon, folder, "--progress", "plain", "--cache-from", f"type=local,src={missing}")
    assert result.returncode == 0, result.stderr
    # As buildx: a warning, and the build goes on without the cache.
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [f"luakit buildx: warning: local cache import at {missing} skipped: no such directory"]
    assert "Traceback" not in result.stderr


def test_unwritable_cache_destination_is_one_line(buildkit, busybox_ref, tmp_path):
    folder = _project(tmp_path, busybox_ref)
    (tmp_path / "a-file").write_text("")
    dest = tmp_path / "a-file" / "cache"
    with own_daemon(buildkit, tmp_path / "daemon") as daemon:
        result = _buildx(daemon, folder, "--progress", "plain", "--cache-to", f"type=local,dest={dest}")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("luakit buildx: --cache-to "), result.stderr
    assert str(dest) in lines[0]
