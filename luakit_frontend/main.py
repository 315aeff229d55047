"""The frontend's flow: options -> build.lua -> one evaluation per platform -> Return.

Everything the user should read goes back through `Return` as the build's
error (`build.lua:3:5: message`), which buildctl and buildx print; `print` from
the script and warnings go to stderr, which BuildKit shows in the progress
output. The process always exits 0 once `Return` was called: a non-zero exit
would replace the returned error with a vaguer one (docs/llb.md#the-gateway-frontend-protocol).
"""

from __future__ import annotations

import os
import posixpath
import sys
import threading
from collections.abc import Mapping

from compiler.errors import Location
from compiler.evaluate import (
    DEFAULT_TIMEOUT,
    EvalOptions,
    NotText,
    Progress,
    ScriptSource,
    evaluate,
    timeout_message,
    watchdog,
)
from compiler.graph import platform as platforms
from compiler.graph.platform import Platform
from compiler.image.config import exported_image_config
from luakit_frontend.bridge import (
    Bridge,
    GatewayError,
    GatewayResolver,
    LocalFolder,
    default_platform,
    local_definition,
)
from luakit_frontend.options import FrontendOptions, OptionError, opts_from_env, parse_options, session_id
from luakit_frontend.pb import gateway_pb2 as gw
from luakit_frontend.result import Built, build_result
from luakit_frontend.transport import stdio_channel

# Lua files travel with the script so that `require` finds its modules.
MODULE_PATTERNS = ("*.lua", "**/*.lua")

# Each platform's evaluation gets the CLI's default time limit; there is no option for it.
EVAL_TIMEOUT = DEFAULT_TIMEOUT

# Held by the thread that returns to BuildKit, which then ends the process: the
# watchdog and the main thread may both try, and BuildKit takes one Return only.
_returning = threading.Lock()


class BuildFailed(Exception):
    """The build cannot go on; the message is for the user, as it is."""


def _log(location: Location | None, text: str) -> None:
    print(text if location is None else f"{location}: {text}", file=sys.stderr, flush=True)


def read_script(bridge: Bridge, options: FrontendOptions, session: str) -> tuple[ScriptSource, LocalFolder]:
    """The build script from the `dockerfile` local, else from `context` (as dockerui falls back)."""
    include = tuple(dict.fromkeys((*MODULE_PATTERNS, options.filename)))
    folder = posixpath.dirname(options.filename)
    failures: list[str] = []
    for local in dict.fromkeys((options.dockerfile_local, options.context_local)):
        try:
            files = LocalFolder(bridge, bridge.solve(local_definition(local, session, include)), folder)
            data = files.read_bytes(posixpath.basename(options.filename))
        except GatewayError as err:
            failures.append(f"local '{local}': {err}")
            continue
        if data is None:
            failures.append(f"not in local '{local}'")
            continue
        try:
            return ScriptSource.from_bytes(data, name=options.filename), files
        except NotText as err:
            raise BuildFailed(str(err)) from None
    raise BuildFailed(f"{options.filename}: cannot read the build script ({'; '.join(failures)})")


def build_platform(
    bridge: Bridge,
    script: ScriptSource,
    files: LocalFolder,
    options: FrontendOptions,
    target: Platform | None,
    default: Platform,
) -> Built:
    """Evaluate the script for one platform and solve its export."""
    eval_options = EvalOptions(
        build_args=options.build_args,
        target_platform=target,
        timeout=EVAL_TIMEOUT,
        image_resolver=GatewayResolver(bridge, default, options.image_resolve_mode),
        module_reader=files.read_module,
        on_print=_log,
        on_progress=(progress := Progress()),
    )

    def stuck() -> None:  # at the last line the evaluation was seen on
        _finish(bridge, error=timeout_message(script.name, EVAL_TIMEOUT, progress.location(script.name)))

    with watchdog(EVAL_TIMEOUT, stuck):
        evaluation = evaluate(script, eval_options)
    for problem in evaluation.problems:
        if problem.severity != "error":
            print(problem, file=sys.stderr, flush=True)
    if not evaluation.ok:
        raise BuildFailed("\n".join(str(p) for p in evaluation.problems if p.severity == "error"))
    # Without a target, bk.export's os/arch (or the exported state's platform) name
    # the image, as with the CLI; the frontend runs on the daemon, so the host
    # fallback is the worker's platform.
    config = exported_image_config(evaluation, target)
    platform = target or platforms.normalize(config["os"], config["architecture"], config.get("variant", ""))
    if options.labels:  # `--opt label:K=V`, as the Dockerfile frontend adds them
        config["config"] = {**config["config"], "Labels": {**(config["config"].get("Labels") or {}), **options.labels}}
    try:
        ref_id = bridge.solve(evaluation.definition_bytes())
    except GatewayError as err:
        raise BuildFailed(f"{script.name}: {err}") from None
    return Built(platform, ref_id, config)


def build(bridge: Bridge, environ: Mapping[str, str]) -> gw.Result:
    try:
        options = parse_options(opts_from_env(environ))
    except OptionError as err:
        raise BuildFailed(f"luakit frontend: {err}") from None
    default = default_platform(bridge.ping())
    script, files = read_script(bridge, options, session_id(environ))
    targets: tuple[Platform | None, ...] = options.platforms or (None,)
    builds = [build_platform(bridge, script, files, options, target, default) for target in targets]
    return build_result(builds, options.multi_platform or len(builds) > 1)


def main() -> None:
    bridge = Bridge(stdio_channel())
    try:
        result = build(bridge, os.environ)
    except (BuildFailed, GatewayError) as err:
        _finish(bridge, error=str(err))
    except Exception as exc:  # a luakit bug: still a message, never a traceback
        _finish(bridge, error=f"luakit frontend: internal error ({type(exc).__name__}: {exc}); please report it")
    else:
        _finish(bridge, result=result)


def _finish(bridge: Bridge, result: gw.Result | None = None, error: str | None = None) -> None:
    """Return to BuildKit and end the process; a second caller waits here for the end.

    Also called from the watchdog's thread while the main thread is stuck in a script.
    """
    _returning.acquire()  # never released: the holder ends the process
    code = 0
    try:
        bridge.finish(result, error)
    except Exception as exc:  # nothing left to tell BuildKit through; its log gets it
        print(f"luakit frontend: could not return the result: {exc}", file=sys.stderr, flush=True)
        code = 1
    sys.stderr.flush()
    # Skip interpreter shutdown: grpc's and the relay's threads need not wind down.
    os._exit(code)
