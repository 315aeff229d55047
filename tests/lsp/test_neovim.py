"""A real editor: Debian's Neovim, headless, with luakit-ls attached, opens a broken build.lua and
reads back what it would show (diagnostics, completion items, hover text).

Neovim is installed here with apt when it is missing (scripts/test installs it
too); the test never skips: an editor that cannot be had is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

INIT = Path(__file__).with_name("neovim_init.lua")
BROKEN = """\
local base = bk.image("alpine:3.19")
local built = base:run("make", { cwdd = "/src" })
bk.export(built)
"""


def neovim() -> str:
    found = shutil.which("nvim")
    if found is None:
        apt = ["apt-get", "-o", "DPkg::Lock::Timeout=120"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([*apt, "update", "-qq"], env=env, capture_output=True, timeout=600)
        installed = subprocess.run([*apt, "install", "-y", "-qq", "neovim"], env=env, capture_output=True, timeout=600)
        found = shutil.which("nvim")
        if found is None:
            pytest.fail(f"Neovim is missing and `apt-get install neovim` failed: {installed.stderr.decode()[-2000:]}")
    return found


def server_command() -> list[str]:
    """`luakit-ls --stdio` as installed next to this Python (pip install -e .), else the module."""
    script = Path(sys.executable).with_name("luakit-ls")
    if script.exists():
        return [str(script), "--stdio"]
    on_path = shutil.which("luakit-ls")
    return [on_path, "--stdio"] if on_path else [sys.executable, "-m", "luakit_ls.server", "--stdio"]


def test_neovim_shows_diagnostics_completion_and_hover(folder):
    nvim = neovim()
    script = folder / "build.lua"
    script.write_text(BROKEN)
    out = folder / "result.json"
    env = {
        **os.environ,
        "LUAKIT_NVIM_CMD": json.dumps(server_command()),
        "LUAKIT_NVIM_SCRIPT": str(script),
        "LUAKIT_NVIM_OUT": str(out),
        "HOME": str(folder),  # --clean reads no config, and nothing is written into the real home
    }
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-u", str(INIT)],
        env=env,
        cwd=folder,
        capture_output=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )
    assert out.exists(), f"nvim wrote no result (exit {proc.returncode}): {proc.stderr.decode()[-2000:]}"
    result = json.loads(out.read_text())
    assert result["errors"] == [], result["errors"]
    assert result["attached"] and result["got_diagnostics"], result

    [diagnostic] = result["diagnostics"]
    assert diagnostic["message"] == "state:run: unknown option 'cwdd' (did you mean 'cwd'?)"
    assert (diagnostic["lnum"], diagnostic["col"], diagnostic["source"], diagnostic["code"]) == (
        1,
        19,
        "luakit",
        "LK003",
    )
    assert diagnostic["severity"] == 1  # vim.diagnostic.severity.ERROR

    assert {"image", "local_", "merge", "export", "cache"} <= set(result["completion"])
    assert "function bk.image(ref: string" in result["hover"]
