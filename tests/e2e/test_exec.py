"""`State:run` options on a real BuildKit: env, cwd, user, hostname, network, security,
valid_exit_codes (and how a failure is reported), extra_hosts, ulimits, secret_env and
readonly_rootfs.

Commands write what they observe into files under /tmp/o, which are copied into a
scratch state and exported with `type=local`.
"""

from __future__ import annotations

import re
import textwrap
import uuid
from pathlib import Path

from scenario import scenario

PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Collects /tmp/o of several run results into one scratch state: `collect({st1, st2})`.
COLLECT = """
local base = bk.image(bk.arg("BASE"))
local function collect(states)
  local out = bk.scratch()
  for i, st in ipairs(states) do
    out = out:copy(st, "/tmp/o", "/")
  end
  return out
end
"""


def _env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _sub(tmp_path: Path, name: str) -> Path:
    """A fresh directory for one of several scenarios in a test."""
    path = tmp_path / name
    path.mkdir()
    return path


def _read(out: Path, name: str) -> str:
    return (out / name).read_text()


def test_env_cwd_user_hostname(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        COLLECT
        + """
        local prep = base:run("mkdir -p /tmp/o && chmod 777 /tmp/o && mkdir -p /work/dir")
        bk.export(collect({
          prep:run("env > /tmp/o/env_map", { env = { ZED = "last", ALPHA = "first", SPACED = "a b  c" } }),
          prep:run("env > /tmp/o/env_list", { env = { "K1=v1", "K2=v=2" } }),
          prep:run("pwd > /tmp/o/cwd && echo rel > relative.txt && cp relative.txt /tmp/o/rel", { cwd = "/work/dir" }),
          prep:run("pwd > /tmp/o/cwd_new", { cwd = "/created/by/buildkit" }),
          prep:run("id -u > /tmp/o/user_name_uid; id -g > /tmp/o/user_name_gid; id -un > /tmp/o/user_name",
            { user = "app" }),
          prep:run("id -u > /tmp/o/user_uid; id -g > /tmp/o/user_uid_gid", { user = "1000" }),
          prep:run("id -u > /tmp/o/user_pair_uid; id -g > /tmp/o/user_pair_gid", { user = "app:nobody" }),
          prep:run("id -u > /tmp/o/user_ids_uid; id -g > /tmp/o/user_ids_gid", { user = "1000:65534" }),
          prep:run("hostname > /tmp/o/hostname", { hostname = "luakit-builder" }),
        }))
        """,
    )
    out = result.out
    env_map = _env(_read(out, "env_map"))
    assert env_map["ZED"] == "last"
    assert env_map["ALPHA"] == "first"
    assert env_map["SPACED"] == "a b  c"
    assert env_map["PATH"] == PATH_ENV  # the image's PATH is kept next to the extra vars
    env_list = _env(_read(out, "env_list"))
    assert env_list["K1"] == "v1"
    assert env_list["K2"] == "v=2"
    assert "ZED" not in env_list  # options of one run do not leak into another
    assert _read(out, "cwd") == "/work/dir\n"
    assert _read(out, "rel") == "rel\n"  # relative paths in the command use cwd
    assert _read(out, "cwd_new") == "/created/by/buildkit\n"
    assert _read(out, "user_name_uid") == "1000\n"
    assert _read(out, "user_name_gid") == "1000\n"
    assert _read(out, "user_name") == "app\n"
    assert _read(out, "user_uid") == "1000\n"
    assert _read(out, "user_pair_uid") == "1000\n"
    assert _read(out, "user_pair_gid") == "65534\n"
    assert _read(out, "user_ids_uid") == "1000\n"
    assert _read(out, "user_ids_gid") == "65534\n"
    assert _read(out, "hostname") == "luakit-builder\n"


def test_env_list_later_entry_wins(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        COLLECT
        + """
        bk.export(collect({
          base:run("mkdir -p /tmp/o && echo \\"$K\\" > /tmp/o/k && echo \\"$PATH\\" > /tmp/o/path",
            { env = { "K=first", "K=second", "PATH=/custom/bin:/bin" } }),
        }))
        """,
    )
    assert _read(result.out, "k") == "second\n"
    assert _read(result.out, "path") == "/custom/bin:/bin\n"


def test_defaults_path_cwd_user(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        COLLECT
        + """
        bk.export(collect({
          base:run("mkdir -p /tmp/o && echo \\"$PATH\\" > /tmp/o/path && pwd > /tmp/o/pwd && id -u > /tmp/o/uid && env > /tmp/o/env"),
          base:run({ "/bin/sh", "-c", "mkdir -p /tmp/o && echo argv-form > /tmp/o/argv" }),
        }))
        """,
    )
    out = result.out
    assert _read(out, "path") == PATH_ENV + "\n"
    assert _read(out, "pwd") == "/\n"
    assert _read(out, "uid") == "0\n"
    assert _read(out, "argv") == "argv-form\n"


def test_network_none_vs_default(buildkit, tmp_path):
    registry = buildkit.registry
    assert registry, "needs the harness registry (loopback HTTP server reachable from RUN)"
    # busybox's static wget crashes resolving names without NSS; nc to IP:port works.
    probe = (
        "printf 'GET /v2/ HTTP/1.0\\\\r\\\\n\\\\r\\\\n' | nc -w 5 ${REG%:*} ${REG#*:} | head -1 | grep -q '^HTTP/1'"
        " && echo reachable || echo unreachable"
    )
    result = scenario(
        buildkit,
        tmp_path,
        COLLECT
        + f"""
        local reg = bk.arg("REG")
        local probe = "mkdir -p /tmp/o && ({probe})"
        bk.export(collect({{
          base:run(probe .. " > /tmp/o/default && cat /proc/net/dev > /tmp/o/dev_default", {{ env = {{ REG = reg }} }}),
          base:run(probe .. " > /tmp/o/sandbox", {{ env = {{ REG = reg }}, network = "sandbox" }}),
          base:run(probe .. " > /tmp/o/none && cat /proc/net/dev > /tmp/o/dev_none", {{ env = {{ REG = reg }}, network = "none" }}),
        }}))
        """,
        args={"REG": registry},
    )
    out = result.out
    # No CNI in the harness: the default/sandbox network is the host's (see docs/e2e.md).
    assert _read(out, "default") == "reachable\n"
    assert _read(out, "sandbox") == "reachable\n"
    assert _read(out, "none") == "unreachable\n"
    ifaces_none = [line.split(":")[0].strip() for line in _read(out, "dev_none").splitlines()[2:]]
    assert ifaces_none == ["lo"]
    ifaces_default = [line.split(":")[0].strip() for line in _read(out, "dev_default").splitlines()[2:]]
    assert len(ifaces_default) > 1


def test_network_host_needs_entitlement(buildkit, tmp_path):
    script = (
        COLLECT
        + """
        bk.export(collect({ base:run("mkdir -p /tmp/o && echo host > /tmp/o/net", { network = "host" }) }))
        """
    )
    denied = scenario(buildkit, _sub(tmp_path, "denied"), script, check=False)
    assert denied.build.returncode != 0
    assert "network.host" in denied.build.stderr
    allowed = scenario(buildkit, _sub(tmp_path, "allowed"), script, allow=["network.host"])
    assert _read(allowed.out, "net") == "host\n"


def _cap_eff(status: str) -> int:
    match = re.search(r"^CapEff:\s*([0-9a-f]+)$", status, re.M)
    assert match, status
    return int(match.group(1), 16)


def test_security_insecure(buildkit, tmp_path):
    script = (
        COLLECT
        + """
        local cmd = "mkdir -p /tmp/o /mnt/t && cat /proc/self/status > /tmp/o/status_%s"
          .. " && (mount -t tmpfs tmpfs /mnt/t 2>/dev/null && echo mounted || echo denied) > /tmp/o/mount_%s"
        bk.export(collect({
          base:run(string.format(cmd, "sandbox", "sandbox")),
          base:run(string.format(cmd, "insecure", "insecure"), { security = "insecure" }),
        }))
        """
    )
    result = scenario(buildkit, _sub(tmp_path, "ok"), script, allow=["security.insecure"])
    out = result.out
    sandbox_caps = _cap_eff(_read(out, "status_sandbox"))
    insecure_caps = _cap_eff(_read(out, "status_insecure"))
    CAP_SYS_ADMIN = 21
    assert not sandbox_caps & (1 << CAP_SYS_ADMIN)
    assert insecure_caps & (1 << CAP_SYS_ADMIN)
    assert insecure_caps & sandbox_caps == sandbox_caps and insecure_caps != sandbox_caps
    assert _read(out, "mount_sandbox") == "denied\n"
    assert _read(out, "mount_insecure") == "mounted\n"

    # Without the entitlement the daemon refuses the build.
    denied = scenario(buildkit, _sub(tmp_path, "denied"), script, check=False)
    assert denied.build.returncode != 0
    assert "security.insecure" in denied.build.stderr


def test_valid_exit_codes(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        COLLECT
        + """
        local prep = base:run("mkdir -p /tmp/o")
        bk.export(collect({
          prep:run("echo number > /tmp/o/number; exit 3", { valid_exit_codes = 3 }),
          prep:run("echo list > /tmp/o/list; exit 3", { valid_exit_codes = { 0, 3 } }),
          prep:run("echo list0 > /tmp/o/list0; exit 0", { valid_exit_codes = { 0, 3 } }),
          prep:run("echo range > /tmp/o/range; exit 4", { valid_exit_codes = "2..4" }),
        }))
        """,
    )
    for name in ("number", "list", "list0", "range"):
        assert _read(result.out, name) == name + "\n"

    # The listed codes replace the default: exit 0 is a failure when only 3 is valid,
    # and a code outside a range fails.
    for i, (cmd, codes) in enumerate([("exit 0", "3"), ("exit 5", '"2..4"'), ("exit 1", "{ 0, 3 }")]):
        failed = scenario(
            buildkit,
            _sub(tmp_path, f"fail{i}"),
            f"""
            local base = bk.image(bk.arg("BASE"))
            bk.export(base:run("{cmd}", {{ valid_exit_codes = {codes} }}))
            """,
            check=False,
        )
        assert failed.build.returncode != 0, (cmd, codes)
        assert f"exit code: {cmd.split()[1]}" in failed.build.stderr


def test_failing_run_reports_exit_code_and_lua_line(buildkit, tmp_path):
    script = textwrap.dedent(
        """
        local base = bk.image(bk.arg("BASE"))
        local ok = base:run("echo fine > /fine")

        local broken = ok:run("echo about-to-fail; exit 7")
        bk.export(broken)
        """
    )
    expected_line = next(i for i, line in enumerate(script.splitlines(), 1) if "exit 7" in line)
    failed = scenario(buildkit, tmp_path, script, check=False)
    stderr = failed.build.stderr
    assert failed.build.returncode != 0
    assert "exit code: 7" in stderr
    assert "about-to-fail" in stderr  # the command's output is shown
    # BuildKit prints the source-map snippet luakit attached to the failing op.
    locations = re.findall(r"(\S*build\.lua):(\d+)", stderr)
    assert locations, f"no build.lua location in buildctl's output:\n{stderr}"
    assert (str(tmp_path / "context" / "build.lua"), str(expected_line)) in locations
    marked = [line for line in stderr.splitlines() if ">>>" in line]
    assert marked and all("exit 7" in line for line in marked), marked


def test_extra_hosts_and_ulimits(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        COLLECT
        + """
        local prep = base:run("mkdir -p /tmp/o")
        bk.export(collect({
          prep:run("cat /etc/hosts > /tmp/o/hosts", {
            extra_hosts = { ["db.local"] = "10.0.0.5", ["cache.internal"] = "192.168.7.8" },
          }),
          prep:run("ulimit -n > /tmp/o/nofile; ulimit -Sn > /tmp/o/nofile_soft; ulimit -Hn > /tmp/o/nofile_hard",
            { ulimits = { nofile = 1234 } }),
          prep:run("ulimit -Sn > /tmp/o/split_soft; ulimit -Hn > /tmp/o/split_hard; ulimit -Ss > /tmp/o/stack_soft",
            { ulimits = { nofile = { soft = 512, hard = 2048 }, stack = { soft = 4096 * 1024, hard = 4096 * 1024 } } }),
        }))
        """,
    )
    out = result.out
    hosts = _read(out, "hosts")
    assert re.search(r"^10\.0\.0\.5\s+db\.local$", hosts, re.M), hosts
    assert re.search(r"^192\.168\.7\.8\s+cache\.internal$", hosts, re.M), hosts
    assert _read(out, "nofile") == "1234\n"
    assert _read(out, "nofile_soft") == "1234\n"
    assert _read(out, "nofile_hard") == "1234\n"
    assert _read(out, "split_soft") == "512\n"
    assert _read(out, "split_hard") == "2048\n"
    assert _read(out, "stack_soft") == "4096\n"  # ulimit -s reports KiB


def test_secret_env(buildkit, tmp_path):
    secret_value = f"s3cr3t-{uuid.uuid4().hex}"
    secret_file = tmp_path / "tok.txt"
    secret_file.write_text(secret_value)
    script = (
        COLLECT
        + """
        bk.export(collect({
          base:run("mkdir -p /tmp/o && echo ${#TOKEN} > /tmp/o/len"
            .. " && ([ \\"$TOKEN\\" = \\"$EXPECTED\\" ] && echo match || echo mismatch) > /tmp/o/match"
            .. " && (env | grep -c '^TOKEN=' > /tmp/o/count || true)"
            .. " && echo \\"${MAYBE-unset}\\" > /tmp/o/maybe",
            {
              env = { EXPECTED = bk.arg("EXPECTED") },
              secret_env = { TOKEN = "tok", MAYBE = { id = "not-provided", optional = true } },
            }),
        }))
        """
    )
    result = scenario(
        buildkit,
        _sub(tmp_path, "ok"),
        script,
        args={"EXPECTED": secret_value},
        secrets=[f"id=tok,src={secret_file}"],
    )
    out = result.out
    assert _read(out, "match") == "match\n"
    assert _read(out, "len") == f"{len(secret_value)}\n"
    assert _read(out, "count") == "1\n"
    # Optional and not provided: BuildKit sets the variable to "" (ExecOp.loadSecretEnv).
    assert _read(out, "maybe") == "\n"
    for path in out.rglob("*"):
        if path.is_file():
            assert secret_value.encode() not in path.read_bytes(), path

    # The secret's value is not in the definition either (only its id).
    plain = scenario(
        buildkit,
        _sub(tmp_path, "plain"),
        """
        local base = bk.image(bk.arg("BASE"))
        bk.export(base:run("test -n \\"$TOKEN\\"", { secret_env = { TOKEN = "tok" } }))
        """,
        secrets=[f"id=tok,src={secret_file}"],
        output=f"type=tar,dest={tmp_path / 'plain.tar'}",
    )
    assert secret_value.encode() not in plain.definition
    assert secret_value.encode() not in (tmp_path / "plain.tar").read_bytes()

    # A required secret_env that the client does not provide fails the build.
    missing = scenario(
        buildkit,
        _sub(tmp_path, "missing"),
        """
        local base = bk.image(bk.arg("BASE"))
        bk.export(base:run("echo never", { secret_env = { TOKEN = "absent-secret" } }))
        """,
        check=False,
    )
    assert missing.build.returncode != 0
    assert "absent-secret" in missing.build.stderr


def test_readonly_rootfs(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("BASE"))
        local ran = base:run(
          "(touch /should-not-exist 2>/dev/null && echo writable || echo readonly) > /out/root"
          .. " && echo written > /out/file",
          { readonly_rootfs = true, mounts = { bk.bind(bk.scratch(), "/out", { readonly = false }) } })
        local strict = base:run("touch /nope", {
          readonly_rootfs = true, valid_exit_codes = 1,
          mounts = { bk.bind(bk.scratch(), "/out", { readonly = false }) },
        })
        bk.export(bk.scratch()
          :copy(ran:get_mount("/out"), "/", "/out")
          :copy(strict, "/", "/strict"))
        """,
    )
    out = result.out
    assert _read(out, "out/root") == "readonly\n"
    assert _read(out, "out/file") == "written\n"
    # The rootfs result is the unchanged input.
    assert (out / "strict/bin/busybox").is_file()
    assert not (out / "strict/nope").exists()
