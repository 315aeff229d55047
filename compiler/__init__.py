"""luakit's compiler core: a Lua build script in, a BuildKit pb.Definition out.

The public entry points are re-exported here:

- `evaluate(script, options)` runs a script in the sandbox and returns an `Evaluation`
  (the graph, the export, every problem found, and what each API call produced);
- `Evaluation.definition_bytes()` marshals the export to `pb.Definition` bytes.

They are imported on first use: the language server reads scripts with
`compiler.lua` (the Lua lexer) on its event loop while it loads the evaluator on
another thread, and importing `compiler.lua` must not start a second import of
the evaluator's modules there (two threads importing the same modules in a
different order deadlock).

Nothing in this package knows about editors or BuildKit daemons.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from compiler.errors import Location, Problem
    from compiler.evaluate import EvalOptions, Evaluation, ScriptSource, evaluate
    from compiler.llb.marshal import marshal_state

__all__ = [
    "EvalOptions",
    "Evaluation",
    "Location",
    "Problem",
    "ScriptSource",
    "evaluate",
    "marshal_state",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """The entry points, bound here on the first use of any of them."""
    if name not in __all__:
        raise AttributeError(f"module 'compiler' has no attribute {name!r}")
    from compiler.errors import Location, Problem
    from compiler.evaluate import EvalOptions, Evaluation, ScriptSource, evaluate
    from compiler.llb.marshal import marshal_state

    # Importing the module compiler.evaluate bound that module to the name `evaluate`
    # here; the function of that name is what the package exports.
    globals().update(
        EvalOptions=EvalOptions,
        Evaluation=Evaluation,
        Location=Location,
        Problem=Problem,
        ScriptSource=ScriptSource,
        evaluate=evaluate,
        marshal_state=marshal_state,
    )
    return globals()[name]
