"""`luakit-ls`: LSP methods wired to the plain modules of this package. Nothing else lives here.

Start-up is kept short (editors wait for `initialize`): pygls and lsprotocol
load first; the compiler, tree-sitter and the stub index load in the
background after `initialized`, and the evaluation workers start there too.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import posixpath
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer

from luakit_ls import __version__, commands
from luakit_ls import settings as config
from luakit_ls.client import ClientFeatures
from luakit_ls.commands import BUILD, EMIT_DEFINITION, SHOW_DAG, VALIDATE
from luakit_ls.documents import as_library, display_name, is_build_script, is_named_script, path_of
from luakit_ls.protocol import LuakitProtocol
from luakit_ls.script_log import ScriptLog

if TYPE_CHECKING:
    from compiler.worker_start import Started


@dataclass
class DocumentState:
    """What the server knows about one build script beyond its text."""

    # The CallOps of the last detailed evaluation (the one after typing pauses, with
    # digests) that succeeded, and the version they are of: they are shown (inlay
    # hints, hover, symbols) only while the document is still that version, since
    # an edit above a call moves lines and a hint would name another call's op.
    good_calls: list[Any] = field(default_factory=list)
    calls_version: int = -1
    evaluated_version: int = -1
    seconds: float = 0.0
    ops: int = 0


class LuakitServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "luakit-ls",
            __version__,
            text_document_sync_kind=t.TextDocumentSyncKind.Incremental,
            protocol_cls=LuakitProtocol,
        )
        self.protocol: LuakitProtocol
        self.settings = config.Settings()
        self.client = ClientFeatures()  # what the client can take: read at `initialize`
        self.states: dict[str, DocumentState] = {}
        # The module files each script's last evaluation read: an edit, save or close of one of
        # them evaluates those scripts again (their diagnostics depend on it).
        self.modules_of: dict[str, frozenset[str]] = {}
        self.script_log = ScriptLog()
        self.outbox: Any = None  # luakit_ls.diagnostics.Outbox, made in `load`
        self._scheduler: Any = None
        self._first_worker: Started | None = None  # started at `initialized`, for the scheduler
        self._ready = threading.Event()
        self._pending: set[str] = set()  # documents to evaluate once loading is done

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls's read loop hands what fails before the protocol (malformed JSON) to this error
        # handler only: the protocol answers it as the specification says (luakit_ls/protocol.py).
        if not self.protocol.read_loop_error(error):
            super().report_server_error(error, source)

    # ------------------------------------------------------------ lazily loaded parts

    def start_first_worker(self) -> None:
        """Start the first evaluation worker's process, once `initialize` is answered.

        Its start (a new Python importing the compiler, 0.1-0.25 s) is the longest wait
        before the first diagnostics, and the rest of loading overlaps it. Started here,
        on the event loop's thread (which lives as long as the server, as the worker's
        parent-death signal needs), it no longer waits for `load` to import the scheduler
        and the compiler (~50 ms here, more under load): compiler.worker_start imports
        nothing that pygls has not. Not before the answer: on two shared cores, a Python
        starting at once made `initialize` later (docs/performance.md, "Start-up").
        """
        from compiler.worker_start import start_process

        self._first_worker = start_process(self.settings.memory_limit)

    def load(self, loop: asyncio.AbstractEventLoop) -> None:
        """Import the compiler and the editor modules, start the workers (off the event loop)."""
        from luakit_ls.scheduler import Scheduler

        # The first worker first (started by `start_first_worker`, or here if it was not).
        first_worker, self._first_worker = self._first_worker, None
        self._scheduler = Scheduler(
            self._on_outcome, self._on_details, self.settings.memory_limit, first_worker=first_worker
        )
        self._scheduler.warm_up()
        from luakit_ls import stubs
        from luakit_ls.diagnostics import Outbox

        stubs.load()
        self.outbox = Outbox()
        # What is loaded now lives as long as the server: keep it out of the full
        # collections that each evaluation's report (thousands of objects) triggers.
        gc.freeze()
        self._ready.set()
        loop.call_soon_threadsafe(self._loaded)

    def _loaded(self) -> None:
        """On the event loop, once loading is done: what waited for the compiler."""
        self.check_settings()
        pending, self._pending = self._pending, set()
        for uri in pending:
            if uri in self.workspace.text_documents:
                self.evaluate(uri)

    async def ready(self) -> None:
        """Wait for loading without blocking the event loop (commands may come first)."""
        if not self._ready.is_set():
            await asyncio.get_running_loop().run_in_executor(None, self._ready.wait)

    @property
    def scheduler(self) -> Any:
        assert self._ready.is_set(), "the scheduler is made by `load`"
        return self._scheduler

    def complain(self, complaints: list[str]) -> None:
        for complaint in complaints:
            self.window_log_message(t.LogMessageParams(t.MessageType.Warning, complaint))

    def check_settings(self) -> None:
        """The checks that need the compiler (an unusable `platform`), once it is loaded."""
        complaint = config.platform_complaint(self.settings)
        self.complain([complaint] if complaint else [])

    # ------------------------------------------------------------ evaluation

    def is_script(self, uri: str) -> bool:
        document = self.workspace.get_text_document(uri)
        return is_build_script(uri, document.source, self.settings.files)

    def job(self, uri: str, *, as_cli: bool = False) -> Any:
        """The evaluation of a document. Its locations name files by absolute path (so that a
        module's diagnostics find their file); `as_cli` names them as `luakit build build.lua` run
        in the script's folder does, so that the Definition's source map has the same bytes."""
        from compiler.evaluate import ScriptSource
        from luakit_ls.scheduler import Job

        document = self.workspace.get_text_document(uri)
        path = path_of(uri)
        name = posixpath.basename(path) if as_cli and path is not None else display_name(uri)
        script = ScriptSource(document.source, name=name, path=path)
        return Job(uri, document.version or 0, script, self.settings, self.open_modules(uri))

    def open_modules(self, uri: str) -> dict[str, str]:
        """The editor's text of every other open Lua file, by path: what `require` reads first,
        unsaved edits included (the disk is read for files that are not open)."""
        texts = {}
        for other, document in self.workspace.text_documents.items():
            path = path_of(other)
            if other != uri and path is not None and path.endswith(".lua"):
                texts[path] = document.source
        return texts

    def evaluate_dependents(self, uri: str) -> None:
        """Evaluate again the open scripts whose last evaluation read the file at `uri`."""
        path = path_of(uri)
        for script, modules in list(self.modules_of.items()):
            if script != uri and path in modules and script in self.workspace.text_documents:
                self.evaluate(script)

    def evaluate(self, uri: str) -> None:
        if not self._ready.is_set():
            self._pending.add(uri)  # `_loaded` evaluates it: never block the event loop on loading
            return
        if self.is_script(uri):
            self.scheduler.schedule(self.job(uri))
        elif self.outbox.reported(uri):
            # No longer a build script (its `bk.` calls were deleted, or `files` changed): what it
            # reported goes, and nothing is published for it any more.
            self.forget(uri)

    def forget(self, uri: str) -> None:
        self._pending.discard(uri)
        if not self._ready.is_set():
            return  # nothing was evaluated yet
        self.states.pop(uri, None)
        self.modules_of.pop(uri, None)
        self.script_log.forget(uri)
        self.scheduler.forget(uri)
        from luakit_ls import building

        building.drop(self.outbox, uri)
        self._publish(self.outbox.forget(uri))

    def _on_outcome(self, outcome: Any) -> None:
        from luakit_ls import diagnostics

        job, report = outcome.job, self.shown(outcome.job.uri, outcome.report)
        state = self.states.setdefault(job.uri, DocumentState())
        main = job.script.name
        state.evaluated_version, state.seconds, state.ops = job.version, report.seconds, report.ops
        self.modules_of[job.uri] = frozenset(report.modules)
        found = diagnostics.evaluation_diagnostics(
            report.problems, job.script.text, main, job.uri, client=self.client, open_texts=job.module_overlays
        )
        self._publish(self.outbox.update(job.uri, found), job)
        for line in self.script_log.update(job.uri, main, report.logs):
            self.window_log_message(t.LogMessageParams(t.MessageType.Log, line))
        self.protocol.notify("luakit/evaluated", commands.evaluated(job.uri, job.version, report))
        if self._read_stale_modules(job, report.modules):
            self.evaluate(job.uri)

    def _read_stale_modules(self, job: Any, modules: tuple[str, ...]) -> bool:
        """Whether a module the evaluation read was opened, changed or closed in the editor while
        it ran. `evaluate_dependents` cannot know a script's modules before its first report, so
        an edit made meanwhile is caught here."""
        now = self.open_modules(job.uri)
        return any(job.module_overlays.get(path) != now.get(path) for path in modules)

    def shown(self, uri: str, report: Any) -> Any:
        """The report as every face shows it: a file recognized by its `bk.` calls alone may be a
        library of steps, which need not export."""
        return report if is_named_script(uri, self.settings.files) else as_library(report)

    def _publish(self, shown: dict[str, list[Any]], job: Any = None) -> None:
        for uri, found in shown.items():
            version = job.version if job is not None and uri == job.uri else None
            self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri, found, version))

    def _on_details(self, outcome: Any) -> None:
        state = self.states.get(outcome.job.uri)
        if state is not None and state.evaluated_version == outcome.job.version:
            main = outcome.job.script.name
            state.good_calls = [c for c in outcome.report.calls if c.location is not None and c.location.file == main]
            state.calls_version = outcome.job.version
            self.refresh_views()

    def refresh_views(self) -> None:
        """Ask the client to fetch inlay hints and lenses again: what they show is now current."""
        if self.client.inlay_hint_refresh:
            self.workspace_inlay_hint_refresh(None).add_done_callback(_answered)
        if self.client.code_lens_refresh:
            self.workspace_code_lens_refresh(None).add_done_callback(_answered)

    def calls(self, uri: str) -> list[Any]:
        """The last detailed evaluation's calls, if it was of the document's current version."""
        state = self.states.get(uri)
        version = self.workspace.get_text_document(uri).version or 0
        return state.good_calls if state is not None and state.calls_version == version else []

    def text(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source


def _answered(future: Any) -> None:
    """A refresh the client refused or dropped needs nothing more (reading the error marks it seen)."""
    if not future.cancelled():
        future.exception()


server = LuakitServer()


@server.feature(t.INITIALIZE)
def initialize(ls: LuakitServer, params: t.InitializeParams) -> None:
    ls.client = ClientFeatures.of(params.capabilities, ls.workspace.position_encoding)
    ls.settings, complaints = config.merge(ls.settings, params.initialization_options)
    ls.complain(complaints)


@server.feature(t.INITIALIZED)
def initialized(ls: LuakitServer, params: t.InitializedParams) -> None:
    ls.start_first_worker()
    threading.Thread(target=ls.load, args=(asyncio.get_running_loop(),), daemon=True).start()


@server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
def did_change_configuration(ls: LuakitServer, params: t.DidChangeConfigurationParams) -> None:
    ls.settings, complaints = config.merge(ls.settings, params.settings)
    ls.complain(complaints)
    if ls._ready.is_set():
        ls.check_settings()
    for uri in list(ls.workspace.text_documents):
        ls.evaluate(uri)


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LuakitServer, params: t.DidOpenTextDocumentParams) -> None:
    ls.evaluate(params.text_document.uri)
    ls.evaluate_dependents(params.text_document.uri)  # the editor's text may differ from the disk's


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LuakitServer, params: t.DidChangeTextDocumentParams) -> None:
    if ls._ready.is_set():
        from luakit_ls import building

        ls._publish(building.drop(ls.outbox, params.text_document.uri))  # its line may be another now
    ls.evaluate(params.text_document.uri)
    ls.evaluate_dependents(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: LuakitServer, params: t.DidSaveTextDocumentParams) -> None:
    ls.evaluate(params.text_document.uri)
    ls.evaluate_dependents(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LuakitServer, params: t.DidCloseTextDocumentParams) -> None:
    ls.forget(params.text_document.uri)
    ls.evaluate_dependents(params.text_document.uri)  # they read the disk's version now


# Trigger characters are declared here, where the features are registered, and nowhere else.
# Completion: members after `.`/`:`, option keys after `{`/`,`/space/`(`, values inside quotes.
@server.feature(
    t.TEXT_DOCUMENT_COMPLETION,
    t.CompletionOptions(trigger_characters=[".", ":", "{", ",", '"', "'", " ", "("]),
)
def completion(ls: LuakitServer, params: t.CompletionParams) -> t.CompletionList:
    from luakit_ls.completion import complete

    uri = params.text_document.uri
    items = complete(ls.text(uri), params.position, calls=ls.calls(uri), client=ls.client)
    return t.CompletionList(is_incomplete=False, items=items)


@server.feature(t.TEXT_DOCUMENT_HOVER)
def hover(ls: LuakitServer, params: t.HoverParams) -> t.Hover | None:
    from luakit_ls.hover import hover as hover_at

    uri = params.text_document.uri
    return hover_at(ls.text(uri), params.position, calls=ls.calls(uri), client=ls.client)


@server.feature(
    t.TEXT_DOCUMENT_SIGNATURE_HELP,
    t.SignatureHelpOptions(trigger_characters=["(", ",", "{", "="], retrigger_characters=[",", " "]),
)
def signature_help(ls: LuakitServer, params: t.SignatureHelpParams) -> t.SignatureHelp | None:
    from luakit_ls.signature import signature_help as signature_at

    uri = params.text_document.uri
    return signature_at(ls.text(uri), params.position, calls=ls.calls(uri), client=ls.client)


@server.feature(t.TEXT_DOCUMENT_DEFINITION)
def definition(ls: LuakitServer, params: t.DefinitionParams) -> t.Location | None:
    from luakit_ls.definition import definition as definition_at

    uri = params.text_document.uri
    return definition_at(ls.text(uri), params.position, uri, units=ls.client.units)


@server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbol(ls: LuakitServer, params: t.DocumentSymbolParams) -> list[t.DocumentSymbol]:
    from luakit_ls.symbols import document_symbols

    uri = params.text_document.uri
    return document_symbols(ls.text(uri), calls=ls.calls(uri), units=ls.client.units)


@server.feature(t.TEXT_DOCUMENT_INLAY_HINT, t.InlayHintOptions())
def inlay_hint(ls: LuakitServer, params: t.InlayHintParams) -> list[t.InlayHint]:
    from luakit_ls.inlay import inlay_hints

    uri = params.text_document.uri
    return inlay_hints(ls.text(uri), ls.calls(uri), params.range, ls.client)


@server.feature(t.TEXT_DOCUMENT_CODE_ACTION, t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix]))
def code_action(ls: LuakitServer, params: t.CodeActionParams) -> list[t.CodeAction]:
    from luakit_ls.actions import code_actions

    uri = params.text_document.uri
    published = ls.outbox.shown(uri) if ls._ready.is_set() else []
    return code_actions(params.context.diagnostics, params.range, published)


@server.feature(t.TEXT_DOCUMENT_CODE_LENS)
def code_lens(ls: LuakitServer, params: t.CodeLensParams) -> list[t.CodeLens]:
    from luakit_ls.lenses import export_lenses

    uri = params.text_document.uri
    return export_lenses(ls.text(uri), uri, ls.client.units)


# Command handlers take `*arguments`: pygls passes exactly the arguments the
# client sent and does not fill in defaults, so optional ones must be read here
# (the "Emit LLB" lens sends only the URI).


@server.command(EMIT_DEFINITION)
async def emit_definition(ls: LuakitServer, *arguments: Any) -> dict[str, Any]:
    """[uri, path?] -> the Definition as base64 (or written to `path`): the bytes `luakit build` writes."""
    job = await _command_job(ls, arguments, EMIT_DEFINITION, as_cli=True)
    if isinstance(job, dict):
        return job
    report = await ls.scheduler.definition(job, "definition")
    return commands.definition(report and ls.shown(job.uri, report), commands.output_path(arguments))


@server.command(SHOW_DAG)
async def show_dag(ls: LuakitServer, *arguments: Any) -> dict[str, Any]:
    """[uri, "dot" | "json"] -> the DAG as DOT or JSON text: what `luakit dag` prints."""
    job = await _command_job(ls, arguments, SHOW_DAG)
    if isinstance(job, dict):
        return job
    view = commands.dag_view(arguments)
    report = await ls.scheduler.definition(job, view)
    return commands.dag(report and ls.shown(job.uri, report), view)


@server.command(VALIDATE)
async def validate(ls: LuakitServer, *arguments: Any) -> dict[str, Any]:
    """[uri] -> whether the script builds, and its problems as `luakit validate` prints them."""
    job = await _command_job(ls, arguments, VALIDATE)
    if isinstance(job, dict):
        return job
    report = await ls.scheduler.run(job, frozenset(), droppable=False)
    return commands.validation(report and ls.shown(job.uri, report))


@server.command(BUILD)
async def build(ls: LuakitServer, *arguments: Any) -> dict[str, Any]:
    """[uri] -> {status: built | failed | cancelled, ...}: the script built on BuildKit (luakit_ls/building.py)."""
    from luakit_ls import building

    job = await _command_job(ls, arguments, BUILD, as_cli=True)
    if isinstance(job, dict):
        return building.refused(job)
    return await building.build(ls, job, ls.protocol.current_request())


async def _command_job(ls: LuakitServer, arguments: tuple[Any, ...], command: str, *, as_cli: bool = False) -> Any:
    """The evaluation job for a command's document, or the command's answer when there is none."""
    uri = commands.uri_argument(arguments, command)
    if isinstance(uri, dict):
        return uri
    await ls.ready()
    try:
        return ls.job(uri, as_cli=as_cli)
    except (OSError, UnicodeDecodeError) as exc:
        return commands.unreadable(display_name(uri), exc)


@server.feature(t.SHUTDOWN)
def shutdown(ls: LuakitServer, params: None) -> None:
    if ls._ready.is_set():
        ls.scheduler.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="luakit-ls", description="The luakit language server.")
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead (for debugging)")
    parser.add_argument("--version", action="version", version=f"luakit-ls {__version__}")
    ns = parser.parse_args(argv)
    if ns.tcp:
        host, _, port = ns.tcp.rpartition(":")
        if not port.isdigit():
            parser.error(f"--tcp: '{ns.tcp}' must be HOST:PORT")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    # pygls swallows the SystemExit of `exit`: the code the specification names is exited with here.
    sys.exit(server.protocol.exit_code or 0)


if __name__ == "__main__":
    main()
