"""The Lua 5.1 lexer (compiler/lua/lexer.py) against two independent readers of Lua.

* tree-sitter-lua: every token of the lexer, kind and byte range, must be a leaf
  of tree-sitter's tree (a string or comment node counts as one token) wherever
  that tree has no error recovery around it (an ERROR node, or a MISSING one it
  inserted).
* PUC Lua 5.1 itself (lupa.lua51's `loadstring`): a chunk Lua loads has no
  error token; where Lua stops with a lexical error ("malformed number",
  "unfinished string", ...) the lexer's first error token carries that message
  on that line.

Both run on every .lua file of examples/, tests/ and compiler/stdlib (and the
stubs in types/), and on thousands of seeded mutations of them (characters
inserted, deleted and duplicated, lines cut, tricky lexemes spliced in), the
same mutations on every run.

Where tree-sitter-lua (a Lua 5.4 grammar) and Lua 5.1 legitimately differ, the
tree-sitter side is translated to what 5.1 reads before comparing:

* `goto` is a keyword in 5.2+, a name in 5.1.
* `::` (5.2+ labels), `//` (5.3 integer division), `<<` and `>>` (5.3 shifts)
  are one token in 5.4, two single-character operators in 5.1.
* `~`, `&` and `|` (5.3 bitwise operators) are no 5.1 token: the lexer reports
  each as an `unexpected symbol` error, as the 5.1 parser does.
* tree-sitter's names may contain non-ASCII letters; Lua 5.1 (in the C
  locale) reads no such name. They are left out of the comparison.
* tree-sitter reads a `#` line after leading comments and blank lines as a
  shebang line; Lua only skips a first line that starts with `#`. Left out.
* After an ERROR node tree-sitter lexes on from where its recovery chose
  (inside a string, say): there the comparison starts again from the first
  token both sides begin at the same byte.
* Numerals 5.1 does not read (5.4 hexadecimal fractions such as `0x1.8p1`,
  `0x.1`) are left out of the comparison, as is everything after the lexer's
  first lexical error (Lua 5.1 stops there; tree-sitter reads on, e.g. through
  the `[[` that 5.1 refuses to nest in a level-0 long bracket).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from pathlib import Path

import lupa.lua51
import pytest
import tree_sitter
import tree_sitter_lua

from compiler.lua.lexer import Kind, Token, lex
from compiler.lua.positions import LineIndex

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    path
    for folder in ("examples", "tests", "compiler/stdlib", "types")
    for path in (ROOT / folder).rglob("*.lua")
    if "output" not in path.relative_to(ROOT).parts
)
MUTANTS = 6000
SPLICES = [
    "..",
    "...",
    "1.",
    "1..2",
    "0x1p4",
    "0x1.8p1",
    "[==[",
    "]==]",
    "[[",
    "]]",
    "--[[",
    "--",
    '"\\"',
    '"',
    "'",
    "\\",
    "::",
    "//",
    "~",
    "\n",
    "1e",
    ".5",
    "0x",
    "é",
    " while x do end ",
    " repeat until 1 ",
    " goto l ::l:: ",
    " a ~= #b ",
    " 3 & 5 | 6 ",
]
ALPHABET = "abz_019.e+-=()[]{}\"'\\#:;,<>~/*\n \t"

# What Lua 5.1's lexer (not its parser) stops at.
LEXICAL = frozenset(
    {
        "unfinished string",
        "unfinished long string",
        "unfinished long comment",
        "malformed number",
        "invalid long string delimiter",
        "nesting of [[...]] is deprecated",
        "escape sequence too large",
    }
)
# Lua 5.4's reserved words (the manual's list, §3.1; 5.1's is the same without `goto`).
TS_KEYWORDS = frozenset(
    "and break do else elseif end false for function goto if in local nil not or repeat return then true until while".split()  # noqa: SIM905
)
NUMERAL_51 = re.compile(rb"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F]+(?:[pP][+-]?[0-9]+)?")

NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
Span = tuple[str, int, int]  # (kind, start byte, end byte)
UNREAD = "not Lua 5.1"  # a tree-sitter token Lua 5.1 reads otherwise: left out

_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_lua.language()))
_LUA = lupa.lua51.LuaRuntime(encoding=None)  # messages as bytes: they may quote half a character
_LOADSTRING = _LUA.eval(b"loadstring")


# ---------------------------------------------------------------- tree-sitter's tokens, read as Lua 5.1


def _tree_tokens(source: bytes) -> tuple[list[Span], list[tuple[int, int]]]:
    """tree-sitter's leaves as Lua 5.1 tokens, and the byte ranges of its ERROR nodes."""
    spans: list[Span] = []
    errors: list[tuple[int, int]] = []
    stack = [_PARSER.parse(source).root_node]
    while stack:
        node = stack.pop()
        start, end = node.start_byte, node.end_byte
        text = source[start:end]
        if node.type == "ERROR" or node.type in ("string", "comment") and node.has_error:
            errors.append((start, end))
        elif node.is_missing:
            errors.append((start, end))  # recovery without an ERROR node: `...f` read as `..` MISSING `.f`
        elif start == end:
            continue
        elif node.type == "identifier" and text.isascii() and not NAME.fullmatch(text):
            errors.append((start, end))  # error recovery's: `git@host` as one identifier
        elif node.type == "string":
            spans.append((Kind.LONG_STRING if text.startswith(b"[") else Kind.STRING, start, end))
        elif node.type == "hash_bang_line":
            spans.append((Kind.COMMENT if start == 0 else UNREAD, start, end))
        elif node.type == "comment":
            long = re.match(rb"--\[=*\[", text) is not None
            spans.append((Kind.LONG_COMMENT if long else Kind.COMMENT, start, end))
        elif node.child_count == 0:
            spans.extend(_as_lua51(node.type, text, start, end))
        else:
            stack.extend(reversed(node.children))
    return spans, errors


def _as_lua51(node_type: str, text: bytes, start: int, end: int) -> Iterator[Span]:
    word = text.decode("utf-8", errors="replace")
    if node_type == "number":
        yield (Kind.NUMBER if NUMERAL_51.fullmatch(text) else UNREAD, start, end)
    elif not text.isascii():
        yield (UNREAD, start, end)  # tree-sitter's names may have non-ASCII letters
    elif NAME.fullmatch(text):
        yield (Kind.KEYWORD if word in TS_KEYWORDS and word != "goto" else Kind.NAME, start, end)
    elif word in ("::", "//", "<<", ">>"):
        yield (Kind.OPERATOR, start, start + 1)
        yield (Kind.OPERATOR, start + 1, end)
    elif word in ("~", "&", "|"):
        yield (Kind.ERROR, start, end)
    else:
        yield (Kind.OPERATOR, start, end)


def _compare(source: bytes) -> None:
    tokens = list(lex(source))
    expected, errors = _tree_tokens(source)
    cutoff = next((t.start for t in tokens if t.error in LEXICAL), len(source) + 1)
    unread = [(s, e) for kind, s, e in expected if kind == UNREAD]

    def clean(start: int, end: int) -> bool:
        # Touching an ERROR node is near enough: tree-sitter lexes by what its parser expects
        # there, so `bk.image...(` may end in `..` and an ERROR `.`.
        return (
            end <= cutoff
            and not any(start <= e and end >= s for s, e in errors)
            and not any(start < e and end > s for s, e in unread)
        )

    ours = [(t.kind, t.start, t.end) for t in tokens if clean(t.start, t.end)]
    theirs = sorted((span for span in expected if clean(span[1], span[2])), key=lambda span: span[1])
    # Between two ERROR nodes: strict before the first; after one, from where the two agree again.
    bounds = [0, *sorted(e for _, e in errors), len(source) + 1]
    for number, (low, high) in enumerate(itertools.pairwise(bounds)):
        mine = [t for t in ours if low <= t[1] < high]
        tree = [t for t in theirs if low <= t[1] < high]
        if number > 0:
            mine, tree = _from_resync(mine, tree)
        if mine != tree:
            mismatch = next((a, b) for a, b in zip([*mine, None], [*tree, None], strict=False) if a != b)
            at = min(s[1] for s in mismatch if s is not None)
            around = source[max(0, at - 80) : at + 80].decode(errors="replace")
            raise AssertionError(f"lexer {mismatch[0]} vs tree-sitter {mismatch[1]} at byte {at}, in:\n{around}")


def _from_resync(mine: list[Span], tree: list[Span]) -> tuple[list[Span], list[Span]]:
    """Both lists from the first token that starts at the same byte in each.

    After an ERROR node tree-sitter starts lexing again where its recovery chose
    (inside a string, say), so its first leaves there need not be Lua's tokens.
    """
    starts = {t[1] for t in tree}
    for i, token in enumerate(mine):
        if token[1] in starts:
            j = next(j for j, t in enumerate(tree) if t[1] == token[1])
            return mine[i:], tree[j:]
    return [], []


# ---------------------------------------------------------------- Lua 5.1's own verdict


def _lua_verdict(source: bytes) -> tuple[int, str] | None:
    """(line, message) of the error Lua 5.1 stops at when loading `source`, or None if it loads."""
    if source.startswith(b"#"):  # skipped as luakit and Lua's loadfile skip it
        newline = source.find(b"\n")
        source = b"" if newline < 0 else source[newline:]
    result = _LOADSTRING(source, b"=chunk")
    if not isinstance(result, tuple) or result[0] is not None:
        return None
    message = result[1].decode("utf-8", errors="replace")
    m = re.match(r"chunk:(\d+): (.*?)(?: near .*)?$", message, re.DOTALL)
    assert m is not None, message
    return int(m.group(1)), m.group(2)


def _agree_with_lua(source: bytes) -> None:
    tokens = list(lex(source))
    errors = [t for t in tokens if t.kind == Kind.ERROR]
    verdict = _lua_verdict(source)
    if verdict is None:
        assert not errors, f"Lua 5.1 loads it, the lexer reports {errors}"
        return
    line, message = verdict
    lines = LineIndex.of(source)
    lexical = [t for t in errors if t.error in LEXICAL]
    if message in LEXICAL:
        assert errors, f"Lua 5.1: line {line}: {message}; the lexer: no error"
        first = errors[0]
        assert first.error == message, (line, message, first)
        assert lines.point_at(first.start)[0] <= line <= lines.point_at(first.end)[0], (line, message, first)
    elif lexical:
        # The parser stopped first: the lexer's first lexical error cannot come before that line.
        assert lines.point_at(lexical[0].start)[0] >= line, (line, message, lexical[0])


def _check(source: bytes) -> None:
    assert all(isinstance(t, Token) for t in lex(source))
    _compare(source)
    _agree_with_lua(source)


# ---------------------------------------------------------------- the cases


CASES = {
    b"x = 1..2": [(Kind.NAME, b"x"), (Kind.OPERATOR, b"="), (Kind.ERROR, b"1..2")],
    b"x = 1. .. .5": [
        (Kind.NAME, b"x"),
        (Kind.OPERATOR, b"="),
        (Kind.NUMBER, b"1."),
        (Kind.OPERATOR, b".."),
        (Kind.NUMBER, b".5"),
    ],
    b"return 0x1p4, 1e+5, 3e": [
        (Kind.KEYWORD, b"return"),
        (Kind.NUMBER, b"0x1p4"),
        (Kind.OPERATOR, b","),
        (Kind.NUMBER, b"1e+5"),
        (Kind.OPERATOR, b","),
        (Kind.ERROR, b"3e"),
    ],
    b"f(...) ::l:: goto l": [
        (Kind.NAME, b"f"),
        (Kind.OPERATOR, b"("),
        (Kind.OPERATOR, b"..."),
        (Kind.OPERATOR, b")"),
        (Kind.OPERATOR, b":"),
        (Kind.OPERATOR, b":"),
        (Kind.NAME, b"l"),
        (Kind.OPERATOR, b":"),
        (Kind.OPERATOR, b":"),
        (Kind.NAME, b"goto"),
        (Kind.NAME, b"l"),
    ],
    b's = "a\\"b" .. \'c\\\nd\' -- tail': [
        (Kind.NAME, b"s"),
        (Kind.OPERATOR, b"="),
        (Kind.STRING, b'"a\\"b"'),
        (Kind.OPERATOR, b".."),
        (Kind.STRING, b"'c\\\nd'"),
        (Kind.COMMENT, b"-- tail"),
    ],
    b"s = [==[ ]] ]==] --[[ c ]] [=x": [
        (Kind.NAME, b"s"),
        (Kind.OPERATOR, b"="),
        (Kind.LONG_STRING, b"[==[ ]] ]==]"),
        (Kind.LONG_COMMENT, b"--[[ c ]]"),
        (Kind.ERROR, b"[="),
        (Kind.NAME, b"x"),
    ],
    b's = "abc\nt = [[ a [[ b ]]': [
        (Kind.NAME, b"s"),
        (Kind.OPERATOR, b"="),
        (Kind.ERROR, b'"abc'),
        (Kind.NAME, b"t"),
        (Kind.OPERATOR, b"="),
        (Kind.ERROR, b"[[ a [["),
        (Kind.NAME, b"b"),
        (Kind.OPERATOR, b"]"),
        (Kind.OPERATOR, b"]"),
    ],
    "x = 3 // 2 ~ é".encode(): [
        (Kind.NAME, b"x"),
        (Kind.OPERATOR, b"="),
        (Kind.NUMBER, b"3"),
        (Kind.OPERATOR, b"/"),
        (Kind.OPERATOR, b"/"),
        (Kind.NUMBER, b"2"),
        (Kind.ERROR, b"~"),
        (Kind.ERROR, "é".encode()),
    ],
}


@pytest.mark.parametrize("source", list(CASES), ids=lambda s: s.decode()[:24])
def test_tokens_are_those_lua_5_1_reads(source: bytes) -> None:
    assert [(t.kind, source[t.start : t.end]) for t in lex(source)] == CASES[source]
    _agree_with_lua(source)


def test_errors_carry_lua_messages() -> None:
    messages = {
        b"x = 1..2": "malformed number",
        b'x = "abc': "unfinished string",
        b"x = [==[ abc": "unfinished long string",
        b"--[[ abc": "unfinished long comment",
        b"x = [= abc": "invalid long string delimiter",
        b"x = [[ [[ ]]": "nesting of [[...]] is deprecated",
        b'x = "\\300"': "escape sequence too large",
    }
    for source, message in messages.items():
        assert [t.error for t in lex(source) if t.error] == [message]
        assert _lua_verdict(source) == (1, message)


def test_positions_are_code_points_on_lines() -> None:
    source = "a = 'é'\n  bk.image('€')\n".encode()
    lines = LineIndex.of(source)
    image = source.index(b"image")
    assert lines.point_at(image) == (2, 5)
    assert lines.point_at(source.index(b"'", image) + 4) == (2, 13)  # after the three bytes of '€'
    assert lines.offset_at(2, 5) == image
    assert lines.offset_at(1, 99) == source.index(b"\n")
    assert lines.point_at(len(source)) == (3, 0)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_script_lexes_as_tree_sitter_and_lua_read_it(path: Path) -> None:
    _check(path.read_bytes())


def _mutant(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        action = rng.randrange(5)
        if action == 0:
            text = text[:at] + rng.choice(ALPHABET) + text[at:]
        elif action == 1:
            text = text[:at] + text[at + rng.randint(1, 3) :]
        elif action == 2:
            text = text[:at] + text[at : at + rng.randint(1, 4)] + text[at:]
        elif action == 3:
            lines = text.split("\n")
            del lines[rng.randrange(len(lines))]
            text = "\n".join(lines)
        else:
            text = text[:at] + rng.choice(SPLICES) + text[at:]
    return text


def test_mutants_lex_as_tree_sitter_and_lua_read_them() -> None:
    rng = random.Random(15)
    texts = [path.read_text() for path in SOURCES if path.stat().st_size < 8000]
    for number in range(MUTANTS):
        text = _mutant(rng, texts[number % len(texts)])
        try:
            _check(text.encode())
        except AssertionError as error:
            raise AssertionError(f"mutant {number}: {error}") from None
