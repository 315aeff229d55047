"""luakit's compiler core: a Lua build script in, a BuildKit pb.Definition out.

The public entry points are re-exported here:

- `evaluate(script, options)` runs a script in the sandbox and returns an `Evaluation`
  (the graph, the export, every problem found, and what each API call produced);
- `Evaluation.definition_bytes()` marshals the export to `pb.Definition` bytes.

Nothing in this package knows about editors or BuildKit daemons.
"""

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
