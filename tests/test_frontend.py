"""The gateway frontend's pure parts: options from the env, platforms, result metadata,
the generated stubs' freshness and `require` through a module reader.

The frontend itself, on a real daemon, is tests/e2e/test_frontend.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.evaluate import EvalOptions, ScriptSource, evaluate
from compiler.graph.platform import Platform
from luakit_frontend.options import FrontendOptions, OptionError, opts_from_env, parse_options, parse_platforms
from luakit_frontend.pb import gateway_pb2 as gw
from luakit_frontend.result import Built, build_result

ROOT = Path(__file__).resolve().parents[1]


def test_opts_come_from_numbered_env_variables_split_at_the_first_equals():
    env = {
        "BUILDKIT_FRONTEND_OPT_3": "label:x=y=z",
        "BUILDKIT_FRONTEND_OPT_0": "filename=ci/app.lua",
        "BUILDKIT_FRONTEND_OPT_12": "build-arg:EMPTY=",
        "BUILDKIT_FRONTEND_OPT_X": "ignored=1",
        "BUILDKIT_SESSION_ID": "abc",
        "PATH": "/bin",
    }
    assert opts_from_env(env) == {"label:x": "y=z", "filename": "ci/app.lua", "build-arg:EMPTY": ""}


def test_parse_options_follows_the_dockerfile_frontends_keys():
    options = parse_options(
        {
            "filename": "sub/build.lua",
            "build-arg:A": "1",
            "build-arg:B": "x=y",
            "label:team": "build",
            "platform": "linux/amd64, linux/aarch64,linux/amd64",
            "image-resolve-mode": "pull",
            "dockerfilekey": "defs",
            "attest:sbom": "",  # unknown keys are ignored, as buildx sends many
        }
    )
    assert options == FrontendOptions(
        filename="sub/build.lua",
        build_args={"A": "1", "B": "x=y"},
        platforms=(Platform("linux", "amd64"), Platform("linux", "arm64")),
        labels={"team": "build"},
        dockerfile_local="defs",
        image_resolve_mode="pull",
    )


def test_default_filename_is_build_lua_unless_forwarded_by_a_syntax_line():
    assert parse_options({}).filename == "build.lua"
    assert parse_options({"cmdline": "example/luakit", "source": "example/luakit"}).filename == "Dockerfile"
    assert parse_options({"cmdline": "x", "filename": "a.lua"}).filename == "a.lua"


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"platform": "linux"}, "platform option: invalid platform 'linux'"),
        ({"filename": "../build.lua"}, "filename '../build.lua'"),
        ({"filename": "/etc/passwd"}, "filename '/etc/passwd'"),
        ({"image-resolve-mode": "sometimes"}, "image-resolve-mode 'sometimes'"),
    ],
)
def test_bad_options_are_reported_in_the_users_terms(opts, message):
    with pytest.raises(OptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_options(opts)


def test_multi_platform_forced_by_option_or_build_arg():
    assert parse_options({"multi-platform": "true"}).multi_platform
    assert parse_options({"build-arg:BUILDKIT_MULTI_PLATFORM": "1"}).multi_platform
    assert not parse_options({}).multi_platform


def test_platforms_are_normalized_ids():
    assert [str(p) for p in parse_platforms("linux/arm/7,linux/x86_64,linux/armhf")] == ["linux/arm/v7", "linux/amd64"]
    assert parse_platforms("") == ()


def test_one_platform_gives_a_single_ref_and_config():
    amd64 = Platform("linux", "amd64")
    result = build_result([Built(amd64, "ref-1", {"os": "linux", "architecture": "amd64"})], multi_platform=False)
    assert result.WhichOneof("result") == "ref" and result.ref.id == "ref-1"
    assert json.loads(result.metadata["containerimage.config"]) == {"os": "linux", "architecture": "amd64"}
    assert json.loads(result.metadata["refs.platforms"]) == {
        "Platforms": [{"ID": "linux/amd64", "Platform": {"architecture": "amd64", "os": "linux"}}]
    }


def test_several_platforms_give_a_refs_map_with_a_config_each():
    builds = [
        Built(Platform("linux", "amd64"), "a", {"architecture": "amd64"}),
        Built(Platform("linux", "arm", "v7"), "b", {"architecture": "arm", "variant": "v7"}),
    ]
    result = build_result(builds, multi_platform=True)
    assert result.WhichOneof("result") == "refs"
    assert {k: v.id for k, v in result.refs.refs.items()} == {"linux/amd64": "a", "linux/arm/v7": "b"}
    assert "containerimage.config" not in result.metadata
    assert json.loads(result.metadata["containerimage.config/linux/arm/v7"]) == {"architecture": "arm", "variant": "v7"}
    platforms = json.loads(result.metadata["refs.platforms"])["Platforms"]
    # BuildKit requires the mapping's IDs to be exactly the refs' keys.
    assert sorted(p["ID"] for p in platforms) == sorted(result.refs.refs)
    assert platforms[1]["Platform"] == {"architecture": "arm", "os": "linux", "variant": "v7"}
    # The wire form is what the daemon parses: a round trip keeps everything.
    assert gw.Result.FromString(result.SerializeToString()) == result


def test_generated_stubs_match_the_proto(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "proto" / "generate_services.py"), str(tmp_path)], check=True)
    generated = sorted((tmp_path / "luakit_frontend" / "pb").iterdir())
    assert [p.name for p in generated] == ["gateway_pb2.py", "gateway_pb2.pyi", "gateway_pb2_grpc.py"]
    for fresh in generated:
        committed = ROOT / "luakit_frontend" / "pb" / fresh.name
        assert committed.read_bytes() == fresh.read_bytes(), (
            f"{fresh.name} is stale; run python proto/generate_services.py"
        )


def test_require_reads_modules_through_the_module_reader():
    """The seam the frontend serves `require` through: files from a BuildKit local, not the disk."""
    files = {"lib/greet.lua": 'return function(n) return "hi " .. n end\n'}
    asked: list[str] = []

    def reader(path: str) -> str | None:
        asked.append(path)
        return files.get(path)

    script = ScriptSource('local greet = require("lib.greet")\nbk.export(bk.scratch():mkfile("/g", greet("x")))\n')
    evaluation = evaluate(script, EvalOptions(module_reader=reader))
    assert evaluation.ok, evaluation.problems
    assert asked == ["lib/greet.lua"]

    missing = evaluate(ScriptSource('require("nope")\n'), EvalOptions(module_reader=reader))
    assert [str(p) for p in missing.problems] == [
        "build.lua:1:9: require: no module 'nope' (looked for nope.lua and nope/init.lua beside build.lua)"
    ]


class FakeBridge:
    """A stand-in for the gateway: serves one script from any local and prints what is returned."""

    def __init__(self, script: bytes) -> None:
        self.script = script

    def ping(self) -> gw.PongResponse:
        return gw.PongResponse()

    def solve(self, definition: bytes) -> str:
        return "ref"

    def read_file(self, ref_id: str, path: str) -> bytes | None:
        return self.script if path == "build.lua" else None

    def finish(self, result: gw.Result | None = None, error: str | None = None) -> None:
        print("RETURN", error, flush=True)


def test_a_script_that_is_not_utf8_fails_at_its_first_bad_byte():
    from luakit_frontend.main import BuildFailed, read_script

    bridge = FakeBridge(b"-- ok\nlocal \xe9 = 1\n")
    with pytest.raises(BuildFailed, match=r"^build\.lua:2:7: the script is not UTF-8 text \(byte 0xe9\)$"):
        read_script(bridge, FrontendOptions(), "")  # type: ignore[arg-type]


def test_a_script_stuck_in_one_c_call_is_returned_as_a_timeout_and_exits_0():
    """The count hook cannot end a pathological pattern; the watchdog Returns the error instead.

    In a child process, as the watchdog ends the process (with 0: a non-zero exit would
    replace the returned error).
    """
    stuck = b'local s = string.rep("a", 5000) .. "c"\ns:find(".-.-.-.-.-.-b")\nbk.export(bk.scratch())\n'
    program = (
        "import compiler.evaluate, luakit_frontend.main as m\n"
        "from tests.test_frontend import FakeBridge\n"
        "compiler.evaluate.WATCHDOG_GRACE = 0.5\n"
        "m.EVAL_TIMEOUT = 0.5\n"
        f"m.build(FakeBridge({stuck!r}), {{}})\n"
        "print('NOT REACHED')\n"
    )
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert (proc.returncode, proc.stdout) == (0, "RETURN build.lua: script evaluation timed out after 0.5s\n"), (
        proc.stderr
    )


def test_a_timeout_is_returned_at_the_line_that_was_running(monkeypatch):
    import luakit_frontend.main as m

    monkeypatch.setattr(m, "EVAL_TIMEOUT", 0.3)
    bridge = FakeBridge(b"local n = 0\nwhile true do\n  n = n + 1\nend\n")
    with pytest.raises(m.BuildFailed) as failed:
        m.build(bridge, {})  # type: ignore[arg-type]
    assert str(failed.value) in (
        "build.lua:3:3: script evaluation timed out after 0.3s",
        "build.lua:2:1: script evaluation timed out after 0.3s",  # the loop's test, one instruction on
    )


def test_a_stuck_script_is_returned_at_the_last_line_seen():
    stuck = b'for i = 1, 3e6 do end\nlocal s = string.rep("a", 5000) .. "c"\ns:find(".-.-.-.-.-.-b")\n'
    program = (
        "import compiler.evaluate, luakit_frontend.main as m\n"
        "from tests.test_frontend import FakeBridge\n"
        "compiler.evaluate.WATCHDOG_GRACE = 0.5\n"
        "m.EVAL_TIMEOUT = 0.5\n"
        f"m.build(FakeBridge({stuck!r}), {{}})\n"
    )
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert (proc.returncode, proc.stdout) == (0, "RETURN build.lua:1: script evaluation timed out after 0.5s\n")
