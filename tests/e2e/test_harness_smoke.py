"""Smoke tests of the BuildKit harness itself, independent of the luakit compiler.

The Definition used here is encoded by hand with a tiny protobuf schema declared at
runtime (only the handful of pb.Op fields needed), in a private descriptor pool so it
cannot clash with the compiler's generated ``pb`` package.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from buildkit_harness import PATH_ENV, BuildKit
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

# --------------------------------------------------------------------------- tiny pb schema

_F = descriptor_pb2.FieldDescriptorProto


def _msg(name: str, *fields: tuple[str, int, int, int, str | None], oneof: str | None = None):
    m = descriptor_pb2.DescriptorProto(name=name)
    if oneof:
        m.oneof_decl.add(name=oneof)
    for fname, number, ftype, label, type_name in fields:
        f = m.field.add(name=fname, number=number, type=ftype, label=label)
        if type_name:
            f.type_name = type_name
        if oneof and fname in ("exec", "source"):
            f.oneof_index = 0
    return m


def _schema():
    opt, rep = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
    fd = descriptor_pb2.FileDescriptorProto(name="luakit_e2e_tiny_ops.proto", package="pb", syntax="proto3")
    fd.message_type.extend(
        [
            _msg("Input", ("digest", 1, _F.TYPE_STRING, opt, None), ("index", 2, _F.TYPE_INT64, opt, None)),
            _msg("SourceOp", ("identifier", 1, _F.TYPE_STRING, opt, None)),
            _msg(
                "Meta",
                ("args", 1, _F.TYPE_STRING, rep, None),
                ("env", 2, _F.TYPE_STRING, rep, None),
                ("cwd", 3, _F.TYPE_STRING, opt, None),
            ),
            _msg(
                "Mount",
                ("input", 1, _F.TYPE_INT64, opt, None),
                ("dest", 3, _F.TYPE_STRING, opt, None),
                ("output", 4, _F.TYPE_INT64, opt, None),
            ),
            _msg(
                "ExecOp",
                ("meta", 1, _F.TYPE_MESSAGE, opt, ".pb.Meta"),
                ("mounts", 2, _F.TYPE_MESSAGE, rep, ".pb.Mount"),
            ),
            _msg(
                "Op",
                ("inputs", 1, _F.TYPE_MESSAGE, rep, ".pb.Input"),
                ("exec", 2, _F.TYPE_MESSAGE, opt, ".pb.ExecOp"),
                ("source", 3, _F.TYPE_MESSAGE, opt, ".pb.SourceOp"),
                oneof="op",
            ),
            _msg("Definition", ("def", 1, _F.TYPE_BYTES, rep, None)),
        ]
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return {n: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"pb.{n}")) for n in ("Op", "Definition")}


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_definition(image_ref: str, shell: str) -> tuple[bytes, list[str]]:
    """Definition of ``FROM image_ref`` + ``RUN sh -c shell``; returns (bytes, op digests)."""
    t = _schema()
    src = t["Op"]()
    src.source.identifier = f"docker-image://{image_ref}"
    src_b = src.SerializeToString()

    ex = t["Op"]()
    ex.inputs.add(digest=_digest(src_b), index=0)
    ex.exec.meta.args.extend(["/bin/sh", "-c", shell])
    ex.exec.meta.env.append(f"PATH={PATH_ENV}")
    ex.exec.meta.cwd = "/"
    ex.exec.mounts.add(input=0, dest="/", output=0)
    ex_b = ex.SerializeToString()

    term = t["Op"]()  # the last op: no op body, one input = the result
    term.inputs.add(digest=_digest(ex_b), index=0)
    term_b = term.SerializeToString()

    d = t["Definition"]()
    d.__getattribute__("def").extend([src_b, ex_b, term_b])
    return d.SerializeToString(), [_digest(b) for b in (src_b, ex_b, term_b)]


# --------------------------------------------------------------------------- tests


def test_dockerfile_build_local_export(buildkit: BuildKit, busybox_ref: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = buildkit.build_dockerfile(
        f"FROM {busybox_ref}\nRUN echo hi > /hi && id -un app > /who\n",
        output=f"type=local,dest={out}",
        extra_args=["--no-cache"],
    )
    assert res.returncode == 0
    assert (out / "hi").read_text() == "hi\n"
    assert (out / "who").read_text() == "app\n"
    assert "[internal] load build definition" in res.stderr  # progress goes to stderr


def test_failed_build_raises_with_stderr(buildkit: BuildKit, busybox_ref: str) -> None:
    with pytest.raises(AssertionError, match=r"(?s)exit code.*did not complete successfully"):
        buildkit.build_dockerfile(f"FROM {busybox_ref}\nRUN echo boom-marker && exit 3\n")
    res = buildkit.build_dockerfile(f"FROM {busybox_ref}\nRUN exit 3\n", check=False)
    assert res.returncode != 0 and "exit code: 3" in res.stderr


def test_busybox_image_config_and_files(buildkit: BuildKit, busybox_ref: str, tmp_path: Path) -> None:
    cfg = buildkit.image_config(busybox_ref)
    assert f"PATH={PATH_ENV}" in cfg["config"]["Env"]
    assert cfg["os"] == "linux"
    root = buildkit.image_files(busybox_ref, tmp_path / "rootfs")
    assert (root / "bin" / "busybox").is_file()
    assert (root / "bin" / "sh").is_symlink()
    passwd = (root / "etc" / "passwd").read_text()
    assert "app:x:1000:1000:" in passwd and passwd.startswith("root:x:0:0:")
    assert "app:x:1000:" in (root / "etc" / "group").read_text()
    mode = (root / "tmp").stat().st_mode
    assert stat.S_IMODE(mode) == 0o1777


def test_handmade_definition_dump_and_build(buildkit: BuildKit, busybox_ref: str, tmp_path: Path) -> None:
    definition, digests = make_definition(busybox_ref, "echo from-llb > /llb.txt")

    ops = buildkit.dump_llb(definition)
    assert [o["Digest"] for o in ops] == digests
    assert ops[0]["Op"]["Op"]["source"]["identifier"] == f"docker-image://{busybox_ref}"
    assert ops[1]["Op"]["Op"]["exec"]["meta"]["args"] == ["/bin/sh", "-c", "echo from-llb > /llb.txt"]
    assert ops[1]["Op"]["inputs"] == [{"digest": digests[0]}]  # index 0 is omitted
    assert ops[2]["Op"]["inputs"][0]["digest"] == digests[1]

    out = tmp_path / "out"
    res = buildkit.build(definition, output=f"type=local,dest={out}", extra_args=["--no-cache"])
    assert (out / "llb.txt").read_text() == "from-llb\n", res.stderr


def test_dump_llb_rejects_garbage(buildkit: BuildKit) -> None:
    with pytest.raises(AssertionError, match="dump-llb failed"):
        buildkit.dump_llb(b"\xff\xff\xff not a protobuf")
