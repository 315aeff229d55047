"""Hover: stub docs for functions, methods, option keys and enum values, plus the last evaluation's ops."""

from luakit_ls.hover import hover

from .helpers import CURSOR, at_cursor, evaluated_calls, example, insert_cursor


def hover_text(marked: str, calls=(), **kwargs) -> str | None:
    text, position = at_cursor(marked)
    found = hover(text, position, calls=calls, **kwargs)
    return found.contents.value if found else None


def test_bk_function_docs_and_range():
    text, position = at_cursor("local b = bk.im" + CURSOR + 'age("alpine")')
    found = hover(text, position)
    assert found.range.start.character == 13 and found.range.end.character == 18
    assert found.contents.value.startswith("```lua\nfunction bk.image(ref: string, opts?: bk.ImageOptions): State")
    assert "Docker-style reference" in found.contents.value


def test_method_docs_on_states_and_unknown_receivers():
    assert "function State:run(" in hover_text('local b = bk.image("x")\nb:r' + CURSOR + 'un("make")')
    assert "function State:copy(" in hover_text("function f(st) return st:co" + CURSOR + "py(a, 'b', 'c') end")
    assert hover_text('local s = "x"\ns:r' + CURSOR + "un()") is None  # a string is no State


def test_option_key_docs():
    found = hover_text('local b = bk.image("x")\nb:run("make", { netw' + CURSOR + 'ork = "host" })')
    assert found.startswith("```lua\n(option) network?: bk.NetworkMode\n```")
    assert 'Default: `"sandbox"`' in found and "`bk.RunOptions`, the options of `State:run`" in found


def test_nested_option_key_docs():
    found = hover_text('st:copy(src, "a", "b", { owner = { us' + CURSOR + 'er = "app" } })')
    assert found.startswith("```lua\n(option) user?: string|integer") and "`owner` in" in found


def test_enum_value_docs():
    found = hover_text('st:run("make", { network = "ho' + CURSOR + 'st" })')
    assert found.startswith('```lua\n(enum) network = "host"\n```') and "bk.NetworkMode" in found
    assert hover_text('st:run("make", { cwd = "/sr' + CURSOR + 'c" })') is None


def test_the_bk_table_and_plain_lua():
    assert "(global) bk" in hover_text("b" + CURSOR + 'k.image("x")')
    assert hover_text("local n = 1\nprint(" + CURSOR + "n)") is None
    assert hover_text("-- bk.im" + CURSOR + "age") is None


def test_the_last_evaluation_on_that_line():
    text = example("node")
    calls = evaluated_calls(text)
    found = hover_text(insert_cursor(text, "manifest:r"), calls)
    run = next(c for c in calls if c.function == "state:run")
    assert found.startswith(f"**Last evaluation:** exec · {run.digest[7:19]}")
    assert "function State:run(" in found


def test_a_state_local_shows_its_op():
    text = example("node")
    calls = evaluated_calls(text)
    found = hover_text(insert_cursor(text, "bk.export(r"), calls)
    assert found.startswith("```lua\n(local) runtime: State\n```")
    last_copy = [c for c in calls if c.function == "state:copy"][-1]
    assert f"file · {last_copy.digest[7:19]}" in found


def test_calls_made_in_a_loop_are_summarized():
    text = 'local s = bk.image("alpine")\nfor i = 1, 9 do s = s:run("echo " .. i) end\nbk.export(s)\n'
    found = hover_text(insert_cursor(text, "s = s:r"), evaluated_calls(text))
    assert "(9 calls; the last 5)" in found and found.count("- exec · ") == 5


def test_platform_is_shown():
    text = 'local b = bk.image("alpine", { platform = "linux/arm64" })\nbk.export(b)\n'
    calls = evaluated_calls(text)
    found = hover_text(insert_cursor(text, "bk.im"), calls)
    assert found.startswith(f"**Last evaluation:** source · {calls[0].digest[7:19]} · linux/arm64\n")


def test_hover_on_the_name_a_statement_binds():
    text = example("node")
    calls = evaluated_calls(text)
    found = hover_text(insert_cursor(text, "local dep"), calls)
    run = next(c for c in calls if c.function == "state:run")
    assert found == f"```lua\n(local) deps: State\n```\n\n**Last evaluation:** exec · {run.digest[7:19]}"
    assert hover_text('local m = bk.cache("/x")\nlocal m2 = m\nprint(m' + CURSOR + "2)").startswith(
        "```lua\n(local) m2: Mount"
    )
