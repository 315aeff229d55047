"""Column ranges of API calls.

Lua reports only the line of a call. To give the editor and the source map a
precise range, the line is tokenized and the call expression found by name:
`bk.image(...)` or `base:run(...)` from the name to the closing bracket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\f\v]+)
  | (?P<nl>\n)
  | (?P<comment>--(?:\[(?P<cq>=*)\[)?)
  | (?P<longstr>\[(?P<lq>=*)\[)
  | (?P<str>"(?:[^"\\\n]|\\.|\\\n)*"?|'(?:[^'\\\n]|\\.|\\\n)*'?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<num>0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<op>\.\.\.|\.\.|==|~=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    line: int  # 1-based
    column: int  # 0-based
    end_line: int
    end_column: int
    kind: str


def tokenize(text: str) -> list[Token]:
    """Tokens of a Lua source, without whitespace and comments. Tolerates broken code."""
    tokens: list[Token] = []
    line, line_start, pos, n = 1, 0, 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:  # pragma: no cover - the pattern matches any character
            break
        kind = m.lastgroup or "op"
        end = m.end()
        if kind == "comment":
            if m.group("cq") is not None:
                close = text.find("]" + m.group("cq") + "]", end)
                end = n if close < 0 else close + len(m.group("cq")) + 2
            else:
                nl = text.find("\n", end)
                end = n if nl < 0 else nl
        elif kind == "longstr":
            close = text.find("]" + m.group("lq") + "]", end)
            end = n if close < 0 else close + len(m.group("lq")) + 2
            kind = "str"
        elif kind in ("cq", "lq"):
            kind = "op"
        start_line, start_col = line, pos - line_start
        chunk = text[pos:end]
        newlines = chunk.count("\n")
        if newlines:
            line += newlines
            line_start = pos + chunk.rfind("\n") + 1
        if kind not in ("ws", "nl", "comment"):
            tokens.append(Token(chunk, start_line, start_col, line, end - line_start, kind))
        pos = end
    return tokens


_OPENERS = {"(": ")", "{": "}"}


class CallLocator:
    """Finds call ranges in one source text; tokenizes once, lazily."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._tokens: list[Token] | None = None
        self._by_line: dict[int, list[int]] = {}

    def _index(self) -> list[Token]:
        if self._tokens is None:
            self._tokens = tokenize(self._text)
            for i, tok in enumerate(self._tokens):
                self._by_line.setdefault(tok.line, []).append(i)
        return self._tokens

    def locate(self, line: int, name: str) -> tuple[int, int, int] | None:
        """(start column, end line, end column) of the first call of `name` on `line`."""
        tokens = self._index()
        for i in self._by_line.get(line, []):
            tok = tokens[i]
            if tok.kind != "name" or tok.text != name or i + 1 >= len(tokens):
                continue
            start = i
            if i >= 2 and tokens[i - 1].text == "." and tokens[i - 2].text == "bk":
                start = i - 2
            end = self._call_end(i + 1)
            if end is not None:
                return tokens[start].column, end.end_line, end.end_column
        return None

    def _call_end(self, i: int) -> Token | None:
        tokens = self._tokens or []
        opener = tokens[i]
        if opener.kind == "str":
            return opener
        close = _OPENERS.get(opener.text)
        if close is None:
            return None
        depth = 0
        for tok in tokens[i:]:
            if tok.text in _OPENERS:
                depth += 1
            elif tok.text in (")", "}"):
                depth -= 1
                if depth == 0:
                    return tok
        return tokens[-1]

    def line_range(self, line: int) -> tuple[int, int]:
        """(first, last) non-blank columns of `line`, for calls that can't be found by name."""
        lines = self._text.split("\n")
        if not 1 <= line <= len(lines):
            return 0, 0
        text = lines[line - 1].rstrip()
        return len(text) - len(text.lstrip()), len(text)
