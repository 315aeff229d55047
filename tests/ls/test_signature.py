"""Signature help: the active parameter, overloads, and the active option key inside options tables."""

from luakit_ls.signature import signature_help

from .helpers import CURSOR, at_cursor


def help_at(marked: str):
    text, position = at_cursor(marked)
    return signature_help(text, position)


def param_labels(signature) -> list[str]:
    return [signature.label[p.label[0] : p.label[1]] for p in signature.parameters]


def test_first_argument_of_bk_image():
    found = help_at("local b = bk.image(" + CURSOR)
    signature = found.signatures[0]
    assert signature.label == "bk.image(ref: string, opts?: bk.ImageOptions): State"
    assert param_labels(signature) == ["ref: string", "opts?: bk.ImageOptions"]
    assert found.active_parameter == 0 and "Image reference" in signature.parameters[0].documentation.value
    assert "container image" in signature.documentation.value


def test_the_argument_index_follows_commas_not_nested_ones():
    found = help_at('st:copy(src, bk.image("a", { x = { 1, 2 } }):run("b"), "/d' + CURSOR + '")')
    assert found.signatures[0].label.startswith("State:copy(") and found.active_parameter == 2
    found = help_at('st:copy(src, "a", "b", ' + CURSOR + ")")
    assert found.active_parameter == 3


def test_the_innermost_api_call_wins():
    found = help_at('st:run("x", { mounts = { bk.cache("/x", ' + CURSOR + ") } })")
    assert found.signatures[0].label.startswith("bk.cache(") and found.active_parameter == 1


def test_active_option_key_is_documented_on_the_options_parameter():
    found = help_at('local b = bk.image("a")\nb:run("make", { cwd = "/", network = "h' + CURSOR + '" })')
    options = found.signatures[0].parameters[1]
    assert found.active_parameter == 1
    assert options.documentation.value.startswith("```lua\n(option) network?: bk.NetworkMode")


def test_keys_left_to_write_are_listed():
    found = help_at('bk.image("a", { resolve_mode = "pull", ' + CURSOR + " })")
    assert found.signatures[0].parameters[1].documentation.value == "options: `platform`, `resolve_digest`"
    found = help_at('st:copy(a, "b", "c", { owner = { user = "app", ' + CURSOR + " } })")
    assert found.signatures[0].parameters[3].documentation.value == "`owner`: options: `group`"


def test_overloads_are_offered_and_chosen_by_argument_count():
    found = help_at('bk.platform("linux", "arm64", ' + CURSOR + ")")
    assert [s.label for s in found.signatures] == [
        "bk.platform(spec: bk.PlatformSpec, arch?: string, variant?: string): Platform",
        "bk.platform(spec: bk.PlatformSpec): Platform",
        "bk.platform(os: string, arch: string, variant?: string): Platform",
    ]
    assert found.active_signature == 0 and found.active_parameter == 2
    assert found.signatures[1].active_parameter is None


def test_varargs_stay_on_the_last_parameter():
    found = help_at("bk.merge(a, b, c, " + CURSOR + ")")
    assert found.active_parameter == 0 and param_labels(found.signatures[0]) == ["...: State"]


def test_no_help_outside_api_calls():
    assert help_at("print(" + CURSOR + ")") is None
    assert help_at("bk.image(tostring(" + CURSOR + "))") is None
    assert help_at("local x = 1" + CURSOR) is None
    assert help_at('local s = "a"\ns:run(' + CURSOR + ")") is None


def test_unclosed_call_before_more_code():
    found = help_at('local s = bk.image("a")\nlocal t = s:mkfile("/x", ' + CURSOR + "\nlocal u = bk.scratch()\n")
    assert found.signatures[0].label.startswith("State:mkfile(") and found.active_parameter == 1
