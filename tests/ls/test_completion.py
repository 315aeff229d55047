"""Completion: bk members, State methods, option keys (nested too), enum values, with docs and edits."""

import pytest
from lsprotocol.types import CompletionItemKind, InsertTextFormat

from luakit_ls.completion import complete

from .helpers import CURSOR, apply_edit, at_cursor, example, insert_cursor

BK_FUNCTIONS = {
    "image", "local_", "git", "http", "https", "scratch", "merge", "diff", "export", "platform", "arg",
    "cache", "secret", "ssh", "tmpfs", "bind",
}  # fmt: skip
STATE_METHODS = {"run", "copy", "mkdir", "mkfile", "rm", "symlink", "with_metadata", "get_mount"}


def items(marked: str, **kwargs):
    text, position = at_cursor(marked)
    return complete(text, position, **kwargs)


def labels(marked: str, **kwargs) -> list[str]:
    return [item.label for item in items(marked, **kwargs)]


def accept(marked: str, label: str, **kwargs) -> str:
    """The text after choosing `label` (snippet placeholders left as written)."""
    text, position = at_cursor(marked)
    item = next(i for i in complete(text, position, **kwargs) if i.label == label)
    return apply_edit(text, item.text_edit)


# ---------------------------------------------------------------- bk members


def test_bk_members_at_the_end_of_a_line():
    found = items('local base = bk.image("alpine")\nlocal x = bk.' + CURSOR)
    assert {i.label for i in found} == BK_FUNCTIONS
    image = next(i for i in found if i.label == "image")
    assert image.kind == CompletionItemKind.Function
    assert image.detail == "bk.image(ref: string, opts?: bk.ImageOptions): State"
    assert "Docker-style reference" in image.documentation.value
    assert image.insert_text_format == InsertTextFormat.Snippet


def test_bk_member_snippets_replace_the_typed_word():
    marked = "local base = bk.im" + CURSOR + "\nlocal z = 1"
    assert accept(marked, "image") == 'local base = bk.image("${1:ref}")\nlocal z = 1'
    assert accept(marked, "bind") == 'local base = bk.bind(${1:state}, "${2:dest}")\nlocal z = 1'
    assert accept(marked, "scratch") == "local base = bk.scratch()\nlocal z = 1"


def test_no_call_snippet_when_the_call_is_already_written():
    assert accept("local b = bk.ima" + CURSOR + 'ge("alpine")', "local_") == 'local b = bk.local_("alpine")'


def test_bk_members_inside_arguments_and_tables():
    assert set(labels('s:run("x", { mounts = { bk.' + CURSOR + " } })")) == BK_FUNCTIONS
    assert set(labels("bk.export(bk." + CURSOR)) == BK_FUNCTIONS


def test_other_tables_get_no_bk_members():
    assert labels("local t = string." + CURSOR) == []
    assert labels("local bk = {}\nbk." + CURSOR) == []


# ---------------------------------------------------------------- State methods


@pytest.mark.parametrize(
    "marked",
    [
        'local b = bk.image("x")\nb:' + CURSOR,
        'local b = bk.image("x")\nlocal c = b:run("make")\nc:' + CURSOR,
        'local b = bk.image("x"):run("a"):copy(bk.scratch(), "/a", "/b")\nb:' + CURSOR,
        'local b = bk.scratch()\nb = b:mkdir("/x")\nb:' + CURSOR,
        'bk.image("x"):' + CURSOR,
        'local r = bk.image("node")\n  :copy(deps, "a", "b")\n  :' + CURSOR,
        "local m = bk.merge(a, b)\nm:wi" + CURSOR,
        'function f()\n  local z = bk.git("https://x")\n  z:' + CURSOR,
    ],
)
def test_state_methods_on_values_known_to_be_states(marked):
    found = items(marked)
    assert {i.label for i in found} == STATE_METHODS
    assert all(i.kind == CompletionItemKind.Method for i in found)


@pytest.mark.parametrize(
    "marked",
    [
        'local m = bk.cache("/x")\nm:' + CURSOR,
        'local v = bk.arg("V")\nv:' + CURSOR,
        "local s = ('x')\ns:" + CURSOR,
        "local t = helper()\nt:" + CURSOR,
        "for _, s in ipairs(list) do s:" + CURSOR + " end",
    ],
)
def test_no_state_methods_on_other_values(marked):
    assert labels(marked) == []


def test_names_the_last_evaluation_knows_hold_states():
    marked = 'local prelude = require("prelude")\nlocal app = prelude.go_binary_app()\napp:' + CURSOR
    assert labels(marked) == []
    assert set(labels(marked, state_names={"app"})) == STATE_METHODS


def test_method_snippets():
    marked = 'local b = bk.image("x")\nlocal c = b:co' + CURSOR
    assert accept(marked, "copy") == 'local b = bk.image("x")\nlocal c = b:copy(${1:source}, "${2:src}", "${3:dest}")'
    assert accept(marked, "with_metadata") == 'local b = bk.image("x")\nlocal c = b:with_metadata({ $1 })'


# ---------------------------------------------------------------- option keys


def test_option_keys_of_bk_image():
    assert labels('bk.image("alpine", { ' + CURSOR + " })") == ["platform", "resolve_mode", "resolve_digest"]


def test_keys_already_present_are_not_offered():
    found = labels('local b = bk.image("a")\nb:run("make", { cwd = "/src", ' + CURSOR + ' network = "none" })')
    assert "cwd" not in found and "network" not in found and "env" in found and "mounts" in found


def test_key_snippets_follow_the_type():
    marked = 'local b = bk.image("a")\nb:run("make", { ' + CURSOR + " })"
    assert accept(marked, "cwd").endswith('b:run("make", { cwd = "$1" })')
    assert accept(marked, "network").endswith('b:run("make", { network = "${1|sandbox,host,none|}" })')
    assert accept(marked, "readonly_rootfs").endswith("{ readonly_rootfs = ${1|true,false|} })")
    assert accept(marked, "env").endswith("{ env = { $1 } })")
    assert accept(marked, "mounts").endswith("{ mounts = { $1 } })")
    item = next(i for i in items(marked) if i.label == "network")
    assert item.kind == CompletionItemKind.Property and item.detail == "network?: bk.NetworkMode"
    assert 'Values: `"sandbox"`' in item.documentation.value and "bk.RunOptions" in item.documentation.value


def test_partial_key_is_replaced():
    assert accept('bk.git("https://x", { ke' + CURSOR + " })", "keep_git_dir") == (
        'bk.git("https://x", { keep_git_dir = ${1|true,false|} })'
    )


def test_renaming_an_existing_key_inserts_only_the_name():
    assert accept('bk.image("a", { resolve_m' + CURSOR + 'ode = "pull" })', "platform") == (
        'bk.image("a", { platform = "pull" })'
    )


def test_nested_option_tables():
    assert labels('st:copy(src, "a", "b", { owner = { ' + CURSOR + " } })") == ["user", "group"]
    assert labels('st:copy(src, "a", "b", { owner = { user = "app", ' + CURSOR + " } })") == ["group"]
    assert labels('bk.image("a", { platform = { ' + CURSOR + " } })") == ["os", "arch", "variant"]
    assert labels('st:run("x", { ulimits = { nofile = { ' + CURSOR + " } } })") == ["soft", "hard"]
    assert labels('st:run("x", { secret_env = { TOKEN = { ' + CURSOR + " } } })") == ["id", "optional"]
    assert labels('st:run("x", { env = { ' + CURSOR + " } })") == []


def test_options_of_a_mount_inside_the_mounts_of_a_run():
    marked = (
        'local deps = src:run("go mod download", {\n  mounts = { bk.cache("/go/pkg/mod", { ' + CURSOR + " }) },\n})"
    )
    assert labels(marked) == ["id", "sharing"]
    assert labels(marked.replace("bk.cache", "bk.secret")) == ["id", "uid", "gid", "mode", "optional"]


def test_option_keys_in_an_unclosed_table_before_more_code():
    marked = 'local s = bk.image("a")\nlocal t = s:run("x", {\n  cwd = "/",\n  ' + CURSOR + "\nlocal u = 1\n"
    found = labels(marked)
    assert "env" in found and "cwd" not in found


def test_mount_makers_in_mounts():
    found = items('st:run("x", { mounts = { ' + CURSOR + " } })")
    assert [i.label for i in found] == ["bk.cache", "bk.secret", "bk.ssh", "bk.tmpfs", "bk.bind"]
    assert accept('st:run("x", { mounts = { ' + CURSOR + " } })", "bk.cache") == (
        'st:run("x", { mounts = { bk.cache("${1:dest}") } })'
    )


def test_no_option_keys_outside_option_tables():
    assert labels("local t = { " + CURSOR + " }") == []
    assert labels("foo({ " + CURSOR + " })") == []
    assert labels("bk.merge({ " + CURSOR + " })") == []
    assert labels("bk.image({ " + CURSOR + " })") == []  # the first argument is the ref, not the options


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("marked", "values"),
    [
        ('st:run("x", { network = "' + CURSOR + '" })', ["sandbox", "host", "none"]),
        ('st:run("x", { security = "' + CURSOR + '" })', ["sandbox", "insecure"]),
        ('bk.image("a", { resolve_mode = "' + CURSOR + '" })', ["default", "pull", "local"]),
        ('bk.cache("/c", { sharing = "' + CURSOR + '" })', ["shared", "private", "locked"]),
        (
            'local s = bk.image("a")\nlocal t = s:run("x", { network = "ho' + CURSOR + "\nlocal z = 1\n",
            ["sandbox", "host", "none"],
        ),
    ],
)
def test_enum_values_inside_strings(marked, values):
    found = items(marked)
    assert [i.label for i in found] == values
    assert all(i.kind == CompletionItemKind.EnumMember for i in found)


def test_enum_value_replaces_the_whole_string_contents():
    assert accept('st:run("x", { network = "ho' + CURSOR + 'st" })', "none") == 'st:run("x", { network = "none" })'
    unterminated = 'st:run("x", { network = "h' + CURSOR + "\nlocal z = 1"
    assert accept(unterminated, "host") == 'st:run("x", { network = "host\nlocal z = 1'


def test_enum_values_without_quotes_are_quoted():
    assert accept('st:run("x", { network = ' + CURSOR + " })", '"none"') == 'st:run("x", { network = "none" })'
    assert accept('st:run("x", { network = ho' + CURSOR + " })", '"host"') == 'st:run("x", { network = "host" })'


def test_booleans_and_no_values_for_free_strings():
    assert labels('bk.git("u", { keep_git_dir = ' + CURSOR + " })") == ["true", "false"]
    assert labels('st:run("x", { cwd = "' + CURSOR + '" })') == []
    assert labels('st:run("x", { network = "' + CURSOR + '" }, "' + '")') != []


def test_nothing_in_comments():
    assert labels('local b = bk.image("x") -- bk.' + CURSOR) == []
    assert labels('st:run("x", { -- ' + CURSOR + "\n })") == []


# ---------------------------------------------------------------- realistic scripts


def test_in_the_go_multistage_example():
    text = example("go-multistage")
    assert labels(
        insert_cursor(text, '{ id = "gomod"', 1).replace('{ id = "gomod"' + CURSOR, '{ id = "gomod", ' + CURSOR)
    ) == ["sharing"]
    assert set(labels(insert_cursor(text, "local final = runtime:"))) == STATE_METHODS
    export_table = insert_cursor(text, 'user = "nobody",')
    found = labels(export_table)
    assert "cmd" in found and not {"user", "entrypoint", "expose"} & set(found)


def test_in_the_node_example_chain():
    text = example("node")
    marked = insert_cursor(text, '  :copy(built, "/app/dist", "/app/dist")').replace(CURSOR, "\n  :" + CURSOR)
    assert set(labels(marked)) == STATE_METHODS


def test_utf16_ranges_after_non_ascii_text():
    marked = 'local b = bk.image("héllo 🙂") b:ru' + CURSOR
    assert accept(marked, "run") == 'local b = bk.image("héllo 🙂") b:run("${1:cmd}")'
