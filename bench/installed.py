"""luakit from a regular install, for timing the CLI (bench/small.py, bench/shapes.py).

An editable install (`pip install -e .`, as in development venvs) puts an import finder in front of
every module the venv's Python loads, which slows each start of the CLI (and of the Python floor the
benchmarks compare against) by 15-20 ms. So the benchmarks install the tree as a wheel into a venv of
their own, cached under ~/.cache/luakit/bench-venv/ and keyed by a hash of what goes into the wheel.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_VENVS = Path.home() / ".cache" / "luakit" / "bench-venv"
STALE_AFTER_S = 24 * 3600
# What `pip install .` puts in the wheel (pyproject.toml lists the packages): a change here makes a new venv.
INSTALLED = ["pyproject.toml", "README.md", "compiler", "luakit_ls", "luakit_frontend", "types"]


def source_hash() -> str:
    digest = hashlib.sha256()
    for top in INSTALLED:
        path = ROOT / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def regular_install() -> Path:
    """The bin/ directory of a venv with ROOT installed as a wheel (not editable), built once per source
    hash."""
    venv = BENCH_VENVS / source_hash()
    done = venv / "installed"  # written last: a venv without it is an interrupted install
    if done.exists():
        return venv / "bin"
    # Venvs of other source versions go once they are a day old (not at once: another
    # benchmark may still be running from one).
    for old in BENCH_VENVS.glob("*"):
        if old.is_dir() and time.time() - old.stat().st_mtime > STALE_AFTER_S:
            shutil.rmtree(old, ignore_errors=True)
    print(f"installing luakit from {ROOT} into {venv} (pip install, not editable) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(ROOT)], check=True)
    done.write_text(f"{ROOT}\n")
    return venv / "bin"
