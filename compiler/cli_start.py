"""The `luakit` command's entry point (pyproject.toml's console script): `compiler.cli.main`,
with the cyclic garbage collector turned off before the command's modules are imported.

`luakit` is a short-lived process building one acyclic graph, where the collector only
costs time (`main` keeps it off for the evaluation too: it makes large graphs superlinear).
Importing argparse and the compiler allocates enough objects to run it dozens of times
before `main` starts: ~4 million instructions, 7% of the Python floor, of each start
(docs/performance.md#cold-start). Turning it off at the top of `compiler.cli` would do the
same, but as a side effect of importing that module; this one is imported by nothing else.
"""

import gc

gc.disable()

from compiler.cli import main  # noqa: E402 - after the collector is off: the point of this module

__all__ = ["main"]
