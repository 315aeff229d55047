"""`luakit-ls` and `python -m luakit_ls`: start the language server.

This module, not `luakit_ls.server`, is the main script, and it imports nothing
until it runs. The evaluation workers are spawned processes, and a spawned process
first runs its parent's main script again ("safe importing of the main module" in
the multiprocessing documentation): were that `luakit_ls.server`, every worker
would import pygls and lsprotocol (~0.3-0.5 s, more than the compiler) before it
could evaluate, and the first diagnostics of an opened file would wait for it
(bench/lsp.py measures them; docs/performance.md).
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    from luakit_ls.server import main as serve

    serve(argv)


if __name__ == "__main__":
    main()
