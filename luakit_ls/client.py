"""What the client declared it can take, read once at `initialize`.

Feature modules receive a `ClientFeatures` and shape their answers by it: a
snippet only for a client with `snippetSupport`, Markdown only where the
client's `contentFormat` / `documentationFormat` lists it, positions in the
negotiated encoding. A capability the client does not mention is one it does
not have (the specification's rule), so `ClientFeatures()` is the plainest
client; `FULL` is one that takes everything (VS Code's set), for tests and
tools that talk to the features directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types as t

from luakit_ls.positions import UTF16, PositionUnits, units_for


@dataclass(frozen=True)
class ClientFeatures:
    units: PositionUnits = UTF16
    snippets: bool = False  # completion items may be snippets
    completion_markdown: bool = False  # completion documentation may be Markdown
    hover_markdown: bool = False
    signature_markdown: bool = False
    label_details: bool = False  # CompletionItem.labelDetails is shown
    related_information: bool = False  # Diagnostic.relatedInformation is shown
    diagnostic_versions: bool = False  # publishDiagnostics' version is read
    inlay_hint_refresh: bool = False  # workspace/inlayHint/refresh is understood
    code_lens_refresh: bool = False  # workspace/codeLens/refresh is understood
    work_done_progress: bool = False  # window/workDoneProgress/create is understood

    @staticmethod
    def of(capabilities: t.ClientCapabilities, encoding: str | None) -> ClientFeatures:
        """The features of a client from its `initialize` capabilities and the encoding chosen for it."""
        document = capabilities.text_document or t.TextDocumentClientCapabilities()
        workspace = capabilities.workspace or t.WorkspaceClientCapabilities()
        item = document.completion.completion_item if document.completion else None
        signature = document.signature_help.signature_information if document.signature_help else None
        publish = document.publish_diagnostics
        return ClientFeatures(
            units=units_for(encoding),
            snippets=bool(item and item.snippet_support),
            completion_markdown=_markdown(item.documentation_format if item else None),
            hover_markdown=_markdown(document.hover.content_format if document.hover else None),
            signature_markdown=_markdown(signature.documentation_format if signature else None),
            label_details=bool(item and item.label_details_support),
            related_information=bool(publish and publish.related_information),
            diagnostic_versions=bool(publish and publish.version_support),
            inlay_hint_refresh=bool(workspace.inlay_hint and workspace.inlay_hint.refresh_support),
            code_lens_refresh=bool(workspace.code_lens and workspace.code_lens.refresh_support),
            work_done_progress=bool(capabilities.window and capabilities.window.work_done_progress),
        )


def _markdown(formats: Sequence[t.MarkupKind] | None) -> bool:
    return formats is not None and t.MarkupKind.Markdown in formats


FULL = ClientFeatures(
    snippets=True,
    completion_markdown=True,
    hover_markdown=True,
    signature_markdown=True,
    label_details=True,
    related_information=True,
    diagnostic_versions=True,
    inlay_hint_refresh=True,
    code_lens_refresh=True,
    work_done_progress=True,
)
