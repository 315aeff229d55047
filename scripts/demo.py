"""The main job (see scripts/demo): compile, show the DAG, show what an editor shows for a script
with a mistake (through the language server), build on BuildKit, show the result."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import buildkit_harness  # noqa: E402

EXAMPLE = ROOT / "examples" / "hello" / "build.lua"


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def luakit(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], capture_output=True, cwd=EXAMPLE.parent)


def main() -> int:
    print(f"luakit main job: {EXAMPLE.relative_to(ROOT)}\n")
    print(EXAMPLE.read_text())

    daemon: buildkit_harness.BuildKit | None = None
    base = "alpine:3.19"
    step(
        "starting BuildKit"
        + (f" (using BUILDKIT_HOST={os.environ['BUILDKIT_HOST']})" if "BUILDKIT_HOST" in os.environ else "")
    )
    try:
        if "BUILDKIT_HOST" not in os.environ:
            buildkit_harness.ensure_installed()
        else:
            buildkit_harness.ensure_buildkit()
        daemon = buildkit_harness.BuildKit().start()
        if daemon.busybox_ref:
            base = daemon.busybox_ref
        print(f"buildkitd at {daemon.addr}; base image {base}")
    except Exception as exc:  # noqa: BLE001 - the compile step is still shown
        print(f"no BuildKit daemon could be started here: {exc}")
        print("showing the compile step only")

    try:
        step(f"luakit build --arg BASE={base} build.lua")
        built = luakit("build", "--arg", f"BASE={base}", "build.lua")
        sys.stderr.write(built.stderr.decode())
        if built.returncode != 0:
            return built.returncode
        print(f"{len(built.stdout)} bytes of pb.Definition")

        step("luakit dag build.lua")
        print(luakit("dag", "--arg", f"BASE={base}", "build.lua").stdout.decode())

        step("luakit-ls --stdio: what an editor shows for build.lua with a mistake in it")
        try:
            shown = asyncio.run(asyncio.wait_for(show_editor(), 120))
        except TimeoutError:
            print("the language server did not answer within 120 s", file=sys.stderr)
            shown = False
        if not shown:
            return 1

        if daemon is None:
            return 0
        step(f"luakit buildx --arg BASE={base} --progress plain -o type=local,dest=OUT")
        with tempfile.TemporaryDirectory(prefix="luakit-demo-") as out:
            ours = luakit(
                "buildx", "--arg", f"BASE={base}", "--progress", "plain", "--addr", str(daemon.addr),
                "-o", f"type=local,dest={out}",
            )
            print(ours.stderr.decode()[-1500:])
            if ours.returncode != 0:
                return ours.returncode
            step("what the build produced")
            for path in sorted(Path(out).rglob("*")):
                if path.is_file() and not path.is_symlink() and path.name == "greeting.txt":
                    print(f"{path.relative_to(out)}: {path.read_text()!r}")
            files = sum(1 for p in Path(out).rglob("*"))
            print(f"({files} entries in the exported filesystem)")
        step("the same Definition through buildctl: buildctl build --local context=. --output type=local,dest=OUT")
        with tempfile.TemporaryDirectory(prefix="luakit-demo-") as out:
            result = daemon.build(built.stdout, contexts={"context": EXAMPLE.parent}, output=f"type=local,dest={out}")
            print(result.stderr[-1500:])
        return 0
    finally:
        if daemon is not None:
            daemon.close()


# The example with a deliberate mistake: an option name misspelled.
MISTAKE = (
    """base:run("echo 'Hello from Luakit!' > /greeting.txt")""",
    """base:run("echo 'Hello from Luakit!' > /greeting.txt", { cwdd = "/" })""",
)


def server_command() -> list[str]:
    """`luakit-ls --stdio` as `pip install` put it next to this Python, else the module."""
    script = Path(sys.executable).with_name("luakit-ls")
    return [str(script), "--stdio"] if script.exists() else [sys.executable, "-m", "luakit_ls.server", "--stdio"]


async def show_editor() -> bool:
    """Open the broken example in the language server, as an editor does; print what it shows."""
    text = EXAMPLE.read_text().replace(*MISTAKE)
    lines = text.split("\n")
    published: asyncio.Queue[t.PublishDiagnosticsParams] = asyncio.Queue()
    client = LanguageClient("luakit-demo", "1")

    @client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: t.PublishDiagnosticsParams) -> None:
        published.put_nowait(params)

    @client.feature("luakit/evaluated")
    def on_evaluated(params: object) -> None:
        pass  # the server's timing notification: not shown here

    await client.start_io(*server_command())
    try:
        with tempfile.TemporaryDirectory(prefix="luakit-demo-") as folder:
            path = Path(folder) / "build.lua"
            path.write_text(text)
            uri = path.as_uri()
            document = t.TextDocumentIdentifier(uri)
            await client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities()))
            client.initialized(t.InitializedParams())
            client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "lua", 1, text)))
            diagnostics = (await asyncio.wait_for(published.get(), 60)).diagnostics
            for d in diagnostics:
                start, end = d.range.start, d.range.end
                severity = "warning" if d.severity == t.DiagnosticSeverity.Warning else "error"
                where = f"build.lua:{start.line + 1}:{start.character + 1}"
                print(f"{where}: {severity}: {d.message}  [{d.source} {d.code}]")
                width = (end.character if end.line == start.line else len(lines[start.line])) - start.character
                print(f"    {lines[start.line]}\n    {' ' * start.character}{'^' * max(width, 1)}")
            fixes = await client.text_document_code_action_async(
                t.CodeActionParams(document, diagnostics[0].range, t.CodeActionContext(list(diagnostics)))
            )
            for fix in fixes or []:
                print(f"  quick fix: {fix.title}")
            # `bk.` typed at the start of a new last line.
            typed = len(lines)
            change = t.TextDocumentContentChangePartial(
                range=t.Range(t.Position(typed - 1, 0), t.Position(typed - 1, 0)), text="bk."
            )
            client.text_document_did_change(
                t.DidChangeTextDocumentParams(t.VersionedTextDocumentIdentifier(version=2, uri=uri), [change])
            )
            found = await client.text_document_completion_async(t.CompletionParams(document, t.Position(typed - 1, 3)))
            items = found.items if isinstance(found, t.CompletionList) else found or []
            print(f"completions after `bk.`: {', '.join(item.label for item in items)}")
            image = next(i for i, line in enumerate(lines) if "bk.image" in line)
            hover = await client.text_document_hover_async(
                t.HoverParams(document, t.Position(image, lines[image].index("bk.image") + 4))
            )
            contents = hover.contents if hover is not None else None
            value = contents.value if isinstance(contents, t.MarkupContent) else ""
            print("hover on `bk.image` (its signature and first paragraph):")
            print("\n".join("    " + line for line in "\n\n".join(value.split("\n\n")[:2]).split("\n")))
            await client.shutdown_async(None)
            client.exit(None)
        ok = bool(diagnostics) and bool(items) and bool(value)
        if not ok:
            print("the language server did not answer as an editor expects", file=sys.stderr)
        return ok
    finally:
        await client.stop()


if __name__ == "__main__":
    sys.exit(main())
