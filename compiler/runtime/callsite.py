"""Column ranges of API calls.

Lua reports only the line of a call. To give the editor and the source map a
precise range, the call expression is found on that line by name: `bk.image(...)`
or `base:run(...)`, from the name (or the `bk.` before it) to the closing bracket.

`CallSites` answers for one file. Most calls are answered by one regular
expression match at the call itself (no pass over the file); calls it cannot
decide (a string or comment before the name on its line, long brackets in the
file, nesting deeper than the pattern) fall back to the Lua lexer
(compiler/lua/lexer.py), run once per file. Both give the same answer; tests/test_callsite.py checks
that on every script it can find. `sites_for` caches one `CallSites` per file
content, so unchanged files (modules, or the script between evaluations) cost
nothing the second time.
"""

from __future__ import annotations

# `_bisect` is the C module `bisect` wraps: the same functions, without loading bisect.py
# (~0.5 million instructions of each start: docs/performance.md#cold-start).
import _bisect as bisect
import functools
import re
from collections import OrderedDict

from compiler.errors import Focus
from compiler.lua.positions import LineIndex, encode
from compiler.records import Record

_set = object.__setattr__  # how a record's __init__ sets its fields (compiler/records.py)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from compiler.lua.lexer import Token

# ---------------------------------------------------------------- the quick path

# A short string, as the tokenizer reads one (an unclosed one ends the line).
_SHORT_STRING = r""""[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'"""
# Anything between brackets that is neither a bracket, a string nor a comment.
_PLAIN = r"""[^"'(){}\-]++|-(?!-)"""
_LINE_COMMENT = r"--[^\n]*+"


def _balanced(depth: int) -> str:
    """A bracketed call argument list nested at most `depth` deep, without long brackets.

    The tokenizer counts `(`/`{` and `)`/`}` alike, and so does this pattern. Every
    alternative starts with a different character, so possessive loops (`*+`) lose
    nothing and keep a failed match linear.
    """
    inner = f"(?:{_PLAIN}|{_SHORT_STRING}|{_LINE_COMMENT})*+"
    group = f"[({{]{inner}[)}}]"
    for _ in range(depth - 1):
        inner = f"(?:{_PLAIN}|{_SHORT_STRING}|{_LINE_COMMENT}|{group})*+"
        group = f"[({{]{inner}[)}}]"
    return group


# How deep an argument list may nest its brackets for the quick path; deeper goes to the tokenizer.
_NESTING = 6


@functools.cache
def _call_args() -> re.Pattern[str]:
    """Compiled on first use: the pattern is large, and a CLI run may never need it."""
    return re.compile(_balanced(_NESTING))


def _match_args(text: str, offset: int) -> int | None:
    """Where the argument list opened at `offset` ends, by one match of the pattern (in C)."""
    m = _call_args().match(text, offset)
    return None if m is None else m.end()


_STRING_ARG = re.compile(_SHORT_STRING)
# What a scan of an argument list stops at: a bracket, a string's quote, a comment.
_ARGS_STOP = re.compile(r"""[(){}"']|--""")


def _scan_args(text: str, offset: int) -> int | None:
    """The same answer as `_match_args`, found by a scan in Python from bracket to bracket.

    Compiling the pattern takes ~2 ms (a long expression, repeated at each nesting level),
    while scanning the calls of a 60-line build takes ~0.2-0.3 ms: a short text is scanned
    (_SCAN_BELOW), a long one matched, one C call per call site.
    """
    depth = 0
    pos = offset
    while (stop := _ARGS_STOP.search(text, pos)) is not None:
        char = text[stop.start()]
        if char in "({":
            depth += 1
            if depth > _NESTING:
                return None
            pos = stop.end()
        elif char in ")}":
            depth -= 1
            pos = stop.end()
            if depth == 0:
                return pos
        elif char == "-":  # a comment, to the end of its line
            pos = text.find("\n", stop.end())
            if pos < 0:
                return None
        elif (string := _STRING_ARG.match(text, stop.start())) is not None:
            pos = string.end()
        else:
            return None  # an unclosed string: as the pattern, no answer
    return None


# Texts shorter than this (in characters: ~100-200 lines) locate their calls by a scan, not the
# pattern. Scanning costs ~0.1 us per character of arguments, so at about twice this the
# scans of a text would cost as much as compiling the pattern.
_SCAN_BELOW = 8_000


def _needs_tokenizer(text: str) -> bool:
    """Whether `text` has what only the tokenizer reads right: a long bracket ([[, [=[, --[[)
    or a string continued over a line break. A file without any has a clean state at every
    line start.

    Each pattern runs only over a text that has its first character, and is compiled by
    `re` (and kept in its cache) on that first use: a test for one character is a `memchr`
    (~1 us for 100 kB), and many short scripts have neither `[` nor `\\`, whose start then
    compiles no pattern (the two were ~0.6 million instructions: docs/performance.md#cold-start).
    Two patterns, not one alternation: `re` skips to each one's first character by a fast
    scan, where it tries an alternation at every position (1.0 ms -> 0.2 ms for 100 kB).
    """
    return ("[" in text and re.search(r"\[=*\[", text) is not None) or (
        "\\" in text and re.search(r"\\\r?\n", text) is not None
    )


_SPACE = re.compile(r"[ \t\r\f\v]*")


class CallSites:
    """Call ranges in one source text. Immutable input; answers are memoized."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None
        self._line_offsets: list[int] | None = None
        self._quick = not _needs_tokenizer(text)
        self._tokens: list[Token] | None = None  # without comments
        self._word_list: list[Word] | None = None  # the same tokens, read as words (parts of calls)
        self._source = b""
        self._index = LineIndex.of(b"")
        self._token_lines: list[int] = []  # the 1-based line of each token, in order
        self._found: dict[tuple[int, str], tuple[int, int, int] | None] = {}
        self._lexemes: dict[int, list[tuple[int, int]]] = {}  # line -> spans of its strings
        self._comments: dict[int, int] = {}  # line -> where its comment starts (or its length)

    # ------------------------------------------------------------ lines

    def _index_lines(self) -> None:
        lines = self.text.split("\n")
        offsets = [0] * len(lines)
        pos = 0
        for i, line in enumerate(lines):
            offsets[i] = pos
            pos += len(line) + 1
        self._lines, self._line_offsets = lines, offsets

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._index_lines()
        assert self._lines is not None
        return self._lines

    def line_range(self, line: int) -> tuple[int, int]:
        """(first, last) non-blank columns of `line`, for calls that can't be found by name."""
        lines = self.lines
        if not 1 <= line <= len(lines):
            return 0, 0
        text = lines[line - 1].rstrip()
        return len(text) - len(text.lstrip()), len(text)

    # ------------------------------------------------------------ calls

    def on_its_line(self, line: int, name: str) -> bool:
        """Whether `locate(line, name)` was answered from `line`'s text alone (see `_one_line_calls`).

        Such an answer holds for the same text on the same line of any file the quick path reads.
        """
        lines = self.lines
        return self._quick and 1 <= line <= len(lines) and (lines[line - 1], name) in _one_line_calls

    def line_text(self, line: int) -> str | None:
        """The text of `line` in a file the quick path reads (lines read alike wherever they are), else None."""
        lines = self.lines
        return lines[line - 1] if self._quick and 1 <= line <= len(lines) else None

    def locate(self, line: int, name: str) -> tuple[int, int, int] | None:
        """(start column, end line, end column) of the first call of `name` on `line`."""
        key = (line, name)
        if key in self._found:
            return self._found[key]
        found = self._locate_by_line(line, name) if self._quick else _UNDECIDED
        if found is _UNDECIDED:
            found = self._locate_tokens(line, name)
        self._found[key] = found  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    def _locate_by_line(self, line: int, name: str) -> tuple[int, int, int] | None | object:
        """The quick answer, remembered by the line's text when the call ends on its line."""
        lines = self.lines
        if not 1 <= line <= len(lines):
            return None
        key = (lines[line - 1], name)
        if key in _one_line_calls:
            span = _one_line_calls[key]
            return None if span is None else (span[0], line, span[1])
        found = self._locate_quick(line, name)
        if found is None or (isinstance(found, tuple) and found[1] == line):
            if len(_one_line_calls) >= _ONE_LINE_LIMIT:
                _one_line_calls.clear()
            _one_line_calls[key] = None if found is None else (found[0], found[2])
        return found

    def _locate_quick(self, line: int, name: str) -> tuple[int, int, int] | None | object:
        lines = self.lines
        if not 1 <= line <= len(lines) or not name:
            return None
        text = lines[line - 1]
        strings: list[tuple[int, int]] | None = self._lexemes.get(line)
        comment = len(text) if strings is None else self._comments[line]
        column = _find_word(text, name, 0)
        while column >= 0:
            after = column + len(name)
            if strings is None and _may_hide(text, column):
                strings, comment = self._lexemes[line], self._comments[line] = _line_lexemes(text)
            if column >= comment:
                return None
            if strings and any(start <= column < end for start, end in strings):
                column = _find_word(text, name, after)
                continue
            opener = _SPACE.match(text, after).end()  # type: ignore[union-attr]
            if opener >= len(text) or text.startswith("--", opener):
                return _UNDECIDED  # the arguments may start on a later line
            if text[opener] in "({\"'":
                return self._call_range(line, text, column, opener)
            column = _find_word(text, name, after)
        return None

    def _call_range(self, line: int, text: str, column: int, opener: int) -> tuple[int, int, int] | object:
        assert self._line_offsets is not None
        start = column
        head = text[:column].rstrip(" \t")
        if head.endswith(".") and not head.endswith(".."):
            head = head[:-1].rstrip(" \t")
            if not head:
                return _UNDECIDED  # `bk` may end the line before
            if head.endswith("bk") and (len(head) == 2 or not _is_name_char(head[-3])):
                start = len(head) - 2
        offset = self._line_offsets[line - 1] + opener
        if text[opener] in "\"'":
            string = _STRING_ARG.match(self.text, offset)
            end = None if string is None else string.end()
        else:
            end = (_scan_args if len(self.text) < _SCAN_BELOW else _match_args)(self.text, offset)
        if end is None:
            return _UNDECIDED
        end_line, end_column = self._position(end)
        return start, end_line, end_column

    def _position(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based column) of a character offset."""
        assert self._line_offsets is not None
        index = bisect.bisect_right(self._line_offsets, offset) - 1
        return index + 1, offset - self._line_offsets[index]

    # ------------------------------------------------------------ the tokenizer's answer

    def _tokens_indexed(self) -> list[Token]:
        if self._tokens is None:
            source = encode(self.text)
            self._source, self._index = source, LineIndex.of(source)
            self._tokens, self._token_lines = _lexed(source, self._index)
        return self._tokens

    def _tokens_on(self, line: int) -> range:
        """The indexes of the tokens that start on `line` (after `_tokens_indexed`)."""
        lines = self._token_lines
        return range(bisect.bisect_left(lines, line), bisect.bisect_right(lines, line))

    def _locate_tokens(self, line: int, name: str) -> tuple[int, int, int] | None:
        tokens = self._tokens_indexed()
        source, index = self._source, self._index
        word = encode(name)
        for i in self._tokens_on(line):
            tok = tokens[i]
            if tok.kind not in _WORDS or source[tok.start : tok.end] != word or i + 1 >= len(tokens):
                continue
            start = i
            if i >= 2 and _text(source, tokens[i - 1]) == b"." and _text(source, tokens[i - 2]) == b"bk":
                start = i - 2
            end = _call_end(source, tokens, i + 1)
            if end is not None:
                end_line, end_column = index.point_at(end.end)
                return index.point_at(tokens[start].start)[1], end_line, end_column
        return None

    # ------------------------------------------------------------ parts of a call

    def part(self, call: Span, name: str, focus: Focus) -> Span | None:
        """The range of the part of the call of `name` at `call` that `focus` names; None if the text does not show it.

        None for what only the running script knows (`s:run(cmd, opts)` with a
        computed `opts`), or when `call` is not a call of `name` (a line Lua named,
        where the call was not found by name): the caller falls back to the whole
        call or line, never a wrong place.
        """
        return part_of_call(self._words(), self._token_at(call[0], call[1]), name, focus)

    def field_name(self, line: int, table: str, name: str) -> Span | None:
        """The range of `name` in `table.name` on `line` (`imge` in `bk.imge(...)`); any table or `:` for ""."""
        tokens = self._words()
        for i in self._tokens_on(line):
            tok = tokens[i]
            if tok.kind == "name" and tok.text == name and i >= 2:
                before = tokens[i - 1].text
                if (before == "." and tokens[i - 2].text == table) or (not table and before in (".", ":")):
                    return tok.line, tok.column, tok.end_line, tok.end_column
        return None

    def _words(self) -> list[Word]:
        """The tokens (comments left out) as the parts of a call are read: text and (line, column) spans."""
        if self._word_list is None:
            tokens, source, index = self._tokens_indexed(), self._source, self._index
            words = []
            for tok in tokens:
                line, column = index.point_at(tok.start)
                end_line, end_column = index.point_at(tok.end)
                kind = "str" if _is_string(tok) else _WORD_KINDS.get(tok.kind, "op")
                words.append(
                    Word(_text(source, tok).decode("utf-8", "replace"), line, column, end_line, end_column, kind)
                )
            self._word_list = words
        return self._word_list

    def _token_at(self, line: int, column: int) -> int | None:
        tokens = self._words()
        for i in self._tokens_on(line):
            if tokens[i].column == column:
                return i
        return None


# (line, column, end line, end column), as in `Location`.
Span = tuple[int, int, int, int]


# The tokens (comments left out) and their lines of the file lexed last, by its source. The file
# lexed next is most often the same one edited (the editor's keystrokes): only what follows its
# first changed byte is lexed again. Without this, each evaluation of a file with long brackets
# (no quick path) lexed all of it: ~170 ms of each keystroke in the 1,000-op shape f of
# bench/shapes.py. One file: it keeps one file's tokens alive.
_last_lexed: tuple[bytes, list[Token], list[int]] = (b"", [], [])


def _lexed(source: bytes, index: LineIndex) -> tuple[list[Token], list[int]]:
    """The tokens of `source` without comments, and the 1-based line of each."""
    global _last_lexed
    from compiler.lua.lexer import lex  # here: most scripts never need the tokenizer's answer

    old_source, old_tokens, old_lines = _last_lexed  # read once: another thread may replace it
    same = _common_prefix(old_source, source)
    # A token that ends before the first changed byte is read alike in both: the lexer decides
    # a token by its bytes and the one after it. Lexing goes on from the end of the last such
    # token as it went on then (the lexer keeps no state but its place); lines before that
    # byte are the same lines.
    kept = bisect.bisect_left(old_tokens, same, key=_end) if same else 0
    tokens, lines = old_tokens[:kept], old_lines[:kept]
    for tok in lex(source, old_tokens[kept - 1].end if kept else 0):
        if tok.kind not in _COMMENTS:
            tokens.append(tok)
            lines.append(index.line_of(tok.start) + 1)
    _last_lexed = (source, tokens, lines)
    return tokens, lines


def _end(token: Token) -> int:
    return token.end


def _common_prefix(a: bytes, b: bytes) -> int:
    """The length of the longest common prefix of `a` and `b`: by halves, each compared in C.

    Only the half not yet known equal is compared (copied): about twice the bytes of the files.
    """
    low, high = 0, min(len(a), len(b))  # a[:low] == b[:low]; they differ before `high`, or end there
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


_UNDECIDED = object()
# Token kinds by their values (`Kind` is a StrEnum, so `Kind.NAME == "name"`): the lexer module
# is imported only when a file needs the tokenizer, which the quick path spares most scripts
# (docs/performance.md#cold-start).
_COMMENTS = ("comment", "long_comment")
# Keywords too: the quick path reads words, not Lua's grammar (and no API is named `or`).
_WORDS = ("name", "keyword")
_STRINGS = ("string", "long_string")
# Brackets as the byte values of one-byte tokens (see `_call_end`).
_OPENERS = frozenset(b"({")
_CLOSERS = frozenset(b")}")


def _text(source: bytes, token: Token) -> bytes:
    return source[token.start : token.end]


def _is_string(token: Token) -> bool:
    """A string argument, closed or not (an unfinished one still ends the call: Lua stops there)."""
    return token.kind in _STRINGS or token.error in ("unfinished string", "unfinished long string")


def _call_end(source: bytes, tokens: list[Token], i: int) -> Token | None:
    """The token closing the argument list that starts at tokens[i] (the last token if unclosed)."""
    opener = tokens[i]
    if _is_string(opener):
        return opener
    if opener.end - opener.start != 1 or source[opener.start] not in _OPENERS:
        return None
    depth = 0
    for j in range(i, len(tokens)):
        # A bracket is a token of one byte, compared as a number: no slice is made for each token
        # of each call's arguments (a file without the quick path locates every call here).
        token = tokens[j]
        if token.end - token.start != 1:
            continue
        byte = source[token.start]
        if byte in _OPENERS:
            depth += 1
        elif byte in _CLOSERS:
            depth -= 1
            if depth == 0:
                return token
    return tokens[-1]


# ---------------------------------------------------------------- parts of a call
# The argument list and table constructors of one call, read from its tokens to
# find the argument, key or value a mistake is in (see `Focus`).


class Word(Record):
    """A token as the parts of a call read it: its text, span and a coarse kind (name, str, num, op)."""

    __slots__ = ("text", "line", "column", "end_line", "end_column", "kind")
    text: str
    line: int  # 1-based
    column: int  # 0-based code points
    end_line: int
    end_column: int
    kind: str

    def __init__(self, text: str, line: int, column: int, end_line: int, end_column: int, kind: str) -> None:
        _set(self, "text", text)
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "kind", kind)


_WORD_KINDS = {"name": "name", "keyword": "name", "number": "num"}  # by Kind value, as above
_OPEN = ("(", "{", "[")
_CLOSE = (")", "}", "]")
_ARGUMENTS_OPEN = ("(", "{")  # f(...) and f{...} (f"..." is a string word)


def part_of_call(tokens: list[Word], start: int | None, callee: str, focus: Focus) -> Span | None:
    """The span `focus` names in the call of `callee` whose first token is tokens[start]."""
    if start is None:
        return None
    name = _callee_name(tokens, start)
    if name is None or tokens[name].text != callee:
        return None
    opener = name + 1
    close = _closing(tokens, opener)
    if close is None:
        return None
    if focus.argument == 0:  # the argument list as a whole
        return _span(tokens, opener, close)
    implicit_self = tokens[name - 1].text == ":" if name > 0 else False
    position = focus.argument - (1 if implicit_self else 0)
    # f(...) has a list of arguments; f"..." and f{...} one, the string or the table
    arguments = _split(tokens, opener + 1, close) if tokens[opener].text == "(" else [(opener, close)]
    if not 1 <= position <= len(arguments):
        return None
    first, last = arguments[position - 1]
    for depth, key in enumerate(focus.keys, 1):
        found = _field(tokens, first, last, key)
        if found is None:
            return None
        key_span, (first, last) = found
        if depth == len(focus.keys) and focus.key and key_span is not None:
            return key_span
    return _span(tokens, first, last)


def _callee_name(tokens: list[Word], start: int) -> int | None:
    """The index of the called name: the name before the argument list (`image` in `bk.image(...)`)."""
    for i in range(start, min(start + 4, len(tokens) - 1)):
        after = tokens[i + 1]
        if tokens[i].kind == "name" and (after.kind == "str" or after.text in _ARGUMENTS_OPEN):
            return i
    return None


def _closing(tokens: list[Word], opener: int) -> int | None:
    """The index of the token that closes the bracket (or is the string) at tokens[opener]."""
    if tokens[opener].kind == "str":
        return opener
    depth = 0
    for j in range(opener, len(tokens)):
        text = tokens[j].text if tokens[j].kind == "op" else ""
        if text in _OPEN:
            depth += 1
        elif text in _CLOSE:
            depth -= 1
            if depth == 0:
                return j
    return None


def _split(tokens: list[Word], first: int, end: int, separators: tuple[str, ...] = (",",)) -> list[tuple[int, int]]:
    """The (first, last) token indexes of the comma-separated items in tokens[first:end]."""
    items: list[tuple[int, int]] = []
    depth, item_start = 0, first
    for j in range(first, end):
        tok = tokens[j]
        text = tok.text if tok.kind == "op" else ""
        if text in _OPEN:
            depth += 1
        elif text in _CLOSE:
            depth -= 1
        elif depth == 0 and text in separators:
            if j > item_start:
                items.append((item_start, j - 1))
            item_start = j + 1
    if end > item_start:
        items.append((item_start, end - 1))
    return items


def _field(tokens: list[Word], first: int, last: int, key: str | int) -> tuple[Span | None, tuple[int, int]] | None:
    """In the table constructor tokens[first..last]: the span of `key` (None for a list item) and its value's."""
    if tokens[first].text != "{" or tokens[last].text != "}" or _closing(tokens, first) != last:
        return None  # not a table written in place: a variable, a call, ...
    found: tuple[Span | None, tuple[int, int]] | None = None
    position = 0
    for a, b in _split(tokens, first + 1, last, (",", ";")):
        head = tokens[a]
        if head.kind == "name" and a + 1 <= b and tokens[a + 1].text == "=":
            if head.text == key:
                found = (_span(tokens, a, a), (a + 2, b))
        elif head.text == "[" and head.kind == "op":
            close = _closing(tokens, a)
            if close is None or close + 1 > b or tokens[close + 1].text != "=" or close != a + 2:
                continue
            inner = tokens[a + 1]
            if _literal(inner) == key:
                key_span = _content_span(inner) if inner.kind == "str" else _span(tokens, a + 1, a + 1)
                found = (key_span, (close + 2, b))
        else:
            position += 1
            if position == key:
                found = (None, (a, b))
    if found is None or found[1][0] > found[1][1]:
        return None
    return found


def _literal(token: Word) -> str | int | None:
    """The value of a simple string or integer literal token (a key in `["key"] = ...`)."""
    if token.kind == "str" and len(token.text) >= 2 and token.text[0] in "\"'" and "\\" not in token.text:
        return token.text[1:-1]
    if token.kind == "num" and token.text.isdigit():
        return int(token.text)
    return None


def _content_span(token: Word) -> Span:
    """A string token's content, without its quotes."""
    return token.line, token.column + 1, token.end_line, token.end_column - 1


def _span(tokens: list[Word], first: int, last: int) -> Span:
    return tokens[first].line, tokens[first].column, tokens[last].end_line, tokens[last].end_column


@functools.cache
def _lexemes() -> re.Pattern[str]:
    """Compiled on first use (~1.2 million instructions): only a line with a quote or `--`
    before a call's name needs it, which most scripts do not have."""
    return re.compile(r""""[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"?|'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'?|--""")


def _may_hide(text: str, column: int) -> bool:
    """Whether a string or comment may start before `column` (else the name there is code)."""
    return '"' in text[:column] or "'" in text[:column] or "--" in text[:column]


def _line_lexemes(text: str) -> tuple[list[tuple[int, int]], int]:
    """Spans of the strings on a line that starts outside any token, and where a comment starts."""
    strings: list[tuple[int, int]] = []
    for m in _lexemes().finditer(text):
        if m.group() == "--":
            return strings, m.start()
        strings.append(m.span())
    return strings, len(text)


def _is_name_char(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c == "_")


def _find_word(text: str, word: str, start: int) -> int:
    """Index of `word` as a whole Lua name in `text` from `start`, or -1."""
    while True:
        i = text.find(word, start)
        if i < 0:
            return -1
        end = i + len(word)
        if (i == 0 or not _is_name_char(text[i - 1])) and (end == len(text) or not _is_name_char(text[end])):
            return i
        start = i + 1


# The quick answer for a call that is all on one line depends on that line's text
# alone (in a file the quick path reads: no long brackets, no continued strings),
# so it is kept by line text across evaluations: an edit changes a line or two,
# and every other call is found again by one dictionary lookup.
_ONE_LINE_LIMIT = 200_000
_one_line_calls: dict[tuple[str, str], tuple[int, int] | None] = {}


_CACHE_SIZE = 64
_cache: OrderedDict[str, CallSites] = OrderedDict()


def sites_for(text: str) -> CallSites:
    """The `CallSites` of a file's text, shared by every evaluation that reads the same text."""
    sites = _cache.get(text)
    if sites is None:
        sites = _cache[text] = CallSites(text)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(text)
    return sites
