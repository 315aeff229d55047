"""A third real client: Debian's Emacs 28 with eglot (elpa-eglot 1.9), set up as docs/editors.md says.

Emacs runs in a terminal (a pty: `emacs -nw`, its real command loop and redisplay) with the
documented editors/emacs/luakit.el as its init; tests/lsp/emacs_driver.el types what a user
would (open a script, `M-x eglot-code-actions`, `C-M-i`, `M-x luakit-emit`, ...) and writes back
what Emacs shows. eglot negotiates no position encoding (UTF-16), declares no snippet support
without yasnippet and accepts only plaintext hovers without markdown-mode; the script has
multi-byte text (é, 日本, 😀) before the positions that matter. scripts/test installs emacs-nox
and elpa-eglot; a missing one is installed here, and the test never skips.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import subprocess
import termios
import threading
from pathlib import Path

import pytest

from tests.lsp.editor_setup import (
    apt_install,
    built_definition,
    debian_package,
    documented,
    with_server_on_path,
    without_server_on_path,
)

DRIVER = Path(__file__).with_name("emacs_driver.el")
ELPA = Path("/usr/share/emacs/site-lisp/elpa")  # where Debian's elpa-* packages go
# Line 2: multi-byte text before the misspelled option (and before the call the error is on).
BROKEN = """\
local base = bk.image("alpine:3.19")
local note = "é 日本 😀" local built = base:run("make", { cwdd = "/src" })
bk.export(built)
"""


def emacs() -> str:
    """Debian's Emacs with Debian's eglot (elpa-eglot), installed when missing."""
    found = debian_package("emacs", "emacs-nox")
    if not any(ELPA.glob("eglot-*")):
        complaints = apt_install("elpa-eglot")
        if not any(ELPA.glob("eglot-*")):
            pytest.fail(f"eglot is missing and `apt-get install elpa-eglot` failed: {complaints}")
    return found


def run_emacs(folder: Path, mode: str, path: str) -> dict:
    """Emacs in a 120x40 terminal with the documented init, driven in `mode`; what it showed."""
    init = folder / "luakit.el"
    init.write_text(documented("emacs/luakit.el"))
    out = folder / "result.json"
    env = {
        **os.environ,
        "PATH": path,
        "TERM": "xterm-256color",
        "LUAKIT_EMACS_SCRIPT": str(folder / "build.lua"),
        "LUAKIT_EMACS_OUT": str(out),
        "LUAKIT_EMACS_MODE": mode,
        "LUAKIT_NO_RESOLVE": "1",  # the server's Definitions are `luakit build --no-resolve`'s
        "HOME": str(folder),  # -q reads no init file, and nothing is written into the real home
    }
    # No native compilation of the ELPA packages in the background: it is not what is tested,
    # and its warnings would take half the screen.
    command = [emacs(), "-nw", "-q", "--no-splash", "--eval", "(setq native-comp-deferred-compilation nil)"]
    command += ["-l", str(init), "-l", str(DRIVER)]
    main, terminal = pty.openpty()
    os.set_blocking(main, True)
    subprocess.run(["stty", "rows", "40", "cols", "120"], stdin=terminal, check=True)
    proc = subprocess.Popen(
        command,
        env=env,
        cwd=folder,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,  # a session of its own, whose controlling terminal is the pty:
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # emacs -nw opens /dev/tty
    )
    os.close(terminal)
    screen = bytearray()

    def drain() -> None:  # Emacs blocks when nobody reads its terminal
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                return
            if not chunk:
                return
            screen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    assert out.exists(), f"emacs wrote no result (exit {proc.returncode}): {bytes(screen[-3000:])!r}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result["error"]
    return result


@pytest.fixture(scope="module")
def session(module_folder):
    """One Emacs session through every feature (the tests below each read a part of it)."""
    script = module_folder / "build.lua"
    script.write_text(BROKEN)
    result = run_emacs(module_folder, "features", with_server_on_path())
    assert result["open_done"] is True and result["mode"] == "luakit-mode", result["messages"]
    return module_folder, result


def test_emacs_flymake_shows_the_diagnostic_where_it_is(session):
    # Line 2, exactly `cwdd`: characters 55-59, after an 8-character string whose 😀 is 2 UTF-16 units.
    _, result = session
    assert result["diagnostics_done"] is True, result["messages"]
    [diagnostic] = result["diagnostics"]
    assert diagnostic["text"] == "luakit [LK003]: state:run: unknown option 'cwdd' (did you mean 'cwd'?)"
    assert (diagnostic["line"], diagnostic["column"], diagnostic["end_column"]) == (2, 55, 59)
    assert diagnostic["type"] == "eglot-error"


def test_emacs_applies_the_quick_fix(session):
    # Exactly `cwdd` became `cwd`, after the multi-byte text; saved, the diagnostic is gone.
    _, result = session
    assert result["code_action_done"] is True, result["messages"]
    assert result["fixed_line"] == 'local note = "é 日本 😀" local built = base:run("make", { cwd = "/src" })'
    assert result["save_done"] is True, "the diagnostic stayed after the fix"


def test_emacs_luakit_emit_writes_the_definition(session):
    folder, result = session
    emitted = folder / "emitted.llb"
    assert f"luakit: wrote {emitted} (2 ops)" in result["messages"], result["messages"]
    assert emitted.read_bytes() == built_definition(folder / "build.lua")


def test_emacs_luakit_dag_shows_and_draws_the_graph(session):
    folder, result = session
    assert result["dag"].startswith("digraph luakit {") and result["dag_visible"] is True
    svg = folder / "build.svg"
    assert f"luakit: DAG drawn in {svg}" in result["messages"]
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))


def test_emacs_hover_is_plain_text(session):
    # eglot without markdown-mode accepts only plaintext hovers: no Markdown may show.
    _, result = session
    assert result["hover_done"] is True and result["hover_shown_done"] is True, result["messages"]
    hover = result["hover"]
    assert "bk.image(ref" in hover, hover
    assert "**" not in hover and "```" not in hover, f"Markdown shown as plain text: {hover!r}"


def test_emacs_completion_inserts_plain_text(session):
    # C-M-i after multi-byte text: eglot without yasnippet declares no snippet support, so the
    # inserted text is plain (no `${1:ref}`), and it replaced exactly `ima`.
    _, result = session
    assert result["completion_done"] is True, result["messages"]
    line = result["completed_line"]
    assert line.startswith('local note2 = "é日本😀" local y = bk.image('), line
    assert "${" not in line and '"ref"' not in line, f"a snippet was inserted as text: {line!r}"


def test_emacs_without_the_server_says_so_once(folder):
    (folder / "build.lua").write_text(BROKEN)
    (folder / "other.build.lua").write_text("bk.export(bk.scratch())\n")
    result = run_emacs(folder, "missing", without_server_on_path())
    assert result["mode"] == "luakit-mode" and result["server"] is False, result
    messages = result["messages"]
    assert messages.count("luakit-ls is not on PATH (pip install luakit): no luakit features") == 1, messages
    assert "eglot" not in messages.lower() and "error" not in messages.lower(), messages


# The key on its own line of a multi-line call: the quick fix is asked for on that line.
MULTI_LINE = """\
local base = bk.image("alpine:3.19")
local built = base:run("make", {
  cwdd = "/src",
})
bk.export(built)
"""


def test_emacs_quick_fix_on_the_line_of_the_key(folder):
    (folder / "build.lua").write_text(MULTI_LINE)
    result = run_emacs(folder, "quick_fix", with_server_on_path())
    # Highlighted: the key alone, on line 3, columns 2-6.
    [diagnostic] = result["diagnostics"]
    assert diagnostic["text"] == "luakit [LK003]: state:run: unknown option 'cwdd' (did you mean 'cwd'?)"
    assert (diagnostic["line"], diagnostic["column"], diagnostic["end_column"]) == (3, 2, 6)
    # M-x eglot-code-actions with point at the start of that line: exactly the key changed, and
    # the diagnostic is gone (the buffer is not even saved).
    assert result["code_action_done"] is True, result["messages"]
    assert result["lines"] == MULTI_LINE.replace("cwdd", "cwd")
    assert result["cleared_done"] is True, "the diagnostic stayed after the fix"


GOOD_MODULE = 'local M = {}\nfunction M.file(s)\n  return s:mkfile("/a", "x")\nend\nreturn M\n'
USES_MODULE = 'local util = require("lib.util")\nbk.export(util.file(bk.image("alpine")))\n'
MISTYPED = "State has no method 'XXmkfile' (did you mean 'mkfile'?)"


def lines_of(shown: list[dict]) -> list[tuple]:
    return [(d["text"], d["line"]) for d in shown]


def test_emacs_scripts_follow_the_module_buffer(folder):
    # One project (a git repository, as eglot has it), so that both files share one server.
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    (folder / "build.lua").write_text(USES_MODULE)
    (folder / "lib").mkdir()
    module = folder / "lib" / "util.lua"
    module.write_text(GOOD_MODULE)
    result = run_emacs(folder, "modules", with_server_on_path())
    assert result["open_module_done"] is True, f"the module has no server, or another one: {result['messages']}"

    # `s:XXmkfile`, unsaved: build.lua shows the mistake at its line that led there, the module at the name.
    assert result["unsaved_done"] is True, result["messages"]
    assert result["unsaved_modified"] is True and result["unsaved_disk"] == GOOD_MODULE
    shown = result["unsaved_shown"]
    assert lines_of(shown["script"]) == [(f"luakit [LK003]: in lib/util.lua: {MISTYPED}", 2)], shown
    [in_module] = shown["module"]
    assert (in_module["text"], in_module["line"], in_module["column"]) == (f"luakit [LK003]: {MISTYPED}", 3, 11)
    # Undone (C-/), still unsaved: both clear.
    assert result["reverted_done"] is True, "the diagnostics stayed after the edit was undone"

    # Broken and saved: build.lua shows it; fixed and saved: it clears, build.lua untouched.
    assert result["broken_done"] is True, result["messages"]
    assert lines_of(result["broken_shown"]["script"]) == [(f"luakit [LK003]: in lib/util.lua: {MISTYPED}", 2)]
    assert result["fixed_done"] is True, "build.lua kept the stale diagnostic after the module was fixed"
    assert result["fixed_shown"] == {"script": None, "module": None}  # json-encode writes nil (no diagnostics) as null
    assert result["script_untouched"] is True and (folder / "build.lua").read_text() == USES_MODULE
    assert module.read_text() == GOOD_MODULE
