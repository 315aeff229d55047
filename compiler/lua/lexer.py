"""Tokens of Lua 5.1 source, as PUC Lua 5.1's lexer (llex.c) reads them, on UTF-8 byte offsets.

One lexer serves the compiler (the column range of an API call, compiler/runtime/
callsite.py) and the editor (what surrounds the cursor, luakit_ls/cursor.py).
Editors send code while it is typed, so the input is often broken; the lexer
never raises. Where Lua would stop with a lexical error the token is of kind
`ERROR` with Lua's message, and lexing goes on after it.

Lua 5.1, not 5.4, decides: `1..2` and `1.x` are one malformed number (Lua reads
a numeral as digits, dots and then letters), `1.` is a number, `::` is two `:`
and `//` two `/` (5.2+ tokens), `[[` inside a level-0 long bracket is an error
(5.1's LUA_COMPAT_LSTR), `[=x` is an invalid long string delimiter. Characters
that no Lua 5.1 token uses (`~` alone, `!`, `@`, `$`, `?`, `&`, `|`, non-ASCII
outside strings and comments) are single `ERROR` tokens: llex.c passes them to
the parser, which rejects them. tests/test_lexer.py compares every token with
tree-sitter-lua's and lists where the two grammars differ.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import NamedTuple


class Kind(StrEnum):
    NAME = "name"
    KEYWORD = "keyword"
    NUMBER = "number"
    STRING = "string"  # "..." or '...'
    LONG_STRING = "long_string"  # [[...]], [==[...]==]
    COMMENT = "comment"  # -- to the end of the line
    LONG_COMMENT = "long_comment"  # --[[...]]
    OPERATOR = "operator"  # punctuation and operators: `..`, `...`, `(`, `==`, ...
    ERROR = "error"  # what Lua 5.1 stops at: see `Token.error`


class Token(NamedTuple):
    """One token (a tuple: a file has hundreds of thousands, and tuples are made fastest)."""

    kind: Kind
    start: int  # byte offset of the first byte
    end: int  # byte offset after the last byte
    error: str | None = None  # ERROR tokens: Lua's message ("unfinished string", ...)


KEYWORDS = frozenset(
    {
        *("and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in"),
        *("local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"),
    }
)

_KEYWORD_BYTES = frozenset(word.encode() for word in KEYWORDS)

_UNFINISHED = {
    b'"': "unfinished string",
    b"'": "unfinished string",
    b"[": "unfinished long string",
    b"-": "unfinished long comment",
}

# One alternative per way a token starts; long brackets are closed by a search
# (their closing bracket depends on the opening level), everything else here.
_TOKEN = re.compile(
    rb"""
    (?P<space>[ \t\r\n\f\v]+)
  | (?P<long_comment>--\[(?P<comment_level>=*)\[)
  | (?P<comment>--[^\r\n]*)
  | (?P<long_string>\[(?P<string_level>=*)\[)
  | (?P<bad_delimiter>\[=+)
  | (?P<string>"(?:[^"\\\r\n]++|\\(?:\r\n|\n\r|.)?)*+"?|'(?:[^'\\\r\n]++|\\(?:\r\n|\n\r|.)?)*+'?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>(?:[0-9]|\.[0-9])[0-9.]*(?:[eE][+-]?)?[A-Za-z0-9_]*)
  | (?P<operator>\.\.\.|\.\.|==|~=|<=|>=|[-+*/%^\#<>=(){}\[\];:,.])
  | (?P<symbol>[\xc0-\xff][\x80-\xbf]*|.)
    """,
    re.VERBOSE | re.DOTALL,
)

# A numeral Lua 5.1 accepts (luaO_str2d: strtod, or strtoul for 0x...). glibc's
# strtod also reads hexadecimal exponents, so `0x1p4` is 16.0 in a real lua5.1.
_VALID_NUMBER = re.compile(rb"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F]+(?:[pP][+-]?[0-9]+)?")


def lex(source: bytes, start: int = 0) -> Iterator[Token]:
    """The tokens of `source` from byte `start` on, comments included, blanks left out. Never raises.

    A first line that starts with `#` (`#!/usr/bin/env luakit`, `# syntax=...`) is
    a comment: Lua's loadfile skips it, and so does luakit (compiler/runtime/sources.py).
    """
    pos, n = start, len(source)
    match = _TOKEN.match
    if pos == 0 and source.startswith(b"#"):
        newline = source.find(b"\n")
        pos = n if newline < 0 else newline
        yield Token(Kind.COMMENT, 0, pos)
    while pos < n:
        m = match(source, pos)
        assert m is not None  # `symbol` matches any byte
        group = m.lastgroup
        end = m.end()
        if group == "space":
            pos = end
            continue
        if group == "name":
            kind = Kind.KEYWORD if source[pos:end] in _KEYWORD_BYTES else Kind.NAME
            yield Token(kind, pos, end)
        elif group == "operator":
            yield Token(Kind.OPERATOR, pos, end)
        elif group == "string":
            closed = end - pos >= 2 and source[end - 1] == source[pos] and _closes(source, pos, end)
            if not closed:
                yield Token(Kind.ERROR, pos, end, "unfinished string")
            elif _escape_too_large(source, pos, end):
                yield Token(Kind.ERROR, pos, end, "escape sequence too large")
            else:
                yield Token(Kind.STRING, pos, end)
        elif group == "number":
            if _VALID_NUMBER.fullmatch(source, pos, end):
                yield Token(Kind.NUMBER, pos, end)
            else:
                yield Token(Kind.ERROR, pos, end, "malformed number")
        elif group in ("long_string", "long_comment"):
            level = m.group("string_level" if group == "long_string" else "comment_level")
            token = _long_bracket(source, pos, end, level, Kind(group))
            end = token.end
            yield token
        elif group == "comment":
            yield Token(Kind.COMMENT, pos, end)
        elif group == "bad_delimiter":
            yield Token(Kind.ERROR, pos, end, "invalid long string delimiter")
        else:
            yield Token(Kind.ERROR, pos, end, "unexpected symbol")
        pos = end


def _closes(source: bytes, start: int, end: int) -> bool:
    """Whether the quote at `end - 1` closes the string (it is not the quote of `"\\"`)."""
    if end - start < 2:
        return False
    backslashes = 0
    i = end - 2
    while i > start and source[i] == 0x5C:  # `\`
        backslashes += 1
        i -= 1
    return backslashes % 2 == 0


_ESCAPE = re.compile(rb"\\(?:([0-9]{1,3})|.)", re.DOTALL)


def _escape_too_large(source: bytes, start: int, end: int) -> bool:
    """Whether a string has a `\\ddd` escape above 255, which Lua 5.1 refuses."""
    if source.find(b"\\", start, end) < 0:
        return False
    return any(m.group(1) and int(m.group(1)) > 255 for m in _ESCAPE.finditer(source, start, end))


def _long_bracket(source: bytes, start: int, body: int, level: bytes, kind: Kind) -> Token:
    """The long string or long comment opened at `start` (its contents begin at `body`)."""
    close = source.find(b"]" + level + b"]", body)
    if not level:
        # Lua 5.1 (LUA_COMPAT_LSTR) refuses `[[` inside a level-0 long bracket.
        nested = source.find(b"[[", body, len(source) if close < 0 else close)
        if nested >= 0:
            return Token(Kind.ERROR, start, nested + 2, "nesting of [[...]] is deprecated")
    if close < 0:
        return Token(Kind.ERROR, start, len(source), _UNFINISHED[source[start : start + 1]])
    return Token(kind, start, close + len(level) + 2)


def long_bracket_level(source: bytes, token: Token) -> int:
    """How many `=` a long string's or long comment's brackets have."""
    opener = token.start + (2 if source.startswith(b"--", token.start) else 0)
    return source.index(b"[", opener + 1) - opener - 1
