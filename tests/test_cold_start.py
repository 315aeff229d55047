"""`luakit build` and `luakit validate` load only what the command needs (docs/performance.md#cold-start).

Every module a two-line script does not use is start-up time on every build; these
tests name the ones kept out on purpose, so an import that brings one back fails here
rather than slowing the CLI unnoticed.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICK_START = ROOT / "examples" / "hello" / "build.lua"

# Loaded by a flag or a command that is not used here: buildx's flags, the registry
# client (network, TLS), the DAG renderers and image config writer, JSON, and the platform module
# (the host's architecture comes from os.uname()). Never tempfile and shutil, neither for -o FILE
# nor for argparse's help width (compiler/cli.py); no pathlib (with urllib.parse and ipaddress:
# the compiler's paths are os.path strings); the Lua lexer only for a call the quick path
# cannot locate (compiler/runtime/callsite.py); no `dataclasses` (with `inspect`, `ast`, `dis`,
# `tokenize`): the compiler's values are records (compiler/records.py). No `hashlib` (its
# OpenSSL binding): op digests come from `_sha256` (compiler/llb/encode.py). No `typing`
# (~3 ms, and ~0.3 ms for each `NamedTuple`): annotation-only names are imported under
# `TYPE_CHECKING`, protocols are defined there, and tuples of fields are records. No
# `threading`: the CLI's two threads (signals, the watchdog) are `_thread`'s; no `signal`
# (its enums): the CLI blocks and waits for signals with `_signal`. No `locale` (its alias
# tables), which gettext imports on its first look-up of a translation: argparse's words are
# not looked up (compiler/cli.py, `_untranslated`).
NEVER_FOR_THE_QUICK_START = {
    "threading",
    "signal",
    "compiler.api.reuse",  # results kept between evaluations: the editor's worker only
    "typing",
    "hashlib",
    "_hashlib",
    "dataclasses",
    "inspect",
    "luakit_buildkit.cli",
    "compiler.image",  # --no-resolve: no lookup, so not even the package that makes them
    "compiler.render",  # the op kinds of `dag --filter`
    "compiler.image.registry",
    "compiler.image.config",
    "compiler.render.dot",
    "compiler.render.json_view",
    "urllib.request",
    "ssl",
    "tempfile",
    "shutil",
    "pathlib",
    "compiler.lua.lexer",
    "json",
    "platform",
    "locale",
}

# Runs the CLI's `main` as the console script does (from `compiler.cli_start`), then reports
# its exit code, how many objects are frozen (out of the sight of the collection the
# interpreter runs as it exits), how many collections ran while `compiler.cli` and what it
# imports were loaded, and the modules loaded, with nothing but sys and gc (which the CLI loads itself),
# so that the report loads no module of its own.
PROGRAM = """
import gc, sys
collected = 0
def count(phase, info):  # a collection that runs once compiler.cli has begun to import
    global collected
    collected += phase == "start" and "compiler.cli" in sys.modules
gc.callbacks.append(count)
from compiler.cli_start import main
gc.callbacks.remove(count)
try:
    main(sys.argv[1:])
except SystemExit as end:
    code = end.code
sys.stderr.write(f"\\n{code} {gc.get_freeze_count()} {collected} {' '.join(sorted(sys.modules))}\\n")
"""


def bare_environment() -> dict[str, str]:
    """For this Python run without `site` (-S): the sources and site-packages on its path.

    A development venv's editable install runs an import finder from a .pth file at every
    start, and that finder loads modules of its own (threading among them); a regular
    install does not. Without `site` no .pth file runs, so what is loaded is what luakit
    loads.
    """
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *site.getsitepackages()])}


def loaded_by(*argv: str) -> set[str]:
    """The modules loaded in a fresh interpreter that ran `luakit ARGV` (stdout discarded)."""
    return ended(*argv)[2] - at_start()


def ended(*argv: str) -> tuple[int, int, set[str]]:
    """How a fresh interpreter that ran `luakit ARGV` ends: (objects frozen, collections run while
    the command's modules were imported, modules loaded)."""
    done = subprocess.run(
        [sys.executable, "-S", "-c", PROGRAM, *argv],
        cwd=ROOT,
        env=bare_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )
    code, frozen, collected, *modules = done.stderr.strip().splitlines()[-1].split()
    assert code == "0", done.stderr
    return int(frozen), int(collected), set(modules)


def at_start() -> set[str]:
    """What this interpreter loads before any code of ours runs: not luakit's start-up to answer for."""
    done = subprocess.run(
        [sys.executable, "-S", "-c", "import sys; print(' '.join(sys.modules))"],
        env=bare_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(done.stdout.split())


# What only marshalling needs: the LLB encoder and protobuf (upb and the well-known
# types it loads). `validate` of a script without unused steps encodes no op.
MARSHALLING = {"compiler.llb.marshal", "compiler.llb.encode", "compiler.pb.llb", "google._upb._message"}

# What protobuf itself loads with the first message class: upb imports its well-known
# types' mixins (google.protobuf.internal.well_known_types), which import typing, datetime
# and calendar (which imports locale), and google.protobuf.descriptor imports threading for a
# lock. Only `build` makes message classes; our own modules import none of them.
FOR_PROTOBUF = {"typing", "threading", "locale"}


def only_for_protobuf(loaded: set[str]) -> set[str]:
    """`loaded` less FOR_PROTOBUF, when protobuf's well-known types are what brought it in."""
    return loaded - FOR_PROTOBUF if "google.protobuf.internal.well_known_types" in loaded else loaded


def test_validate_loads_only_what_it_uses():
    loaded = loaded_by("validate", "--no-resolve", str(QUICK_START))
    assert "compiler.evaluate" in loaded  # the test ran the real command
    assert loaded & (NEVER_FOR_THE_QUICK_START | MARSHALLING) == set()


def test_build_to_stdout_loads_only_what_it_uses():
    loaded = loaded_by("build", "--no-resolve", str(QUICK_START))
    assert "compiler.llb.marshal" in loaded
    assert only_for_protobuf(loaded) & NEVER_FOR_THE_QUICK_START == set()


def test_build_to_a_file_loads_only_what_it_uses(tmp_path):
    out = tmp_path / "out.pb"
    loaded = loaded_by("build", "--no-resolve", "-o", str(out), str(QUICK_START))
    assert out.stat().st_size > 0
    assert only_for_protobuf(loaded) & NEVER_FOR_THE_QUICK_START == set()


def test_build_leaves_its_objects_frozen_for_a_quick_exit(tmp_path):
    # The interpreter's last collection walks every object still alive (the whole graph):
    # 30-270 ms after a 10,000-op build, where a frozen heap exits in ~10 ms.
    frozen, _, _ = ended("build", "--no-resolve", "-o", str(tmp_path / "out.pb"), str(QUICK_START))
    assert frozen > 0


def test_no_collection_runs_while_the_command_is_imported():
    # The cyclic collector is off before argparse and the compiler are imported
    # (compiler/cli_start.py): those imports would run it dozens of times (~4 million
    # instructions of each start) in a process whose graph has no cycles to free.
    _, collected, _ = ended("validate", "--no-resolve", str(QUICK_START))
    assert collected == 0


def test_the_console_script_starts_where_the_collector_is_turned_off():
    with open(ROOT / "pyproject.toml", "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert scripts["luakit"] == "compiler.cli_start:main"
