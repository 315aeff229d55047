"""Broken scripts are problems, never crashes: mutants of every example evaluate to located messages.

For each example and seed sample, a fixed set of mutants (seeded, so every run tries the same
ones) is made the ways scripts break while being typed: cut short, a token deleted, two tokens
swapped, a token repeated, an extra argument, and a value replaced by one of the wrong type. `evaluate` must return
for each -- never raise -- and every problem must read as the user's problem: a `file:line:col:`
location for errors the script caused, no Python exception or type names, and no
"internal error" (an exception inside luakit that the evaluator caught).
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler import EvalOptions, Evaluation, ScriptSource, evaluate
from tests.test_errors import PYTHON_NAMES

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "examples").glob("*/build.lua")) + sorted((ROOT / "tests" / "fixtures" / "seed").glob("*.lua"))
MUTANTS_PER_SCRIPT = 48

# Lua tokens, comments first (they are skipped, not mutated).
_TOKEN = re.compile(
    r"""--\[(?P<c>=*)\[.*?\](?P=c)\]|--[^\n]*"""
    r"""|\[(?P<l>=*)\[.*?\](?P=l)\]|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'"""
    r"""|0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+"""
    r"""|[A-Za-z_]\w*|\.\.\.|\.\.|==|~=|<=|>=|\S""",
    re.S,
)

# Values of every type a script can pass where another was expected.
WRONG_VALUES = [
    "1",
    "-1.5",
    "0/0",
    "1e300",
    "true",
    "nil",
    "{}",
    "{ 1, 2 }",
    "{ x = {} }",
    "{ [true] = 1 }",
    '"\\255\\254"',
    '""',
    '"a:b:c"',
    "print",
    "bk.scratch()",
    "bk.cache('/c')",
    "bk.platform('linux/arm64')",
    "coroutine.create(print)",
]


@dataclass(frozen=True)
class Mutant:
    how: str
    text: str


def tokens(text: str) -> list[re.Match[str]]:
    return [m for m in _TOKEN.finditer(text) if not m.group().startswith("--")]


def mutants(text: str, seed: int, count: int) -> list[Mutant]:
    rng = random.Random(seed)
    found = tokens(text)
    literals = [m for m in found if m.group()[0] in "\"'[0123456789" or m.group() in ("true", "false")]
    out: list[Mutant] = []
    while len(out) < count:
        # Half are wrong-typed values: most other mutants are syntax errors, found before any API call.
        kind = rng.choice(("truncate", "delete", "swap", "repeat", "extra_argument") + ("wrong_type",) * 5)
        if kind == "truncate":
            cut = rng.randrange(len(text))
            out.append(Mutant(f"cut at offset {cut}", text[:cut]))
        elif kind == "delete":
            m = rng.choice(found)
            out.append(Mutant(f"deleted {m.group()!r} at {m.start()}", text[: m.start()] + text[m.end() :]))
        elif kind == "swap":
            i = rng.randrange(len(found) - 1)
            a, b = found[i], found[i + 1]
            swapped = text[: a.start()] + b.group() + text[a.end() : b.start()] + a.group() + text[b.end() :]
            out.append(Mutant(f"swapped {a.group()!r} and {b.group()!r} at {a.start()}", swapped))
        elif kind == "repeat":
            m = rng.choice(found)
            out.append(Mutant(f"repeated {m.group()!r} at {m.start()}", text[: m.end()] + " " + text[m.start() :]))
        elif kind == "extra_argument":
            m = rng.choice([t for t in found if t.group() == ")"])
            value = rng.choice(WRONG_VALUES)
            out.append(
                Mutant(f"extra argument {value} at {m.start()}", text[: m.start()] + ", " + value + text[m.start() :])
            )
        else:
            m = rng.choice(literals)
            value = rng.choice(WRONG_VALUES)
            out.append(Mutant(f"{m.group()!r} at {m.start()} -> {value}", text[: m.start()] + value + text[m.end() :]))
    return out


_LOCATION = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): ")


def complaints(evaluation: Evaluation) -> list[str]:
    """What is wrong with how the problems of one evaluation read."""
    found = []
    for problem in evaluation.problems:
        text = str(problem)
        if PYTHON_NAMES.search(problem.message):
            found.append(f"Python names in: {text}")
        if "internal error" in problem.message:  # an exception in luakit, caught by the evaluator
            found.append(f"a bug, not the script's problem: {text}")
        if problem.kind in ("syntax", "runtime", "api", "unused") and (
            problem.location is None or not _LOCATION.match(text)
        ):
            found.append(f"no location: {text} ({problem.kind})")
        if "\n" in problem.message.strip():
            found.append(f"several lines: {text!r}")
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_mutants_evaluate_to_located_problems(script: Path):
    text = script.read_text()
    failures = []
    for mutant in mutants(text, zlib.crc32(script.name.encode() + script.parent.name.encode()), MUTANTS_PER_SCRIPT):
        source = ScriptSource(mutant.text, name=script.name, path=str(script))
        try:
            evaluation = evaluate(source, EvalOptions(timeout=2))
        except Exception as exc:  # noqa: BLE001 - any exception out of evaluate is the failure we look for
            failures.append(f"{mutant.how}: evaluate raised {type(exc).__name__}: {exc}")
            continue
        failures.extend(f"{mutant.how}: {complaint}" for complaint in complaints(evaluation))
    assert not failures, "\n".join(failures)


def test_mutants_are_the_same_on_every_run():
    text = SCRIPTS[0].read_text()
    assert mutants(text, 1, 20) == mutants(text, 1, 20)
    assert len({m.text for m in mutants(text, 1, 20)}) > 15
