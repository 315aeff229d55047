"""Every example, and every Lua sample of the seed README, compiles with `luakit build`."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Decoded, decode

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
    assert proc.stderr == b"", proc.stderr.decode()  # not even a warning
    return proc.stdout


def outline(d: Decoded) -> list[str]:
    """Each op in Definition order, in a few words: what the script asked BuildKit to do."""
    lines = []
    for op in d.ops:
        kind = op.WhichOneof("op")
        if kind == "source":
            lines.append(op.source.identifier)
        elif kind == "exec":
            args = list(op.exec.meta.args)
            lines.append("run " + (args[2] if args[:2] == ["/bin/sh", "-c"] else " ".join(args)))
        elif kind == "file":
            action = op.file.actions[0]
            name = action.WhichOneof("action")
            body = getattr(action, name)
            lines.append(f"copy {body.src} {body.dest}" if name == "copy" else f"{name} {body.path}")
        else:
            lines.append(kind)
    return lines


GO_MULTISTAGE = [
    "docker-image://gcr.io/distroless/static-debian12:latest",
    "docker-image://docker.io/library/golang:1.21-alpine",
    "local://context",
    "copy / /app",
    "run go mod download",
    "local://context",
    "copy / /app",
    "run go build -ldflags=-s -w -o /out/server .",
    "copy /out/server /server",
]
HELLO = ["docker-image://docker.io/library/alpine:3.19", "run echo 'Hello from Luakit!' > /greeting.txt"]

# What each script builds, the exported op last.
OUTLINES = {
    "go-multistage": GO_MULTISTAGE,
    "hello": HELLO,
    "merge-diff": [
        "docker-image://docker.io/library/alpine:3.19",
        "run apk add --no-cache curl",
        "run apk add --no-cache jq",
        "merge",
        "run apk add --no-cache nginx",
        "diff",
        "merge",
        "mkfile /usr/share/nginx/html/index.html",
    ],
    "node": [
        "docker-image://docker.io/library/node:20-alpine",
        "local://context",
        "copy / /app",
        "run npm ci",
        "copy /app/node_modules /app/node_modules",
        "copy / /app",
        "run npm run build",
        "copy /app/dist /app/dist",
        "copy /package.json /app/package.json",
    ],
    "prelude": [
        "docker-image://docker.io/library/alpine:3.19",
        "run apk add --no-cache ca-certificates tzdata",
        "docker-image://docker.io/library/golang:1.22-alpine",
        "run apk add --no-cache git ca-certificates build-base",
        "local://context",
        "copy / /app",
        "run go mod download",
        "copy / /app",
        "run CGO_ENABLED=0 GOOS=linux go build -ldflags='-s -w'  -o /out/server .",
        "copy /out/server /app/server",
        "run addgroup -S -g 1000 app && adduser -S -D -u 1000 -G app app",
        "run chown -R app:app /app",
    ],
    "python": [
        "docker-image://docker.io/library/python:3.12-slim",
        "run useradd --create-home --uid 10001 app",
        "local://context",
        "copy /requirements.txt /src/requirements.txt",
        "run pip wheel --wheel-dir /wheels -r /src/requirements.txt",
        "run pip install --no-index --find-links /wheels -r /wheels/requirements.txt",
        "copy /app /srv/app",
    ],
    "sample1.lua": HELLO,
    "sample2.lua": GO_MULTISTAGE,
}


def check_well_formed(d: Decoded, script: Path) -> None:
    """Inputs point at earlier ops, the final vertex at the last one, and every op is located in the script."""
    for i, op in enumerate(d.ops):
        assert all(inp.digest in d.digests[:i] for inp in op.inputs), f"op {i} uses an op that comes later"
    assert [inp.digest for inp in d.final.inputs] == [d.digests[-1]]
    files = [info.filename for info in d.definition.Source.infos]
    for digest in d.digests:
        locations = d.definition.Source.locations[digest].locations
        assert locations, digest
        assert any(files[loc.sourceIndex] in (script.name, "luakit/prelude.lua") for loc in locations)


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_compiles_to_what_it_describes(script):
    d = decode(luakit_build(script))
    assert outline(d) == OUTLINES[script.parent.name]
    check_well_formed(d, script)


@pytest.mark.parametrize("script", SEED_SAMPLES, ids=lambda p: p.name)
def test_seed_readme_sample_compiles_to_what_it_describes(script):
    d = decode(luakit_build(script))
    assert outline(d) == OUTLINES[script.name]
    check_well_formed(d, script)


def test_every_example_has_an_outline():
    assert {p.parent.name for p in EXAMPLES} | {p.name for p in SEED_SAMPLES} == set(OUTLINES)


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
