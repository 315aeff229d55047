"""Latency of the language-server features on a ~1,000-line script. Prints numbers; asserts nothing.

    python -m tests.ls.latency [--runs N]

Each completion, hover and signature request gets a new text (a line inserted,
as after a keystroke), so nothing is served from the parse cache: the numbers
include parsing. Whole-document features (symbols, inlay hints, sandbox check)
run on the unchanged script with the last evaluation's calls, parse included.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections.abc import Callable

from lsprotocol.types import Position

from luakit_ls import completion, hover, inlay, parsing, sandbox_check, signature, stubs, symbols

from .helpers import big_script, evaluated_calls


def percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"p50 {statistics.median(samples):6.2f} ms   p95 {p95:6.2f} ms   max {samples[-1]:6.2f} ms"


def keystrokes(script: str, runs: int) -> list[tuple[str, str, Position]]:
    """(scenario, text, cursor): a line typed after a random statement of the script."""
    lines = script.split("\n")
    anchors = [i for i, line in enumerate(lines) if re.match(r"s\d+ = ", line)]
    typed = {
        "bk. member": "local z = bk.",
        "state method": "local z = base:",
        "option key (unclosed table)": 'local z = base:run("x", { cwd = "/", ',
        "enum value (unclosed string)": 'local z = base:run("x", { network = "',
        "nested option key": 'local z = base:copy(ctx, "a", "b", { owner = { ',
    }
    rng = random.Random(7)
    cases = []
    for i in range(runs):
        scenario = list(typed)[i % len(typed)]
        line = rng.choice(anchors)
        text = "\n".join(lines[: line + 1] + [typed[scenario]] + lines[line + 1 :])
        cases.append((scenario, text, Position(line + 1, len(typed[scenario]))))
    return cases


def measure(function: Callable[[str, Position], object], cases: list[tuple[str, str, Position]]) -> list[float]:
    samples = []
    for _, text, position in cases:
        start = time.perf_counter()
        function(text, position)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    script = big_script(125)
    print(f"script: {script.count(chr(10))} lines, {len(script.encode())} bytes")
    start = time.perf_counter()
    stubs.load()
    print(f"stub index (once per process): {(time.perf_counter() - start) * 1000:.1f} ms")
    parses = []
    for i in range(20):
        start = time.perf_counter()
        parsing.parse(script + " " * (i + 1))
        parses.append((time.perf_counter() - start) * 1000)
    print(f"{'parse (whole script)':32} {percentiles(parses)}")
    cases = keystrokes(script, args.runs)
    completion.complete(*cases[0][1:])  # warm-up: first query compilations
    samples = measure(completion.complete, cases)
    print(f"{'completion (all)':32} {percentiles(samples)}")
    for scenario in dict.fromkeys(c[0] for c in cases):
        chosen = [s for s, c in zip(samples, cases, strict=True) if c[0] == scenario]
        print(f"  {scenario:30} {percentiles(chosen)}")
    hovers = [(s, t, Position(p.line - 1, 12)) for s, t, p in cases]  # on `:run`/`:copy` of the line above
    print(f"{'hover':32} {percentiles(measure(hover.hover, hovers))}")
    print(f"{'signature help':32} {percentiles(measure(signature.signature_help, cases))}")
    calls = evaluated_calls(script)
    for name, function in [
        ("document symbols", lambda text: symbols.document_symbols(text, calls=calls)),
        ("inlay hints", lambda text: inlay.inlay_hints(text, calls)),
        ("sandbox check", sandbox_check.sandbox_violations),
    ]:
        runs = []
        for i in range(20):
            start = time.perf_counter()
            function(script + " " * (i + 1))
            runs.append((time.perf_counter() - start) * 1000)
        print(f"{name + ' (parse included)':32} {percentiles(runs)}")


if __name__ == "__main__":
    main()
