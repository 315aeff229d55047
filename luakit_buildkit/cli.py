"""The `luakit buildx` command: evaluate, then build on BuildKit (docs/cli.md).

`add_flags` is imported by compiler/cli.py's parser and must stay free of grpc;
`run` loads the client only when a build is actually run, and json, tempfile, the
image config, the secrets and ssh services only for the flags that need them.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compiler.evaluate import Evaluation
    from luakit_buildkit.client import ExportSpec
    from luakit_buildkit.progress import Display
    from luakit_buildkit.secrets import SecretSource

EXIT_IO, EXIT_STEP_FAILED, EXIT_DAEMON, EXIT_INTERRUPTED = 3, 5, 6, 130


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-t", "--tag", action="append", default=[], metavar="NAME", help="image name (repeatable)")
    p.add_argument("--push", action="store_true", help="push the image (shorthand for --output type=registry)")
    p.add_argument(
        "-o", "--output", action="append", default=[], metavar="type=TYPE[,KEY=VALUE…]",
        help="an exporter: image, registry, local, tar, oci, docker (repeatable)",
    )
    p.add_argument(
        "--local", action="append", default=[], metavar="NAME=DIR",
        help="a directory bk.local_(NAME) reads (repeatable; context defaults to the script's folder)",
    )
    p.add_argument("--secret", action="append", default=[], metavar="id=ID,src=FILE|env=VAR")
    p.add_argument(
        "--ssh", action="append", default=[], metavar="default|ID[=SOCKET]",
        help="forward an ssh agent socket (default $SSH_AUTH_SOCK) to ssh mounts (repeatable)",
    )
    p.add_argument("--cache-from", action="append", default=[], metavar="type=TYPE[,…]")
    p.add_argument("--cache-to", action="append", default=[], metavar="type=TYPE[,…]")
    p.add_argument("--no-cache", action="store_true", help="do not use the daemon's cache")
    p.add_argument(
        "--progress", choices=("auto", "tty", "plain", "rawjson"), default="auto",
        help="auto: tty on a terminal, else plain",
    )
    p.add_argument("--metadata-file", metavar="FILE", help="write the exporter response as JSON")
    p.add_argument("--addr", metavar="ADDRESS", help="the daemon (default $BUILDKIT_HOST or unix:///run/buildkit/buildkitd.sock)")
    p.add_argument("--tlscacert", metavar="FILE")
    p.add_argument("--tlscert", metavar="FILE")
    p.add_argument("--tlskey", metavar="FILE")
    p.add_argument("--tlsservername", metavar="NAME")


def parse_spec(text: str) -> tuple[str, dict[str, str]]:
    """`type=local,dest=out` as buildx reads it: the type and the other attributes."""
    attrs: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{text!r}: expected KEY=VALUE, got {item!r}")
        attrs[key.strip()] = value
    kind = attrs.pop("type", None)
    if not kind:
        raise ValueError(f"{text!r}: needs type=…")
    return kind, attrs


def _exports(ns: argparse.Namespace, evaluation: Evaluation | None) -> list[ExportSpec]:
    """The `--output`s; an image exporter of one evaluation gets its config (several platforms'
    configs travel with their refs instead)."""
    from luakit_buildkit.client import ExportSpec

    specs = [parse_spec(text) for text in ns.output]
    if ns.push and not any(kind in ("image", "registry") for kind, _ in specs):
        specs.append(("image", {"push": "true"}))
    exports = []
    for kind, attrs in specs:
        if kind == "registry":
            kind, attrs = "image", {**attrs, "push": "true"}
        if kind in ("image", "oci", "docker"):
            if ns.tag and "name" not in attrs:
                attrs["name"] = ",".join(ns.tag)
            # The image gets the script's whole config (entrypoint, env, user, …).
            if evaluation is not None and "containerimage.config" not in attrs:
                import json

                from compiler.image.config import exported_image_config

                attrs["containerimage.config"] = json.dumps(exported_image_config(evaluation), separators=(",", ":"))
        exports.append(ExportSpec(kind, attrs))
    return exports


# BuildKit's push error: `failed to push REF: unexpected status from … request to URL: 401 Unauthorized`.
_PUSH_FAILED = re.compile(r"failed to push (?P<ref>\S+?): .*\b(?P<status>[45]\d\d \w[\w ]*)$")


def push_refusal(message: str) -> str | None:
    """A registry's refusal of a push, in one line that says where the credentials come from."""
    found = _PUSH_FAILED.search(message)
    if found is None:
        return None
    from compiler.image.registry import docker_config_path

    ref, status = found["ref"], found["status"]
    line = f"push to {ref} refused: {status}"
    if status.startswith(("401", "403")):
        line += f" (credentials for {ref.split('/', 1)[0]} come from {docker_config_path()})"
    return line


def _cache_imports(texts: Sequence[str]) -> tuple[list[ExportSpec], list[str]]:
    """The `--cache-from`s, and why the `type=local` ones left out were (buildx warns and builds on)."""
    from luakit_buildkit import localcache
    from luakit_buildkit.client import ExportSpec

    imports, skipped = [], []
    for text in texts:
        kind, attrs = parse_spec(text)
        if kind == "local":
            try:
                attrs = localcache.import_attrs(attrs)
            except localcache.CacheSkipped as exc:
                skipped.append(str(exc))
                continue
            except ValueError as exc:
                raise ValueError(f"--cache-from {text!r}: {exc}") from None
        imports.append(ExportSpec(kind, attrs))
    return imports, skipped


def _local_cache_export(text: str) -> ExportSpec:
    """A `--cache-to`; a `type=local` one gets its directory now, as buildctl makes it before the build."""
    from luakit_buildkit import localcache
    from luakit_buildkit.client import ExportSpec

    kind, attrs = parse_spec(text)
    if kind == "local":
        try:
            localcache.export_directory(attrs)
        except ValueError as exc:
            raise ValueError(f"--cache-to {text!r}: {exc}") from None
    return ExportSpec(kind, attrs)


def _display(progress: str, evaluations: Sequence[Evaluation]) -> Display:
    """The `--progress` display; `auto` is the live one on a terminal, plain lines otherwise."""
    from luakit_buildkit.progress import PlainProgress, RawJSONProgress, TTYProgress

    if progress == "auto":
        progress = "tty" if sys.stderr.isatty() else "plain"
    if progress == "rawjson":
        return RawJSONProgress()
    if progress == "plain":
        return PlainProgress()
    # Each step with the Lua call that made it.
    locations = {
        op.digest: str(op.locations()[0]) for e in evaluations for op in e.marshalled.ops if op.locations()
    }
    return TTYProgress(locations)


def run(ns: argparse.Namespace, evaluations: Sequence[Evaluation]) -> int:
    """Build the evaluations (one per `--platform`, in order) and say how it went; the exit code."""
    from luakit_buildkit import client
    from luakit_buildkit.connection import AddressError, TLSFiles

    definition: bytes | list[client.PlatformBuild]
    if len(evaluations) == 1:
        (evaluation,) = evaluations
        definition = evaluation.marshalled.to_bytes()
        single: Evaluation | None = evaluation
    else:
        from compiler.image.config import exported_image_config

        # Each image's config travels with its platform's ref, not as one exporter attribute.
        definition = [
            client.PlatformBuild(target, e.marshalled.to_bytes(), exported_image_config(e, target))
            for target, e in zip(ns.platform, evaluations, strict=True)
        ]
        single = None
    try:
        exports = _exports(ns, single)
        cache_from, skipped = _cache_imports(ns.cache_from)
        cache_to = [_local_cache_export(t) for t in ns.cache_to]
        secrets = _secrets(ns.secret)
        ssh = _ssh_agents(ns.ssh)
    except ValueError as exc:
        print(f"luakit buildx: {exc}", file=sys.stderr)
        return 2
    for warning in skipped:
        print(f"luakit buildx: warning: {warning}", file=sys.stderr)
    if ns.metadata_file and (problem := _metadata_file_problem(ns.metadata_file)) is not None:
        print(f"luakit buildx: {problem}", file=sys.stderr)
        return EXIT_IO
    locals_ = {"context": Path(ns.script).resolve().parent}
    for text in ns.local:
        name, sep, directory = text.partition("=")
        if not sep or not name:
            print(f"luakit buildx: --local {text!r}: expected NAME=DIR", file=sys.stderr)
            return 2
        if not Path(directory).is_dir():
            print(f"luakit buildx: --local {name}={directory}: not a directory", file=sys.stderr)
            return 3
        locals_[name] = Path(directory).resolve()
    cancel = threading.Event()
    display = _display(ns.progress, evaluations)
    try:
        try:
            result = client.build(
                definition,
                addr=ns.addr,
                tls=TLSFiles(ns.tlscacert, ns.tlscert, ns.tlskey, ns.tlsservername),
                exports=exports,
                cache_from=cache_from,
                cache_to=cache_to,
                no_cache=ns.no_cache,
                locals=locals_,
                secrets=secrets,
                ssh=ssh,
                on_status=display,
                cancel=cancel,
            )
        finally:
            display.close()  # before any message: the live view must not draw over it
    except AddressError as exc:
        print(f"luakit buildx: {exc}", file=sys.stderr)
        return EXIT_DAEMON
    except client.DaemonUnreachable as exc:
        print(f"luakit buildx: {exc}", file=sys.stderr)
        return EXIT_DAEMON
    except client.Cancelled:
        print("luakit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except client.CacheExportFailed as exc:
        print(f"luakit buildx: {exc}", file=sys.stderr)
        return EXIT_IO
    except client.BuildFailed as exc:
        from luakit_buildkit.steps import failure_line, step_location

        where = next(
            (found for e in evaluations if (found := step_location(e.marshalled.definition, exc.vertex_digest))),
            None,
        )
        what = failure_line(exc)
        print(f"{where}: {what}" if where else f"luakit buildx: {what}", file=sys.stderr)
        for line in exc.log_tail:
            print(f"  | {line}", file=sys.stderr)
        return EXIT_STEP_FAILED
    for warning in result.warnings:
        print(f"luakit buildx: warning: {warning}", file=sys.stderr)
    if ns.metadata_file:
        import json

        text = json.dumps(metadata_document(result.exporter_response), indent=2, sort_keys=True, ensure_ascii=False)
        try:
            from luakit_buildkit.files import write_atomically

            write_atomically(Path(ns.metadata_file), text.encode())
        except OSError as exc:
            print(f"luakit buildx: cannot write --metadata-file {ns.metadata_file}: {exc.strerror or exc}",
                  file=sys.stderr)
            return EXIT_IO
    return 0


def _secrets(flags: Sequence[str]) -> dict[str, SecretSource]:
    if not flags:
        return {}  # without importing the Secrets service
    from luakit_buildkit.secrets import parse_secret

    return dict(parse_secret(t) for t in flags)


def _ssh_agents(flags: Sequence[str]) -> dict[str, Path]:
    if not flags:
        return {}  # without importing the SSH service
    from luakit_buildkit.ssh import parse_ssh

    return dict(parse_ssh(t) for t in flags)


def metadata_document(exporter_response: Mapping[str, str]) -> dict[str, Any]:
    """The exporter response as buildx writes `--metadata-file`: values that are base64 of a
    JSON object or list (descriptors, the image config) decoded, the others as strings."""
    import json

    document: dict[str, Any] = {}
    for key, value in exporter_response.items():
        document[key] = value
        try:
            decoded = json.loads(value if key == "result.json" else base64.b64decode(value, validate=True))
        except ValueError:
            continue
        if isinstance(decoded, dict | list) and decoded:
            document[key] = decoded
    return document


def _metadata_file_problem(path: str) -> str | None:
    """Why `--metadata-file` could not be written, found before the build rather than after it."""
    folder = Path(path).resolve().parent
    if Path(path).is_dir():
        return f"cannot write --metadata-file {path}: Is a directory"
    if not folder.is_dir():
        return f"cannot write --metadata-file {path}: No such file or directory"
    if not os.access(folder, os.W_OK):
        return f"cannot write --metadata-file {path}: Permission denied"
    return None
