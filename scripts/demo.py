"""The main job (see scripts/demo): compile, show the DAG, build on BuildKit, show the result."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import buildkit_harness  # noqa: E402

EXAMPLE = ROOT / "examples" / "hello" / "build.lua"


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def luakit(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], capture_output=True, cwd=EXAMPLE.parent)


def main() -> int:
    print(f"luakit main job: {EXAMPLE.relative_to(ROOT)}\n")
    print(EXAMPLE.read_text())

    daemon: buildkit_harness.BuildKit | None = None
    base = "alpine:3.19"
    step(
        "starting BuildKit"
        + (f" (using BUILDKIT_HOST={os.environ['BUILDKIT_HOST']})" if "BUILDKIT_HOST" in os.environ else "")
    )
    try:
        if "BUILDKIT_HOST" not in os.environ:
            buildkit_harness.ensure_installed()
        else:
            buildkit_harness.ensure_buildkit()
        daemon = buildkit_harness.BuildKit().start()
        if daemon.busybox_ref:
            base = daemon.busybox_ref
        print(f"buildkitd at {daemon.addr}; base image {base}")
    except Exception as exc:  # noqa: BLE001 - the compile step is still shown
        print(f"no BuildKit daemon could be started here: {exc}")
        print("showing the compile step only")

    try:
        step(f"luakit build --arg BASE={base} build.lua")
        built = luakit("build", "--arg", f"BASE={base}", "build.lua")
        sys.stderr.write(built.stderr.decode())
        if built.returncode != 0:
            return built.returncode
        print(f"{len(built.stdout)} bytes of pb.Definition")

        step("luakit dag build.lua")
        print(luakit("dag", "--arg", f"BASE={base}", "build.lua").stdout.decode())

        if daemon is None:
            return 0
        step("buildctl build --local context=. --output type=local,dest=OUT")
        with tempfile.TemporaryDirectory(prefix="luakit-demo-") as out:
            result = daemon.build(built.stdout, contexts={"context": EXAMPLE.parent}, output=f"type=local,dest={out}")
            print(result.stderr[-1500:])
            step("what the build produced")
            for path in sorted(Path(out).rglob("*")):
                if path.is_file() and not path.is_symlink() and path.name == "greeting.txt":
                    print(f"{path.relative_to(out)}: {path.read_text()!r}")
            files = sum(1 for p in Path(out).rglob("*"))
            print(f"({files} entries in the exported filesystem)")
        return 0
    finally:
        if daemon is not None:
            daemon.close()


if __name__ == "__main__":
    sys.exit(main())
