"""Run a scenario the way a user does: write build.lua, `luakit build`, pipe to buildctl.

    result = scenario(buildkit, tmp_path, '''
        local base = bk.image(bk.arg("BASE"))
        bk.export(base:run("echo hi > /hi"))
    ''', files={"hello.txt": "world"})
    assert (result.out / "hi").read_text() == "hi\\n"

`BASE` is always passed as a build arg: the busybox image in the harness registry.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import buildkit_harness


@dataclass
class Scenario:
    definition: bytes
    out: Path  # the type=local export (when output was not given)
    build: buildkit_harness.BuildResult


def compile_script(script_dir: Path, args: dict[str, str] | None = None, extra: list[str] | None = None) -> bytes:
    """The real CLI, as a subprocess: returns the Definition from stdout."""
    cmd = [sys.executable, "-m", "compiler.cli", "build", str(script_dir / "build.lua")]
    for key, value in (args or {}).items():
        cmd += ["--arg", f"{key}={value}"]
    cmd += extra or []
    proc = subprocess.run(cmd, capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"luakit build failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return proc.stdout


def write_files(root: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def scenario(
    buildkit: buildkit_harness.BuildKit,
    tmp_path: Path,
    script: str,
    *,
    files: dict[str, Any] | None = None,
    args: dict[str, str] | None = None,
    cli_flags: list[str] | None = None,
    output: str | None = None,
    contexts: dict[str, Path] | None = None,
    **build_kwargs: Any,
) -> Scenario:
    """Write `script` (+ `files`) into a context dir, compile with luakit, build on BuildKit."""
    context = tmp_path / "context"
    context.mkdir(parents=True, exist_ok=True)
    (context / "build.lua").write_text(textwrap.dedent(script))
    write_files(context, files or {})
    all_args = {"BASE": buildkit.busybox_ref, **(args or {})}
    definition = compile_script(context, all_args, cli_flags)
    out = tmp_path / "out"
    result = buildkit.build(
        definition,
        contexts={"context": context, **(contexts or {})},
        output=output or f"type=local,dest={out}",
        **build_kwargs,
    )
    return Scenario(definition, out, result)
