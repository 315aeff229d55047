"""Go to definition: into the stubs for API names, to module files for require, to declarations for locals."""

from pathlib import Path

from luakit_ls import stubs
from luakit_ls.definition import definition

from .helpers import CURSOR, ROOT, at_cursor, example, insert_cursor

STUB_LINES = stubs.stub_path().read_text().split("\n")


def go(marked: str, uri: str = "file:///work/project/build.lua"):
    text, position = at_cursor(marked)
    return definition(text, position, uri)


def stub_text(location) -> str:
    assert location.uri == stubs.stub_path().as_uri()
    line = STUB_LINES[location.range.start.line]
    return line[location.range.start.character : location.range.end.character]


def test_bk_functions_and_state_methods_go_to_their_stub():
    assert stub_text(go("local b = bk.ima" + CURSOR + 'ge("x")')) == "bk.image"
    assert stub_text(go('local b = bk.image("x")\nb = b:r' + CURSOR + 'un("y")')) == "State:run"
    assert stub_text(go(CURSOR + 'bk.image("x")')) == "bk"


def test_option_keys_and_enum_values_go_to_their_declaration():
    location = go('bk.image("x", { resolve_m' + CURSOR + 'ode = "pull" })')
    assert STUB_LINES[location.range.start.line].startswith("---@field resolve_mode?")
    location = go('bk.image("x", { resolve_mode = "pu' + CURSOR + 'll" })')
    assert STUB_LINES[location.range.start.line].startswith("---@alias bk.ResolveMode")


def test_locals_go_to_their_declaration_not_a_reassignment():
    text = example("go-multistage")
    marked = insert_cursor(text, "local final = runtime:copy(b")
    location = go(marked)
    declared = text.index("local built") + len("local ")
    assert location.uri == "file:///work/project/build.lua"
    line = text[:declared].count("\n")
    assert (location.range.start.line, location.range.start.character) == (line, len("local "))
    reassigned = 'local s = bk.scratch()\ns = s:mkdir("/a")\nbk.export(s' + CURSOR + ")"
    assert go(reassigned).range.start.line == 0


def test_parameters_and_unknown_names():
    assert go("local function f(base)\n  return ba" + CURSOR + "se\nend").range.start.character == 17
    assert go("print(undefin" + CURSOR + "ed)") is None


def test_require_resolves_like_the_evaluator(tmp_path: Path):
    (tmp_path / "lib" / "util").mkdir(parents=True)
    (tmp_path / "lib" / "util" / "init.lua").write_text("return {}\n")
    (tmp_path / "helpers.lua").write_text("return {}\n")
    uri = (tmp_path / "build.lua").as_uri()
    assert go('local u = require("lib.ut' + CURSOR + 'il")', uri).uri == (tmp_path / "lib/util/init.lua").as_uri()
    assert go('local h = require "help' + CURSOR + 'ers"', uri).uri == (tmp_path / "helpers.lua").as_uri()
    assert go('local h = dofile("helpers.l' + CURSOR + 'ua")', uri).uri == (tmp_path / "helpers.lua").as_uri()
    prelude = ROOT / "compiler" / "stdlib" / "prelude.lua"
    assert go('local p = require("prel' + CURSOR + 'ude")', uri).uri == prelude.as_uri()
    assert go('local x = require("miss' + CURSOR + 'ing")', uri) is None
    assert go('local x = require("../esc' + CURSOR + 'ape")', uri) is None
    assert go('local x = print("helpers' + CURSOR + '")', uri) is None
