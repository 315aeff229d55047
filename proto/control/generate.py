"""Regenerate luakit_buildkit/pb from the .proto files in this folder.

Usage: python proto/control/generate.py [OUTPUT_ROOT]   (default: the repository root)

The proto is compiled as if it lived at luakit_buildkit/pb/control.proto
(protoc's `-I<virtual>=<dir>` mapping), so the generated grpc stub imports
`luakit_buildkit.pb.control_pb2` by its package path rather than as a
top-level module. The generated files are committed;
tests/test_buildkit_units.py fails when they no longer match.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

from grpc_tools import protoc

PROTO_DIR = Path(__file__).resolve().parent
REPO = PROTO_DIR.parents[1]
PACKAGE_DIR = "luakit_buildkit/pb"


def generate(out_root: Path) -> None:
    (out_root / PACKAGE_DIR).mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{PACKAGE_DIR}={PROTO_DIR}",
        # google/protobuf/timestamp.proto ships inside grpcio-tools.
        f"-I{files('grpc_tools') / '_proto'}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *(f"{PACKAGE_DIR}/{proto.name}" for proto in sorted(PROTO_DIR.glob("*.proto"))),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO)
