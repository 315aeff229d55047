"""The cursor reader: what surrounds a position (open brackets, the word, what it is a member of).

At a cursor, the tokens of the Lua lexer (compiler/lua/lexer.py) are read from
the end of the last complete statement before the cursor, tracking the open
brackets: which call's arguments, which table, which key. tree-sitter's error
recovery flattens broken regions (and lets an unterminated string run to the
end of the file), so the cursor context is worked out from tokens, the way Lua
itself reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lsprotocol.types import Position

from compiler.lua.lexer import Kind, lex
from luakit_ls.expressions import CALLABLE, EXPR_TYPES, Call, Expr, Index, MethodRef, Name, Other, Str
from luakit_ls.parsing import Document, parse_prefix
from luakit_ls.positions import UTF16, PositionUnits


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "name", "keyword", "str", "num", "op"
    start: int
    end: int
    text: bytes
    closed: bool = True  # strings: the closing quote is there

    @property
    def value(self) -> str:
        """Names: the name; strings: the contents between the quotes."""
        if self.kind != "str":
            return self.text.decode("utf-8", errors="replace")
        text = self.text
        if text.startswith(b"["):
            level = text.index(b"[", 1) + 1
            body = text[level : len(text) - level if self.closed else len(text)]
        else:
            body = text[1 : len(text) - 1 if self.closed else len(text)]
        return body.decode("utf-8", errors="replace")

    @property
    def content_start(self) -> int:
        """Strings: where the contents begin."""
        if self.text.startswith(b"["):
            return self.start + self.text.index(b"[", 1) + 1
        return self.start + 1

    @property
    def content_end(self) -> int:
        if not self.closed:
            return self.end
        if self.text.startswith(b"["):
            return self.end - (self.text.index(b"[", 1) + 1)
        return self.end - 1


# What the cursor reader calls each kind of lexer token (comments are left out).
_KINDS = {
    Kind.NAME: "name",
    Kind.KEYWORD: "keyword",
    Kind.NUMBER: "num",
    Kind.STRING: "str",
    Kind.LONG_STRING: "str",
    Kind.OPERATOR: "op",
}
_COMMENTS = (Kind.COMMENT, Kind.LONG_COMMENT)
_UNFINISHED_STRINGS = ("unfinished string", "unfinished long string")


def tokens(source: bytes, start: int = 0) -> Iterator[Token]:
    """Lua tokens from `start` on, without blanks and comments. Never fails: broken code gives best-effort tokens.

    The Lua 5.1 lexer (compiler/lua/lexer.py) reads them; what it reports as
    errors is kept as the token the cursor sees: an unfinished string is a string
    (not closed), a malformed number a number, a stray character an operator.
    """
    for token in lex(source, start):
        kind = _KINDS.get(token.kind)
        text = source[token.start : token.end]
        if kind is not None:
            yield Token(kind, token.start, token.end, text)
        elif token.error in _UNFINISHED_STRINGS:
            yield Token("str", token.start, token.end, text, closed=False)
        elif token.error == "malformed number":
            yield Token("num", token.start, token.end, text)
        elif token.kind == Kind.ERROR and token.error != "unfinished long comment":
            yield Token("op", token.start, token.end, text)


@dataclass(frozen=True)
class Frame:
    """An open bracket around the cursor.

    `(`: a call's arguments (`callee` set) or a parenthesized expression.
    `{`: a table constructor; `callee` is set for the call sugar `f{...}`.
    `[`: an index `t[...]`; `[key`: a bracketed key `{ ["a.b"] = ... }`.
    """

    bracket: str
    start: int
    end: int | None  # offset after the matching closing bracket, if it was found
    callee: Expr | None
    index: int  # `(`: the argument the cursor is in; `{`: the field
    element: int  # `{`: how many positional (array) fields come before the cursor's field
    key: str | None  # `{`: the key of the field whose value holds the cursor
    keys: frozenset[str]  # `{`: the table's keys, except the cursor's own field
    at_key: bool  # `{`: a key may be written at the cursor (start of a field)


@dataclass(frozen=True)
class Context:
    offset: int
    frames: tuple[Frame, ...]  # outermost first
    word: Token | None  # the name, keyword, number or string at the cursor
    receiver: Expr | None  # `x` in `x.word` or `x:word`
    separator: str | None  # "." or ":"
    before: Expr | None  # the expression right before the word (`require` in `require "x"`)
    next_text: bytes  # the token after the word (or after the cursor): b"=", b"(", ...
    in_comment: bool

    @property
    def innermost(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    @property
    def prefix(self) -> str:
        """The part of the word before the cursor (what completion filters on)."""
        if self.word is None:
            return ""
        if self.word.kind == "str":
            start = self.word.content_start
            return self.word.text[start - self.word.start : max(0, self.offset - self.word.start)].decode(
                "utf-8", errors="replace"
            )
        return self.word.text[: self.offset - self.word.start].decode("utf-8", errors="replace")


class _Open:
    """A frame while tokens are read (mutable; frozen into `Frame` at the cursor)."""

    __slots__ = (
        "kind",
        "start",
        "end",
        "callee",
        "index",
        "element",
        "key",
        "keys",
        "items",
        "args",
        "awaiting_do",
        "bracket_key",
        "field_has_value",
        "closed",
    )

    def __init__(self, kind: str, start: int, callee: Expr | None = None) -> None:
        self.kind = kind  # "(", "{", "[", "params", or a block: "chunk", "function", "if", "loop", "do", "repeat"
        self.start = start
        self.end: int | None = None
        self.callee = callee
        self.index = 0
        self.element = 0
        self.key: str | None = None
        self.keys: dict[str, set[int]] = {}  # key -> the fields that set it
        self.items: list[Expr | str] = []
        self.args: list[Expr] = []
        self.awaiting_do = False
        self.bracket_key: str | None = None
        self.field_has_value = False
        self.closed = False

    @property
    def is_block(self) -> bool:
        return self.kind not in ("(", "{", "[", "[key", "params")


_BLOCK_STARTERS = {"if": "if", "while": "loop", "for": "loop", "repeat": "repeat"}
_STATEMENT_KEYWORDS = frozenset({"local", "return", "if", "while", "for", "repeat", "break", "goto"})
_KEYWORD_STATEMENTS = frozenset(
    {
        "variable_declaration",
        "function_declaration",
        "if_statement",
        "for_statement",
        "while_statement",
        "repeat_statement",
        "do_statement",
        "return_statement",
        "break_statement",
        "goto_statement",
    }
)
# Statements that cannot be part of an expression: safe places to start reading tokens.
_STATEMENTS = _KEYWORD_STATEMENTS | {"assignment_statement", "label_statement", "empty_statement"}
_CONTAINERS = frozenset(
    {
        "chunk",
        "block",
        "ERROR",
        "if_statement",
        "elseif_statement",
        "else_statement",
        "for_statement",
        "while_statement",
        "repeat_statement",
        "do_statement",
        "function_declaration",
    }
)
# Tokens read past the cursor to find a table's later keys and its closing bracket.
_LOOKAHEAD = 4000


def scan_start(doc: Document, offset: int) -> int:
    """The end of the last complete statement before `offset` that no open bracket can enclose.

    Inside a region tree-sitter could not parse (an ERROR node) only statements
    that begin with a keyword count: `cwd = "/"` there may well be a table field.
    """
    start = 0
    node = doc.tree.root_node
    while True:
        inside = None
        boundaries = _KEYWORD_STATEMENTS if node.type == "ERROR" else _STATEMENTS
        for child in node.children:
            if child.end_byte < offset:  # not `<=`: `local x = bk.im|` is complete but still being typed
                if child.type in boundaries and not child.has_error:
                    start = child.end_byte
            elif child.start_byte < offset:
                inside = child
                break
            else:
                break
        if inside is None or inside.type not in _CONTAINERS:
            return start
        node = inside


def word_at(text: str, position: Position, units: PositionUnits = UTF16) -> tuple[Document, Context, Token] | None:
    """The document read up to `position`'s line, the context there and the word under the cursor.

    None in a comment or between words: hover and go to definition have nothing to say there.
    """
    doc = parse_prefix(text, position.line, units)
    ctx = context_at(doc, doc.offset_at(position), hover=True)
    if ctx.word is None or ctx.in_comment:
        return None
    return doc, ctx, ctx.word


def context_at(doc: Document, offset: int, hover: bool = False) -> Context:
    """What surrounds `offset`: open brackets, the word there, what it is a member of.

    For completion (`hover=False`) the word is the name ending at the cursor;
    for hover it is the token under it.
    """
    scanner = _Scanner()
    start = scan_start(doc, offset)
    stream = tokens(doc.source, start)
    last_end = start
    pending: Token | None = None
    for token in stream:
        if token.start >= offset or _holds(token, offset, hover):
            pending = token
            break
        scanner.feed(token)
        last_end = token.end
    word = pending if pending is not None and _holds(pending, offset, hover) else None
    in_comment = word is None and _in_comment(doc.source, last_end, offset)
    # What the cursor sees now; brackets keep collecting keys (and find their end) below.
    open_frames = [f for f in scanner.stack if not f.is_block]
    states = [(f, f.key, f.index, f.element, f.kind == "{" and f.key is None and not f.items) for f in open_frames]
    # Keys of the cursor's own field do not count when the cursor is on that key (it is being edited).
    editing = word is not None
    receiver, separator, before = _member(scanner.stack[-1].items)
    next_text = b""
    if pending is not None:
        scanner.feed(pending)
        if word is None:
            next_text = pending.text
    for count, token in enumerate(stream):
        if word is not None and not next_text:
            next_text = token.text
        elif count > _LOOKAHEAD or all(f.closed for f in open_frames):
            break
        scanner.feed(token)
    frames = tuple(
        Frame(
            "(" if f.kind == "params" else f.kind,
            f.start,
            f.end,
            f.callee,
            index,
            element,
            key if f.kind == "{" else None,
            frozenset(k for k, fields in f.keys.items() if not editing or fields - {index}),
            at_key,
        )
        for f, key, index, element, at_key in states
    )
    return Context(offset, frames, word, receiver, separator, before, next_text, in_comment)


def _holds(token: Token, offset: int, hover: bool) -> bool:
    if token.kind == "str":
        if hover:
            return token.start <= offset < token.end
        return token.start < offset < token.end or (not token.closed and offset == token.end > token.start)
    if token.kind not in ("name", "keyword", "num"):
        return False
    # Hover takes the word under the cursor or just before it (a cursor after `base` is on `base`).
    return token.start <= offset <= token.end if hover else token.start < offset <= token.end


def _in_comment(source: bytes, pos: int, offset: int) -> bool:
    """Whether `offset` is inside a comment that starts after `pos` (only blanks and comments lie between)."""
    for token in lex(source, pos):
        if token.start >= offset:
            return False
        comment = token.kind in _COMMENTS or token.error == "unfinished long comment"
        if not comment:
            return False
        if offset <= token.end:
            return True
    return False


def _member(items: list[Expr | str]) -> tuple[Expr | None, str | None, Expr | None]:
    """From the items before the word: (receiver, "." or ":", the expression just before)."""
    if len(items) >= 2 and items[-1] in (".", ":") and isinstance(items[-2], EXPR_TYPES):
        return items[-2], items[-1], None  # type: ignore[return-value]
    if items and isinstance(items[-1], EXPR_TYPES):
        return None, None, items[-1]  # type: ignore[return-value]
    return None, None, None


class _Scanner:
    """Reads tokens and keeps the stack of open brackets and blocks, as Lua's parser would see them."""

    def __init__(self) -> None:
        self.stack: list[_Open] = [_Open("chunk", 0)]
        self.function_header = False

    def feed(self, token: Token) -> None:
        top = self.stack[-1]
        items = top.items
        text = token.text
        kind = token.kind
        if kind == "name":
            name = token.value
            if len(items) >= 2 and items[-1] in (".", ":") and isinstance(items[-2], EXPR_TYPES):
                sep = items.pop()
                base: Expr = items.pop()  # type: ignore[assignment]
                cls = Index if sep == "." else MethodRef
                items.append(cls(base, name, base.start, token.end))
            else:
                items.append(Name(name, token.start, token.end))
            self._value_seen(top)
        elif kind == "str":
            literal = Str(token.value, token.start, token.end)
            if items and isinstance(items[-1], CALLABLE):
                callee: Expr = items.pop()  # type: ignore[assignment]
                items.append(Call(callee, (literal,), callee.start, token.end))  # `require "x"`
            else:
                items.append(literal)
            self._value_seen(top)
        elif kind == "num":
            items.append(Other(token.start, token.end))
            self._value_seen(top)
        elif kind == "keyword":
            self._keyword(token)
        elif text in (b"(", b"{", b"["):
            self._open(token)
        elif text in (b")", b"}", b"]"):
            self._close(token)
        elif text == b",":
            self._separator(top, token)
        elif text == b";":
            if top.kind == "{":
                self._separator(top, token)
            else:
                items.clear()
        elif text == b"=":
            if top.kind == "{" and top.key is None:
                if len(items) == 1 and isinstance(items[0], Name):
                    top.key = items[0].name
                    top.keys.setdefault(top.key, set()).add(top.index)
                elif items == ["[key]"] and top.bracket_key is not None:
                    top.key = top.bracket_key
                    top.keys.setdefault(top.key, set()).add(top.index)
            items.clear()
        elif text in (b".", b":"):
            items.append(text.decode())
        elif text == b"...":
            items.append(Other(token.start, token.end))
            self._value_seen(top)
        else:  # operators
            items.append(text.decode("utf-8", errors="replace"))

    def _value_seen(self, top: _Open) -> None:
        if top.kind == "{":
            top.field_has_value = True

    def _open(self, token: Token) -> None:
        top = self.stack[-1]
        items = top.items
        bracket = token.text.decode()
        callee: Expr | None = None
        if bracket == "(" and self.function_header:
            self.function_header = False
            self.stack.append(_Open("params", token.start))
            return
        if bracket in "({" and items and isinstance(items[-1], CALLABLE):
            callee = items.pop()  # type: ignore[assignment]
        elif bracket == "[" and not (items and isinstance(items[-1], EXPR_TYPES)):
            bracket = "[key"
        self._value_seen(top)
        opened = _Open(bracket, token.start, callee)
        self.stack.append(opened)

    def _close(self, token: Token) -> None:
        want = {b")": ("(", "params"), b"}": ("{",), b"]": ("[", "[key")}[token.text]
        depth = len(self.stack) - 1
        while depth > 0 and not self.stack[depth].is_block and self.stack[depth].kind not in want:
            depth -= 1
        if depth == 0 or self.stack[depth].is_block:
            return  # a stray closing bracket
        while len(self.stack) - 1 > depth:
            self._pop(None)
        frame = self._pop(token.end)
        parent = self.stack[-1]
        if frame.kind == "(":
            self._end_argument(frame)
            if frame.callee is not None:
                parent.items.append(Call(frame.callee, tuple(frame.args), frame.callee.start, token.end))
            elif len(frame.items) == 1 and isinstance(frame.items[0], EXPR_TYPES):
                parent.items.append(frame.items[0])
            else:
                parent.items.append(Other(frame.start, token.end))
        elif frame.kind == "{":
            if frame.callee is not None:
                table = Other(frame.start, token.end)
                parent.items.append(Call(frame.callee, (table,), frame.callee.start, token.end))
            else:
                parent.items.append(Other(frame.start, token.end))
        elif frame.kind == "[":
            parent.items.append(Other(frame.start, token.end))
        elif frame.kind == "[key":
            if len(frame.items) == 1 and isinstance(frame.items[0], Str):
                parent.bracket_key = frame.items[0].value
            parent.items.append("[key]")
        else:  # "params": the function body follows, in the function's block frame
            parent.items.clear()

    def _pop(self, end: int | None) -> _Open:
        frame = self.stack.pop()
        frame.end = end
        frame.closed = True
        return frame

    def _end_argument(self, frame: _Open) -> None:
        items = frame.items
        if len(items) == 1 and isinstance(items[0], EXPR_TYPES):
            frame.args.append(items[0])  # type: ignore[arg-type]
        elif items:
            frame.args.append(Other(frame.start, frame.start))

    def _separator(self, top: _Open, token: Token) -> None:
        if top.kind == "(":
            self._end_argument(top)
            top.index += 1
        elif top.kind == "{":
            if top.key is None and top.field_has_value:
                top.element += 1
            top.index += 1
            top.key = None
            top.bracket_key = None
            top.field_has_value = False
        top.items.clear()

    def _keyword(self, token: Token) -> None:
        word = token.value
        top = self.stack[-1]
        if word in ("nil", "true", "false"):
            top.items.append(Other(token.start, token.end))
            self._value_seen(top)
            return
        if word in ("and", "or", "not"):
            top.items.append(word)
            return
        if word == "function":
            self._value_seen(top)
            self.stack.append(_Open("function", token.start))
            self.function_header = True
            return
        if word in _STATEMENT_KEYWORDS:
            self._drop_open_brackets()
            if word in _BLOCK_STARTERS:
                block = _Open(_BLOCK_STARTERS[word], token.start)
                block.awaiting_do = word in ("while", "for")
                self.stack.append(block)
            return
        if word == "do":
            top = self.stack[-1]
            if top.is_block and top.awaiting_do:
                top.awaiting_do = False
                top.items.clear()
            else:
                self._drop_open_brackets()
                self.stack.append(_Open("do", token.start))
            return
        if word in ("end", "until"):
            depth = len(self.stack) - 1
            while depth > 0 and not self.stack[depth].is_block:
                depth -= 1
            if depth == 0:
                self.stack[0].items.clear()
                return  # `end` of a block that began before the scan window
            closed = self.stack[depth]
            while len(self.stack) > depth:
                self._pop(token.end)
            if closed.kind == "function":
                self.stack[-1].items.append(Other(closed.start, token.end))
            return
        # then, else, elseif, in: a new part of the current block
        self._drop_open_brackets()

    def _drop_open_brackets(self) -> None:
        """A statement keyword: brackets still open above the current block were never closed."""
        while not self.stack[-1].is_block:
            self._pop(None)
        self.stack[-1].items.clear()
        self.function_header = False
