"""state:run and mounts: Meta, mounts, inputs/outputs, caps (docs/llb.md#exec)."""

import pytest

from compiler.pb import ops_pb2 as pb
from tests.helpers import build, error

PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def run_op(code: str) -> tuple[pb.Op, set[str]]:
    d = build(f'local base = bk.image("alpine")\nbk.export({code})')
    op = d.one("exec")
    return op, d.caps(op)


def test_string_command_runs_through_sh_with_defaults():
    op, caps = run_op('base:run("echo hi")')
    meta = op.exec.meta
    assert list(meta.args) == ["/bin/sh", "-c", "echo hi"]
    assert list(meta.env) == [PATH]
    assert meta.cwd == "/"
    assert meta.user == ""
    assert meta.removeMountStubsRecursive
    assert [(m.dest, m.input, m.output, m.readonly) for m in op.exec.mounts] == [("/", 0, 0, False)]
    assert caps == {"exec.meta.base", "exec.mount.bind"}


def test_argv_command_and_numbers():
    op, _ = run_op('base:run({ "ls", "-l", 3 })')
    assert list(op.exec.meta.args) == ["ls", "-l", "3"]


def test_env_map_is_sorted_and_list_keeps_order():
    op, _ = run_op('base:run("x", { env = { B = "2", A = "1", C = 3 } })')
    assert list(op.exec.meta.env) == [PATH, "A=1", "B=2", "C=3"]
    op, _ = run_op('base:run("x", { env = { "Z=1", "A=2=3", "Z=4" } })')
    assert list(op.exec.meta.env) == [PATH, "A=2=3", "Z=4"]
    op, _ = run_op('base:run("x", { env = { PATH = "/bin" } })')
    assert list(op.exec.meta.env) == ["PATH=/bin"]


def test_cwd_user_hostname_network_security():
    op, caps = run_op(
        'base:run("x", { cwd = "/src", user = "1000:1000", hostname = "box", network = "none", security = "insecure" })'
    )
    meta = op.exec.meta
    assert (meta.cwd, meta.user, meta.hostname) == ("/src", "1000:1000", "box")
    assert op.exec.network == pb.NONE
    assert op.exec.security == pb.INSECURE
    assert {"exec.meta.network", "exec.meta.security"} <= caps
    op, _ = run_op('base:run("x", { network = "host" })')
    assert op.exec.network == pb.HOST


@pytest.mark.parametrize(
    "value, codes",
    [("1", [1]), ("{ 0, 1, 7 }", [0, 1, 7]), ('"0..3"', [0, 1, 2, 3])],
)
def test_valid_exit_codes(value, codes):
    op, caps = run_op(f'base:run("x", {{ valid_exit_codes = {value} }})')
    assert list(op.exec.meta.validExitCodes) == codes
    assert "exec.validexitcode" in caps


def test_extra_hosts_ulimits_secret_env():
    op, caps = run_op(
        """base:run("x", {
          extra_hosts = { ["db.local"] = "10.0.0.2", ["a.local"] = "::1" },
          ulimits = { nofile = { soft = 1024, hard = 4096 }, nproc = 100 },
          secret_env = { TOKEN = "tok", KEY = { id = "k", optional = true } },
        })"""
    )
    meta = op.exec.meta
    assert [(h.Host, h.IP) for h in meta.extraHosts] == [("a.local", "::1"), ("db.local", "10.0.0.2")]
    assert [(u.Name, u.Soft, u.Hard) for u in meta.ulimit] == [("nofile", 1024, 4096), ("nproc", 100, 100)]
    assert [(s.ID, s.name, s.optional) for s in op.exec.secretenv] == [
        ("k", "KEY", True),
        ("tok", "TOKEN", False),
    ]
    assert {"exec.meta.ulimit", "exec.secretenv", "exec.mount.secret"} <= caps


def test_cache_tmpfs_secret_ssh_mounts():
    op, caps = run_op(
        """base:run("x", { mounts = {
          bk.ssh(),
          bk.secret("/run/secrets/npmrc"),
          bk.cache("/root/.npm", { sharing = "locked" }),
          bk.tmpfs("/tmp", { size = 1048576 }),
          bk.cache("/go/pkg/mod", { id = "gomod" }),
        } })"""
    )
    mounts = [(m.dest, m.mountType, m.input, m.output) for m in op.exec.mounts]
    assert mounts == [
        ("/", pb.BIND, 0, 0),
        ("/go/pkg/mod", pb.CACHE, -1, -1),
        ("/root/.npm", pb.CACHE, -1, -1),
        ("/tmp", pb.TMPFS, -1, -1),
        ("/run/secrets/npmrc", pb.SECRET, -1, 0),
        ("/run/buildkit/ssh_agent.0", pb.SSH, -1, 0),
    ]
    by_dest = {m.dest: m for m in op.exec.mounts}
    assert by_dest["/root/.npm"].cacheOpt.ID == "//root/.npm"  # Dockerfile's default id
    assert by_dest["/root/.npm"].cacheOpt.sharing == pb.LOCKED
    assert by_dest["/go/pkg/mod"].cacheOpt.ID == "/gomod"
    assert by_dest["/tmp"].TmpfsOpt.size == 1048576
    secret = by_dest["/run/secrets/npmrc"].secretOpt
    assert (secret.ID, secret.mode, secret.uid, secret.optional) == ("npmrc", 0o400, 0, False)
    ssh = by_dest["/run/buildkit/ssh_agent.0"].SSHOpt
    assert (ssh.ID, ssh.mode) == ("", 0o600)  # llb's; the daemon reads "" as the forward "default"
    assert "SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0" in op.exec.meta.env
    assert {
        "exec.mount.cache",
        "exec.mount.cache.sharing",
        "exec.mount.tmpfs",
        "exec.mount.tmpfs.size",
        "exec.mount.secret",
        "exec.mount.ssh",
    } <= caps


def test_secret_and_ssh_options():
    op, _ = run_op(
        """base:run("x", { mounts = {
          bk.secret("/s", { id = "tok", uid = 1000, gid = 1001, mode = "0440", optional = true }),
          bk.ssh({ dest = "/agent.sock", id = "gh", uid = 1000, gid = "1001", mode = 432, optional = true }),
        } })"""
    )
    # Every value differs from its default (secret 0:0 0400 required; ssh 0:0 0600 required),
    # so an option that was ignored would show.
    s = op.exec.mounts[1].secretOpt
    assert (s.ID, s.uid, s.gid, s.mode, s.optional) == ("tok", 1000, 1001, 0o440, True)
    ssh = op.exec.mounts[2].SSHOpt
    assert (op.exec.mounts[2].dest, ssh.ID, ssh.uid, ssh.gid, ssh.optional) == ("/agent.sock", "gh", 1000, 1001, True)
    assert ssh.mode == 432 == 0o660  # a number is taken as given


def test_bind_mounts_inputs_outputs_and_selector():
    d = build(
        """
        local base = bk.image("alpine")
        local tools = bk.image("busybox")
        local out = bk.scratch()
        local r = base:run("x", { mounts = {
          bk.bind(tools, "/tools", { selector = "/bin" }),
          bk.bind(out, "/out", { readonly = false }),
          bk.bind(tools, "/tools2"),
        } })
        bk.export(r:get_mount("/out"))
        """
    )
    op = d.one("exec")
    mounts = [(m.dest, m.input, m.output, m.readonly, m.selector) for m in op.exec.mounts]
    assert mounts == [
        ("/", 0, 0, False, ""),
        ("/out", -1, 1, False, ""),
        ("/tools", 1, -1, True, "bin"),
        ("/tools2", 1, -1, True, ""),
    ]
    assert len(op.inputs) == 2
    assert d.final.inputs[0].index == 1  # get_mount("/out") is output 1
    assert {"exec.mount.bind", "exec.mount.selector"} <= d.caps(op)


def test_readonly_rootfs_result_is_reached_through_get_mount():
    d = build(
        """
        local r = bk.image("alpine"):run("echo hi > /out/x", {
          readonly_rootfs = true, mounts = { bk.bind(bk.scratch(), "/out", { readonly = false }) } })
        bk.export(r:get_mount("/out"))
        """
    )
    op = d.one("exec")
    assert [(m.dest, m.readonly, m.output) for m in op.exec.mounts] == [("/", True, -1), ("/out", False, 0)]
    assert d.final.inputs[0].index == 0


def test_relative_mount_dest_is_under_cwd():
    op, _ = run_op('base:run("x", { cwd = "/app", mounts = { bk.cache("node_modules") } })')
    assert op.exec.mounts[1].dest == "/app/node_modules"


def test_run_errors():
    assert error('bk.image("a"):run()') == "build.lua:1:18: state:run: command argument required"
    assert "state:run: unknown option 'cwdd' (did you mean 'cwd'?)" in error('bk.image("a"):run("x", { cwdd = "/" })')
    assert (
        "state:run: mounts[2] must be a mount created by bk.cache/bk.secret/bk.ssh/bk.tmpfs/bk.bind, got string"
        in error('bk.image("a"):run("x", { mounts = { bk.tmpfs("/t"), "/cache" } })')
    )
    assert "state:run: network must be one of 'sandbox', 'host', 'none', got 'bridge'" in error(
        'bk.image("a"):run("x", { network = "bridge" })'
    )
    assert "state:run: cwd must be a string, got number" in error('bk.image("a"):run("x", { cwd = 1 })')
    assert "range '5..1' must go up" in error('bk.image("a"):run("x", { valid_exit_codes = "5..1" })')
    assert "must be an IP address" in error('bk.image("a"):run("x", { extra_hosts = { h = "nope" } })')
    assert "two mounts at '/t'" in error('bk.image("a"):run("x", { mounts = { bk.tmpfs("/t"), bk.cache("/t") } })')
    assert "command must not be empty" in error('bk.image("a"):run({})')
    assert "state:run: options must be a table, got string" in error('bk.image("a"):run("x", "y")')
    assert "no writable bind mount at '/x'" in error('bk.image("a"):run("x"):get_mount("/x")')
    assert "call it on a State with a colon: state:run(...)" in error('local s = bk.image("a"); s.run("x")')
    assert "bk.bind: argument 1 must be a State to mount, got string" in error('bk.bind("x", "/y")')
