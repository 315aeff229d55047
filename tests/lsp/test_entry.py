"""The server's entry point, as the evaluation workers see it (luakit_ls/__main__.py).

A spawned worker first runs its parent's main script again, as multiprocessing does
(`runpy`, under the name `__mp_main__`): for `luakit-ls` and `python -m luakit_ls`
that must not import pygls or lsprotocol, which would slow every worker's start.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# What multiprocessing's spawn does in the child with the parent's main script (the
# console script by path, a `-m` module by name), then which heavy modules it brought.
RERUN = """
import runpy, sys
how, main = sys.argv[1], sys.argv[2]
if how == "path":
    runpy.run_path(main, run_name="__mp_main__")
else:
    runpy.run_module(main, run_name="__mp_main__", alter_sys=True)
print(sorted(m for m in ("lsprotocol", "pygls", "luakit_ls.server") if m in sys.modules))
"""


@pytest.mark.parametrize(
    ("how", "main"),
    [("path", str(Path(sys.executable).with_name("luakit-ls"))), ("name", "luakit_ls.__main__")],
    ids=["luakit-ls", "python -m luakit_ls"],
)
def test_a_worker_rerunning_the_main_script_imports_no_lsp_library(how: str, main: str, tmp_path: Path) -> None:
    assert how == "name" or Path(main).exists(), f"no {main}: pip install -e ."
    found = subprocess.run(
        [sys.executable, "-c", RERUN, how, main], capture_output=True, text=True, cwd=tmp_path, check=True
    ).stdout.strip()
    assert found == "[]", found


def test_the_entry_point_starts_the_server() -> None:
    found = subprocess.run(
        [str(Path(sys.executable).with_name("luakit-ls")), "--version"], capture_output=True, text=True, check=True
    )
    assert found.stdout.startswith("luakit-ls "), found


# Loading the server as `luakit-ls` does, in a new Python: how many collections ran meanwhile,
# whether the collector is on again, and how many objects it was told to leave alone.
LOAD = """
import gc, json
from luakit_ls.__main__ import load_server
before = [generation["collections"] for generation in gc.get_stats()]
load_server()
after = [generation["collections"] for generation in gc.get_stats()]
print(json.dumps({"collections": [a - b for a, b in zip(after, before)], "enabled": gc.isenabled(),
                  "frozen": gc.get_freeze_count()}))
"""


def test_no_garbage_collection_runs_while_the_server_loads(tmp_path: Path) -> None:
    # lsprotocol's ~570 classes are ~100,000 objects that live as long as the server: the
    # collector walking them over and over was ~11% of the time before `initialize` is answered.
    found = subprocess.run(
        [sys.executable, "-c", LOAD], capture_output=True, text=True, cwd=tmp_path, check=True
    ).stdout
    loaded = json.loads(found)
    assert loaded["collections"] == [0, 0, 0], found
    assert loaded["enabled"], found
    assert loaded["frozen"] > 50_000, found
