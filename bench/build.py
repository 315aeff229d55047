"""A build with a large context on the real daemon: buildctl and `luakit buildx` side by side.

    python bench/build.py              # 3 rounds
    python bench/build.py --rounds 1

The context: 10,000 files (~200 MB; sizes spread from 0 to 30 KiB, every 500th of 1-4 MiB,
in 100 folders), made once from a fixed seed under ~/.cache/luakit/bench-build-context
(the same bytes on every machine). One Definition copies it into scratch:
`luakit build` writes it, `buildctl build --local context=DIR` runs it from stdin, and
`luakit buildx` evaluates the same script and runs it through luakit_buildkit's own
session (FileSync serves the files). Both run against one private buildkitd the
harness starts (scripts/buildkit_harness.py); no exporter, so the time is the
transfer and the copy.

Each round: cold (`buildctl prune --all` first: every file crosses) buildctl, then
ours; then warm (nothing changed since: only the listing crosses) buildctl, then ours.
Reported: the median wall time of each process, ours/buildctl of those medians, and
the median of each round's own ratio (steadier on a loaded machine). `luakit buildx`'s
time includes its evaluation of the script (a new Python process, ~0.3 s); the
buildctl column does not include `luakit build`. Target: ours <= 1.25x buildctl, cold
and warm. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import buildkit_harness  # noqa: E402

FILES = 10_000
FOLDERS = 100
SEED = 20261203
CONTEXT_VERSION = "v2"
TARGET = 1.25

SCRIPT = 'bk.export(bk.scratch():copy(bk.local_("context"), ".", "/ctx"))\n'


def context_dir() -> Path:
    """The context, made on first use; a marker file says it is complete."""
    root = buildkit_harness.cache_dir() / f"bench-build-context-{CONTEXT_VERSION}"
    marker = root / ".complete"
    if marker.exists():
        return root
    rng = random.Random(SEED)
    for index in range(FILES):
        folder = root / f"d{index % FOLDERS:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        # Mostly small source-like files, a few large blobs: ~200 MB in all.
        size = rng.randint(1, 4) * 1024 * 1024 if index % 500 == 0 else rng.randint(0, 30 * 1024)
        (folder / f"f{index:05d}.bin").write_bytes(rng.randbytes(size))
    marker.write_text("")
    return root


def context_size(root: Path) -> tuple[int, int]:
    files = list(root.rglob("*.bin"))
    return len(files), sum(p.stat().st_size for p in files)


def timed(command: list[str], **kw) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, **kw)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({done.returncode}):\n{done.stderr.decode(errors='replace')[-3000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    buildkit_harness.ensure_installed()
    context = context_dir()
    count, size = context_size(context)
    print(f"context: {count} files, {size / 1e6:.0f} MB ({context})")
    work = Path(tempfile.mkdtemp(prefix="luakit-bench-build-"))
    script = work / "build.lua"
    script.write_text(SCRIPT)
    luakit = [sys.executable, "-m", "compiler.cli"]
    definition = subprocess.run(
        [*luakit, "build", str(script), "--no-resolve"], capture_output=True, check=True, cwd=REPO
    ).stdout
    times: dict[tuple[str, str], list[float]] = {}
    with buildkit_harness.BuildKit(base_images=False) as bk:
        buildctl = [str(bk.buildctl_path), "--addr", str(bk.addr), "build", "--progress", "plain",
                    "--local", f"context={context}"]
        ours = [*luakit, "buildx", str(script), "--no-resolve", "--progress", "plain", "--addr", str(bk.addr),
                "--local", f"context={context}"]
        for round_ in range(args.rounds):
            for temperature in ("cold", "warm"):
                for name, command, stdin in (("buildctl", buildctl, definition), ("ours", ours, None)):
                    if temperature == "cold":
                        bk.buildctl("prune", "--all")
                    else:
                        timed(command, input=stdin, cwd=REPO)  # the state a warm build starts from
                    elapsed = timed(command, input=stdin, cwd=REPO)
                    times.setdefault((temperature, name), []).append(elapsed)
                    print(f"round {round_ + 1} {temperature} {name}: {elapsed:.2f}s", flush=True)
    print()
    print(f"{'':6} {'buildctl':>9} {'ours':>9} {'ours/buildctl':>14} {'per round':>10}")
    met = True
    for temperature in ("cold", "warm"):
        theirs = statistics.median(times[(temperature, "buildctl")])
        mine = statistics.median(times[(temperature, "ours")])
        ratio = mine / theirs
        # Each round's two runs saw about the same load: their ratio is the steadier figure.
        paired = statistics.median(
            m / t for m, t in zip(times[(temperature, "ours")], times[(temperature, "buildctl")], strict=True)
        )
        met = met and ratio <= TARGET
        print(f"{temperature:6} {theirs:8.2f}s {mine:8.2f}s {ratio:13.2f}x {paired:9.2f}x")
    print(f"target ours <= {TARGET}x buildctl: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LUAKIT_NO_RESOLVE", "1")
    raise SystemExit(main())
