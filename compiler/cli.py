"""The `luakit` command: argument parsing, output and exit codes only.

Exit codes: 0 success, 1 a problem in the script, 2 a usage error.
Nothing but the requested output ever goes to stdout; messages go to stderr.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
from collections.abc import Sequence

from compiler import __version__
from compiler.errors import Location
from compiler.evaluate import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_TIMEOUT,
    EvalOptions,
    Evaluation,
    MiB,
    ScriptSource,
    evaluate,
)
from compiler.graph import platform as platforms
from compiler.render import KINDS

EXIT_OK, EXIT_SCRIPT, EXIT_USAGE = 0, 1, 2

# How long past --timeout to wait for a script stuck inside one C call (a huge
# string.rep, a pathological pattern) before the process ends itself.
WATCHDOG_GRACE = 5.0


class UsageError(Exception):
    pass


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


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _kind(text: str) -> str:
    kind = text.lower()
    if kind not in KINDS:
        raise argparse.ArgumentTypeError(f"'{text}' is not one of {', '.join(KINDS)}")
    return kind


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="luakit", description="Compile Lua build scripts to BuildKit LLB.", allow_abbrev=False
    )
    parser.add_argument("--version", action="version", version=f"luakit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def evaluation_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("script", metavar="SCRIPT", help="the build script, e.g. build.lua")
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

    build = commands.add_parser("build", help="write the LLB definition (pipe it to buildctl)")
    evaluation_flags(build)
    build.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout ('-' is stdout)")

    validate = commands.add_parser("validate", help="check a script; prints nothing when it is fine")
    evaluation_flags(validate)

    dag = commands.add_parser("dag", help="show the op graph as Graphviz DOT or JSON")
    evaluation_flags(dag)
    dag.add_argument("--format", choices=("dot", "json"), default="dot")
    dag.add_argument(
        "--filter",
        type=_kind,
        action="append",
        metavar="KIND",
        help=f"only ops of KIND ({', '.join(KINDS)}); repeatable",
    )
    dag.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    commands.add_parser("version", help="print the version")
    return parser


def _print_log(location: Location | None, text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _evaluate(ns: argparse.Namespace) -> Evaluation | None:
    try:
        script = ScriptSource.from_file(ns.script)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"{ns.script}: cannot read script: {reason}", file=sys.stderr)
        return None
    options = EvalOptions(
        build_args=dict(ns.args),
        target_platform=ns.platform,
        timeout=ns.timeout,
        memory_limit=int(ns.memory_limit * MiB),
        on_print=_print_log,
    )
    watchdog = threading.Timer(ns.timeout + WATCHDOG_GRACE, _give_up, (ns.script, ns.timeout))
    watchdog.daemon = True
    watchdog.start()
    try:
        evaluation = evaluate(script, options)
    finally:
        watchdog.cancel()
    for problem in evaluation.problems:
        print(problem, file=sys.stderr)
    return evaluation if evaluation.ok else None


def _give_up(script: str, timeout: float) -> None:
    print(f"{script}: script evaluation timed out after {timeout:g}s", file=sys.stderr, flush=True)
    os._exit(EXIT_SCRIPT)


def _write(data: bytes, output: str | None, binary: bool) -> None:
    if output in (None, "-"):
        if binary and sys.stdout.isatty():
            raise UsageError(
                "refusing to write the binary definition to a terminal: pipe it to buildctl or use -o FILE"
            )
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    assert output is not None
    import tempfile

    directory = os.path.dirname(os.path.abspath(output))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".luakit-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException:
        os.unlink(tmp)
        raise


def run(argv: Sequence[str]) -> int:
    parser = _parser()
    ns = parser.parse_args(argv)  # exits 2 on usage errors
    if ns.command == "version":
        print(f"luakit {__version__}")
        return EXIT_OK
    evaluation = _evaluate(ns)
    if evaluation is None:
        return EXIT_SCRIPT
    if ns.command == "validate":
        return EXIT_OK
    marshalled = evaluation.marshalled
    if ns.command == "build":
        _write(marshalled.to_bytes(), ns.output, binary=True)
        return EXIT_OK
    from compiler.render.dot import render_dot
    from compiler.render.json_view import render_json

    kinds = set(ns.filter) if ns.filter else None
    config = evaluation.export.config if evaluation.export else None
    text = render_json(marshalled, config, kinds) if ns.format == "json" else render_dot(marshalled, kinds)
    _write(text.encode(), ns.output, binary=False)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> None:
    # A short-lived process building one acyclic graph: the cyclic garbage
    # collector only costs time here (it makes large graphs superlinear).
    gc.disable()
    try:
        code = run(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        print(f"luakit: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    except BrokenPipeError:
        code = EXIT_OK
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
