"""The `luakit` command as users run it: stdout, stderr, exit codes, flags."""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest

from compiler.api.exec import DEFAULT_PATH
from tests.helpers import decode

SCRIPT = """
local base = bk.image("alpine:3.19")
print("to stderr, never stdout")
local result = base:run({ "sh", "-c", 'echo "quoted \\\\ \\"x\\""' }, { env = { V = os.getenv("V") or "none" } })
bk.export(result)
"""


def luakit(*args, cwd=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], capture_output=True, cwd=cwd, timeout=timeout)


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "build.lua"
    path.write_text(SCRIPT)
    return path


def test_build_writes_only_the_definition_to_stdout(script):
    proc = luakit("build", str(script))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode() == "to stderr, never stdout\n"
    d = decode(proc.stdout)
    assert d.one("exec").exec.meta.env[-1] == "V=none"


def test_build_output_file_equals_stdout(script, tmp_path):
    out = tmp_path / "def.pb"
    assert luakit("build", "-o", str(out), str(script)).returncode == 0
    assert out.read_bytes() == luakit("build", str(script)).stdout
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert luakit("build", f"--output={out}", str(script)).returncode == 0


def test_args_in_both_flag_forms_and_the_frontend_arg_alias(script):
    for flags in (["--arg", "V=1"], ["--arg=V=1"], ["--frontend-arg", "V=1"], ["--frontend-arg=V=1"]):
        proc = luakit("build", *flags, str(script))
        assert proc.returncode == 0, proc.stderr
        assert decode(proc.stdout).one("exec").exec.meta.env[-1] == "V=1"


def test_platform_flag(script):
    proc = luakit("build", "--platform=linux/arm64", str(script))
    d = decode(proc.stdout)
    assert d.one("exec").platform.Architecture == "arm64"
    assert luakit("build", "--platform", "nonsense", str(script)).returncode == 2


def test_validate_is_silent_on_success_and_locates_errors(tmp_path, script):
    proc = luakit("validate", str(script))
    assert (proc.returncode, proc.stdout) == (0, b"")
    bad = tmp_path / "bad.lua"
    bad.write_text('local s = bk.image("alpine")\ns:run("x", { cwdd = "/" })\n')
    proc = luakit("validate", str(bad))
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert proc.stderr.decode() == f"{bad}:2:14: state:run: unknown option 'cwdd' (did you mean 'cwd'?)\n"


def test_relative_script_path_is_what_errors_show(tmp_path):
    (tmp_path / "b.lua").write_text("x = = 1")
    proc = luakit("build", "b.lua", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.decode() == "b.lua:1:5: unexpected symbol near '='\n"
    assert proc.stdout == b""


def test_no_export_and_missing_file(tmp_path):
    (tmp_path / "n.lua").write_text("local x = 1")
    proc = luakit("build", "n.lua", cwd=tmp_path)
    assert (proc.returncode, proc.stderr.decode()) == (1, "n.lua: no bk.export() call - nothing to build\n")
    proc = luakit("build", "missing.lua", cwd=tmp_path)
    assert (proc.returncode, proc.stderr.decode()) == (
        3,
        "missing.lua: cannot read script: No such file or directory\n",
    )


def test_a_folder_as_script_is_an_io_error_and_bad_utf8_is_located(tmp_path):
    (tmp_path / "folder.lua").mkdir()
    proc = luakit("validate", "folder.lua", cwd=tmp_path)
    assert (proc.returncode, proc.stderr.decode()) == (3, "folder.lua: cannot read script: Is a directory\n")
    (tmp_path / "latin1.lua").write_bytes(b"local x = 1\n-- caf\xe9\nbk.export(bk.scratch())\n")
    proc = luakit("validate", "latin1.lua", cwd=tmp_path)
    assert (proc.returncode, proc.stderr.decode()) == (1, "latin1.lua:2:7: the script is not UTF-8 text (byte 0xe9)\n")


def one_line_io_error(proc, message):
    assert proc.returncode == 3, proc.stderr
    # The script's print comes first; then the one line that says what failed.
    assert proc.stderr.decode() == f"to stderr, never stdout\nluakit: {message}\n"
    assert proc.stdout == b""


def test_output_file_that_cannot_be_written(script, tmp_path):
    one_line_io_error(
        luakit("build", "-o", str(tmp_path / "missing" / "x.pb"), str(script)),
        f"cannot write {tmp_path / 'missing' / 'x.pb'}: No such file or directory",
    )
    one_line_io_error(luakit("build", "-o", str(tmp_path), str(script)), f"cannot write {tmp_path}: Is a directory")
    one_line_io_error(
        luakit("dag", "-o", str(tmp_path / "missing" / "x.dot"), str(script)),
        f"cannot write {tmp_path / 'missing' / 'x.dot'}: No such file or directory",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["build.lua"]  # no temporary file left behind


def test_full_disk_on_stdout(script):
    for command in ("build", "dag"):
        with open("/dev/full", "wb") as full:
            proc = subprocess.run(
                [sys.executable, "-m", "compiler.cli", command, str(script)], stdout=full, stderr=subprocess.PIPE
            )
        assert proc.returncode == 3, proc.stderr
        assert (
            proc.stderr.decode() == "to stderr, never stdout\nluakit: cannot write to stdout: No space left on device\n"
        )


def test_stdout_closed_by_the_reader(script):
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: the first write fails with EPIPE
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "compiler.cli", "build", str(script)], stdout=write_end, stderr=subprocess.PIPE
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 3
    assert proc.stderr.decode() == (
        "to stderr, never stdout\nluakit: cannot write to stdout: the pipe was closed by the program reading it\n"
    )


def test_output_to_a_pipe_is_written_in_place(script, tmp_path):
    # Renaming a temporary file over a fifo (or /dev/stdout) would replace it: it is written in place.
    fifo = tmp_path / "definition.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so the writer's open does not block
    try:
        proc = luakit("build", "-o", str(fifo), str(script))
        assert proc.returncode == 0, proc.stderr
        received = os.read(reader, 1 << 20)
    finally:
        os.close(reader)
    assert received == luakit("build", str(script)).stdout
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def wait_until_awaited(pid: int, timeout: float = 30) -> None:
    """Wait until luakit waits for SIGINT and SIGTERM (it blocks them in its main thread and takes
    them with sigwait: SigBlk in Linux's /proc/PID/status), however long a loaded machine's start-up."""
    wanted = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/status") as status:
            blocked = int(next(line.split()[1] for line in status if line.startswith("SigBlk:")), 16)
        if blocked & wanted == wanted:
            return
        time.sleep(0.02)
    raise AssertionError(f"luakit did not wait for signals within {timeout} s")


@pytest.mark.parametrize(
    "signal_number, code, message", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_interrupted_run(tmp_path, signal_number, code, message):
    # A script stuck in one C call: no Python signal handler could run before it returns.
    (tmp_path / "stuck.lua").write_text('local s = string.rep("a", 5000) .. "c"\ns:find(".-.-.-.-.-.-b")')
    proc = subprocess.Popen(
        [sys.executable, "-m", "compiler.cli", "build", "--timeout", "60", "stuck.lua"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_awaited(proc.pid)  # past start-up: luakit takes the signal from here on
        time.sleep(0.3)  # inside the evaluation
        proc.send_signal(signal_number)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert (proc.returncode, stderr.decode(), stdout) == (code, f"luakit: {message}\n", b"")


def test_dag_output_file_equals_stdout(script, tmp_path):
    for fmt in ("dot", "json"):
        out = tmp_path / f"graph.{fmt}"
        proc = luakit("dag", "--format", fmt, "-o", str(out), str(script))
        assert (proc.returncode, proc.stdout) == (0, b""), proc.stderr
        assert out.read_bytes() == luakit("dag", "--format", fmt, str(script)).stdout


def test_platform_flag_takes_containerd_aliases(script):
    for flag, expected in (
        ("linux/aarch64", ("arm64", "")),
        ("linux/armel", ("arm", "v6")),
        ("Linux/x86_64", ("amd64", "")),
    ):
        proc = luakit("build", "--platform", flag, str(script))
        assert proc.returncode == 0, proc.stderr
        platform = decode(proc.stdout).one("exec").platform
        assert (platform.OS, platform.Architecture, platform.Variant) == ("linux", *expected)
    proc = luakit("build", "--platform", "linux/&arm", str(script))
    assert proc.returncode == 2
    assert b"invalid platform 'linux/&arm': architecture '&arm' is not valid" in proc.stderr


def test_a_mode_written_like_an_octal_literal_is_a_warning(tmp_path):
    (tmp_path / "m.lua").write_text(
        'local s = bk.image("alpine")\nbk.export(s:copy(bk.local_("context"), "run.sh", "/run.sh", { mode = 0755 }))\n'
    )
    proc = luakit("build", "m.lua", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode() == (
        "m.lua:2:70: warning: state:copy: mode is the decimal number 755 (octal 1363): "
        'Lua has no octal literals; write "0755" for octal 0755\n'
    )
    assert decode(proc.stdout).one("file").file.actions[0].copy.mode == 755  # taken as given


def test_usage_errors_exit_2(script):
    assert luakit().returncode == 2
    assert luakit("frobnicate").returncode == 2
    assert luakit("build", "--timeout", "-1", str(script)).returncode == 2
    assert luakit("dag", "--filter", "bogus", str(script)).returncode == 2


def test_script_defaults_to_build_lua(tmp_path):
    """`luakit build` with no SCRIPT reads build.lua (a missing one is said plainly)."""
    missing = subprocess.run([sys.executable, "-m", "compiler.cli", "build"], capture_output=True, cwd=tmp_path)
    assert missing.returncode == 3
    assert missing.stderr == b"build.lua: cannot read script: No such file or directory\n"
    (tmp_path / "build.lua").write_text('bk.export(bk.scratch():mkfile("/a", "x"))\n')
    for command in ("build", "validate", "dag"):
        proc = subprocess.run([sys.executable, "-m", "compiler.cli", command], capture_output=True, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr


def test_script_from_stdin(tmp_path):
    script = b'bk.export(bk.scratch():mkfile("/a", "x"))\n'
    from_stdin = subprocess.run([sys.executable, "-m", "compiler.cli", "build", "-"], input=script, capture_output=True)
    assert from_stdin.returncode == 0, from_stdin.stderr
    # The Definition's source map names the script as `<stdin>`.
    assert b"<stdin>" in from_stdin.stdout
    bad = subprocess.run([sys.executable, "-m", "compiler.cli", "validate", "-"], input=b"bk.nope()\n", capture_output=True)
    assert bad.returncode == 1 and bad.stderr.startswith(b"<stdin>:1:"), bad.stderr


def test_version():
    for args in (["version"], ["--version"]):
        proc = luakit(*args)
        assert proc.returncode == 0
        assert proc.stdout.decode().startswith("luakit 0.")


def test_timeout_flag_ends_runaway_scripts(tmp_path):
    (tmp_path / "loop.lua").write_text("while true do end")
    start = time.monotonic()
    proc = luakit("build", "--timeout", "1", "loop.lua", cwd=tmp_path)
    assert time.monotonic() - start < 5
    assert (proc.returncode, proc.stderr.decode()) == (1, "loop.lua:1:1: script evaluation timed out after 1s\n")


def test_watchdog_ends_a_script_stuck_in_one_c_call(tmp_path):
    # One string.find call that backtracks for minutes: no Lua hook can run inside it.
    (tmp_path / "stuck.lua").write_text('local s = string.rep("a", 5000) .. "c"\ns:find(".-.-.-.-.-.-b")')
    start = time.monotonic()
    proc = luakit("build", "--timeout", "1", "stuck.lua", cwd=tmp_path, timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1
    assert proc.stderr.decode() == "stuck.lua: script evaluation timed out after 1s\n"
    assert elapsed < 1 + 5 + 3


def test_the_watchdog_names_the_last_line_the_script_was_seen_on(tmp_path):
    (tmp_path / "stuck.lua").write_text(
        'local n = 0\nfor i = 1, 3e6 do n = n + i end\nlocal s = string.rep("a", 5000) .. "c"\ns:find(".-.-.-.-.-.-b")'
    )
    proc = luakit("validate", "--timeout", "1", "stuck.lua", cwd=tmp_path, timeout=60)
    assert (proc.returncode, proc.stderr.decode()) == (1, "stuck.lua:2: script evaluation timed out after 1s\n")


def test_a_timeout_names_the_line_that_was_running(tmp_path):
    (tmp_path / "build.lua").write_text('local base = bk.image("a")\nlocal n = 0\nwhile true do\n  n = n + 1\nend\n')
    proc = luakit("validate", "--no-resolve", "--timeout", "1", "build.lua", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.decode() in (
        "build.lua:4:3: script evaluation timed out after 1s\n",
        "build.lua:3:1: script evaluation timed out after 1s\n",  # the loop's test, one instruction on
    )


def test_an_unknown_key_is_printed_at_the_key(tmp_path):
    lines = ['local base = bk.image("alpine")', "", "", "", "", "local s = base:run(", '  "make", {', '    cwdd = "/app",']
    (tmp_path / "build.lua").write_text("\n".join(lines) + "\n  })\nbk.export(s)\n")
    proc = luakit("validate", "--no-resolve", "build.lua", cwd=tmp_path)
    assert proc.stderr.decode() == "build.lua:8:5: state:run: unknown option 'cwdd' (did you mean 'cwd'?)\n"


def test_memory_limit_flag(tmp_path):
    (tmp_path / "bomb.lua").write_text("local t = {} while true do t[#t+1] = string.rep('x', 1e6) .. #t end")
    proc = luakit("build", "--memory-limit", "64", "bomb.lua", cwd=tmp_path)
    assert (proc.returncode, proc.stderr.decode()) == (
        1,
        "bomb.lua: script exceeded the memory limit of 64 MiB\n",
    )


def test_refuses_to_write_binary_to_a_terminal(script):
    master, slave = os.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "compiler.cli", "build", str(script)],
            stdout=slave,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 2
    assert b"refusing to write the binary definition to a terminal" in proc.stderr


def test_dag_json_digests_equal_build_digests(script, tmp_path):
    config_out = tmp_path / "config.json"
    d = decode(luakit("build", str(script), "--config-out", str(config_out)).stdout)
    proc = luakit("dag", "--format", "json", str(script))
    assert proc.returncode == 0, proc.stderr
    graph = json.loads(proc.stdout)
    assert [op["digest"] for op in graph["ops"]] == d.digests
    exec_op = graph["ops"][1]
    assert exec_op["kind"] == "exec"
    assert exec_op["location"] == {
        "file": str(script),
        "line": 4,
        "column": 20,
        "end_line": 4,
        "end_column": 109,
    }
    assert exec_op["details"]["meta"]["args"][0] == "sh"
    assert graph["export"]["digest"] == d.digests[-1]
    # The complete image config, as `build --config-out` writes it (scratch's here: no lookups).
    assert graph["export"]["config"] == json.loads(config_out.read_text())
    assert graph["export"]["config"]["config"] == {"WorkingDir": "/", "Env": [DEFAULT_PATH]}


def test_dag_filter_keeps_edges_through_hidden_ops(tmp_path):
    (tmp_path / "f.lua").write_text('local a = bk.image("alpine"):run("a"):mkdir("/x"):run("b")\nbk.export(a)')
    graph = json.loads(luakit("dag", "--format=json", "--filter", "exec", "f.lua", cwd=tmp_path).stdout)
    assert [op["kind"] for op in graph["ops"]] == ["exec", "exec"]
    assert graph["edges"] == [{"from": graph["ops"][0]["digest"], "to": graph["ops"][1]["digest"]}]


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz is installed by .ci/run")
def test_dag_dot_renders_with_graphviz(script):
    proc = luakit("dag", str(script))
    assert proc.returncode == 0
    text = proc.stdout.decode()
    assert '\\"quoted' in text  # quotes in commands are escaped
    svg = subprocess.run(["dot", "-Tsvg"], input=proc.stdout, capture_output=True, timeout=60)
    assert svg.returncode == 0, svg.stderr
    assert b"<svg" in svg.stdout
