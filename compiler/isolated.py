"""Evaluation in a separate process, for hosts that must survive any script.

The in-process limits (a count hook and Lua's allocator cap) end almost every
runaway script. A script stuck inside one C call (a pathological string.find,
say) is beyond any hook, so a long-lived host such as the language server runs
evaluations here: a child process that is killed when it outlives its limit.

Only flat, picklable data comes back: problems, logs, the Definition bytes and,
for each API call, the op it produced.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import resource
from dataclasses import dataclass, field

from compiler.errors import Location, Problem
from compiler.evaluate import EvalOptions, ScriptSource, evaluate
from compiler.graph import nodes as g

# Address space allowed to the evaluator beyond its memory limit (interpreter,
# libraries, the marshalled Definition).
ADDRESS_SPACE_HEADROOM = 1024 * 1024 * 1024

# Time given past the script's own timeout before the child is killed.
KILL_GRACE = 2.0


@dataclass(frozen=True)
class CallOp:
    """What one API call produced: the op behind the returned State, if any."""

    function: str
    location: Location | None
    kind: str | None  # "source", "exec", ... or None (scratch, mounts, platforms)
    digest: str | None
    platform: str | None


@dataclass
class Report:
    problems: list[Problem]
    logs: list[tuple[Location | None, str]]
    definition: bytes | None
    export_config: dict | None
    calls: list[CallOp] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def report(script: ScriptSource, options: EvalOptions) -> Report:
    """Evaluate in this process and flatten the result."""
    evaluation = evaluate(script, options)
    definition = evaluation.definition_bytes() if evaluation.ok and evaluation.export else None
    calls = []
    for call in evaluation.calls:
        node = call.value.ref.node if isinstance(call.value, g.State) and call.value.ref else None
        calls.append(
            CallOp(
                call.function,
                call.location,
                node.kind if node is not None else None,
                evaluation.node_digest(node) if node is not None else None,
                str(node.platform) if node is not None and node.platform else None,
            )
        )
    config = evaluation.export.config if evaluation.export else None
    return Report(list(evaluation.problems), list(evaluation.logs), definition, config, calls)


def _child(conn: multiprocessing.connection.Connection, script: ScriptSource, options: EvalOptions) -> None:
    # A backstop for memory the Lua allocator does not see (Python-side graph
    # data is also charged against the limit, so this is rarely reached).
    resource.setrlimit(resource.RLIMIT_AS, (options.memory_limit + ADDRESS_SPACE_HEADROOM,) * 2)
    gc.disable()  # one short evaluation of an acyclic graph, as in the CLI
    try:
        conn.send(report(script, options))
    finally:
        conn.close()


def evaluate_isolated(script: ScriptSource, options: EvalOptions | None = None) -> Report:
    """Like `report`, in a child process that is killed if it outlives the timeout."""
    options = options or EvalOptions()
    if options.on_print is not None:
        raise ValueError("on_print cannot cross the process boundary; read Report.logs")
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, script, options), daemon=True)
    process.start()
    child.close()
    try:
        if parent.poll(options.timeout + KILL_GRACE):
            try:
                return parent.recv()
            except EOFError:  # the child died without an answer
                process.join(1)
                message = f"{script.name}: evaluation failed (the evaluator exited with {process.exitcode})"
        else:
            message = f"{script.name}: script evaluation timed out after {options.timeout:g}s"
    finally:
        process.kill()
        process.join()
        parent.close()
    return Report([Problem(message, None, "limit")], [], None, None)
