"""`luakit-ls` and `python -m luakit_ls`: start the language server.

This module, not `luakit_ls.server`, is the main script, and it imports nothing
until it runs. The evaluation workers were multiprocessing's spawned processes, which
first run their parent's main script again ("safe importing of the main module" in
the multiprocessing documentation): were that `luakit_ls.server`, every worker
would import pygls and lsprotocol (~0.3-0.5 s, more than the compiler) before it
could evaluate. They are plain subprocesses now (compiler/worker_start.py), which run
no main script of ours, but this stays so for any process that would.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing: this module imports nothing
if TYPE_CHECKING:
    from collections.abc import Callable


def main(argv: list[str] | None = None) -> None:
    load_server()(argv)


def load_server() -> Callable[[list[str] | None], None]:
    """Import the server (pygls, lsprotocol and the wiring of luakit_ls.server); its `main`."""
    import gc

    # No garbage collection while the server's modules load: importing lsprotocol's
    # types builds ~570 attrs classes, ~100,000 objects that all live as long as the
    # process, and the collector ran ~125 times over them (one full collection among
    # them) for nothing to free: ~11% of the import's CPU time, before `initialize` can
    # be answered. Frozen, they stay out of every later collection's walk; the server
    # then runs with the collector on, as before.
    gc.disable()
    try:
        from luakit_ls.server import main as serve
    finally:
        gc.freeze()
        gc.enable()
    return serve


if __name__ == "__main__":
    main()
