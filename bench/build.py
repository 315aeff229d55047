"""A build with a large context on the real daemon: buildctl and `luakit buildx` side by side.

    python bench/build.py              # 3 rounds, 5 warm pairs in each
    python bench/build.py --rounds 1 --warm-runs 3

The context: 10,000 files (~200 MB; sizes spread from 0 to 30 KiB, every 500th of 1-4 MiB,
in 100 folders), made once from a fixed seed under ~/.cache/luakit/bench-build-context
(the same bytes on every machine). One Definition copies it into scratch:
`luakit build` writes it, `buildctl build --local context=DIR` runs it from stdin, and
`luakit buildx` evaluates the same script and runs it through luakit_buildkit's own
session (FileSync serves the files). Both run against one private buildkitd the
harness starts (scripts/buildkit_harness.py); no exporter, so the time is the
transfer and the copy.

Each round: cold (`buildctl prune --all` first: every file crosses) buildctl, then
ours; then warm (nothing changed since: only the listing crosses) buildctl, then ours,
`--warm-runs` times (a warm build takes tenths of a second: more pairs, steadier medians).
Reported: the median wall time of each process, ours/buildctl of those medians, the
median of each pair's own ratio (steadier on a loaded machine), and the median CPU time
(user + system) of each client process, which the other work on a shared machine
disturbs less. `luakit buildx`'s time includes its start and its evaluation of the
script (a new Python process); the buildctl column does not include `luakit build`.
Target: ours <= 1.25x buildctl, cold and warm. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], **kw) -> tuple[float, float]:
    """The wall time and the CPU time (user + system) of one run of `command`."""
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, **kw)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({done.returncode}):\n{done.stderr.decode(errors='replace')[-3000:]}")
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm-runs", type=int, default=5, help="warm buildctl/ours pairs per round")
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
    cpus: dict[tuple[str, str], list[float]] = {}
    with buildkit_harness.BuildKit(base_images=False) as bk:
        buildctl = [str(bk.buildctl_path), "--addr", str(bk.addr), "build", "--progress", "plain",
                    "--local", f"context={context}"]
        ours = [*luakit, "buildx", str(script), "--no-resolve", "--progress", "plain", "--addr", str(bk.addr),
                "--local", f"context={context}"]
        tools = (("buildctl", buildctl, definition), ("ours", ours, None))

        def measure(temperature: str, round_: int, name: str, command: list[str], stdin: bytes | None) -> None:
            elapsed, cpu = timed(command, input=stdin, cwd=REPO)
            times.setdefault((temperature, name), []).append(elapsed)
            cpus.setdefault((temperature, name), []).append(cpu)
            print(f"round {round_ + 1} {temperature} {name}: {elapsed:.2f}s (cpu {cpu:.2f}s)", flush=True)

        for round_ in range(args.rounds):
            for name, command, stdin in tools:
                bk.buildctl("prune", "--all")
                measure("cold", round_, name, command, stdin)
            for _name, command, stdin in tools:
                timed(command, input=stdin, cwd=REPO)  # the state a warm build starts from
            for _ in range(args.warm_runs):
                for name, command, stdin in tools:
                    measure("warm", round_, name, command, stdin)
    print()
    print(f"{'':6} {'buildctl':>9} {'ours':>9} {'ours/buildctl':>14} {'per pair':>9} {'cpu buildctl':>13} {'cpu ours':>9}")
    met = True
    for temperature in ("cold", "warm"):
        theirs = statistics.median(times[(temperature, "buildctl")])
        mine = statistics.median(times[(temperature, "ours")])
        ratio = mine / theirs
        # The two runs of a pair saw about the same load: their ratio is the steadier figure.
        paired = statistics.median(
            m / t for m, t in zip(times[(temperature, "ours")], times[(temperature, "buildctl")], strict=True)
        )
        met = met and ratio <= TARGET
        cpu_theirs = statistics.median(cpus[(temperature, "buildctl")])
        cpu_mine = statistics.median(cpus[(temperature, "ours")])
        print(f"{temperature:6} {theirs:8.2f}s {mine:8.2f}s {ratio:13.2f}x {paired:8.2f}x {cpu_theirs:12.2f}s {cpu_mine:8.2f}s")
    print(f"target ours <= {TARGET}x buildctl: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LUAKIT_NO_RESOLVE", "1")
    raise SystemExit(main())
