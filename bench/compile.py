"""Compile-time benchmarks: N-op scripts and CLI cold start. Prints numbers; asserts nothing.

    python bench/compile.py            # 100, 1,000, 10,000 ops; cold start
    python bench/compile.py --quick    # fewer repetitions

Each size runs in a fresh process (so peak RSS is that compile's), best of R runs.
Targets (docs/performance.md): 10,000 ops under 1 s and 200 MiB, linear growth; a
two-line `luakit build` within 1.5x of `python -c "import lupa, google.protobuf"`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# One "op" per line: a chain of runs and file ops on one base, like a long build.
SCRIPT_TEMPLATE = """
local s = bk.image("alpine:3.19")
local ctx = bk.local_("context")
for i = 1, {n} do
  local k = i % 4
  if k == 0 then s = s:run("echo step " .. i .. " > /f" .. i, {{ env = {{ I = tostring(i) }}, cwd = "/" }})
  elseif k == 1 then s = s:mkfile("/m" .. i, "data " .. i)
  elseif k == 2 then s = s:copy(ctx, "src" .. i, "/c" .. i)
  else s = s:run({{ "sh", "-c", "true" }}, {{ mounts = {{ bk.cache("/cache"), bk.tmpfs("/tmp") }} }}) end
end
bk.export(s)
"""

CHILD = """
import gc, json, resource, sys, time
gc.disable()  # as the luakit CLI does
t0 = time.perf_counter()
from compiler import ScriptSource, evaluate
t1 = time.perf_counter()
ev = evaluate(ScriptSource(open(sys.argv[1]).read(), name="bench.lua"))
assert ev.ok, ev.problems
t2 = time.perf_counter()
data = ev.definition_bytes()
t3 = time.perf_counter()
ops = len(ev.marshalled.ops)
print(json.dumps({"import": t1 - t0, "evaluate": t2 - t1, "marshal": t3 - t2, "ops": ops, "bytes": len(data),
                  "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def compile_once(n: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(SCRIPT_TEMPLATE.format(n=n))
    out = subprocess.run([sys.executable, "-c", CHILD, f.name], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout)


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    ns = parser.parse_args()
    reps = 2 if ns.quick else 5

    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print("\n== compile (evaluate + marshal), fresh process per run, best of", reps)
    print(
        f"{'ops':>7} {'evaluate s':>11} {'marshal s':>10} {'total s':>8} {'us/op':>7} {'peak RSS MiB':>13} {'bytes':>10}"
    )
    results = {}
    for n in (100, 1000, 10000):
        runs = [compile_once(n) for _ in range(reps)]
        best = min(runs, key=lambda r: r["evaluate"] + r["marshal"])
        total = best["evaluate"] + best["marshal"]
        results[n] = total
        print(
            f"{best['ops']:>7} {best['evaluate']:>11.3f} {best['marshal']:>10.3f} {total:>8.3f} "
            f"{total / best['ops'] * 1e6:>7.1f} {max(r['maxrss_mib'] for r in runs):>13.1f} {best['bytes']:>10}"
        )
    print(f"growth 1k->10k: x{results[10000] / results[1000]:.1f} for x10 ops (linear = 10)")

    print("\n== CLI cold start, best and median of", reps * 2)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "build.lua"
        script.write_text('local b = bk.image("alpine:3.19")\nbk.export(b:run("echo hi > /hi"))\n')
        baseline = [timed([sys.executable, "-c", "import lupa, google.protobuf"], Path(tmp)) for _ in range(reps * 2)]
        cli = [
            timed([sys.executable, "-m", "compiler.cli", "build", "-o", "out.pb", "build.lua"], Path(tmp))
            for _ in range(reps * 2)
        ]
        luakit = [timed(["luakit", "build", "-o", "out.pb", "build.lua"], Path(tmp)) for _ in range(reps * 2)]
    b, c, entry = min(baseline), min(cli), min(luakit)
    print(
        f"python -c 'import lupa, google.protobuf': best {b * 1000:.0f} ms, median {statistics.median(baseline) * 1000:.0f} ms"
    )
    print(
        f"python -m compiler.cli build:            best {c * 1000:.0f} ms, median {statistics.median(cli) * 1000:.0f} ms"
        f"  ratio {c / b:.2f}x"
    )
    print(
        f"luakit build (console script):           best {entry * 1000:.0f} ms, median {statistics.median(luakit) * 1000:.0f} ms"
        f"  ratio {entry / b:.2f}x"
    )


if __name__ == "__main__":
    main()
