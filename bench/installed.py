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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_VENVS = Path.home() / ".cache" / "luakit" / "bench-venv"
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
    """The bin/ directory of a venv with ROOT installed as a wheel (not editable): built once per source
    hash, the previous ones removed."""
    venv = BENCH_VENVS / source_hash()
    done = venv / "installed"  # written last: a venv without it is an interrupted install
    if done.exists():
        return venv / "bin"
    if BENCH_VENVS.exists():
        for old in BENCH_VENVS.iterdir():
            shutil.rmtree(old)
    print(f"installing luakit from {ROOT} into {venv} (pip install, not editable) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(ROOT)], check=True)
    done.write_text(f"{ROOT}\n")
    return venv / "bin"
