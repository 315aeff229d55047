"""Shared helpers for the language-server module tests: cursors in source text, example scripts."""

from __future__ import annotations

from pathlib import Path

from lsprotocol.types import Position

ROOT = Path(__file__).resolve().parents[2]
CURSOR = "<|>"


def at_cursor(marked: str) -> tuple[str, Position]:
    """The text without the `<|>` marker, and the marker's LSP position (UTF-16 columns)."""
    assert marked.count(CURSOR) == 1, "mark exactly one cursor with <|>"
    before, after = marked.split(CURSOR)
    line = before.count("\n")
    last = before.rsplit("\n", 1)[-1]
    return before + after, Position(line, len(last.encode("utf-16-le")) // 2)


def example(name: str) -> str:
    return (ROOT / "examples" / name / "build.lua").read_text()


def insert_cursor(text: str, after: str, occurrence: int = 1) -> str:
    """`text` with the cursor marker right after the `occurrence`-th `after`."""
    index = -1
    for _ in range(occurrence):
        index = text.index(after, index + 1)
    cut = index + len(after)
    return text[:cut] + CURSOR + text[cut:]


def big_script(stages: int = 112) -> str:
    """About 900 lines of realistic build steps (one `local` State per step and re-assignments)."""
    parts = [
        'local ctx = bk.local_("context", { exclude = { ".git" } })',
        'local base = bk.image("alpine:3.19")',
    ]
    for i in range(stages):
        parts.append(
            f"""
-- step {i}
local s{i} = base:run("apk add --no-cache pkg{i}", {{
  env = {{ I = "{i}" }},
  cwd = "/work",
  mounts = {{ bk.cache("/var/cache/apk", {{ id = "apk", sharing = "locked" }}) }},
}})
s{i} = s{i}:copy(ctx, "src/{i}", "/app/{i}", {{ mode = "0644", owner = "app:app" }})"""
        )
    parts.append("local all = bk.merge({ " + ", ".join(f"s{i}" for i in range(stages)) + " })")
    parts.append('bk.export(all, { entrypoint = { "/app" } })')
    return "\n".join(parts) + "\n"


def index_of(text: str, position: Position) -> int:
    """The string index of an LSP position (UTF-16 columns), computed independently of luakit_ls."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for i, ch in enumerate(line):
        if units >= position.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(line)


def apply_edit(text: str, edit) -> str:  # noqa: ANN001 - an lsprotocol TextEdit
    start, end = index_of(text, edit.range.start), index_of(text, edit.range.end)
    return text[:start] + edit.new_text + text[end:]


def evaluated_calls(text: str, name: str = "build.lua") -> list:
    """What a real evaluation of `text` records for each API call (compiler.isolated.CallOp)."""
    from compiler.evaluate import EvalOptions, ScriptSource
    from compiler.isolated import report

    return report(ScriptSource(text, name=name), EvalOptions()).calls
