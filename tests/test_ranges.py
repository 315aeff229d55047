"""Problems are located at the mistake itself, and carry their certain fixes as data.

An unknown key: the key. A wrong value: the value. A missing argument: the
argument list. A wrong argument: that argument. Where the text does not show the
part (a computed table), the whole call: wider, never wrong.
"""

from __future__ import annotations

from compiler.errors import Edit, Fix, Location, Problem
from tests.helpers import run_script

BUILD = """\
local base = bk.image("alpine")
local s = base:run("make", {
  env = { A = "1" },
  cwdd = "/app",
  mounts = {
    bk.cache("/root/.cache"),
    bk.tmpfs("/tmp", { sizee = 10 }),
  },
})
bk.export(s)
"""


def only(text: str, **options: object) -> Problem:
    found = [p for p in run_script(text, **options).problems if p.severity == "error"]
    assert len(found) == 1, found
    return found[0]


def marked(text: str, location: Location | None) -> str:
    """The text of the location's range (one line)."""
    assert location is not None and location.line == location.end_line, location
    return text.splitlines()[location.line - 1][location.column : location.end_column]


def test_an_unknown_key_is_located_at_the_key_with_its_rename_as_a_fix():
    text = BUILD.replace('    bk.tmpfs("/tmp", { sizee = 10 }),\n', "")
    problem = only(text)
    assert str(problem) == "build.lua:4:3: state:run: unknown option 'cwdd' (did you mean 'cwd'?)"
    assert problem.location == Location("build.lua", 4, 2, 4, 6)
    assert problem.fixes == (Fix("Change 'cwdd' to 'cwd'", (Edit(problem.location, "cwd"),)),)


def test_a_key_inside_a_nested_table_is_located_at_that_key():
    # bk.tmpfs's own options: the inner call is the one that complains.
    problem = only(BUILD.replace("  cwdd", "  cwd"))
    assert problem.message.startswith("bk.tmpfs: unknown option 'sizee'")
    assert marked(BUILD, problem.location) == "sizee"
    assert problem.fixes[0].edits[0].text == "size"


def test_a_string_key_is_renamed_inside_its_quotes():
    text = 'bk.export(bk.image("a"):run("x", { ["cwdd"] = "/" }))'
    problem = only(text)
    assert marked(text, problem.location) == "cwdd"
    assert problem.location.column == text.index('cwdd"')
    assert problem.fixes[0].title == "Change 'cwdd' to 'cwd'"


def test_a_wrong_value_is_located_at_the_value():
    text = 'local s = bk.image("a"):run("x", {\n  network = "hots",\n})\nbk.export(s)\n'
    problem = only(text)
    assert problem.message.startswith("state:run: network must be one of 'sandbox', 'host', 'none'")
    assert marked(text, problem.location) == '"hots"'
    assert problem.fixes == ()


def test_an_item_of_a_nested_list_is_located_at_that_item():
    text = 'local s = bk.image("a"):run("x", { mounts = { bk.cache("/c"), "oops" } })\nbk.export(s)\n'
    problem = only(text)
    assert problem.message.startswith("state:run: mounts[2] must be a mount")
    assert marked(text, problem.location) == '"oops"'
    text = 'bk.export(bk.image("a"):run("x", { env = { A = "1", B = {} } }))'
    assert marked(text, only(text).location) == "{}"
    text = 'bk.export(bk.image("a"):run("x", { ulimits = { files = 1 } }))'
    assert marked(text, only(text).location) == "files"  # a key that is no ulimit


def test_a_missing_argument_is_located_at_the_argument_list():
    text = 'local base = bk.image("a")\nbk.export(base:run())\n'
    problem = only(text)
    assert problem.message == "state:run: command argument required"
    assert marked(text, problem.location) == "()"
    text = 'bk.export(bk.merge(bk.image("a")))'
    assert marked(text, only(text).location) == '(bk.image("a"))'


def test_a_wrong_argument_is_located_at_that_argument():
    text = 'local base = bk.image("a")\nbk.export(base:copy("nope", "/a", "/b"))\n'
    problem = only(text)
    assert problem.message == "state:copy: argument 1 (source) must be a State, got string"
    assert marked(text, problem.location) == '"nope"'
    text = 'bk.export(bk.diff(bk.image("a"), 42))'
    assert marked(text, only(text).location) == "42"
    text = 'bk.export(bk.image(""))'
    assert marked(text, only(text).location) == '""'
    text = 'bk.export(bk.image "a"\n  :run { "ls", {} })'  # string and table call syntax
    assert marked(text, only(text).location) == "{}"
    text = 'bk.export(bk.image("a"):run("x", {}, "extra"))'
    assert marked(text, only(text).location) == '"extra"'  # one argument too many


def test_a_method_called_with_a_dot_counts_the_state_it_is_given():
    text = 'local base = bk.image("a")\nbk.export(base.run(base, "x", { cwdd = "/" }))\n'
    assert marked(text, only(text).location) == "cwdd"


def test_a_computed_table_falls_back_to_the_whole_call():
    text = 'local opts = { cwdd = "/" }\nlocal s = bk.image("a"):run("x", opts)\nbk.export(s)\n'
    problem = only(text)
    assert marked(text, problem.location) == 'run("x", opts)'
    assert problem.fixes == ()  # no edit where the key is not in sight
    text = 'local mounts = { "x" }\nbk.export(bk.image("a"):run("x", { mounts = mounts }))\n'
    assert marked(text, only(text).location) == 'run("x", { mounts = mounts })'


def test_arguments_that_are_one_object_fall_back_to_the_call():
    # Python shares small ints: which of the two 7s is wrong cannot be told apart.
    text = "bk.export(bk.platform(7, 7))"
    assert marked(text, only(text).location) == "bk.platform(7, 7)"


def test_an_octal_looking_mode_is_located_at_the_number_with_the_string_as_its_fix():
    text = 'local s = bk.image("a")\nbk.export(s:copy(bk.local_("c"), "a", "/b", { mode = 0755 }))\n'
    (warning,) = run_script(text).problems
    assert (warning.severity, warning.kind.code) == ("warning", "LK008")
    assert marked(text, warning.location) == "0755"
    assert warning.fixes == (Fix('Write the mode as the string "0755"', (Edit(warning.location, '"0755"'),)),)
    # refused (the sticky bit mkfile drops): the same fix on the error
    text = 'local s = bk.image("a")\nbk.export(s:mkfile("/f", "x", { mode = 644 }))\n'
    problem = only(text)
    assert marked(text, problem.location) == "644"
    assert problem.fixes[0].edits[0].text == '"0644"'


def test_a_fix_is_offered_only_where_the_text_is_what_it_replaces():
    # The mode is computed: the number's digits are not in the text to replace.
    text = 'local m = 700\nlocal s = bk.image("a")\nbk.export(s:copy(bk.local_("c"), "a", "/b", { mode = m + 55 }))\n'
    (warning,) = run_script(text).problems
    assert marked(text, warning.location) == "m + 55"
    assert warning.fixes == ()


def test_a_misspelled_bk_function_is_located_at_its_name_with_the_rename():
    text = 'local base = bk.imge("alpine")\nbk.export(base)\n'
    problem = only(text)
    assert str(problem) == "build.lua:1:17: bk has no function 'imge' (did you mean 'image'?)"
    assert (problem.kind.code, marked(text, problem.location)) == ("LK003", "imge")
    assert problem.fixes == (Fix("Change 'imge' to 'image'", (Edit(problem.location, "image"),)),)
    assert only("bk.frobnicate()").message == "bk has no function 'frobnicate'"


def test_a_misspelled_state_method_is_located_at_its_name_with_the_rename():
    text = 'local base = bk.image("alpine")\nbk.export(base:mkfil("/a", "x"))\n'
    problem = only(text)
    assert problem.message == "State has no method 'mkfil' (did you mean 'mkfile'?)"
    assert marked(text, problem.location) == "mkfil"
    assert problem.fixes[0].edits[0].text == "mkfile"


def test_bk_stays_locked_and_still_takes_the_scripts_own_fields():
    found = run_script(
        "assert(getmetatable(bk) == 'luakit.bk')\n"
        "assert(not pcall(setmetatable, bk, nil))\n"
        "bk.mine = 1\nassert(bk.mine == 1)\n"
        "bk.export(bk.scratch())\n"
    ).problems
    assert found == []


def test_a_call_not_found_by_name_is_never_searched_for_parts_of_another_call():
    # Lua names the line; `go` is not `run`, so the line is all there is to show.
    text = 'local go = bk.image("a").run\nlocal s = go(bk.image("b"), "x", { cwdd = "/" })\nbk.export(s)\n'
    problem = only(text)
    assert problem.message.startswith("state:run: unknown option 'cwdd'")
    assert problem.location is not None and problem.location.line == 2
    assert marked(text, problem.location) == text.splitlines()[1]
    assert problem.fixes == ()
