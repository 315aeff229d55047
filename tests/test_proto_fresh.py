"""compiler/pb is generated from proto/: fail when it is stale."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_generated_modules_match_the_proto_files(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "proto" / "generate.py"), str(tmp_path)], check=True, timeout=120)
    generated = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".py", ".pyi"))
    assert generated
    for name in generated:
        committed = ROOT / "compiler" / "pb" / name
        assert committed.exists(), f"{name} is not committed; run python proto/generate.py"
        assert committed.read_text() == (tmp_path / name).read_text(), f"{name} is stale; run python proto/generate.py"
