"""A built wheel carries the stubs: installed into a fresh environment, completion works from it.

The wheel is built from a copy of the sources (so the working tree gets no
build/ or egg-info), installed into a new venv that shares this interpreter's
site-packages only for the dependencies, and run from a directory outside the
checkout so that nothing can be imported from it.
"""

import importlib.util
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .helpers import ROOT

SOURCES = ["pyproject.toml", "README.md", "compiler", "luakit_buildkit", "luakit_frontend", "luakit_ls", "types"]

PROBE = """
import json
from lsprotocol.types import Position
import compiler, luakit_ls
from luakit_ls import completion, stubs
print(json.dumps({
    "luakit_ls": luakit_ls.__file__,
    "compiler": compiler.__file__,
    "stubs": str(stubs.stub_path()),
    "labels": [item.label for item in completion.complete("local b = bk.", Position(0, 13))],
}))
"""


def run(*args: str, cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    # Without build isolation when setuptools is here: no download, and a few seconds faster.
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    dist = str(tmp_path / "dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", dist, str(src), cwd=tmp_path)
    [wheel] = (tmp_path / "dist").glob("luakit-*.whl")
    return wheel


def test_wheel_ships_the_stubs_and_completion_runs_from_it(tmp_path: Path):
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "luakit_ls/types/bk.lua" in names
    packages = {str(p.parent.relative_to(ROOT)) for p in ROOT.glob("*/**/__init__.py")}
    packages = {p for p in packages if p.split("/")[0] in ("compiler", "luakit_frontend", "luakit_ls")}
    missing = {p for p in packages if f"{p}/__init__.py" not in names}
    assert not missing, f"packages missing from the wheel (list them in pyproject.toml): {sorted(missing)}"

    venv = tmp_path / "venv"
    # The dependencies (lupa, pygls, ...) come from this interpreter: the wheel itself is what is checked,
    # and the probe below proves every luakit module loads from the venv, not from this checkout.
    run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv), cwd=tmp_path)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
        "--force-reinstall", str(wheel), cwd=tmp_path)  # fmt: skip
    probe = json.loads(run(str(python), "-c", PROBE, cwd=tmp_path))

    site = venv.resolve()
    for module in ("luakit_ls", "compiler", "stubs"):
        assert Path(probe[module]).resolve().is_relative_to(site), f"{module} came from {probe[module]}"
    assert probe["stubs"].endswith("luakit_ls/types/bk.lua")
    assert {"image", "run"} & set(probe["labels"]) == {"image"}
    assert len(probe["labels"]) == 16
