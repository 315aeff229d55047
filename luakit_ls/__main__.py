"""`luakit-ls` and `python -m luakit_ls`: start the language server.

This module, not `luakit_ls.server`, is the main script, and it imports nothing
until it runs. The evaluation workers are spawned processes, and a spawned process
first runs its parent's main script again ("safe importing of the main module" in
the multiprocessing documentation): were that `luakit_ls.server`, every worker
would import pygls and lsprotocol (~0.3-0.5 s, more than the compiler) before it
could evaluate, and the first diagnostics of an opened file would wait for it
(bench/lsp.py measures them; docs/performance.md).

Start-up, in order: the arguments; the first evaluation worker's process, started
before anything else loads (its Python imports the compiler on the other core while
this one imports pygls and lsprotocol); then the server, which answers `initialize`
and hands that process to its scheduler once it has loaded (`LuakitServer.load`).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing: this module imports nothing
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from compiler.worker_start import Started


def main(argv: list[str] | None = None) -> None:
    options = arguments(argv)  # --help and --version end here, before anything starts
    first_worker = start_first_worker()
    serve = load_server()
    serve(options, first_worker)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    import argparse

    from luakit_ls import __version__

    parser = argparse.ArgumentParser(prog="luakit-ls", description="The luakit language server.")
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead (for debugging)")
    parser.add_argument("--version", action="version", version=f"luakit-ls {__version__}")
    options = parser.parse_args(argv)
    if options.tcp and not options.tcp.rpartition(":")[2].isdigit():
        parser.error(f"--tcp: '{options.tcp}' must be HOST:PORT")
    return options


def start_first_worker() -> Started:
    """The process of the first evaluation worker, with the default memory limit (the settings
    that could ask for another come with `initialize`; the scheduler then starts another).

    Its start (a new Python importing the compiler, 0.1-0.25 s) is what the first diagnostics
    of an opened file wait for longest; begun here, it runs while this process loads the LSP
    libraries, instead of after the answer to `initialize`. Started on the main thread, which
    lives as long as the server: the worker's parent-death signal fires only when the server dies.
    """
    from compiler.worker_start import start_process
    from luakit_ls.settings import Settings

    return start_process(Settings().memory_limit_mib * 1024 * 1024)


def load_server() -> Callable[[argparse.Namespace, Started | None], None]:
    """Import the server (pygls, lsprotocol and the wiring of luakit_ls.server); its `serve`."""
    import gc

    # No garbage collection while the server's modules load: importing lsprotocol's
    # types builds ~570 attrs classes, ~100,000 objects that all live as long as the
    # process, and the collector ran ~125 times over them (one full collection among
    # them) for nothing to free: ~11% of the import's CPU time, before `initialize` can
    # be answered. Frozen, they stay out of every later collection's walk; the server
    # then runs with the collector on, as before.
    gc.disable()
    try:
        from luakit_ls.server import serve
    finally:
        gc.freeze()
        gc.enable()
    return serve


if __name__ == "__main__":
    main()
