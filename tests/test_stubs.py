"""types/ is the single source of API truth: the runtime must implement exactly what it declares."""

import inspect
import re
from pathlib import Path

import pytest
from lupa import lua51

from compiler.api.registry import FUNCTIONS, METHODS, user_name
from tests.helpers import error

STUBS = sorted((Path(__file__).resolve().parents[1] / "types").glob("*.lua"))

_FUNCTION = re.compile(r"^function (bk\.\w+|State:\w+)\(", re.M)
_CLASS = re.compile(r"^---@class \(exact\) ([\w.]+)", re.M)
_FIELD = re.compile(r"^---@field ([\w]+)\??\s", re.M)


def parse_stubs() -> tuple[dict[str, str | None], dict[str, set[str]]]:
    """(function name -> its options class or None, options class -> field names)."""
    functions: dict[str, str | None] = {}
    classes: dict[str, set[str]] = {}
    for path in STUBS:
        text = path.read_text()
        for block in re.split(r"\n(?=---@class )", text):
            m = _CLASS.match(block)
            if m:
                fields_part = re.split(r"\n(?!---)", block, maxsplit=1)[0]
                classes[m.group(1)] = set(_FIELD.findall(fields_part))
        lines = text.split("\n")
        for i, line in enumerate(lines):
            fm = _FUNCTION.match(line)
            if not fm:
                continue
            doc = []
            j = i - 1
            while j >= 0 and lines[j].startswith("---"):
                doc.append(lines[j])
                j -= 1
            option_class = None
            for d in doc:
                pm = re.match(r"---@param (?:opts|config)\??\s+([\w.]+)", d)
                if pm:
                    option_class = pm.group(1)
            functions[fm.group(1)] = option_class
    return functions, classes


def test_stubs_exist():
    assert STUBS, "types/*.lua missing"
    assert STUBS[0].read_text().startswith("---@meta _")


def test_bk_is_a_class_so_that_luals_knows_its_fields():
    """LuaLS flags `bk.imagee` (undefined-field) only on a class; on a plain table any field may exist."""
    assert re.search(r"^---@class bk\nbk = \{\}$", STUBS[0].read_text(), re.M)


def test_functions_and_methods_match_the_runtime():
    functions, _ = parse_stubs()
    assert set(functions) == set(FUNCTIONS) | set(METHODS)


def test_option_keys_match_the_runtime():
    functions, classes = parse_stubs()
    for name, api in {**FUNCTIONS, **METHODS}.items():
        option_class = functions[name]
        runtime_keys = set(api.options or {})
        if option_class is None:
            assert not runtime_keys, f"{name}: runtime takes options {sorted(runtime_keys)}, stubs declare none"
            continue
        assert option_class in classes, f"{name}: class {option_class} not declared"
        assert classes[option_class] == runtime_keys, (
            f"{name} ({option_class}): only in stubs {sorted(classes[option_class] - runtime_keys)}, "
            f"only in runtime {sorted(runtime_keys - classes[option_class])}"
        )


def test_state_methods_in_the_bridge_match_the_registry():
    bridge = (Path(__file__).resolve().parents[1] / "compiler" / "runtime" / "bridge.lua").read_text()
    names = re.search(r'for _, name in ipairs\(\{ ("run".*?) \}\) do\n  state_methods', bridge, re.S)
    assert names
    declared = set(re.findall(r'"(\w+)"', names.group(1)))
    assert {f"State:{n}" for n in declared} == set(METHODS)
    bk_names = re.search(r"for _, name in ipairs\(\{\n(.*?)\}\) do\n  \w+\[name\] = api\(\"bk\.", bridge, re.S)
    assert bk_names
    assert {f"bk.{n}" for n in re.findall(r'"(\w+)"', bk_names.group(1))} == set(FUNCTIONS)


def stub_parameters() -> dict[str, list[str]]:
    """Function name -> its parameter names, as the `function` lines of the stubs write them."""
    found: dict[str, list[str]] = {}
    for path in STUBS:
        for m in re.finditer(r"^function (bk\.\w+|State:\w+)\(([^)]*)\)", path.read_text(), re.M):
            found[m.group(1)] = [a.strip() for a in m.group(2).split(",") if a.strip()]
    return found


def runtime_parameters(name: str) -> tuple[list[str], bool]:
    """The parameters users pass (after `call`, and the State of a method), and whether it takes varargs."""
    code = {**FUNCTIONS, **METHODS}[name].impl.__code__
    names = list(code.co_varnames[1 : code.co_argcount])
    return (names[1:] if name in METHODS else names), bool(code.co_flags & inspect.CO_VARARGS)


def test_stubs_are_lua_that_runs():
    """LuaLS reads the stubs as Lua: they must compile, and running them defines what they declare."""
    for path in STUBS:
        lua = lua51.LuaRuntime()
        load = lua.eval("function(text, name) local f, e = loadstring(text, name); if f then f() end; return e end")
        assert load(path.read_text(), "@" + path.name) is None
        assert lua.eval("type(bk.image)") == "function"


@pytest.mark.parametrize("name", sorted({**FUNCTIONS, **METHODS}))
def test_parameters_match_the_runtime(name):
    """Signature help shows the stub's names; the runtime's "takes at most N arguments (...)" shows its own."""
    declared = stub_parameters()[name]
    names, varargs = runtime_parameters(name)
    assert [p for p in declared if p != "..."] == names
    assert "..." not in declared or varargs, f"{name}: the stubs take varargs, the runtime does not"


# The runtime takes (and ignores) extra arguments here, contrary to the rule that they are an error.
_EXTRAS_IGNORED: set[str] = set()  # functions that still ignore extra arguments (none)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=[pytest.mark.xfail(strict=True, reason="runtime keeps *extra")] if name in _EXTRAS_IGNORED else [],
        )
        for name in sorted({**FUNCTIONS, **METHODS})
        if "..." not in stub_parameters()[name]
    ],
)
def test_one_argument_more_than_the_stubs_declare_is_an_error(name):
    declared = stub_parameters()[name]
    args = ", ".join(["true"] * (len(declared) + 1))
    call = f"bk.scratch():{name.split(':')[1]}({args})" if name in METHODS else f"{name}({args})"
    message = error(f"bk.export(bk.scratch())\n{call}\n")
    if declared:
        shown = ", ".join("options" if p == "opts" else p for p in declared)
        assert (
            f"{user_name(name)}: takes at most {len(declared)} arguments ({shown}), got {len(declared) + 1}" in message
        )
    else:
        assert f"{user_name(name)}: takes no arguments" in message
