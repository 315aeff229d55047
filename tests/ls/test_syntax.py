"""Tolerant parsing: positions, tokens, bindings, types and the context at a cursor, on broken code too."""

import pytest
from lsprotocol.types import Position

from luakit_ls import cursor, option_sites, parsing, requires
from luakit_ls.cursor import context_at
from luakit_ls.expressions import Call, Index, MethodRef, Name
from luakit_ls.inference import Resolver
from luakit_ls.parsing import parse

from .helpers import CURSOR, at_cursor, example


def context(marked: str, hover: bool = False) -> tuple[parsing.Document, cursor.Context]:
    text, position = at_cursor(marked)
    doc = parse(text)
    return doc, context_at(doc, doc.offset_at(position), hover)


# ---------------------------------------------------------------- positions


def test_positions_round_trip_in_ascii_text():
    doc = parse("local a = 1\nlocal bb = 2\n")
    assert doc.offset_at(Position(1, 6)) == 18
    assert doc.position_at(18) == Position(1, 6)
    assert doc.offset_at(Position(0, 99)) == 11  # past the end of a line: its end
    assert doc.offset_at(Position(9, 0)) == len(doc.source)


def test_positions_count_utf16_code_units():
    text = 'local s = "é🙂x" -- y\n'
    doc = parse(text)
    # é is 2 bytes and 1 UTF-16 unit; 🙂 is 4 bytes and 2 UTF-16 units
    x_char = len('local s = "é🙂'.encode("utf-16-le")) // 2
    x_byte = len('local s = "é🙂'.encode())
    assert doc.offset_at(Position(0, x_char)) == x_byte
    assert doc.position_at(x_byte) == Position(0, x_char)
    assert doc.point_at(x_byte) == (1, len('local s = "é🙂'))  # compiler Locations count code points


def test_parse_is_cached_per_text():
    text = "local a = bk.image('x')\n"
    assert parse(text) is parse(text)


# ---------------------------------------------------------------- tokens


def test_tokens_follow_lua_lexing():
    source = b'local s = "a\\"b" .. [[long\n]] --[[ c ]] x:y(1.5e3) -- tail'
    kinds = [(t.kind, t.text) for t in cursor.tokens(source)]
    assert kinds == [
        ("keyword", b"local"),
        ("name", b"s"),
        ("op", b"="),
        ("str", b'"a\\"b"'),
        ("op", b".."),
        ("str", b"[[long\n]]"),
        ("name", b"x"),
        ("op", b":"),
        ("name", b"y"),
        ("op", b"("),
        ("num", b"1.5e3"),
        ("op", b")"),
    ]


def test_an_unterminated_string_ends_at_its_line():
    first, second = list(cursor.tokens(b'x = "abc\ny = 1'))[2:4]
    assert first.kind == "str" and not first.closed and first.value == "abc"
    assert second.text == b"y"


# ---------------------------------------------------------------- bindings and types


TYPED = """
local base = bk.image("alpine")
local ran = base:run("make")
local chain = bk.image("x"):run("y"):copy(ran, "/a", "/b")
local mount = bk.cache("/c")
local platform = bk.platform("linux/arm64")
local version = bk.arg("V", "1")
local s = bk.scratch()
s = s:mkdir("/x")
local function helper(param) return param end
for _, loop in ipairs({}) do end
local n = 1
"""


@pytest.mark.parametrize(
    ("name", "type_"),
    [
        ("base", "State"),
        ("ran", "State"),
        ("chain", "State"),
        ("mount", "Mount"),
        ("platform", "Platform"),
        ("version", "string"),
        ("s", "State"),
        ("n", None),
        ("bk", "bk"),
        ("param", None),
    ],
)
def test_types_of_names_at_the_end(name, type_):
    doc = parse(TYPED)
    assert Resolver(doc).type_of(Name(name, len(doc.source), len(doc.source))) == type_


def test_names_from_the_last_evaluation_and_from_its_calls():
    text = 'local prelude = require("prelude")\nlocal app = prelude.app(bk.local_("context"))\n'
    doc = parse(text)
    end = len(doc.source)
    assert Resolver(doc).type_of(Name("app", end, end)) is None
    assert Resolver(doc, state_names={"app"}).type_of(Name("app", end, end)) == "State"

    class Call:  # the shape of compiler.isolated.CallOp
        def __init__(self, function, line, column, end_column, kind):
            from compiler.errors import Location

            self.function, self.kind, self.digest, self.platform = function, kind, "sha256:" + "ab" * 32, None
            self.location = Location("build.lua", line, column, line, end_column)

    made = [Call("bk.local_", 2, 24, 45, "source"), Call("state:copy", 2, 0, 46, "file")]
    assert Resolver(doc, calls=made).type_of(Name("app", end, end)) == "State"


def test_scopes_locals_shadowing_and_reassignment():
    text = """local s = bk.image("a")
do
  local s = 1
end
local function f(s)
  return s
end
for _, s in ipairs({}) do end
"""
    doc = parse(text)
    resolver = Resolver(doc)
    inside_do = text.index("end")
    assert resolver.type_of(Name("s", inside_do, inside_do)) is None  # the inner local
    after_do = text.index("local function")
    assert resolver.type_of(Name("s", after_do, after_do)) == "State"
    in_function = text.index("return s") + 7
    assert doc.binding_at("s", in_function).kind == "param"
    at_end = len(doc.source)
    assert resolver.type_of(Name("s", at_end, at_end)) == "State"  # params and loop variables are out of scope
    assert doc.declaration_at("s", at_end).name_start == text.index("s =")


def test_bindings_of_one_name_equal_the_full_index():
    doc = parse(example("go-multistage"))
    partial = {name: doc.bindings_of(name) for name in ("builder", "deps", "final", "nope")}
    full = parse(example("go-multistage") + "\n").bindings
    for name, found in partial.items():
        assert [(b.kind, b.name_start) for b in found] == [(b.kind, b.name_start) for b in full.get(name, [])]


def test_function_expressions_bind_their_parameters_and_locals():
    doc = parse('run(function(cb)\n  local inner = bk.image("x")\n  return inner\nend)\n')
    use = doc.source.index(b"return inner") + 7
    assert doc.binding_at("inner", use) is not None
    assert doc.binding_at("cb", use).kind == "param"


# ---------------------------------------------------------------- the context at a cursor


def test_member_after_dot_at_the_end_of_the_text():
    doc, ctx = context('local b = bk.image("x")\nbk.' + CURSOR)
    assert ctx.separator == "." and ctx.receiver == Name("bk", 24, 26) and ctx.word is None
    assert Resolver(doc).type_of(ctx.receiver) == "bk"


def test_member_being_typed_in_a_chain_across_lines():
    doc, ctx = context('local r = bk.image("node")\n  :copy(deps, "a", "b")\n  :ru' + CURSOR + "\nlocal z = 1")
    assert ctx.separator == ":" and ctx.prefix == "ru"
    assert isinstance(ctx.receiver, Call) and isinstance(ctx.receiver.callee, MethodRef)
    assert Resolver(doc).type_of(ctx.receiver) == "State"


def test_unclosed_tables_and_stale_brackets_before_a_new_statement():
    doc, ctx = context(
        'local s = bk.image("a")\nlocal t = s:run("x", { env = {\nlocal u = s:copy(t, "a", "b", { owner = { ' + CURSOR
    )
    resolver = Resolver(doc)
    call, options, owner = ctx.frames  # the unclosed `env = {` of the line before is gone
    assert resolver.function_of(call.callee).name == "State:copy" and call.index == 3
    assert options.key == "owner" and owner.at_key
    site = option_sites.option_table(ctx, resolver)
    assert site.path == ("owner",) and site.call.function.name == "State:copy"


def test_keys_before_and_after_the_cursor_except_the_cursor_field():
    _, ctx = context('s:run("x", { cwd = "/", cw' + CURSOR + 'd = 1, ["user"] = "u", mounts = {} })')
    table = ctx.innermost
    assert table.at_key and table.keys == {"cwd", "user", "mounts"}  # the first `cwd`, not the one being edited
    assert ctx.next_text == b"="


def test_nested_call_inside_a_table_inside_a_call():
    doc, ctx = context('bk.image("a"):run("x", { cwd = "/", mounts = { bk.cache("/x", { ' + CURSOR + " }) } })")
    resolver = Resolver(doc)
    site = option_sites.option_table(ctx, resolver)
    assert site.call.function.name == "bk.cache" and site.path == () and site.frame.at_key
    outer = option_sites.option_table(ctx, resolver, ctx.frames[:3])
    assert outer.call.function.name == "State:run" and outer.path == ("mounts",)


def test_inside_an_unterminated_string_value():
    doc, ctx = context('local s = bk.image("a")\nlocal t = s:run("x", { network = "ho' + CURSOR + "\nlocal z = 1\n")
    assert ctx.word.kind == "str" and ctx.prefix == "ho" and not ctx.word.closed
    assert ctx.innermost.key == "network"


def test_missing_end_keeps_the_function_body_readable():
    doc, ctx = context('function f()\n  local z = bk.image("q")\n  z:' + CURSOR + "\n")
    assert Resolver(doc).type_of(ctx.receiver) == "State"


def test_comments_are_not_code():
    _, ctx = context('s:run("a", { cwd = "/", -- a comment ' + CURSOR + "\n })")
    assert ctx.in_comment
    _, ctx = context('s:run("a", { cwd = "/", --[[ c ]] ' + CURSOR + " })")
    assert not ctx.in_comment


def test_require_string_argument_and_call_sugar():
    _, ctx = context('local p = require "prel' + CURSOR + 'ude"')
    assert ctx.word.value == "prelude" and ctx.before == Name("require", 10, 17)
    _, ctx = context('local p = require("prel' + CURSOR + 'ude")')
    assert ctx.innermost.callee == Name("require", 10, 17) and ctx.innermost.index == 0


def test_hover_mode_takes_the_token_under_the_cursor():
    _, ctx = context("bk.im" + CURSOR + "age('x')", hover=True)
    assert ctx.word.value == "image" and ctx.receiver == Name("bk", 0, 2)
    _, ctx = context(CURSOR + "bk.image('x')", hover=True)
    assert ctx.word.value == "bk"


def test_bracket_keys_and_positional_elements():
    _, ctx = context('x = { ["a.b"] = 1, "pos", c = 2, ' + CURSOR + " , d = 3 }")
    table = ctx.innermost
    assert table.keys == {"a.b", "c", "d"} and table.element == 1 and table.index == 3


def test_index_expressions_and_parentheses_make_callees():
    doc, ctx = context('local t = {}\nt[1]:run("x", { ' + CURSOR + " })")
    assert isinstance(ctx.frames[0].callee, MethodRef)
    doc, ctx = context('(bk.image("a")):' + CURSOR)
    assert Resolver(doc).type_of(ctx.receiver) == "State"
    doc, ctx = context("bk.foo.bar:" + CURSOR)
    assert isinstance(ctx.receiver, Index) and Resolver(doc).type_of(ctx.receiver) is None


def test_requires_with_literal_names():
    doc = parse(
        'local p = require("prelude")\nlocal q = require "lib.util"\ndofile("x.lua")\nprint("y")\nrequire(name)\n'
    )
    found = [(r.function, r.name, doc.source[r.start : r.end]) for r in requires.requires(doc)]
    assert found == [
        ("require", "prelude", b'"prelude"'),
        ("require", "lib.util", b'"lib.util"'),
        ("dofile", "x.lua", b'"x.lua"'),
    ]


def test_the_prefix_parse_sees_what_comes_before_the_cursor_and_reads_tokens_after_it():
    text = (
        'local s = bk.image("a")\nlocal t = s:run("x", { cwd = "/", '
        + "\n"
        + 'local u = s:copy(t, "a", "b", {})\n' * 50
    )
    doc = parsing.parse_prefix(text, 1)
    assert doc.tree.root_node.end_byte < len(doc.source)  # the tree stops after line 1
    ctx = context_at(doc, doc.offset_at(Position(1, 34)))
    assert Resolver(doc).function_of(ctx.frames[0].callee).name == "State:run"
    assert ctx.innermost.keys == {"cwd"}
