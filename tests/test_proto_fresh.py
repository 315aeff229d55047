"""compiler/pb is generated from proto/: fail when it is stale."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_generated_modules_match_the_proto_files(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "proto" / "generate.py"), str(tmp_path)], check=True, timeout=120)
    generated = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".py", ".pyi", ".binpb"))
    assert "ops.binpb" in generated
    for name in generated:
        committed = ROOT / "compiler" / "pb" / name
        assert committed.exists(), f"{name} is not committed; run python proto/generate.py"
        assert committed.read_bytes() == (tmp_path / name).read_bytes(), f"{name} is stale; run python proto/generate.py"


def test_cheap_loader_builds_the_same_messages():
    from compiler.pb import llb, ops_pb2

    op = llb.Op()
    op.exec.meta.args.extend(["sh", "-c", "true"])
    op.exec.mounts.add(dest="/cache", mountType=llb.CACHE).cacheOpt.ID = "x"
    definition = llb.Definition()
    definition.metadata["sha256:x"].caps["exec.mount.cache"] = True
    assert ops_pb2.Op.FromString(op.SerializeToString()) == ops_pb2.Op(
        exec=ops_pb2.ExecOp(
            meta=ops_pb2.Meta(args=["sh", "-c", "true"]),
            mounts=[ops_pb2.Mount(dest="/cache", mountType=ops_pb2.CACHE, cacheOpt=ops_pb2.CacheOpt(ID="x"))],
        )
    )
    assert ops_pb2.Definition.FromString(definition.SerializeToString()).metadata["sha256:x"].caps["exec.mount.cache"]
    assert {n: getattr(llb, n) for n in ("UNSET", "SANDBOX", "CACHE", "SECRET", "SSH", "TMPFS")} == {
        n: getattr(ops_pb2, n) for n in ("UNSET", "SANDBOX", "CACHE", "SECRET", "SSH", "TMPFS")
    }
