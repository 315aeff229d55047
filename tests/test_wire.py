"""Wire-level checks: Go-identical op bytes, determinism, and BuildKit's own decoder."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.graph.platform import parse
from compiler.pb import ops_pb2 as pb
from tests.helpers import build, decode, run_script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import buildkit_harness  # noqa: E402

RICH = """
local base = bk.image("alpine:3.19", { platform = "linux/arm64" })
local ctx = bk.local_("context", { include = { "*.go" }, exclude = { "vendor" } })
local r = base:run("make", { env = { B = "2", A = "1" }, cwd = "/src", user = "app", network = "none",
  valid_exit_codes = { 0, 1 }, hostname = "h", extra_hosts = { db = "10.0.0.1" },
  ulimits = { nofile = 1024 }, secret_env = { TOKEN = "tok" },
  mounts = { bk.cache("/c", { sharing = "locked" }), bk.secret("/s"), bk.ssh(), bk.tmpfs("/t", { size = 1024 }),
             bk.bind(ctx, "/ctx", { selector = "sub" }) } })
local f = r:copy(ctx, "a", "/b", { mode = "0755", owner = 0 }):mkdir("/d", { make_parents = true })
  :mkfile("/e", "x", { owner = "app:app" }):rm("/f", { allow_not_found = true }):symlink("/g", "/h")
local g = bk.git("https://example.com/repo.git", { ref = "v1", keep_git_dir = true })
local h = bk.http("https://example.com/f.tgz", { checksum = "sha256:" .. string.rep("a", 64), chmod = "0700" })
bk.export(bk.merge(f, bk.diff(base, r), g, h):with_metadata({ description = "all", progress_group = "p" }))
"""


def test_image_digest_is_identical_to_go_llb():
    # llb.Image("alpine") marshalled on linux/amd64 by BuildKit's Go client (docs/llb.md#op-encoding-and-digests).
    d = build('bk.export(bk.image("alpine"))', target_platform=parse("linux/amd64"))
    assert d.digests[0] == "sha256:a7f9733e307dd352c82d43053b783dd17bb2ec2c36214908ce393e41545c8b51"


def test_op_bytes_put_the_oneof_last_like_go():
    d = build('bk.export(bk.image("alpine"):run("x"))', target_platform=parse("linux/amd64"))
    raw = list(getattr(d.definition, "def"))[1]
    # inputs(1), platform(10), constraints(11), then exec(2)
    tags = []
    i = 0
    while i < len(raw):
        tag = raw[i]
        tags.append(tag >> 3)
        length, i = raw[i + 1], i + 2
        shift = 7
        while length & 0x80:  # multi-byte varint length
            length = (length & 0x7F) | (raw[i] << shift)
            i += 1
            shift += 7
        i += length
    assert tags == [1, 10, 11, 2]


# Wide merges of diffs and scratch inputs: the oneofs compiler/llb/encode.py serializes once and reuses.
SHARED_PARTS = """
local base = bk.image("alpine:3.19")
local layers = {}
for i = 1, 4 do
  layers[i] = bk.diff(base, base:run("echo " .. i))
end
layers[5] = bk.diff(bk.scratch(), base:mkfile("/f", "x"))
layers[6] = bk.diff(base, bk.scratch())
bk.export(bk.merge(bk.merge(unpack(layers)), bk.merge(layers[1], layers[2]), base))
"""


@pytest.mark.parametrize("script", [RICH, SHARED_PARTS], ids=["rich", "shared-parts"])
def test_op_bytes_are_upbs_serialization_with_the_oneof_last(script: str) -> None:
    # An oracle apart from the encoder's own (cached, concatenated) parts: each op parsed
    # back and serialized whole by upb, then split at the oneof as Go orders it.
    d = build(script, target_platform=parse("linux/amd64"))
    raw = list(getattr(d.definition, "def"))[:-1]
    kinds = set()
    for data in raw:
        op = pb.Op.FromString(data)
        kind = op.WhichOneof("op")
        assert kind is not None
        kinds.add(kind)
        head, body = pb.Op(), pb.Op()
        head.CopyFrom(op)
        head.ClearField(kind)
        getattr(body, kind).CopyFrom(getattr(op, kind))
        assert data == head.SerializeToString(deterministic=True) + body.SerializeToString(deterministic=True)
    assert {"exec", "source", "file", "merge", "diff"} <= kinds


def _build_in_subprocess(script: Path, seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "build", str(script)], capture_output=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_output_is_byte_identical_across_runs_and_hash_seeds(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.lua").write_text("return { env = { Z = '1', A = '2', M = '3' } }")
    (tmp_path / "lib" / "b.lua").write_text("return { labels = { x = '1', y = '2' } }")
    script = tmp_path / "build.lua"
    script.write_text(
        "local a = require('lib.a') local b = require('lib.b')\n"
        + RICH.replace('env = { B = "2", A = "1" }', "env = a.env")
    )
    outputs = {_build_in_subprocess(script, seed) for seed in ("0", "1", "12345")}
    assert len(outputs) == 1
    assert decode(outputs.pop()).definition.Source.infos[1].filename == str(tmp_path / "lib" / "a.lua")


def test_every_op_has_metadata_and_a_source_location_entry():
    d = build(RICH)
    for digest in d.digests:
        assert digest in d.definition.metadata
        assert digest in d.definition.Source.locations
    assert all(len(d.definition.Source.locations[x].locations) >= 1 for x in d.digests)


def find_buildctl() -> str:
    """The pinned buildctl, found or built by the harness as tests/e2e does (~/.cache/luakit).

    `buildctl debug dump-llb` needs no daemon. Never skipped: without Go to build
    buildctl and without one on PATH the test fails and says how to get one.
    """
    try:
        return str(buildkit_harness.ensure_buildkit() / "buildctl")
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        on_path = shutil.which("buildctl")
        if on_path:
            return on_path
        pytest.fail(
            f"no buildctl: the harness could not build it ({exc}); run `python3 scripts/buildkit_harness.py install`",
            pytrace=False,
        )


def test_buildkit_decodes_our_definition_field_by_field():
    buildctl = find_buildctl()
    evaluation = run_script(RICH)
    assert evaluation.ok, evaluation.problems
    data = evaluation.definition_bytes()
    ours = decode(data)
    theirs = buildkit_harness.dump_llb(data, buildctl=buildctl)
    # BuildKit recomputes each digest from the bytes we sent: they must agree.
    assert [entry["Digest"] for entry in theirs] == ours.digests + [
        d for d in ours.definition.metadata if d not in ours.digests
    ]
    by_digest = {entry["Digest"]: entry for entry in theirs}
    for op, digest in zip(ours.ops, ours.digests, strict=True):
        entry = by_digest[digest]
        kind = op.WhichOneof("op")
        body = entry["Op"]["Op"][kind]
        assert set(entry["OpMetadata"]["caps"]) == set(ours.definition.metadata[digest].caps)
        if kind == "exec":
            meta = body["meta"]
            assert meta["args"] == ["/bin/sh", "-c", "make"]
            assert meta["env"] == [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "A=1",
                "B=2",
                "SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0",
            ]
            assert (meta["cwd"], meta["user"], meta["hostname"]) == ("/src", "app", "h")
            assert meta["validExitCodes"] == [0, 1]
            assert meta["extraHosts"] == [{"Host": "db", "IP": "10.0.0.1"}]
            assert meta["ulimit"] == [{"Name": "nofile", "Soft": 1024, "Hard": 1024}]
            assert body["network"] == pb.NONE
            assert body["secretenv"] == [{"ID": "tok", "name": "TOKEN"}]
            mounts = {m["dest"]: m for m in body["mounts"]}
            assert mounts["/c"]["cacheOpt"] == {"ID": "//c", "sharing": pb.LOCKED}
            assert mounts["/c"]["input"] == -1 and mounts["/c"]["output"] == -1
            assert mounts["/ctx"]["selector"] == "sub" and mounts["/ctx"]["readonly"] is True
            assert mounts["/s"]["secretOpt"] == {"ID": "s", "mode": 0o400}
            assert mounts["/run/buildkit/ssh_agent.0"]["SSHOpt"] == {"mode": 0o600}  # the id "" is "default"
            assert mounts["/t"]["TmpfsOpt"] == {"size": 1024}
            assert entry["Op"]["platform"] == {"Architecture": "arm64", "OS": "linux"}
        elif kind == "file":
            action = body["actions"][0]["Action"]
            if "copy" in action:
                assert action["copy"]["mode"] == 0o755
                assert action["copy"]["timestamp"] == -1
                assert action["copy"]["owner"] == {"user": {"User": {}}}  # byID 0, present
            if "mkdir" in action:
                assert action["mkdir"] == {"path": "/d", "mode": 0o755, "makeParents": True, "timestamp": -1}
            if "mkfile" in action:
                assert action["mkfile"]["mode"] == 0o644
        elif kind == "source":
            identifier = body["identifier"]
            attrs = body.get("attrs", {})
            if identifier.startswith("local://"):
                assert attrs == {"local.includepattern": '["*.go"]', "local.excludepatterns": '["vendor"]'}
            if identifier.startswith("git://"):
                assert identifier == "git://example.com/repo.git#v1"
                assert attrs["git.keepgitdir"] == "true"
            if identifier.startswith("https://"):
                assert attrs["http.perm"] == "0700"
        elif kind == "merge":
            assert entry["OpMetadata"]["description"] == {"llb.customname": "all"}
            assert entry["OpMetadata"]["progress_group"] == {"id": "p", "name": "p"}
    final = theirs[-1]
    assert final["Op"]["Op"] == {} and final["Op"]["inputs"][0]["digest"] == ours.final.inputs[0].digest


# Two runs of each kind, differing in their commands (and envs) alone: the second op of each kind is
# encoded from the first one's body (compiler/llb/encode.py `_exec_bodies`), every other from
# its own. A field left out of the body's key would give one kind the body of another.
EXEC_KINDS = """
local base = bk.image("alpine")
local ctx = bk.local_("context")
local s = base
for i = 1, 2 do
  s = s:run("plain " .. i)
  s = s:run("env " .. i, { env = { A = "1", STEP = tostring(i) } })
  s = s:run("cwd " .. i, { cwd = "/w" })
  s = s:run("user " .. i, { user = "u" })
  s = s:run("hostname " .. i, { hostname = "h" })
  s = s:run("network " .. i, { network = "host" })
  s = s:run("security " .. i, { security = "insecure" })
  s = s:run("cache " .. i, { mounts = { bk.cache("/c"), bk.tmpfs("/t") } })
  s = s:run("locked " .. i, { mounts = { bk.cache("/c", { sharing = "locked" }) } })
  s = s:run("secrets " .. i, { mounts = { bk.secret("/s"), bk.ssh() } })
  s = s:run("secret env " .. i, { secret_env = { T = "t" } })
  s = s:run("hosts " .. i, { extra_hosts = { db = "10.0.0.1" } })
  s = s:run("ulimits " .. i, { ulimits = { nofile = 1024 } })
  s = s:run("exit codes " .. i, { valid_exit_codes = { 0, 1 } })
  s = s:run("bind " .. i, { mounts = { bk.bind(ctx, "/b") } })
  s = bk.merge(s, bk.scratch():run("scratch root " .. i))
end
bk.export(s)
"""


def test_exec_ops_encoded_from_a_shared_body_are_the_ops_built_whole(monkeypatch):
    from compiler.llb import encode

    encode._exec_bodies.clear()
    shared = run_script(EXEC_KINDS).definition_bytes()
    monkeypatch.setattr(encode, "_exec_key", lambda node, inputs: None)  # every op built whole
    whole = run_script(EXEC_KINDS).definition_bytes()
    assert decode(shared).ops == decode(whole).ops
    assert shared == whole
