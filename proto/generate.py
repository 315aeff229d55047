"""Regenerate compiler/pb from the .proto files in this folder.

Usage: python proto/generate.py [OUTPUT_DIR]   (default: compiler/pb)

The generated modules are committed; tests/test_proto_fresh.py fails when
they no longer match what this script produces. Next to each `X_pb2.py` it
writes `X.binpb`, the serialized file descriptor that compiler/pb/llb.py loads
without protobuf's generic builder (see there).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from grpc_tools import protoc

PROTO_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = PROTO_DIR.parent / "compiler" / "pb"


def generate(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    protos = sorted(p.name for p in PROTO_DIR.glob("*.proto"))
    args = ["protoc", f"-I{PROTO_DIR}", f"--python_out={out_dir}", f"--pyi_out={out_dir}", *protos]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for proto in protos:
        stem = proto.removesuffix(".proto")
        # The descriptor protoc embedded in the module, taken from the module itself.
        source = (out_dir / f"{stem}_pb2.py").read_text()
        start = source.index("AddSerializedFile(") + len("AddSerializedFile(")
        end = source.index(")\n", start)
        (out_dir / f"{stem}.binpb").write_bytes(ast.literal_eval(source[start:end]))


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
