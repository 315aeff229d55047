"""Every example, and every Lua sample of the seed README, compiles with `luakit build`."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import decode

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*/build.lua"))
SEED_SAMPLES = sorted((ROOT / "tests" / "fixtures" / "seed").glob("*.lua"))
SEED_README = ROOT.parent / "shared" / "seed" / "luakit-README.md"


def luakit_build(script: Path) -> bytes:
    proc = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "build", script.name],
        capture_output=True,
        cwd=script.parent,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_compiles(script):
    d = decode(luakit_build(script))
    assert d.ops


@pytest.mark.parametrize("script", SEED_SAMPLES, ids=lambda p: p.name)
def test_seed_readme_sample_compiles(script):
    assert decode(luakit_build(script)).ops


def test_seed_samples_are_the_readme_samples():
    assert len(SEED_SAMPLES) >= 2
    if SEED_README.exists():  # the committed copies must stay those of the seed README
        blocks = re.findall(r"```lua\n(.*?)```", SEED_README.read_text(), re.S)
        assert [p.read_text() for p in SEED_SAMPLES] == blocks


def test_go_multistage_matches_what_the_readme_promises():
    d = decode(luakit_build(ROOT / "examples" / "go-multistage" / "build.lua"))
    caches = {m.cacheOpt.ID for op in d.of_kind("exec") for m in op.exec.mounts if m.mountType == 3}
    assert caches == {"/gomod", "/gobuild"}
    copies = [op.file.actions[0].copy for op in d.of_kind("file")]
    assert all(c.mode == -1 for c in copies)  # modes kept: the binary stays executable
