"""The stub index agrees with the runtime registry and reads LuaCATS the way LuaLS does."""

from pathlib import Path

import pytest

from compiler.api import values as v
from compiler.api.registry import FUNCTIONS, METHODS
from luakit_ls import stubs
from luakit_ls.completion import complete
from luakit_ls.stubs import TArray, TLiteral, TMap, TName, TShape, TUnion, parse_type

from .helpers import CURSOR, at_cursor

INDEX = stubs.load()


def test_every_registry_function_and_method_is_indexed_and_nothing_else():
    assert set(INDEX.functions) == set(FUNCTIONS)
    assert set(INDEX.methods) == set(METHODS)


@pytest.mark.parametrize("name", sorted({**FUNCTIONS, **METHODS}))
def test_option_keys_match_the_registry(name):
    function = INDEX.function(name)
    assert function is not None
    runtime_keys = set({**FUNCTIONS, **METHODS}[name].options or {})
    option_class = INDEX.option_class(function)
    indexed = set(option_class.fields) if option_class else set()
    assert indexed == runtime_keys, f"{name}: index {sorted(indexed)} vs runtime {sorted(runtime_keys)}"


def test_the_checkout_reads_the_top_level_types_directory():
    assert stubs.stub_path() == Path(__file__).resolve().parents[2] / "types" / "bk.lua"
    assert INDEX.path == stubs.stub_path()


def test_functions_carry_params_returns_docs_and_lines():
    image = INDEX.functions["bk.image"]
    assert [p.name for p in image.params] == ["ref", "opts"]
    assert image.params[0].type == "string" and not image.params[0].optional
    assert image.params[1].optional and image.options is image.params[1]
    assert image.returns == "State" and image.nodiscard
    assert "Docker-style reference" in image.description
    assert "```lua" in image.description  # the example block
    stub_lines = stubs.stub_path().read_text().split("\n")
    assert stub_lines[image.line].startswith("function bk.image(")
    assert image.signature() == "bk.image(ref: string, opts?: bk.ImageOptions): State"
    assert INDEX.functions["bk.arg"].return_type == "string"
    assert INDEX.functions["bk.export"].returns is None


def test_overloads_and_varargs():
    merge = INDEX.functions["bk.merge"]
    assert merge.params[0].name == "..."
    assert merge.overloads[0].params[0].type == "State[]"
    platform = INDEX.functions["bk.platform"]
    assert [[p.name for p in o.params] for o in platform.overloads] == [["spec"], ["os", "arch", "variant"]]
    assert platform.overloads[1].params[2].optional


def test_methods_and_opaque_types():
    run = INDEX.methods["State:run"]
    assert run.is_method and run.short_name == "run"
    assert run.params[0].type == "string|(string|number)[]"
    assert set(INDEX.types) == {"State", "Mount", "Platform", "bk"}
    assert "immutable" in INDEX.types["State"].description


def test_option_classes_and_fields():
    run_options = INDEX.classes["bk.RunOptions"]
    network = run_options.fields["network"]
    assert network.type == "bk.NetworkMode" and network.optional
    assert "sandbox" in network.doc
    assert stubs.stub_path().read_text().split("\n")[network.line].startswith("---@field network?")


def test_literal_aliases_are_enums():
    assert [v.value for v in INDEX.aliases["bk.NetworkMode"].values] == ["sandbox", "host", "none"]
    assert [v.value for v in INDEX.aliases["bk.CacheSharing"].values] == ["shared", "private", "locked"]
    assert [v.value for v in INDEX.literals(TName("bk.ResolveMode"))] == ["default", "pull", "local"]
    assert INDEX.aliases["bk.FileMode"].values == ()


def test_nested_option_types_are_navigable():
    ulimits = parse_type(INDEX.classes["bk.RunOptions"].fields["ulimits"].type)
    assert set(INDEX.fields(INDEX.key_type(ulimits, "nofile"))) == {"soft", "hard"}
    assert set(INDEX.fields(TName("bk.Owner"))) == {"user", "group"}
    assert set(INDEX.fields(TName("bk.PlatformSpec"))) == {"os", "arch", "variant"}
    mounts = parse_type(INDEX.classes["bk.RunOptions"].fields["mounts"].type)
    assert INDEX.key_type(mounts, None) == TName("Mount")
    assert INDEX.key_type(TName("bk.RunOptions"), "cwd") == TName("string")
    assert INDEX.key_type(TName("bk.RunOptions"), "nope") is None


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("string", TName("string")),
        ('"a"|"b"', TUnion((TLiteral("a"), TLiteral("b")))),
        ("string[]", TArray(TName("string"))),
        ("table<string,bk.Ulimit>", TMap(TName("string"), TName("bk.Ulimit"))),
        ("integer|integer[]|string", TUnion((TName("integer"), TArray(TName("integer")), TName("string")))),
        (
            "{user?:string|integer,group?:string}",
            TShape(
                (
                    stubs.ShapeField("user", TUnion((TName("string"), TName("integer"))), True),
                    stubs.ShapeField("group", TName("string"), True),
                )
            ),
        ),
    ],
)
def test_parse_type(text, parsed):
    assert parse_type(text) == parsed
    assert parse_type(stubs.type_text(parsed)) == parsed


def test_every_type_in_the_stubs_parses():
    for function in [*INDEX.functions.values(), *INDEX.methods.values()]:
        for param in function.params:
            parse_type(param.type)
    for option_class in INDEX.classes.values():
        for field in option_class.fields.values():
            parse_type(field.type)
    for alias in INDEX.aliases.values():
        parse_type(alias.type)


def test_bad_types_are_reported():
    with pytest.raises(stubs.TypeSyntaxError):
        parse_type("table<string")


def test_per_value_alias_docs_and_markdown():
    text = """---@meta _
---How loud.
---@alias x.Volume
---| "quiet" # barely audible
---| "loud"

---Options.
---@class (exact) x.Options
---@field volume? x.Volume How loud it is.

---Does things.
---@param what string The thing.
---@param opts? x.Options
---@return State
---@overload fun(what: string): State
function bk.thing(what, opts) end
"""
    index = stubs.parse_stubs(text)
    alias = index.aliases["x.Volume"]
    assert [(v.value, v.doc) for v in alias.values] == [("quiet", "barely audible"), ("loud", "")]
    assert alias.description == "How loud."
    thing = index.functions["bk.thing"]
    markdown = thing.markdown()
    assert markdown.startswith("```lua\nfunction bk.thing(what: string, opts?: x.Options): State\n```")
    assert "Does things." in markdown and "- `what`: The thing." in markdown and "**Overloads**" in markdown
    assert index.literals(parse_type(index.classes["x.Options"].fields["volume"].type))[0].doc == "barely audible"


# ---------------------------------------------------------------- the stubs say what the readers take


def option_fields():
    """(function name, option name, runtime reader, stub field) for every option of every function."""
    for name, api in sorted({**FUNCTIONS, **METHODS}.items()):
        option_class = INDEX.option_class(INDEX.function(name))
        for key, reader in sorted((api.options or {}).items()):
            yield name, key, reader, option_class.fields[key]


def named(fields):
    return [pytest.param(*f, id=f"{f[0]} {f[1]}") for f in fields]


# One reader per concept (compiler/api/values.py), one stub type for it.
_READER_TYPES = {
    v.user: "bk.User",
    v.owner: "bk.Owner",
    v.numeric_id: "bk.NumericId",
    v.platform: "bk.PlatformSpec",
    v.mode: "bk.FileMode",
    v.permissions: "bk.FileMode",
    v.boolean: "boolean",
    v.string_list: "string[]",
}


@pytest.mark.parametrize(("function", "key", "reader", "field"), named(option_fields()))
def test_option_types_follow_the_shared_readers(function, key, reader, field):
    if reader in _READER_TYPES:
        assert field.type == _READER_TYPES[reader], f"{function} {key}"
    for shared, type_ in _READER_TYPES.items():
        if field.type == type_ and type_.startswith("bk.") and type_ != "bk.FileMode":
            assert reader is shared, f"{function} {key} is declared {type_} but read by another reader"


def test_user_and_uid_options_take_what_their_readers_take():
    user = INDEX.classes["bk.RunOptions"].fields["user"]
    assert user.type == INDEX.classes["bk.ImageConfig"].fields["user"].type == "bk.User"
    assert {"string", "integer"} <= INDEX.names(TName("bk.User"))
    assert set(INDEX.fields(TName("bk.User"))) == {"user", "group"}
    assert v.user(1000) == "1000" and v.user("app:10") == "app:10"
    with pytest.raises(v.Invalid):  # a group alone names no user to run as
        v.user(":staff")
    for options in ("bk.HTTPOptions", "bk.SecretOptions", "bk.SSHOptions"):
        for key in ("uid", "gid"):
            assert INDEX.classes[options].fields[key].type == "bk.NumericId"
    assert INDEX.names(TName("bk.NumericId")) == {"integer", "string"}
    assert v.numeric_id("1000") == v.numeric_id(1000) == 1000


@pytest.mark.parametrize(
    ("function", "key", "reader", "field"),
    named(f for f in option_fields() if INDEX.literals(parse_type(f[3].type))),
)
def test_enum_values_are_the_readers_choices(function, key, reader, field):
    values = [value.value for value in INDEX.literals(parse_type(field.type))]
    for value in values:
        reader(value)  # accepted
    with pytest.raises(v.Invalid) as refused:
        reader("no-such-value")
    assert refused.value.predicate.startswith("must be one of " + ", ".join(f"'{x}'" for x in values) + ",")


def test_every_enum_value_is_documented():
    enums = [alias for alias in INDEX.aliases.values() if alias.values]
    assert {a.name for a in enums} >= {"bk.NetworkMode", "bk.SecurityMode", "bk.CacheSharing", "bk.ResolveMode"}
    for alias in enums:
        assert all(value.doc for value in alias.values), alias.name
    host = next(x for x in INDEX.aliases["bk.NetworkMode"].values if x.value == "host")
    assert "network.host" in host.doc


def test_completion_shows_the_per_value_doc():
    text, position = at_cursor('local s = bk.image("a")\nlocal t = s:run("x", { network = "' + CURSOR + '" })')
    found = {item.label: item for item in complete(text, position)}
    assert "network.host" in found["host"].documentation.value
    assert "No network" in found["none"].documentation.value
    text, position = at_cursor('bk.cache("/c", { sharing = "' + CURSOR + '" })')
    locked = next(item for item in complete(text, position) if item.label == "locked")
    assert "wait for each other" in locked.documentation.value


@pytest.mark.parametrize(
    ("function", "key", "reader", "field"), named(f for f in option_fields() if f[1] in ("mode", "chmod"))
)
def test_mode_docs_say_how_to_write_modes_and_where_special_bits_go(function, key, reader, field):
    assert field.type == "bk.FileMode"
    assert "octal literal" in field.doc and '"0' in field.doc, f"{function} {key}"
    if reader is v.mode:
        assert "set-uid" in field.doc and "can be set" in field.doc
        assert reader("4755") == 0o4755
    else:
        assert "permission bits only" in field.doc and "set-uid" in field.doc
        with pytest.raises(v.Invalid):
            reader("4755")


def test_platform_tables_take_os_arch_and_variant_only():
    assert set(INDEX.fields(TName("bk.PlatformSpec"))) == {"os", "arch", "variant"}
    assert "architecture" in INDEX.aliases["bk.PlatformSpec"].description  # says it is not a key
    with pytest.raises(v.Invalid):
        v.platform(v.Table({"os": "linux", "architecture": "arm64"}))
    assert str(v.platform(v.Table({"os": "linux", "arch": "armel"}))) == "linux/arm/v6"
    for alias in ("aarch64", "x86_64", "armhf", "armel", "i386"):
        assert alias in INDEX.aliases["bk.PlatformSpec"].description
