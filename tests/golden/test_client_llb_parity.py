"""luakit's LLB against BuildKit's own Go `client/llb`, op by op.

Each `cases/<name>.lua` has a twin in `clientllb/cases.go` that builds the same
graph with `client/llb` of the BuildKit module pinned by the harness; where luakit
follows Dockerfile on purpose (default PATH, "/"-namespaced cache ids, COPY's
defaults, ...) the Go side applies the same convention (`clientllb/conventions.go`).
The Go program is built here from the Go module proxy (cached under
~/.cache/luakit/clientllb/<hash of its sources and go.sum>), prints each case's
Definition, and every op digest of the two Definitions must be the same, with the
same metadata (caps, descriptions, progress groups). A first line
`-- platform: os/arch[/variant]` sets the case's target platform (default linux/amd64).
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import text_format

from compiler import EvalOptions, ScriptSource, evaluate
from compiler.graph import nodes as g
from compiler.graph.platform import Platform, parse
from compiler.image.config import image_defaults_from_config
from compiler.pb import ops_pb2 as pb

HERE = Path(__file__).resolve().parent
GO_DIR = HERE / "clientllb"
CASES_DIR = HERE / "cases"
IMAGES_FILE = HERE / "images.json"
CASES = sorted(p.stem for p in CASES_DIR.glob("*.lua"))
DEFAULT_PLATFORM = "linux/amd64"

sys.path.insert(0, str(HERE.parents[1] / "scripts"))
import buildkit_harness  # noqa: E402


def _go() -> str:
    # The harness builds buildkitd with the same toolchain (scripts/test installs nothing else for it).
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        pytest.fail("the client/llb parity test needs a Go toolchain on PATH (as scripts/buildkit_harness.py does)")
    return go


def _sources_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted([*GO_DIR.glob("*.go"), GO_DIR / "go.mod", GO_DIR / "go.sum"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def clientllb() -> Path:
    """The Go program, built once per change of its sources or go.sum."""
    binary = buildkit_harness.cache_dir() / "clientllb" / _sources_hash() / "clientllb"
    if not binary.is_file():
        binary.parent.mkdir(parents=True, exist_ok=True)
        staging = binary.with_name(f"clientllb.{os.getpid()}")
        env = {**os.environ, "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
        proc = subprocess.run(
            [_go(), "build", "-trimpath", "-o", str(staging), "."],
            cwd=GO_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode != 0:
            pytest.fail(f"go build of tests/golden/clientllb failed:\n{proc.stderr[-4000:]}")
        os.replace(staging, binary)
    return binary


def _platform_of(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    prefix = "-- platform:"
    return first[len(prefix) :].strip() if first.startswith(prefix) else DEFAULT_PLATFORM


def _script(name: str) -> str:
    return (CASES_DIR / f"{name}.lua").read_text()


@pytest.fixture(scope="session")
def go_definitions(clientllb: Path) -> dict[str, dict[str, str]]:
    requests = [{"name": name, "platform": _platform_of(_script(name))} for name in CASES]
    proc = subprocess.run(
        [str(clientllb), "-images", str(IMAGES_FILE)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


class _Registry:
    """The registry's answers for the image-config cases (images.json), as the Go side's resolver gives them."""

    def __init__(self) -> None:
        self._images = json.loads(IMAGES_FILE.read_text())

    def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None:
        entry = self._images.get(identifier.removeprefix("docker-image://"))
        if entry is None:
            return None
        return image_defaults_from_config(json.dumps(entry["config"]).encode(), entry["digest"])


def _luakit_definition(name: str) -> pb.Definition:
    text = _script(name)
    options = EvalOptions(target_platform=parse(_platform_of(text)), image_resolver=_Registry())
    evaluation = evaluate(ScriptSource(text, name=f"{name}.lua"), options)
    assert evaluation.ok, [str(p) for p in evaluation.problems]
    return pb.Definition.FromString(evaluation.definition_bytes())


def _ops(definition: pb.Definition) -> list[tuple[str, pb.Op]]:
    return [("sha256:" + hashlib.sha256(raw).hexdigest(), pb.Op.FromString(raw)) for raw in getattr(definition, "def")]


def _shown(message: object) -> list[str]:
    return text_format.MessageToString(message, as_utf8=True).splitlines()  # type: ignore[arg-type]


def _kind(op: pb.Op) -> str:
    return op.WhichOneof("op") or "final"


def _without_inputs(op: pb.Op) -> pb.Op:
    bare = pb.Op()
    bare.CopyFrom(op)
    bare.ClearField("inputs")
    return bare


def _differences(go: pb.Definition, lua: pb.Definition) -> list[str]:
    """What differs, as unified diffs of the decoded ops and metadata (empty: the same)."""
    go_ops, lua_ops = _ops(go), _ops(lua)
    go_digests, lua_digests = {d for d, _ in go_ops}, {d for d, _ in lua_ops}
    report: list[str] = []
    only_go = [(d, op) for d, op in go_ops if d not in lua_digests]
    only_lua = [(d, op) for d, op in lua_ops if d not in go_digests]
    # Both sides list ops in the same walk order, so the n-th op that differs on one
    # side is the n-th on the other (the diff shows it when it is not).
    for i in range(max(len(only_go), len(only_lua))):
        go_op = only_go[i] if i < len(only_go) else None
        lua_op = only_lua[i] if i < len(only_lua) else None
        if go_op and lua_op and _without_inputs(go_op[1]) == _without_inputs(lua_op[1]):
            report.append(f"{_kind(lua_op[1])} {lua_op[0]}: the same op on other inputs (a difference above)")
            continue
        report.extend(
            difflib.unified_diff(
                _shown(go_op[1]) if go_op else [],
                _shown(lua_op[1]) if lua_op else [],
                f"client/llb {_kind(go_op[1]) + ' ' + go_op[0] if go_op else '(no such op)'}",
                f"luakit     {_kind(lua_op[1]) + ' ' + lua_op[0] if lua_op else '(no such op)'}",
                lineterm="",
            )
        )
    for digest, op in go_ops:
        if digest in lua_digests:
            report.extend(
                difflib.unified_diff(
                    _shown(go.metadata[digest]),
                    _shown(lua.metadata[digest]),
                    f"client/llb metadata of {_kind(op)} {digest}",
                    f"luakit     metadata of {_kind(op)} {digest}",
                    lineterm="",
                )
            )
    return report


def test_every_lua_case_has_a_go_twin(clientllb: Path) -> None:
    proc = subprocess.run([str(clientllb), "-list"], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(proc.stdout) == CASES


@pytest.mark.parametrize("name", CASES)
def test_op_digests_match_client_llb(name: str, go_definitions: dict[str, dict[str, str]]) -> None:
    answer = go_definitions[name]
    assert "error" not in answer, f"client/llb could not marshal {name}: {answer['error']}"
    go = pb.Definition.FromString(base64.b64decode(answer["definition"]))
    lua = _luakit_definition(name)
    differences = _differences(go, lua)
    if differences:
        pytest.fail(f"{name}: luakit's LLB differs from client/llb's\n" + "\n".join(differences), pytrace=False)
    assert len(getattr(lua, "def")) >= 2  # some op and the final vertex: the case really built something
