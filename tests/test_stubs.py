"""types/ is the single source of API truth: the runtime must implement exactly what it declares."""

import re
from pathlib import Path

from compiler.api.registry import FUNCTIONS, METHODS

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
    bk_names = re.search(r"for _, name in ipairs\(\{\n(.*?)\}\) do\n  bk\[name\]", bridge, re.S)
    assert bk_names
    assert {f"bk.{n}" for n in re.findall(r'"(\w+)"', bk_names.group(1))} == set(FUNCTIONS)
