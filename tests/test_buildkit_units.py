"""luakit_buildkit pieces that need no daemon: generated protos, the fsutil listing, flags."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from luakit_buildkit.cli import metadata_document, parse_spec
from luakit_buildkit.connection import dial_stdio_command
from luakit_buildkit.filesync import GO_DIR, GO_SYMLINK, Filter, listing

REPO = Path(__file__).resolve().parents[1]


def test_generated_protos_are_fresh(tmp_path):
    subprocess.run([sys.executable, str(REPO / "proto" / "generate_services.py"), str(tmp_path)], check=True)
    fresh = tmp_path / "luakit_buildkit" / "pb"
    committed = REPO / "luakit_buildkit" / "pb"
    for path in sorted(fresh.iterdir()):
        assert path.read_bytes() == (committed / path.name).read_bytes(), f"{path.name}: run python proto/generate_services.py"


def test_listing_is_lexical_parents_first_with_links(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z").write_text("z")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")
    os.link(tmp_path / "a.txt", tmp_path / "b" / "a-again")
    (tmp_path / "l").symlink_to("a.txt")
    stats = [packet.stat for packet in listing(tmp_path, Filter())]
    assert [s.path for s in stats] == ["a.txt", "b", "b/a-again", "b/z", "b.txt", "l"]
    by_path = {s.path: s for s in stats}
    assert by_path["b"].mode & GO_DIR and by_path["b"].size == 0
    assert by_path["b/a-again"].linkname == "a.txt" and by_path["b/a-again"].size == 0
    assert by_path["l"].mode & GO_SYMLINK and by_path["l"].linkname == "a.txt" and by_path["l"].size == 5
    assert by_path["a.txt"].size == 1 and not by_path["a.txt"].linkname


def test_listing_applies_include_and_exclude(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "keep.go").write_text("")
    (tmp_path / "src" / "skip.txt").write_text("")
    (tmp_path / "other").write_text("")
    packets = listing(tmp_path, Filter(include=["src"], exclude=["*.txt", "src/*.txt"]))
    assert [p.stat.path for p in packets] == ["src", "src/keep.go"]


def test_output_spec_parsing():
    assert parse_spec("type=local,dest=out") == ("local", {"dest": "out"})
    with pytest.raises(ValueError, match="needs type"):
        parse_spec("dest=out")


def test_metadata_document_decodes_json_values_as_buildx_does():
    descriptor = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:ab", "size": 3}
    encoded = base64.b64encode(json.dumps(descriptor).encode()).decode()
    document = metadata_document({
        "containerimage.descriptor": encoded,
        "containerimage.digest": "sha256:ab",
        "image.name": "reg/app:1",
        "empty": base64.b64encode(b"{}").decode(),  # an empty object stays the string it was
    })
    assert document == {
        "containerimage.descriptor": descriptor,
        "containerimage.digest": "sha256:ab",
        "image.name": "reg/app:1",
        "empty": "e30=",
    }


def test_unwritable_metadata_file_is_one_line_before_the_build(tmp_path):
    script = tmp_path / "build.lua"
    script.write_text('bk.export(bk.scratch():mkfile("/a", "x"))\n')
    done = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "buildx", str(script), "--no-resolve",
         "--addr", f"unix://{tmp_path}/no.sock", "--metadata-file", str(tmp_path / "missing" / "m.json")],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 3
    assert done.stderr.splitlines() == [
        f"luakit buildx: cannot write --metadata-file {tmp_path / 'missing' / 'm.json'}: No such file or directory"
    ]


def test_dial_stdio_commands_are_buildctls():
    assert dial_stdio_command("docker-container://bk") == ["docker", "exec", "-i", "bk", "buildctl", "dial-stdio"]
    assert dial_stdio_command("podman-container://bk")[:3] == ["podman", "exec", "-i"]
    assert dial_stdio_command("kube-pod://bk-0?namespace=ci&container=buildkitd") == [
        "kubectl", "--namespace=ci", "exec", "--container=buildkitd", "-i", "bk-0", "--", "buildctl", "dial-stdio",
    ]


def test_a_missing_container_tool_is_one_line(tmp_path):
    script = tmp_path / "build.lua"
    script.write_text('bk.export(bk.scratch():mkfile("/a", "x"))\n')
    for address, tool in (("docker-container://bk", "docker"), ("podman-container://bk", "podman"),
                          ("kube-pod://bk-0", "kubectl")):
        done = subprocess.run(
            [sys.executable, "-m", "compiler.cli", "buildx", str(script), "--no-resolve", "--addr", address],
            capture_output=True, text=True, timeout=60, env={**os.environ, "PATH": str(tmp_path)},
        )
        assert done.returncode == 6
        assert done.stderr.splitlines() == [
            f"luakit buildx: {address}: needs `{tool}` on PATH to reach the daemon, and it is not there"
        ]
