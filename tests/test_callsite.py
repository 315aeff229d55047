"""Call-site ranges: the quick path answers exactly as the tokenizer does."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from compiler.runtime.callsite import CallSites, _match_args, _needs_tokenizer, _scan_args, sites_for

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(
    [*ROOT.glob("examples/**/*.lua"), *ROOT.glob("tests/fixtures/**/*.lua"), *ROOT.glob("compiler/stdlib/*.lua")]
)
NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

TRICKY = """\
local s = bk.image("alpine")  -- run("x") in a comment
local t = s:run("echo run", { env = { A = "(" } }):run('x)', {cwd = "/"})
local u = bk . image "busybox"
local v = x..bk.image("a") .. y
local w = s:run(
  "multi", -- a comment with ) in it
  { cwd = "/" }
)
local z = s:copy(s, "a", "b", { mode = "0644" }) s:run("second")
local q = s:run("unclosed"
"""


def _mutations(text: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        choice = rng.randrange(4)
        if choice == 0:
            out.append(text[:i])
        elif choice == 1:
            out.append(text[:i] + text[j : j + 20] + text[i:])
        elif choice == 2:
            out.append(text[:i] + rng.choice(['"', "'", "--", "(", "}", "[[", "]]", "\\\n", "\n"]) + text[i:])
        else:
            out.append(text[:i] + text[j:])
    return out


def _assert_agree(text: str) -> int:
    quick, oracle = CallSites(text), CallSites(text)
    checked = 0
    for number, line in enumerate(text.split("\n"), 1):
        for name in set(NAMES.findall(line)):
            expected = oracle._locate_tokens(number, name)
            assert quick.locate(number, name) == expected, (number, name, line)
            checked += 1
    return checked


def _assert_scan_agrees(text: str) -> int:
    """The scan and the pattern end every argument list of `text` at the same place (or neither)."""
    openers = [i for i, char in enumerate(text) if char in "({"]
    for offset in openers:
        assert _scan_args(text, offset) == _match_args(text, offset), (offset, text[offset : offset + 60])
    return len(openers)


# Two answers that must agree: the quick path and the tokenizer on every call, and the quick
# path's two ways of ending an argument list (a scan for short texts, the pattern for long ones).
AGREEMENTS = {"quick-path=tokenizer": _assert_agree, "scan=pattern": _assert_scan_agrees}


@pytest.mark.parametrize("check", AGREEMENTS.values(), ids=AGREEMENTS.keys())
@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_answers_agree_on_every_script_and_mutation(path: Path, check) -> None:
    text = path.read_text()
    assert check(text) > 0
    for mutated in _mutations(text, 40, seed=len(text)):
        check(mutated)


def test_tricky_lines_agree() -> None:
    assert _assert_agree(TRICKY) > 20
    for mutated in _mutations(TRICKY, 300, seed=7):
        _assert_agree(mutated)


def test_ranges() -> None:
    sites = CallSites(TRICKY)
    assert sites.locate(1, "image") == (10, 1, 28)  # from `bk` to `)`
    assert sites.locate(2, "run") == (12, 2, 50)  # the first real call, not the string
    assert sites.locate(3, "image") == (10, 3, 30)  # `bk . image "busybox"`
    assert sites.locate(5, "run") == (12, 8, 1)  # over several lines, past a comment's `)`
    assert sites.locate(9, "run") == (51, 9, 64)
    assert sites.locate(10, "run") == (12, 10, 26)  # unclosed: to the last token of the file
    assert sites.locate(1, "nothing") is None


def test_sites_are_shared_per_text() -> None:
    assert sites_for(TRICKY) is sites_for(TRICKY[:-1] + "\n")
    assert sites_for(TRICKY) is not sites_for(TRICKY + " ")


def test_quick_path_skips_the_tokenizer_on_plain_scripts() -> None:
    text = "\n".join(f's[{i}] = s[{i - 1}]:run("echo {i}", {{ mounts = {{ bk.cache("/c") }} }})' for i in range(1, 200))
    sites = CallSites(text)
    assert sites.locate(5, "cache") is not None and sites.locate(5, "run") is not None
    assert sites._tokens is None


def test_what_needs_the_tokenizer_is_what_one_pattern_finds() -> None:
    # `_needs_tokenizer` tests a character before it runs a pattern (no pattern compiled at
    # start-up): the answer is still that of a long bracket or a continued string anywhere.
    either = re.compile(r"\[=*\[|\\\r?\n")
    rng = random.Random(5)
    texts = ["".join(rng.choice("[=\\\r\na ]") for _ in range(rng.randrange(9))) for _ in range(20_000)]
    texts += [TRICKY, LONG_BRACKETS, *(path.read_text() for path in SCRIPTS)]
    for text in texts:
        assert _needs_tokenizer(text) == (either.search(text) is not None), repr(text)
    assert sum(map(_needs_tokenizer, texts)) > 1000  # both answers are checked


def test_scan_agrees_with_the_pattern_on_tricky_lines() -> None:
    nested = "f(" * 7 + ")" * 7 + " g({ a = { b = { c = '}' } } -- ) \n })"
    assert _assert_scan_agrees(TRICKY + nested) > 10
    for mutated in _mutations(TRICKY + nested, 300, seed=11):
        _assert_scan_agrees(mutated)


LONG_BRACKETS = """\
local s = bk.image("alpine")
s = s:mkfile("/etc/a.conf", [[
workers = 4
]], { mode = "0644" }) --[==[ a long
comment ]==] s = s:run("make", { env = { A = [=[x]]y]=] } })
local t = "a\\
b" .. 'c' -- done
x = 1.5e3 + 0x1F .. ...
"""


@pytest.mark.parametrize("path", [*SCRIPTS, "tricky", "long brackets"], ids=str)
def test_an_edited_file_is_lexed_as_a_new_one(path: Path | str) -> None:
    # callsite._lexed lexes again only what follows the first byte that changed since the last file.
    from compiler.lua.lexer import lex
    from compiler.lua.positions import LineIndex, encode
    from compiler.runtime import callsite

    text = {"tricky": TRICKY, "long brackets": LONG_BRACKETS}.get(str(path)) or Path(path).read_text()
    edits = [text + "-- edited\n", "x" + text, text[:-1], *_mutations(text, 40, seed=len(text))]
    for number, edited in enumerate(edits):
        if number % 2 == 0:  # half after the original, half after the edit before
            callsite._lexed(encode(text), LineIndex.of(encode(text)))
        source = encode(edited)
        index = LineIndex.of(source)
        expected = [t for t in lex(source) if t.kind not in ("comment", "long_comment")]
        assert callsite._lexed(source, index) == (expected, [index.line_of(t.start) + 1 for t in expected])
