"""A strict client: the whole feature set under each position encoding and under plain and rich capabilities.

The script has multi-byte characters (é: 2 UTF-8 bytes, 日本: 3 each, 😀: 4 bytes and
two UTF-16 units) before every position the server reads or writes. Every position
in every answer is checked to fall on a character boundary of the negotiated
encoding and is converted back to a code-point column here, by this file's own
arithmetic (`column_of`), to check that it lands on the text it is about. Answers
are checked against what the client declared: no snippet, no Markdown, no label
details, no related information to a client that did not ask for them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as t

from tests.lsp.session import CONFIG, FULL_CAPABILITIES, Client, initialize_params, within

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    # pytest-lsp's own checks of answers against the declared capabilities fail the test too.
    pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning"),
]

SCRIPT = """\
local s = "ééééé" local base = bk.image("alpine:3.19")
local t = "日本" local built = base:run("echo 😀", { cwdd = "/app" })
local u = "😀" local x = os.execute("x")
local v = "é日😀" bk.export(built)
"""
LINES = SCRIPT.split("\n")
# The same without its mistakes: only a script that evaluates has ops to hint.
VALID = SCRIPT.replace("cwdd", "cwd").replace('os.execute("x")', '"x"')

PLAIN = t.ClientCapabilities()  # declares nothing: plain text, no snippets, UTF-16

SETS = [
    ("utf-8", FULL_CAPABILITIES),
    ("utf-16", FULL_CAPABILITIES),
    ("utf-32", FULL_CAPABILITIES),
    ("utf-8", PLAIN),
    ("utf-32", PLAIN),
]


def _with_encoding(capabilities: t.ClientCapabilities, encoding: str) -> t.ClientCapabilities:
    # The client lists its choice first and UTF-16 (which every server must support) after it.
    general = t.GeneralClientCapabilities(position_encodings=[encoding, "utf-16"])
    return t.ClientCapabilities(
        text_document=capabilities.text_document, workspace=capabilities.workspace, general=general
    )


def _units(char: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(char.encode("utf-8"))
    if encoding == "utf-16":
        return len(char.encode("utf-16-le")) // 2
    return 1


def column_of(line: str, character: int, encoding: str) -> int:
    """The code-point column of an LSP character; fails if it falls inside a character."""
    units = 0
    for column, char in enumerate(line):
        if units == character:
            return column
        units += _units(char, encoding)
        assert units <= character or units - _units(char, encoding) == character, (
            f"character {character} ({encoding}) falls inside {char!r} on {line!r}"
        )
    assert units == character, f"character {character} ({encoding}) is past the end of {line!r} ({units})"
    return len(line)


def text_at(range_: t.Range, encoding: str, lines: list[str] = LINES) -> str:
    """The script's text in a one-line range, read with the test's own arithmetic."""
    assert range_.start.line == range_.end.line, range_
    line = lines[range_.start.line]
    return line[column_of(line, range_.start.character, encoding) : column_of(line, range_.end.character, encoding)]


def position_after(line: int, text: str, encoding: str, lines: list[str] = LINES) -> t.Position:
    """The position just after the first `text` on `line`, in the encoding's units."""
    source = lines[line]
    end = source.index(text) + len(text)
    return t.Position(line, sum(_units(c, encoding) for c in source[:end]))


class Session:
    def __init__(self, client: Client, encoding: str, capabilities: t.ClientCapabilities, uri: str) -> None:
        self.client, self.encoding, self.capabilities, self.uri = client, encoding, capabilities, uri
        self.rich = capabilities is FULL_CAPABILITIES

    def document(self) -> t.TextDocumentIdentifier:
        return t.TextDocumentIdentifier(self.uri)

    def check_markup(self, value: Any, where: str) -> None:
        if isinstance(value, t.MarkupContent) and not self.rich:
            assert value.kind == t.MarkupKind.PlainText, f"{where}: Markdown to a client that takes plain text"
        if not self.rich:
            text = value.value if isinstance(value, t.MarkupContent) else (value or "")
            assert "```" not in text and "**" not in text, f"{where}: markup in plain text: {text!r}"


@pytest.fixture(scope="module")
def project(module_folder: Path) -> Path:
    (module_folder / "build.lua").write_text(SCRIPT)
    return module_folder


def _id(case: tuple[str, t.ClientCapabilities]) -> str:
    return f"{case[0]}-{'full' if case[1] is FULL_CAPABILITIES else 'plain'}"


@pytest_lsp.fixture(config=CONFIG, scope="module", params=SETS, ids=[_id(case) for case in SETS])
async def client(lsp_client: Client, request: Any, project: Path):
    encoding, capabilities = request.param
    result = await lsp_client.initialize_session(
        initialize_params(str(project), capabilities=_with_encoding(capabilities, encoding))
    )
    assert result.capabilities.position_encoding == encoding
    uri = (project / "build.lua").as_uri()
    lsp_client.open(uri, SCRIPT)
    await lsp_client.diagnostics_of(uri, 1)
    lsp_client.strict = Session(lsp_client, encoding, capabilities, uri)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def session(client: Client) -> Session:
    return client.strict  # type: ignore[attr-defined,no-any-return]


async def test_diagnostics_start_at_the_mistake(session: Session):
    diagnostics = session.client.diagnostics[session.uri]
    by_code = {d.code: d for d in diagnostics}
    sandbox = by_code["LK007"]
    assert text_at(sandbox.range, session.encoding) == "os.execute"
    option = by_code["LK003"]
    assert "cwdd" in option.message
    line = LINES[option.range.start.line]
    start = column_of(line, option.range.start.character, session.encoding)
    assert line[start:].startswith(("cwdd", "run(")), line[start:]  # the key (or, before ranges narrowed, the call)
    for diagnostic in diagnostics:
        if not session.rich:
            assert diagnostic.related_information is None


async def test_completion_replaces_the_word_being_typed(session: Session):
    client = session.client
    text = SCRIPT.replace('bk.export(built)', 'bk.export(bk.im)')
    client.replace(session.uri, text, 2)
    try:
        position = position_after(3, "bk.im", session.encoding, text.split("\n"))
        found = await within(client.text_document_completion_async(t.CompletionParams(session.document(), position)))
        items = found.items if isinstance(found, t.CompletionList) else (found or [])
        image = next(item for item in items if item.label == "image")
        edit = image.text_edit
        assert isinstance(edit, t.TextEdit)
        assert edit.range.end == position
        line = text.split("\n")[3]
        start = column_of(line, edit.range.start.character, session.encoding)
        assert line[start:].startswith("im)")
        for item in items:
            session.check_markup(item.documentation, f"completion {item.label}")
            if not session.rich:
                assert item.insert_text_format != t.InsertTextFormat.Snippet, item
                assert item.label_details is None
        if session.rich:
            assert image.insert_text_format == t.InsertTextFormat.Snippet and "${1" in edit.new_text
        else:
            assert edit.new_text == "image(", edit.new_text  # typing goes on inside the call
    finally:
        client.replace(session.uri, SCRIPT, 3)
        await client.diagnostics_of(session.uri, 3)


async def test_hover_signature_and_definition_read_the_cursor_in_the_encoding(session: Session):
    client, encoding = session.client, session.encoding
    on_image = position_after(0, "bk.ima", encoding)
    hover = await within(client.text_document_hover_async(t.HoverParams(session.document(), on_image)))
    assert hover is not None and hover.range is not None
    assert text_at(hover.range, encoding) == "image"
    session.check_markup(hover.contents, "hover")

    in_call = position_after(0, 'bk.image("alp', encoding)
    help_ = await within(client.text_document_signature_help_async(t.SignatureHelpParams(session.document(), in_call)))
    assert help_ is not None and help_.signatures[0].label.startswith("bk.image(")
    for signature in help_.signatures:
        session.check_markup(signature.documentation, "signature")
        for parameter in signature.parameters or []:
            session.check_markup(parameter.documentation, "parameter")

    on_built = position_after(3, "bk.export(bu", encoding)
    found = await within(client.text_document_definition_async(t.DefinitionParams(session.document(), on_built)))
    location = found[0] if isinstance(found, list) else found
    assert isinstance(location, t.Location)
    assert location.range.start.line == 1 and text_at(location.range, encoding) == "built"


async def test_symbols_lenses_and_quick_fix_ranges(session: Session):
    client, encoding = session.client, session.encoding
    symbols = await within(client.text_document_document_symbol_async(t.DocumentSymbolParams(session.document())))

    def walk(items: list[Any]) -> list[Any]:
        return [s for item in items for s in [item, *walk(getattr(item, "children", None) or [])]]

    named = {s.name: s for s in walk(symbols or [])}
    assert text_at(named["base"].selection_range, encoding) == "base"
    assert text_at(named["built"].selection_range, encoding) == "built"

    lenses = await within(client.text_document_code_lens_async(t.CodeLensParams(session.document())))
    assert lenses and all(text_at(lens.range, encoding) == "bk.export" for lens in lenses)

    [option] = [d for d in client.diagnostics[session.uri] if d.code == "LK003"]
    context = t.CodeActionContext(diagnostics=[option])
    actions = await within(
        client.text_document_code_action_async(t.CodeActionParams(session.document(), option.range, context))
    )
    [action] = [a for a in actions or [] if isinstance(a, t.CodeAction) and "cwd" in a.title]
    assert action.edit is not None and action.edit.changes is not None
    [edit] = action.edit.changes[session.uri]
    assert text_at(edit.range, encoding) == "cwdd" and edit.new_text == "cwd"


async def test_inlay_hints_are_of_the_current_text_only(session: Session, project: Path):
    client, encoding = session.client, session.encoding
    uri = (project / "hints.build.lua").as_uri()
    client.open(uri, VALID)
    assert await client.diagnostics_of(uri, 1) == []
    lines = VALID.split("\n")
    whole = t.Range(t.Position(0, 0), t.Position(len(lines), 0))
    params = t.InlayHintParams(t.TextDocumentIdentifier(uri), whole)
    if session.rich:
        # The server asks for a refresh once the detailed evaluation (with digests) is in.
        wanted = {t.WORKSPACE_INLAY_HINT_REFRESH, t.WORKSPACE_CODE_LENS_REFRESH}
        for _ in range(400):
            if wanted <= set(client.refreshes):
                break
            await asyncio.sleep(0.025)
        assert wanted <= set(client.refreshes)
    else:
        assert client.refreshes == []  # the client did not say it understands them
    hints: list[t.InlayHint] = []
    for _ in range(400):  # without refresh support the client can only ask again
        hints = await within(client.text_document_inlay_hint_async(params)) or []
        if hints:
            break
        await asyncio.sleep(0.025)
    [first, second] = sorted(hints, key=lambda h: (h.position.line, h.position.character))
    assert lines[0][: column_of(lines[0], first.position.character, encoding)].endswith('bk.image("alpine:3.19")')
    assert str(first.label).startswith("source")
    assert lines[1][: column_of(lines[1], second.position.character, encoding)].endswith('{ cwd = "/app" })')
    assert str(second.label).startswith("exec")
    for hint in hints:
        session.check_markup(hint.tooltip, "inlay hint")

    # A line inserted above the run: until the text is evaluated again, no hint (the old
    # evaluation's lines would put the run's op on the new line).
    # (a long path: the new call spans the columns of the run that was on this line).
    client.edit(uri, 2, (1, 0), (1, 0), f'local c = base:mkdir("/{"x" * 60}")\n')
    stale = await within(client.text_document_inlay_hint_async(params)) or []
    assert all(not str(h.label).startswith("exec") or h.position.line != 1 for h in stale), stale
    client.close(uri)
