"""What the real-editor tests share: the documented set-ups, the server on PATH, Debian's editors.

The editor set-ups of docs/editors.md are the files under editors/, which the docs show verbatim;
the tests load these files, never a copy of their own, so what they prove holds for the text a
user pastes, and `documented` fails when the docs stop showing a file byte for byte. The
set-ups start `luakit-ls` by name, as a user's would: `with_server_on_path` puts this venv's
first on PATH, `without_server_on_path` leaves every `luakit-ls` off it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.pb import ops_pb2 as pb

ROOT = Path(__file__).resolve().parents[2]
EDITORS = ROOT / "editors"
DOCS = ROOT / "docs" / "editors.md"
_FENCE = re.compile(r"^```[\w-]*\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def fenced_blocks() -> list[str]:
    """The text of every fenced code block in docs/editors.md."""
    return [m.group(1) for m in _FENCE.finditer(DOCS.read_text())]


def documented(relative: str) -> str:
    """editors/<relative>'s text, after checking docs/editors.md shows it as one whole code block."""
    text = (EDITORS / relative).read_text()
    assert text in fenced_blocks(), f"docs/editors.md does not show editors/{relative} as it is"
    return text


def snippet_files() -> list[str]:
    return sorted(str(p.relative_to(EDITORS)) for p in EDITORS.rglob("*") if p.is_file())


def with_server_on_path() -> str:
    """PATH with this venv's `luakit-ls` (pip install -e .) ahead of any other."""
    venv_bin = Path(sys.executable).parent
    assert (venv_bin / "luakit-ls").exists(), f"no luakit-ls next to {sys.executable}: pip install -e ."
    return os.pathsep.join([str(venv_bin), os.environ.get("PATH", "")])


def without_server_on_path() -> str:
    """PATH without any folder that has a `luakit-ls` (the editors and Graphviz stay)."""
    folders = os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin", "/bin"]
    kept = [f for f in dict.fromkeys(folders) if f and not (Path(f) / "luakit-ls").exists()]
    path = os.pathsep.join(kept)
    assert shutil.which("luakit-ls", path=path) is None
    return path


def built_definition(script: Path) -> bytes:
    """What `luakit build --no-resolve build.lua` writes, run in the script's folder (the editors'
    servers run with LUAKIT_NO_RESOLVE=1, and name the script in the source map as that command
    does), checked to be a `pb.Definition` of the script's ops."""
    out = script.with_name("reference.llb")
    command = [sys.executable, "-m", "compiler.cli", "build", "--no-resolve", script.name, "-o", str(out)]
    built = subprocess.run(command, capture_output=True, cwd=script.parent)
    assert built.returncode == 0, built.stderr.decode()
    definition = pb.Definition.FromString(out.read_bytes())
    assert len(getattr(definition, "def")) > 1  # `def` is a Python keyword: protobuf keeps the name
    return out.read_bytes()


def apt_install(*packages: str) -> str:
    """apt-get install `packages` (as scripts/test does); apt's complaints, if any."""
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=120"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*apt, "update", "-qq"], env=env, capture_output=True, timeout=600)
    installed = subprocess.run([*apt, "install", "-y", "-qq", *packages], env=env, capture_output=True, timeout=600)
    return installed.stderr.decode()[-2000:]


def debian_package(command: str, package: str) -> str:
    """`command` from Debian's `package`, installed when it is missing."""
    found = shutil.which(command)
    if found is None:
        complaints = apt_install(package)
        found = shutil.which(command)
        if found is None:
            pytest.fail(f"{command} is missing and `apt-get install {package}` failed: {complaints}")
    return found
