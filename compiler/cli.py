"""The `luakit` command: argument parsing, output and exit codes only.

Exit codes: 0 success, 1 a problem in the script, 2 a usage error, 3 an
input/output error (the script cannot be read, the output cannot be written),
4 an internal error (a bug in luakit), 130 interrupted (143 terminated).
Every failure ends with one line on stderr; nothing but the requested output
ever goes to stdout.

Start-up time counts here (a two-line script should build in a blink), so what
only one command or flag needs is imported where it is used: the image config and
JSON for `--config-out` and `dag`, the renderers and their op kinds for `dag`, the
image package unless `--no-resolve` says no lookup is made, the registry client when one
is; and neither tempfile nor shutil, which argparse and `-o FILE` would otherwise import,
nor argparse's translations (docs/performance.md#cold-start).
"""

from __future__ import annotations

import _signal
import _thread
import argparse
import contextlib
import gc
import os
import stat
import sys
from collections.abc import Sequence

from compiler import __version__
from compiler.api.call import NoImageResolver
from compiler.errors import Location
from compiler.evaluate import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIMEOUT,
    EvalOptions,
    Evaluation,
    MiB,
    NotText,
    Progress,
    ScriptSource,
    evaluate,
    timeout_message,
    watchdog,
)
from compiler.graph import platform as platforms

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from compiler.api.call import ImageResolver

EXIT_OK, EXIT_SCRIPT, EXIT_USAGE, EXIT_IO, EXIT_INTERNAL = 0, 1, 2, 3, 4


class UsageError(Exception):
    """The command line asks for something luakit will not do: EXIT_USAGE."""


class OutputError(Exception):
    """The output could not be written (missing directory, full disk, closed pipe): EXIT_IO."""


# Temporary files of an `-o FILE` write under way, removed if a signal ends the process.
_pending: set[str] = set()


def _build_arg(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"'{text}' must be KEY=VALUE")
    return key, value


def _platform(text: str) -> platforms.Platform:
    try:
        return platforms.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _platforms(text: str) -> tuple[platforms.Platform, ...]:
    found = tuple(dict.fromkeys(_platform(item.strip()) for item in text.split(",") if item.strip()))
    if not found:
        raise argparse.ArgumentTypeError("no platform given")
    return found


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _kind(text: str) -> str:
    from compiler.render import KINDS

    kind = text.lower()
    if kind not in KINDS:
        raise argparse.ArgumentTypeError(f"'{text}' is not one of {', '.join(KINDS)}")
    return kind


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help formatter, told the terminal's width.

    argparse makes a formatter for each flag it adds (to check its metavar), and one that
    is not told a width imports `shutil` (with bz2, lzma, fnmatch: ~2 ms of each start) to
    ask for it. The width is found as shutil finds it: $COLUMNS, else the terminal's, else 80.
    """

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_terminal_columns() - 2)


def _terminal_columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _untranslated(message: str) -> str:
    return message


def _parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    # argparse passes each of its own words ("options", "usage: ", a flag's help) through
    # `gettext.gettext`, which looks for a catalog of translations on disk every time, and
    # whose first look-up imports `locale` for its tables of locale aliases: ~5 million
    # instructions, a tenth of the Python floor, in every start (docs/performance.md#cold-start).
    # Python ships no catalog of argparse's messages, and luakit's own are English, so the
    # look-up only ever returns the message it was given: argparse is given that function.
    argparse._ = _untranslated  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(
        prog="luakit",
        description="Compile Lua build scripts to BuildKit LLB.",
        allow_abbrev=False,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"luakit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def evaluation_flags(p: argparse.ArgumentParser, *, many_platforms: bool = False) -> None:
        p.add_argument(
            "script", metavar="SCRIPT", nargs="?", default="build.lua", help="the build script (default build.lua)"
        )
        p.add_argument(
            "--arg",
            "--frontend-arg",
            dest="args",
            action="append",
            type=_build_arg,
            default=[],
            metavar="KEY=VALUE",
            help="a build argument, read with bk.arg(KEY) or os.getenv(KEY) (repeatable)",
        )
        if many_platforms:  # buildx: one evaluation per platform, an index of their images
            p.add_argument("--platform", type=_platforms, help="target platforms os/arch[/variant][,…]")
        else:
            p.add_argument("--platform", type=_platform, help="target platform os/arch[/variant] for every op")
        p.add_argument(
            "--timeout",
            type=_positive,
            default=DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help=f"evaluation time limit (default {DEFAULT_TIMEOUT:g})",
        )
        p.add_argument(
            "--memory-limit",
            type=_positive,
            default=DEFAULT_MEMORY_LIMIT / MiB,
            metavar="MIB",
            help=f"evaluation memory limit in MiB (default {DEFAULT_MEMORY_LIMIT // MiB})",
        )
        p.add_argument(
            "--no-resolve",
            action="store_true",
            help="do not look up base image configs in registries (offline; runs get the default PATH and '/')",
        )

    def build_flags(p: argparse.ArgumentParser) -> None:
        evaluation_flags(p)
        p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout ('-' is stdout)")
        p.add_argument(
            "--config-out",
            metavar="FILE",
            help="also write the exported image's OCI config (JSON) to FILE, for buildctl's "
            "--output type=image,...,containerimage.config=<JSON>",
        )

    def dag_flags(p: argparse.ArgumentParser) -> None:
        from compiler.render import KINDS

        evaluation_flags(p)
        p.add_argument("--format", choices=("dot", "json"), default="dot")
        p.add_argument(
            "--filter",
            type=_kind,
            action="append",
            metavar="KIND",
            help=f"only ops of KIND ({', '.join(KINDS)}); repeatable",
        )
        p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    def buildx_flags(p: argparse.ArgumentParser) -> None:
        evaluation_flags(p, many_platforms=True)
        from luakit_buildkit.cli import add_flags  # with json, tempfile, grpc's helpers: buildx's alone

        add_flags(p)

    # Only the command being run is made, with its flags; the others only for `luakit --help`
    # and for the message about a command that does not exist. argparse makes a help
    # formatter and looks up translations for every parser and flag, a few ms of each start
    # that the command being run does not need (docs/performance.md#cold-start).
    subcommands = (
        ("build", "write the LLB definition (pipe it to buildctl)", build_flags),
        ("validate", "check a script; prints nothing when it is fine", evaluation_flags),
        ("dag", "show the op graph as Graphviz DOT or JSON", dag_flags),
        ("buildx", "build the script on BuildKit (docs/cli.md)", buildx_flags),
        ("version", "print the version", None),
    )
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    known = command in {name for name, _, _ in subcommands}
    for name, summary, add_flags in subcommands:
        if known and name != command:
            continue
        subparser = commands.add_parser(name, help=summary, formatter_class=_HelpFormatter)
        if name == command and add_flags is not None:
            add_flags(subparser)
    return parser


def _print_log(location: Location | None, text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _read_script(path: str) -> ScriptSource | int:
    """The script, or the exit code after saying why it cannot be had."""
    try:
        if path == "-":
            # `-` is the script on stdin; `require` then resolves from the current folder.
            return ScriptSource.from_bytes(sys.stdin.buffer.read(), name="<stdin>")
        return ScriptSource.from_file(path)
    except OSError as exc:
        print(f"{path}: cannot read script: {_reason(exc)}", file=sys.stderr)
        return EXIT_IO
    except NotText as exc:
        print(exc, file=sys.stderr)
        return EXIT_SCRIPT


def _image_resolver(no_resolve: bool) -> ImageResolver:
    """How base images are looked up: not at all with --no-resolve, else `compiler.image`'s way.

    With --no-resolve no lookup is made, and `compiler.image` is not loaded (~0.6 million
    instructions of each start: docs/performance.md#cold-start).
    """
    if no_resolve:
        return NoImageResolver()
    from compiler.image import image_resolver

    return image_resolver(network=True)


def _evaluate(ns: argparse.Namespace, target: platforms.Platform | None) -> Evaluation | int:
    """The evaluation of a script without errors, or the exit code after printing why not."""
    script = _read_script(ns.script)
    if isinstance(script, int):
        return script
    options = EvalOptions(
        build_args=dict(ns.args),
        target_platform=target,
        timeout=ns.timeout,
        memory_limit=int(ns.memory_limit * MiB),
        image_resolver=_image_resolver(ns.no_resolve),
        on_print=_print_log,
        on_progress=(progress := Progress()),
    )

    def stuck() -> None:
        _give_up(timeout_message(script.name, ns.timeout, progress.location(script.name)))

    with watchdog(ns.timeout, stuck):
        evaluation = evaluate(script, options)
    for problem in evaluation.problems:
        print(problem, file=sys.stderr)
    return evaluation if evaluation.ok else EXIT_SCRIPT


def _give_up(message: str) -> None:
    """The script is stuck inside one C call (see `watchdog`): say so, at the last line seen, and end."""
    print(message, file=sys.stderr, flush=True)
    os._exit(EXIT_SCRIPT)


def _write(data: bytes, output: str | None, binary: bool) -> None:
    if output in (None, "-"):
        if binary and sys.stdout.isatty():
            raise UsageError(
                "refusing to write the binary definition to a terminal: pipe it to buildctl or use -o FILE"
            )
        _write_stdout(data)
    else:
        assert output is not None
        _write_file(data, output)


def _write_stdout(data: bytes) -> None:
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except OSError as exc:
        # What could not be written stays buffered; point stdout at /dev/null so
        # the interpreter's last flush does not fail (and print) again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        if isinstance(exc, BrokenPipeError):
            raise OutputError("cannot write to stdout: the pipe was closed by the program reading it") from None
        raise OutputError(f"cannot write to stdout: {_reason(exc)}") from None


def _write_file(data: bytes, path: str) -> None:
    """Write `path` atomically: a temporary file next to it, renamed over it.

    A path that exists but is not a regular file (/dev/stdout, a fifo) is written
    in place: renaming over it would replace the device or pipe.
    """
    try:
        if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
            with open(path, "wb") as f:
                f.write(data)
            return
        fd, tmp = _new_file_beside(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_reason(exc)}") from None
    _pending.add(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise OutputError(f"cannot write {path}: {_reason(exc)}") from None
    finally:
        _pending.discard(tmp)


def _new_file_beside(path: str) -> tuple[int, str]:
    """A new file (descriptor, path) in `path`'s directory that no other process has open.

    What `tempfile.mkstemp` makes (O_EXCL, mode 0600), named after this process rather than at
    random: importing tempfile brings shutil and random, ~5 ms of each `-o FILE` start
    (docs/performance.md#cold-start).
    """
    directory = os.path.dirname(os.path.abspath(path))
    attempt = 0
    while True:
        tmp = os.path.join(directory, f".luakit-{os.getpid()}-{attempt}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:  # left by an earlier process of the same id
            attempt += 1


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _end_on_signals() -> None:
    """Ctrl-C and SIGTERM end the process with a message, even mid-evaluation.

    The signals are blocked in every thread and taken by one waiting thread, so
    they work while a script is inside one long C call, where no Python signal
    handler (nor KeyboardInterrupt) would run.
    """
    # `_signal` is the C module `signal` wraps: the same functions, without the enum classes
    # `signal` builds for every signal name at import (~1 ms of each start).
    signals = {_signal.SIGINT, _signal.SIGTERM}
    _signal.pthread_sigmask(_signal.SIG_BLOCK, signals)

    def wait() -> None:
        received = _signal.sigwait(signals)
        for tmp in list(_pending):
            _remove(tmp)
        ended = "interrupted" if received == _signal.SIGINT else "terminated"
        print(f"luakit: {ended}", file=sys.stderr, flush=True)
        os._exit(128 + received)

    # `_thread`, not `threading`, which nothing else in a CLI run needs (~1 ms of each start).
    # Like a daemon thread, it ends with the process.
    _thread.start_new_thread(wait, ())


def run(argv: Sequence[str]) -> int:
    parser = _parser(argv)
    ns = parser.parse_args(argv)  # exits 2 on usage errors
    if ns.command == "version":
        print(f"luakit {__version__}")
        return EXIT_OK
    if ns.command == "buildx":
        from luakit_buildkit.cli import run as run_buildx

        evaluations = []
        for target in ns.platform or (None,):
            if isinstance(found := _evaluate(ns, target), int):
                return found
            evaluations.append(found)
        return run_buildx(ns, evaluations)
    evaluation = _evaluate(ns, ns.platform)
    if isinstance(evaluation, int):
        return evaluation
    if ns.command == "validate":
        return EXIT_OK
    marshalled = evaluation.marshalled
    if ns.command == "build":
        if ns.config_out:
            if ns.config_out == "-" and ns.output in (None, "-"):
                raise UsageError("--config-out - needs -o FILE: stdout already carries the definition")
            import json

            from compiler.image.config import exported_image_config

            image_config = exported_image_config(evaluation)
            _write((json.dumps(image_config, separators=(",", ":")) + "\n").encode(), ns.config_out, binary=False)
        _write(marshalled.to_bytes(), ns.output, binary=True)
        return EXIT_OK
    from compiler.image.config import exported_image_config
    from compiler.render.dot import render_dot
    from compiler.render.json_view import render_json

    kinds = set(ns.filter) if ns.filter else None
    if ns.format == "json":
        # The config `build --config-out` writes: what the image will get, not just bk.export's options.
        text = render_json(marshalled, exported_image_config(evaluation), kinds)
    else:
        text = render_dot(marshalled, kinds)
    _write(text.encode(), ns.output, binary=False)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> None:
    # A short-lived process building one acyclic graph: the cyclic garbage
    # collector only costs time here (it makes large graphs superlinear). The console
    # script turned it off already, before this module's imports (compiler/cli_start.py);
    # `python -m compiler.cli` has it off from here.
    gc.disable()
    _end_on_signals()
    try:
        code = run(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        print(f"luakit: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    except OutputError as exc:
        print(f"luakit: {exc}", file=sys.stderr)
        code = EXIT_IO
    except Exception as exc:  # noqa: BLE001 - a bug in luakit still ends with one line
        print(f"luakit: internal error ({type(exc).__name__}: {exc}); please report this bug", file=sys.stderr)
        code = EXIT_INTERNAL
    # The interpreter's exit runs one last collection over every object still alive: the
    # whole graph, to free no cycle (an evaluation's graph has none). Frozen, they are out
    # of its sight: the exit after a 10,000-op build takes ~10 ms instead of 30-270 ms.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    main()
