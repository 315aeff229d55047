"""Thousands of random edits to the examples, as didChange, interleaved with requests: the server
never crashes, never stalls, and never lets a Python traceback reach the editor.

The edits are what typing and bad merges do to a script: cut it off, delete a
token, swap two, put a value of the wrong type where another was, type a
fragment (`bk.`, `:`, `{`, an unclosed string). They are seeded, so a failure
replays; set LUAKIT_ROBUSTNESS_SEED to try other sequences.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t

from tests.lsp.session import CONFIG, Client, initialize_params, within
from tests.test_errors import PYTHON_NAMES

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*/build.lua"))
EDITS = 2000
SEED = int(os.environ.get("LUAKIT_ROBUSTNESS_SEED", "20240601"))
ANSWER_WITHIN = 5.0  # seconds: a slower answer is a stall

TOKEN = re.compile(r'[A-Za-z_][A-Za-z0-9_]*|\d+|"[^"\n]*"|\[\[|\]\]|\.\.|[^\sA-Za-z0-9_]')
VALUE = re.compile(r'"[^"\n]*"|\b\d+\b|\btrue\b|\bfalse\b')
WRONG_VALUES = ["{}", "42", "nil", "true", '"x"', "{ 1, 2 }", "bk", "function() end", "-1", "0/0", '"\\255"']
FRAGMENTS = ["bk.", ":", "{", "}", "(", ")", '"', "[[", ", ", "= ", "local ", "end", "bk.export(", ":run(", "\n"]


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: Client):
    await lsp_client.initialize_session(initialize_params())
    yield
    await lsp_client.shutdown_session()


def mutate(text: str, rng: random.Random) -> tuple[int, int, str]:
    """One random edit: (start offset, end offset, new text)."""
    kind = rng.randrange(6)
    tokens = list(TOKEN.finditer(text))
    if kind == 0 or not tokens:  # cut off while typing
        cut = rng.randrange(len(text) + 1)
        return cut, len(text), ""
    if kind == 1:  # a deleted token
        token = rng.choice(tokens)
        return token.start(), token.end(), ""
    if kind == 2 and len(tokens) > 1:  # two neighbouring tokens swapped
        i = rng.randrange(len(tokens) - 1)
        a, b = tokens[i], tokens[i + 1]
        return a.start(), b.end(), b.group() + text[a.end() : b.start()] + a.group()
    if kind == 3:  # a value of the wrong type
        values = list(VALUE.finditer(text))
        if values:
            value = rng.choice(values)
            return value.start(), value.end(), rng.choice(WRONG_VALUES)
    offset = rng.choice(tokens).end() if kind != 5 else rng.randrange(len(text) + 1)
    return offset, offset, rng.choice(FRAGMENTS)


def position(text: str, offset: int) -> t.Position:
    before = text[:offset]
    line = before.count("\n")
    return t.Position(line, len(before) - (before.rfind("\n") + 1))


async def ask(client: Client, rng: random.Random, uri: str, text: str) -> None:
    """A random request at a random place; it must be answered in time and without an error."""
    where = position(text, rng.randrange(len(text) + 1))
    document = t.TextDocumentIdentifier(uri)
    kind = rng.randrange(6)
    if kind == 0:
        request = client.text_document_completion_async(t.CompletionParams(document, where))
    elif kind == 1:
        request = client.text_document_hover_async(t.HoverParams(document, where))
    elif kind == 2:
        request = client.text_document_document_symbol_async(t.DocumentSymbolParams(document))
    elif kind == 3:
        request = client.text_document_signature_help_async(t.SignatureHelpParams(document, where))
    elif kind == 4:
        request = client.text_document_definition_async(t.DefinitionParams(document, where))
    else:
        whole = t.Range(t.Position(0, 0), position(text, len(text)))
        request = client.text_document_inlay_hint_async(t.InlayHintParams(document, whole))
    await within(request, ANSWER_WITHIN)


async def test_random_edits_never_crash_stall_or_leak_tracebacks(client: Client, folder, capfd):
    rng = random.Random(SEED)
    originals = {}
    texts, versions = {}, {}
    for example in EXAMPLES:
        path = folder / example.parent.name / "build.lua"
        path.parent.mkdir()
        path.write_text(example.read_text())
        uri = path.as_uri()
        originals[uri] = texts[uri] = example.read_text()
        versions[uri] = 1
        client.open(uri, texts[uri])

    started = time.monotonic()
    for edit in range(EDITS):
        uri = rng.choice(list(texts))
        text = texts[uri]
        if rng.random() < 0.03 or len(text) < 20:
            new, change = originals[uri], None  # start again from the example
        else:
            start, end, inserted = mutate(text, rng)
            new = text[:start] + inserted + text[end:]
            change = (position(text, start), position(text, end), inserted)
        versions[uri] += 1
        if change is None or rng.random() < 0.2:
            client.replace(uri, new, versions[uri])
        else:
            client.edit(
                uri,
                versions[uri],
                (change[0].line, change[0].character),
                (change[1].line, change[1].character),
                change[2],
            )
        texts[uri] = new
        if edit % 8 == 0:
            await ask(client, rng, uri, new)
        if edit % 25 == 0:
            await asyncio.sleep(0.15)  # a pause in typing: evaluations run (and newer edits kill them)
    typing = time.monotonic() - started

    # Still alive and evaluating: each document's last version is published, and requests are answered.
    for uri, text in texts.items():
        versions[uri] += 1
        client.replace(uri, text + "\n", versions[uri])
    for uri in texts:
        await client.diagnostics_of(uri, versions[uri], timeout=30)
        await ask(client, rng, uri, texts[uri])
    assert client._server is not None and client._server.returncode is None

    for uri in texts:
        published = [p.version for p in client.published(uri)]
        assert published == sorted(published), f"{uri}: an older version was published after a newer one"

    # Evaluations ran in the pauses (so their diagnostics were checked too), not only at the end.
    assert len(client.evaluated) > 20 + len(texts), len(client.evaluated)

    said = [m.message for m in client.log_messages] + [m.message for m in client.messages]
    said += [d.message for _, p in client.publishes for d in p.diagnostics]
    leaked = [message for message in said if "Traceback" in message or PYTHON_NAMES.search(message)]
    assert not leaked, leaked[:5]
    stderr = capfd.readouterr().err
    assert "Traceback" not in stderr, stderr[-3000:]
    assert typing < 60, f"{EDITS} edits took {typing:.1f}s"
