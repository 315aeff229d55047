"""Every feature answers (never raises) at any position of real scripts, whole or cut off while being typed."""

from lsprotocol.types import Diagnostic, Position, Range

from luakit_ls import actions, completion, definition, hover, inlay, parsing, sandbox_check, signature, symbols

from .helpers import ROOT, evaluated_calls

TEXTS = [p.read_text() for p in sorted((ROOT / "examples").glob("*/build.lua"))] + [
    (ROOT / "compiler" / "stdlib" / "prelude.lua").read_text(),
    'local s = "é🙂" bk.image("x", { network = "\nlocal t = [[ long\n',
    "local a = {{{{ ((( ]] end end until ) } :: goto ..",
]


def test_cursor_features_never_raise():
    uri = (ROOT / "examples" / "build.lua").as_uri()
    for text in TEXTS:
        for cut in range(0, len(text), 29):
            for variant in (text, text[:cut], text[:cut] + text[cut + 9 :]):
                doc = parsing.parse(variant)
                position = doc.position_at(len(variant[: min(cut, len(variant))].encode()))
                completion.complete(variant, position)
                hover.hover(variant, position)
                signature.signature_help(variant, position)
                definition.definition(variant, position, uri)


def test_document_features_never_raise():
    diagnostic = Diagnostic(Range(Position(0, 0), Position(5, 0)), "unknown option 'x' (did you mean 'y'?)")
    for text in TEXTS:
        calls = evaluated_calls(text) if "bk.export" in text else []
        for cut in (len(text), len(text) // 2, len(text) // 3):
            symbols.document_symbols(text[:cut], calls=calls)
            inlay.inlay_hints(text[:cut], calls)
            sandbox_check.sandbox_violations(text[:cut])
            actions.code_actions([diagnostic], Range(Position(0, 0), Position(9, 0)), [diagnostic])


def test_a_position_past_the_end_is_clamped():
    assert len(completion.complete("bk.", Position(9, 9))) == 16
