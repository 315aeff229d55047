"""Run mounts on a real BuildKit: cache, secret, ssh (real ssh-agent), tmpfs and bind.

Commands write what they observe into /tmp/o, which is copied into a scratch state and
exported with `type=local`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from availability import unavailable
from scenario import scenario

COLLECT = """
local base = bk.image(bk.arg("BASE"))
local prep = base:run("mkdir -p /tmp/o && chmod 777 /tmp/o")
local function collect(states)
  local out = bk.scratch()
  for i, st in ipairs(states) do
    out = out:copy(st, "/tmp/o", "/")
  end
  return out
end
"""


def _sub(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


def _read(out: Path, name: str) -> str:
    return (out / name).read_text()


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and needle in p.read_bytes()]


# --------------------------------------------------------------------------- cache


def test_cache_mount_persists_across_builds(buildkit, tmp_path):
    nonce = uuid.uuid4().hex[:12]
    default_dest = f"/var/cache/luakit-{nonce}"
    first = scenario(
        buildkit,
        _sub(tmp_path, "first"),
        COLLECT
        + """
        local n = bk.arg("NONCE")
        local dest = bk.arg("DEST")
        bk.export(collect({
          prep:run("ls -A /cache | wc -l > /tmp/o/count_before && echo from-build-1 > /cache/file"
            .. " && ls -A " .. dest .. " | wc -l > /tmp/o/default_before && echo by-dest > " .. dest .. "/f", {
            mounts = { bk.cache("/cache", { id = "a-" .. n }), bk.cache(dest) },
          }),
        }))
        """,
        args={"NONCE": nonce, "DEST": default_dest},
    )
    assert _read(first.out, "count_before").strip() == "0"  # a new cache starts empty
    assert _read(first.out, "default_before").strip() == "0"

    # A different command (so the step is not cached) in a second build sees the files.
    second = scenario(
        buildkit,
        _sub(tmp_path, "second"),
        COLLECT
        + """
        local n = bk.arg("NONCE")
        local dest = bk.arg("DEST")
        local ran = prep:run("cat /cache/file > /tmp/o/seen && ls -A /other | wc -l > /tmp/o/other_count"
            .. " && cat /by-id/f > /tmp/o/default_seen", {
          mounts = {
            bk.cache("/cache", { id = "a-" .. n }),
            bk.cache("/other", { id = "b-" .. n }),
            -- the default id is the destination path: mounting it elsewhere by that id
            bk.cache("/by-id", { id = dest }),
          },
        })
        bk.export(collect({ ran }):copy(ran, "/", "/rootfs"))
        """,
        args={"NONCE": nonce, "DEST": default_dest},
    )
    out = second.out
    assert _read(out, "seen") == "from-build-1\n"
    assert _read(out, "other_count").strip() == "0"  # another id is another cache
    assert _read(out, "default_seen") == "by-dest\n"
    # The cache contents are not part of the result.
    assert not (out / "rootfs/cache/file").exists()
    assert not (out / "rootfs/by-id/f").exists()
    assert (out / "rootfs/bin/busybox").is_file()

    # luakit namespaces cache ids like Dockerfile's RUN --mount=type=cache, so a Dockerfile
    # build sees the same caches (by id, and by target when no id is given).
    df_out = tmp_path / "dockerfile-out"
    buildkit.build_dockerfile(
        f"FROM {buildkit.busybox_ref}\n"
        f"RUN --mount=type=cache,id=a-{nonce},target=/cache --mount=type=cache,target={default_dest} "
        f"mkdir /o && cat /cache/file {default_dest}/f > /o/seen-by-dockerfile\n",
        output=f"type=local,dest={df_out}",
    )
    assert (df_out / "o/seen-by-dockerfile").read_text() == "from-build-1\nby-dest\n"


def test_cache_sharing_modes(buildkit, tmp_path):
    nonce = uuid.uuid4().hex[:12]
    result = scenario(
        buildkit,
        tmp_path,
        COLLECT
        + """
        local n = bk.arg("NONCE")
        local function step(name, sharing)
          return prep:run("echo " .. name .. " >> /c/log && cp /c/log /tmp/o/" .. name, {
            mounts = { bk.cache("/c", { id = sharing .. "-" .. n, sharing = sharing }) },
          })
        end
        bk.export(collect({
          step("shared", "shared"),
          step("private", "private"),
          step("locked1", "locked"),
          step("locked2", "locked"),
        }))
        """,
        args={"NONCE": nonce},
    )
    out = result.out
    assert _read(out, "shared") == "shared\n"
    assert _read(out, "private") == "private\n"
    # Both steps on the locked cache ran, one after the other, on the same cache.
    logs = sorted([_read(out, "locked1"), _read(out, "locked2")], key=len)
    assert logs[0] in ("locked1\n", "locked2\n")
    assert sorted(logs[1].split()) == ["locked1", "locked2"]

    sharings = {
        # ids are namespaced like Dockerfile's: "/" + id
        m["cacheOpt"]["ID"].lstrip("/").split("-")[0]: m["cacheOpt"].get("sharing", 0)
        for op in buildkit.dump_llb(result.definition)
        for m in op["Op"].get("Op", {}).get("exec", {}).get("mounts", [])
        if "cacheOpt" in m
    }
    assert sharings == {"shared": 0, "private": 1, "locked": 2}  # pb.CacheSharingOpt


# --------------------------------------------------------------------------- secret


def test_secret_mount(buildkit, tmp_path):
    secret_value = f"secret-{uuid.uuid4().hex}\n"
    secret_file = tmp_path / "tok.txt"
    secret_file.write_text(secret_value)
    result = scenario(
        buildkit,
        _sub(tmp_path, "ok"),
        COLLECT
        + """
        local default = prep:run("sha256sum /run/secrets/tok | cut -d' ' -f1 > /tmp/o/sum"
          .. " && stat -c '%u:%g %a' /run/secrets/tok > /tmp/o/stat_default",
          { mounts = { bk.secret("/run/secrets/tok") } })
        local custom = prep:run("sha256sum /etc/app/credentials | cut -d' ' -f1 > /tmp/o/sum_custom"
          .. " && stat -c '%u:%g %a' /etc/app/credentials > /tmp/o/stat_custom && id -u > /tmp/o/reader",
          { user = "app", mounts = { bk.secret("/etc/app/credentials", { id = "tok", mode = "0440", uid = 1000, gid = 65534 }) } })
        local numeric = prep:run("stat -c '%a' /s > /tmp/o/stat_numeric",
          { mounts = { bk.secret("/s", { id = "tok", mode = 420 }) } })
        local optional = prep:run("(test -e /run/secrets/absent && echo present || echo absent) > /tmp/o/optional",
          { mounts = { bk.secret("/run/secrets/absent", { optional = true }) } })
        bk.export(collect({ default, custom, numeric, optional }):copy(default, "/", "/rootfs"))
        """,
        secrets=[f"id=tok,src={secret_file}"],
    )
    out = result.out
    assert _read(out, "sum").strip() == hashlib.sha256(secret_value.encode()).hexdigest()
    assert _read(out, "stat_default") == "0:0 400\n"
    assert _read(out, "sum_custom").strip() == hashlib.sha256(secret_value.encode()).hexdigest()
    assert _read(out, "stat_custom") == "1000:65534 440\n"
    assert _read(out, "reader") == "1000\n"
    assert _read(out, "stat_numeric") == "644\n"
    assert _read(out, "optional") == "absent\n"
    # Neither the secret file nor its value ends up in the result (or the definition).
    assert not (out / "rootfs/run/secrets/tok").exists()
    assert _files_containing(out, secret_value.strip().encode()) == []
    assert secret_value.strip().encode() not in result.definition


def test_secret_mount_missing_fails(buildkit, tmp_path):
    failed = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("BASE"))
        bk.export(base:run("cat /run/secrets/missing-token", { mounts = { bk.secret("/run/secrets/missing-token") } }))
        """,
        check=False,
    )
    assert failed.build.returncode != 0
    assert "missing-token" in failed.build.stderr
    assert "secret" in failed.build.stderr.lower()


# --------------------------------------------------------------------------- ssh


@pytest.fixture(scope="module")
def ssh_agent(tmp_path_factory):
    """A real ssh-agent with one fresh ed25519 key: (socket path, key fingerprint)."""
    if shutil.which("ssh-agent") is None or shutil.which("ssh-keygen") is None:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            subprocess.run(["apt-get", "update"], check=True, env=env, capture_output=True)
            subprocess.run(
                ["apt-get", "install", "-y", "--no-install-recommends", "openssh-client"],
                check=True,
                env=env,
                capture_output=True,
            )
        if shutil.which("ssh-agent") is None:
            unavailable("ssh-agent not available (install openssh-client)")
    d = tmp_path_factory.mktemp("ssh")
    sock = d / "agent.sock"
    key = d / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "luakit-e2e-key", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            if agent.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ssh-agent did not create {sock}")
            time.sleep(0.05)
        env = dict(os.environ, SSH_AUTH_SOCK=str(sock))
        # The socket file appears at bind(), a moment before the agent listens: retry briefly.
        for attempt in range(50):
            added = subprocess.run(["ssh-add", str(key)], env=env, capture_output=True)
            if added.returncode == 0:
                break
            if attempt == 49:
                raise RuntimeError(f"ssh-add failed: {added.stderr.decode(errors='replace')}")
            time.sleep(0.1)
        fingerprint = subprocess.run(
            ["ssh-keygen", "-lf", f"{key}.pub"], check=True, capture_output=True, text=True
        ).stdout.split()[1]
        yield sock, fingerprint
    finally:
        agent.terminate()
        try:
            agent.wait(timeout=10)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()


@pytest.fixture(scope="module")
def ssh_add_image(buildkit, tmp_path_factory):
    """busybox + the host's ssh-add and its shared libraries (busybox has no agent client)."""
    ssh_add = shutil.which("ssh-add")
    if ssh_add is None:
        unavailable("ssh-add not available")
    root = tmp_path_factory.mktemp("sshadd-rootfs") / "rootfs"
    (root / "usr/bin").mkdir(parents=True)
    shutil.copy(ssh_add, root / "usr/bin/ssh-add")
    ldd = subprocess.run(["ldd", ssh_add], check=True, capture_output=True, text=True).stdout
    for line in ldd.splitlines():
        parts = line.split()
        lib = parts[2] if "=>" in parts and len(parts) > 2 else parts[0]
        if not lib.startswith("/"):
            continue  # linux-vdso
        target = root / lib.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(lib, target)  # follows symlinks: the real library under the linked name
    return buildkit.build_base_image("sshadd:1", f"FROM {buildkit.busybox_ref}\nCOPY rootfs/ /\n", {"rootfs": root})


def test_ssh_mount_forwards_agent(buildkit, tmp_path, ssh_agent, ssh_add_image):
    sock, fingerprint = ssh_agent
    result = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("SSHBASE"))
        local prep = base:run("mkdir -p /tmp/o && chmod 777 /tmp/o")
        local probe = "echo \\"$SSH_AUTH_SOCK\\" > /tmp/o/%s_sock"
          .. " && (test -S \\"$SSH_AUTH_SOCK\\" && echo socket || echo missing) > /tmp/o/%s_is_sock"
          .. " && stat -c '%%u:%%g %%a' \\"$SSH_AUTH_SOCK\\" > /tmp/o/%s_stat"
          .. " && ls -l \\"$SSH_AUTH_SOCK\\" > /tmp/o/%s_ls"
          .. " && ssh-add -l > /tmp/o/%s_keys"
        local function p(name) return string.format(probe, name, name, name, name, name) end
        local default = prep:run(p("default"), { mounts = { bk.ssh() } })
        local custom = prep:run(p("custom"), {
          user = "app",
          mounts = { bk.ssh({ id = "other", dest = "/run/my-agent.sock", uid = 1000, gid = 1000, mode = "0660" }) },
        })
        local optional = prep:run("echo \\"${SSH_AUTH_SOCK-unset}\\" > /tmp/o/optional_sock"
          .. " && (test -S \\"$SSH_AUTH_SOCK\\" && echo socket || echo missing) > /tmp/o/optional_is_sock",
          { mounts = { bk.ssh({ id = "not-forwarded", optional = true }) } })
        local out = bk.scratch()
        for _, st in ipairs({ default, custom, optional }) do out = out:copy(st, "/tmp/o", "/") end
        bk.export(out)
        """,
        args={"SSHBASE": ssh_add_image},
        ssh=[f"default={sock}", f"other={sock}"],
    )
    out = result.out
    assert _read(out, "default_sock") == "/run/buildkit/ssh_agent.0\n"
    assert _read(out, "default_is_sock") == "socket\n"
    assert _read(out, "default_stat") == "0:0 600\n"
    assert _read(out, "default_ls").startswith("s")
    assert fingerprint in _read(out, "default_keys")
    assert "luakit-e2e-key" in _read(out, "default_keys")
    assert _read(out, "custom_sock") == "/run/my-agent.sock\n"
    assert _read(out, "custom_is_sock") == "socket\n"
    assert _read(out, "custom_stat") == "1000:1000 660\n"
    assert fingerprint in _read(out, "custom_keys")  # usable by uid 1000
    assert _read(out, "optional_is_sock") == "missing\n"


def test_ssh_mount_missing_agent_fails(buildkit, tmp_path):
    failed = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("BASE"))
        bk.export(base:run("test -S \\"$SSH_AUTH_SOCK\\"", { mounts = { bk.ssh({ id = "nosuchagent" }) } }))
        """,
        check=False,
    )
    assert failed.build.returncode != 0
    assert "nosuchagent" in failed.build.stderr


# --------------------------------------------------------------------------- tmpfs / bind


def test_tmpfs_mount(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        COLLECT
        + """
        local sized = prep:run("echo hi > /scratchpad/f && cat /scratchpad/f > /tmp/o/read_back"
          .. " && grep ' /scratchpad ' /proc/mounts > /tmp/o/mounts_sized"
          .. " && (dd if=/dev/zero of=/scratchpad/big bs=1024 count=2048 2>/dev/null && echo fit || echo full) > /tmp/o/dd",
          { mounts = { bk.tmpfs("/scratchpad", { size = 1024 * 1024 }) } })
        local plain = prep:run("grep ' /plain ' /proc/mounts > /tmp/o/mounts_plain && df -k /plain | tail -1 > /tmp/o/df && echo x > /plain/x",
          { mounts = { bk.tmpfs("/plain") } })
        bk.export(collect({ sized, plain }):copy(sized, "/", "/sized_root"):copy(plain, "/", "/plain_root"))
        """,
    )
    out = result.out
    assert _read(out, "read_back") == "hi\n"
    sized = _read(out, "mounts_sized").split()
    assert sized[1:3] == ["/scratchpad", "tmpfs"]
    assert "size=1024k" in sized[3].split(","), sized
    assert _read(out, "dd") == "full\n"  # the size limit is enforced
    plain = _read(out, "mounts_plain").split()
    assert plain[1:3] == ["/plain", "tmpfs"]
    assert not any(opt.startswith("size=") for opt in plain[3].split(",")), plain
    assert _read(out, "df").split()[-1] == "/plain"
    # Writes under a tmpfs do not reach the result.
    assert not (out / "sized_root/scratchpad/f").exists()
    assert not (out / "plain_root/plain/x").exists()
    assert (out / "sized_root/bin/busybox").is_file()


def test_bind_mounts(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        COLLECT
        + """
        local src = bk.scratch():mkdir("/cfg"):mkfile("/cfg/app.conf", "conf\\n"):mkfile("/top.txt", "top\\n")
        local ro = prep:run("ls -A /mnt/cfg > /tmp/o/sel_ls && cat /mnt/cfg/app.conf > /tmp/o/sel_cat"
          .. " && ls -A /mnt/all | sort > /tmp/o/all_ls"
          .. " && (touch /mnt/all/new 2>/dev/null && echo writable || echo readonly) > /tmp/o/ro"
          .. " && (touch /mnt/cfg/new 2>/dev/null && echo writable || echo readonly) > /tmp/o/ro_sel",
          { mounts = { bk.bind(src, "/mnt/cfg", { selector = "cfg" }), bk.bind(src, "/mnt/all") } })
        local rw = prep:run("echo added > /mnt/rw/added.txt && echo changed > /mnt/rw/top.txt"
          .. " && echo sel > /mnt/rwsel/in-sel.txt", {
          mounts = {
            bk.bind(src, "/mnt/rw", { readonly = false }),
            bk.bind(src, "/mnt/rwsel", { selector = "/cfg", readonly = false }),
          },
        })
        local after = rw:run("(test -e /mnt/rw/added.txt && echo leaked || echo clean) > /tmp/o/rw_root")
        bk.export(collect({ ro, after })
          :copy(rw:get_mount("/mnt/rw"), "/", "/rw_mount")
          :copy(rw:get_mount("/mnt/rwsel"), "/", "/rwsel_mount")
          :copy(src, "/", "/src_after"))
        """,
    )
    out = result.out
    assert _read(out, "sel_ls") == "app.conf\n"  # selector mounts a subdirectory
    assert _read(out, "sel_cat") == "conf\n"
    assert _read(out, "all_ls") == "cfg\ntop.txt\n"
    assert _read(out, "ro") == "readonly\n"  # bind mounts are read-only by default
    assert _read(out, "ro_sel") == "readonly\n"
    # readonly = false: the mount's final contents via get_mount.
    assert _read(out, "rw_mount/added.txt") == "added\n"
    assert _read(out, "rw_mount/top.txt") == "changed\n"
    assert _read(out, "rw_mount/cfg/app.conf") == "conf\n"
    # With a selector, only /cfg is mounted, but the mount's output is the whole source
    # snapshot (BuildKit's ExecOp outputs the mounted ref, not the selected subdir).
    assert sorted(p.name for p in (out / "rwsel_mount").iterdir()) == ["cfg", "top.txt"]
    assert sorted(p.name for p in (out / "rwsel_mount/cfg").iterdir()) == ["app.conf", "in-sel.txt"]
    assert _read(out, "rwsel_mount/cfg/in-sel.txt") == "sel\n"
    # ...which are neither in the run's rootfs nor in the (immutable) source state.
    assert _read(out, "rw_root") == "clean\n"
    assert _read(out, "src_after/top.txt") == "top\n"
    assert not (out / "src_after/added.txt").exists()
