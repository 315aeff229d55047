"""The CLI on small scripts, side by side with the Go luakit (issue 17, item 5).

    python bench/small.py                              # our CLI and the Python floor, 20 rounds
    python bench/small.py --go-luakit PATH             # and the Go luakit (a binary you built yourself)
    python bench/small.py --quick --scripts hello,go-service
    python bench/small.py --in-place                   # time the luakit of this venv (see below)
    python bench/small.py --instructions --scripts hello   # instructions, under valgrind: independent of load
    python bench/small.py --references                 # and what argparse and a protoc module add to the floor

Scripts: every examples/*/build.lua and the hand-written bench/scripts/*.lua (multi-stage Go, Node and
Python builds with caches, secrets and copies; 40-70 lines each), each run in its own directory.

Commands, interleaved: every round runs each command once on each script, in a shuffled order, so that
drift in the machine's speed (load, frequency) falls on all columns alike. Best and median of the rounds.
  floor          python -c "import lupa.lua51, google.protobuf.message" (the same venv's python): what any
                 Python CLI that evaluates Lua and writes protobuf pays before doing anything
  build          luakit build --no-resolve -o out.pb SCRIPT
  validate       luakit validate --no-resolve SCRIPT
  argparse       (--references) the floor, then argparse parsing a subcommand: what any Python CLI of
                 this shape pays before it reads its script
  argparse+pb2   (--references) that, then importing a protoc-generated module (google.protobuf's
                 empty_pb2): what one that writes protobuf the usual way pays (its first message class
                 has upb import the well-known types; luakit feeds its descriptor to upb directly,
                 compiler/pb/llb.py, but pays that import too)
  go dag         GO dag --format json -o out.json SCRIPT (the Go luakit's `build` always asks a registry for
                 image configs; its `dag` evaluates and walks the same graph offline)
  go validate    GO validate SCRIPT
A script the Go luakit cannot run (API it lacks, such as bk.arg or the bundled prelude) shows its error
once and no Go column.

Our CLI is timed from a regular install (`pip install ROOT` into a venv of its own, cached under
~/.cache/luakit/bench-venv/ and rebuilt when the sources change), because an editable install puts an
import finder in front of every module the venv's Python loads, floor included. --in-place times the
`luakit` beside this Python instead (the floor then comes from this Python too). Plain stdlib.

--instructions counts, instead of timing, the instructions each command executes in user space, once, under
valgrind's cachegrind (Debian's `valgrind`; ~50x slower), with PYTHONHASHSEED=0. Other work on the machine
moves wall times by up to 2x between runs here; it does not move these counts, which makes them the measure
for comparing two versions of the code (the ratio to the floor is not the wall-time ratio: the floor spends
more of its time loading shared libraries than running instructions).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from installed import regular_install

ROOT = Path(__file__).resolve().parents[1]
FLOOR = "import lupa.lua51, google.protobuf.message"
ARGPARSE = (
    FLOOR + "; import argparse; p = argparse.ArgumentParser()"
    "; p.add_subparsers().add_parser('validate'); p.parse_args(['validate'])"
)
PROTOC = ARGPARSE + "; from google.protobuf import empty_pb2"


@dataclass(frozen=True)
class Script:
    name: str
    path: Path


@dataclass(frozen=True)
class Command:
    """One column: argv with SCRIPT and OUT placeholders, run in the script's directory."""

    label: str
    argv: tuple[str, ...]

    def for_script(self, script: Script, out: Path) -> list[str]:
        names = {"SCRIPT": script.path.name, "OUT": str(out)}
        return [names.get(arg, arg) for arg in self.argv]


def scripts() -> list[Script]:
    found = [Script(p.parent.name, p) for p in sorted((ROOT / "examples").glob("*/build.lua"))]
    found += [Script(p.stem, p) for p in sorted((ROOT / "bench" / "scripts").glob("*.lua"))]
    return found


def run_once(argv: list[str], cwd: Path) -> tuple[float, int, bytes]:
    """Wall time of one run (stdout discarded), its exit code and its stderr."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        seconds = time.perf_counter() - start
        err.seek(0)
        return seconds, done.returncode, err.read()


def instructions(argv: list[str], cwd: Path) -> int:
    """Instructions (user space) one run executes, counted by valgrind's cachegrind."""
    counted = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", counted.stderr)
    if found is None:
        sys.exit(f"no instruction count from valgrind for {argv}:\n{counted.stderr}")
    return int(found.group(1).replace(",", ""))


def count_instructions(chosen: list[Script], columns: list[Command]) -> None:
    print("\nmillions of instructions, one run each; ratio to the floor")
    print(f"{'script':<15} " + " ".join(f"{c.label:>16}" for c in columns))
    with tempfile.TemporaryDirectory(prefix="luakit-small-") as tmp:
        for script in chosen:
            counts = [instructions(c.for_script(script, Path(tmp) / "out"), script.path.parent) for c in columns]
            cells = [f"{n / 1e6:8.1f} ({n / counts[0]:4.2f})" for n in counts]
            print(f"{script.name:<15} " + " ".join(f"{cell:>16}" for cell in cells))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--go-luakit", metavar="PATH", help="the Go luakit binary (built by hand), for its columns")
    parser.add_argument("--rounds", type=int, default=20, help="runs of each command on each script (default 20)")
    parser.add_argument("--quick", action="store_true", help="5 rounds")
    parser.add_argument("--scripts", help="comma-separated script names (default: all)")
    parser.add_argument("--in-place", action="store_true", help="time the luakit beside this Python, not a wheel")
    parser.add_argument("--instructions", action="store_true", help="count instructions under valgrind, not time")
    parser.add_argument("--references", action="store_true", help="also the argparse and argparse+pb2 floors")
    ns = parser.parse_args()
    rounds = 5 if ns.quick else ns.rounds
    chosen = scripts()
    if ns.scripts:
        wanted = ns.scripts.split(",")
        chosen = [s for s in chosen if s.name in wanted]
        if not chosen:
            parser.error(f"no script named {ns.scripts}; have: {', '.join(s.name for s in scripts())}")

    bin_dir = Path(sys.executable).parent if ns.in_place else regular_install()
    python, luakit = str(bin_dir / "python"), str(bin_dir / "luakit")
    columns = [
        Command("floor", (python, "-c", FLOOR)),
        Command("build", (luakit, "build", "--no-resolve", "-o", "OUT", "SCRIPT")),
        Command("validate", (luakit, "validate", "--no-resolve", "SCRIPT")),
    ]
    if ns.references:
        columns += [Command("argparse", (python, "-c", ARGPARSE)), Command("argparse+pb2", (python, "-c", PROTOC))]
    if ns.go_luakit:
        go = str(Path(ns.go_luakit).resolve())
        columns += [
            Command("go dag", (go, "dag", "--format", "json", "-o", "OUT", "SCRIPT")),
            Command("go validate", (go, "validate", "SCRIPT")),
        ]

    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, {platform.platform()}, python {platform.python_version()}")
    print(f"ours: {luakit} ({'this venv' if ns.in_place else 'regular install'}); go: {ns.go_luakit or '(none)'}")
    if ns.instructions:
        print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
        count_instructions(chosen, columns)
        return
    print(f"{rounds} rounds, interleaved; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")

    samples: dict[tuple[str, str], list[float]] = {}
    skipped: dict[tuple[str, str], str] = {}
    with tempfile.TemporaryDirectory(prefix="luakit-small-") as tmp:
        out = Path(tmp) / "out"
        # A first, untimed run of everything: checks that each command works and warms the file cache.
        for script in chosen:
            for column in columns:
                _, code, err = run_once(column.for_script(script, out), script.path.parent)
                if code == 0:
                    samples[(script.name, column.label)] = []
                elif column.label.startswith("go"):
                    first_line = err.decode(errors="replace").strip().splitlines()[:1]
                    skipped[(script.name, column.label)] = first_line[0] if first_line else f"exit {code}"
                else:
                    sys.exit(f"{column.label} failed on {script.path}:\n{err.decode(errors='replace')}")
        jobs = [(script, column) for script in chosen for column in columns if (script.name, column.label) in samples]
        for _ in range(rounds):
            random.shuffle(jobs)
            for script, column in jobs:
                seconds, code, err = run_once(column.for_script(script, out), script.path.parent)
                if code != 0:
                    sys.exit(f"{column.label} failed on {script.path}:\n{err.decode(errors='replace')}")
                samples[(script.name, column.label)].append(seconds)

    report(chosen, columns, samples, skipped)


def report(
    chosen: list[Script],
    columns: list[Command],
    samples: dict[tuple[str, str], list[float]],
    skipped: dict[tuple[str, str], str],
) -> None:
    def best(script: Script, label: str) -> float | None:
        runs = samples.get((script.name, label))
        return min(runs) if runs else None

    def median(script: Script, label: str) -> float | None:
        runs = samples.get((script.name, label))
        return statistics.median(runs) if runs else None

    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:6.2f}" if a and b else f"{'-':>6}"

    print("\nms, best / median of the rounds; ratios of bests (medians in brackets)")
    header = f"{'script':<15} {'lines':>5}"
    for column in columns:
        header += f" {column.label + ' best':>17} {'median':>7}"
    header += f" {'build/floor':>16} {'validate/floor':>16}"
    has_references = any(c.label == "argparse" for c in columns)
    if has_references:
        header += f" {'build/+pb2':>16} {'validate/argparse':>18}"
    has_go = any(c.label.startswith("go") for c in columns)
    if has_go:
        header += f" {'build/go dag':>16} {'validate/go':>16}"
    print(header)
    for script in chosen:
        lines = len(script.path.read_text().splitlines())
        row = f"{script.name:<15} {lines:>5}"
        for column in columns:
            b, m = best(script, column.label), median(script, column.label)
            row += f" {ms(b):>17} {ms(m)}" if b and m else f" {'n/a':>17} {'':>7}"
        pairs = [("build", "floor"), ("validate", "floor")]
        if has_references:
            pairs += [("build", "argparse+pb2"), ("validate", "argparse")]
        if has_go:
            pairs += [("build", "go dag"), ("validate", "go validate")]
        for ours, theirs in pairs:
            row += f" {ratio(best(script, ours), best(script, theirs)):>8} ({ratio(median(script, ours), median(script, theirs)).strip()})"
        print(row)
    for (name, label), error in skipped.items():
        print(f"  {label} cannot run {name}: {error[:160]}")


if __name__ == "__main__":
    main()
