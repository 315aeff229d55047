"""A test client for the real `luakit-ls` process over stdio, for the end-to-end tests, bench/lsp.py and the demo.

pytest-lsp's client already keeps the last diagnostics per URI and the log
messages; this one also keeps every publishDiagnostics in arrival order (to
check versions never go backwards) and the server's `luakit/evaluated`
notifications, and has the waits the tests need: for the publish of a given
version, and for a request answered within a deadline.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from lsprotocol import types as t
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, LanguageClient, register_lsp_features

SERVER = [sys.executable, "-m", "luakit_ls.server", "--stdio"]
EVALUATED = "luakit/evaluated"

T = TypeVar("T")


class Client(LanguageClient):
    """pytest-lsp's client plus every publish in order and the `luakit/evaluated` notifications."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.publishes: list[tuple[float, t.PublishDiagnosticsParams]] = []  # (arrival time, params)
        self.evaluated: list[Any] = []
        self.refreshes: list[str] = []  # the methods of the server's refresh requests, in order

    def published(self, uri: str) -> list[t.PublishDiagnosticsParams]:
        return [p for _, p in self.publishes if p.uri == uri]

    async def diagnostics_of(self, uri: str, version: int | None = None, timeout: float = 15) -> list[t.Diagnostic]:
        """The diagnostics of the first publish for `uri` (at `version`, if given) that arrived."""
        params = await self.publish_of(uri, version, timeout)
        return list(params.diagnostics)

    async def publish_of(
        self, uri: str, version: int | None = None, timeout: float = 15, after: int = 0
    ) -> t.PublishDiagnosticsParams:
        """The first publish for `uri` (at `version`) among those that arrived after the `after`-th."""
        deadline = time.monotonic() + timeout
        while True:
            for _, params in self.publishes[after:]:
                if params.uri == uri and (version is None or params.version == version):
                    return params
            if time.monotonic() > deadline:
                seen = [(p.uri, p.version) for p in self.published(uri)]
                raise AssertionError(f"no diagnostics for {uri} version {version} within {timeout}s (seen {seen})")
            await asyncio.sleep(0.005)

    # ------------------------------------------------------------ documents

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "lua", version, text)))

    def replace(self, uri: str, text: str, version: int) -> None:
        """A didChange that replaces the whole text."""
        change = t.TextDocumentContentChangeWholeDocument(text)
        self.text_document_did_change(
            t.DidChangeTextDocumentParams(t.VersionedTextDocumentIdentifier(version=version, uri=uri), [change])
        )

    def edit(self, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        """An incremental didChange: `text` replaces the (line, character) range."""
        change = t.TextDocumentContentChangePartial(
            range=t.Range(t.Position(*start), t.Position(*end)),
            text=text,
        )
        self.text_document_did_change(
            t.DidChangeTextDocumentParams(t.VersionedTextDocumentIdentifier(version=version, uri=uri), [change])
        )

    def close(self, uri: str) -> None:
        self.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri)))

    # ------------------------------------------------------------ requests

    async def completion_labels(self, uri: str, line: int, character: int) -> list[str]:
        found = await within(
            self.text_document_completion_async(
                t.CompletionParams(t.TextDocumentIdentifier(uri), t.Position(line, character))
            )
        )
        items = found.items if isinstance(found, t.CompletionList) else (found or [])
        return [item.label for item in items]

    async def hover_text(self, uri: str, line: int, character: int) -> str | None:
        found = await within(
            self.text_document_hover_async(t.HoverParams(t.TextDocumentIdentifier(uri), t.Position(line, character)))
        )
        if found is None:
            return None
        contents = found.contents
        return contents.value if isinstance(contents, t.MarkupContent) else str(contents)

    async def command(self, name: str, *arguments: Any) -> Any:
        return await within(
            self.workspace_execute_command_async(t.ExecuteCommandParams(name, list(arguments))), seconds=60
        )


def _record_publish(client: Client, params: t.PublishDiagnosticsParams) -> None:
    client.publishes.append((time.monotonic(), params))
    client.diagnostics[params.uri] = params.diagnostics


def _record_evaluated(client: Client, params: Any) -> None:
    client.evaluated.append(params)


def _recorder(method: str) -> Any:
    def record(client: Client, params: None) -> None:
        client.refreshes.append(method)

    return record


def make_client() -> Client:
    client = Client()
    register_lsp_features(
        client,
        {
            **DEFAULT_CLIENT_FEATURES,
            t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _record_publish,
            EVALUATED: _record_evaluated,
            t.WORKSPACE_INLAY_HINT_REFRESH: _recorder(t.WORKSPACE_INLAY_HINT_REFRESH),
            t.WORKSPACE_CODE_LENS_REFRESH: _recorder(t.WORKSPACE_CODE_LENS_REFRESH),
        },
    )
    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client)


MARKUP = [t.MarkupKind.Markdown, t.MarkupKind.PlainText]

# What VS Code declares of what the server uses: snippets, Markdown everywhere, related
# information, refreshes. A client that declares nothing gets plain text (test_strict_client.py).
FULL_CAPABILITIES = t.ClientCapabilities(
    text_document=t.TextDocumentClientCapabilities(
        completion=t.CompletionClientCapabilities(
            completion_item=t.ClientCompletionItemOptions(
                snippet_support=True, documentation_format=MARKUP, label_details_support=True
            )
        ),
        hover=t.HoverClientCapabilities(content_format=MARKUP),
        signature_help=t.SignatureHelpClientCapabilities(
            signature_information=t.ClientSignatureInformationOptions(documentation_format=MARKUP)
        ),
        publish_diagnostics=t.PublishDiagnosticsClientCapabilities(related_information=True, version_support=True),
    ),
    workspace=t.WorkspaceClientCapabilities(
        inlay_hint=t.InlayHintWorkspaceClientCapabilities(refresh_support=True),
        code_lens=t.CodeLensWorkspaceClientCapabilities(refresh_support=True),
    ),
)


def initialize_params(
    root: str = "/tmp", options: Any = None, capabilities: t.ClientCapabilities = FULL_CAPABILITIES
) -> t.InitializeParams:
    return t.InitializeParams(
        capabilities=capabilities,
        root_uri=f"file://{root}",
        initialization_options=options,
    )


async def within(request: Awaitable[T], seconds: float = 10) -> T:
    """The answer to a request, which must come within `seconds` (a stalled server fails the test)."""
    return await asyncio.wait_for(request, seconds)


def one_line(diagnostics: list[t.Diagnostic]) -> list[tuple[int, int, int, int, Any, str]]:
    """(start line, start char, end line, end char, code, message) of each diagnostic: easy to compare."""
    return [
        (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.code, d.message)
        for d in diagnostics
    ]
