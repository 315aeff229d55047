"""Regenerate the gRPC packages from the .proto files of proto/gateway and proto/control.

Usage: python proto/generate_services.py [OUTPUT_ROOT]   (default: the repository root)

- proto/gateway -> luakit_frontend/pb (BuildKit's gateway API, the frontend's side);
- proto/control -> luakit_buildkit/pb (the control API and the session's services, the client's side).

Each folder's protos are compiled as if they lived in their package's folder (protoc's
`-I<virtual>=<dir>` mapping), so the generated stubs import each other by package path
(`luakit_buildkit.pb.control_pb2`) rather than as top-level modules. The generated files are
committed; tests/test_frontend.py and tests/test_buildkit_units.py fail when they no longer match.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent
REPO = PROTO_ROOT.parent
# proto folder -> the package folder its generated modules go to
PACKAGES = {"gateway": "luakit_frontend/pb", "control": "luakit_buildkit/pb"}


def generate(out_root: Path, folder: str) -> Path:
    """Compile proto/`folder`'s protos into `out_root`; returns the package folder written."""
    proto_dir, package_dir = PROTO_ROOT / folder, PACKAGES[folder]
    (out_root / package_dir).mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{package_dir}={proto_dir}",
        # google/protobuf/timestamp.proto and friends ship inside grpcio-tools.
        f"-I{files('grpc_tools') / '_proto'}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *(f"{package_dir}/{proto.name}" for proto in sorted(proto_dir.glob("*.proto"))),
    ]
    if protoc.main(args) != 0:
        raise SystemExit(f"protoc failed on proto/{folder}")
    return out_root / package_dir


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO
    for name in PACKAGES:
        generate(root, name)
