"""Starting an evaluation worker's process, without importing the compiler here.

A worker (`compiler.isolated.Worker`) is a spawned Python that imports the compiler
and then evaluates one request at a time. Its start is the longest wait before an
editor's first diagnostics, so the language server begins it as the very first thing
it does (luakit_ls/__main__.py), before pygls and lsprotocol load, and hands the
process to its scheduler once that has loaded (`Worker(memory_limit, started)`).
Importing `compiler.isolated` there first would cost the server ~0.1-0.15 s of
imports (the evaluator's modules) before it could answer `initialize`; this module
imports only multiprocessing, and the child imports the compiler on its own core.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

SEEN_CHUNK_SIZE = 256  # bytes kept of the chunk name the evaluation was last seen in


@dataclass(frozen=True)
class Started:
    """A worker process that has been started, and how to talk to it."""

    memory_limit: int  # the address-space cap the process was started with
    process: BaseProcess
    conn: Connection  # the parent's end of the pipe
    # Where the evaluation was last seen running, written by the child at each look
    # of its count hook (shared memory, readable after the child was killed).
    seen_chunk: Any
    seen_line: Any


def start_process(memory_limit: int) -> Started:
    """Start a worker process (spawned: a new Python, never a fork of a threaded server).

    The child asks for SIGKILL when the *thread* that started it ends (Linux's
    parent-death signal), so call this on a thread that lives as long as the process:
    `compiler.isolated.on_process_thread`, or the main thread at start-up.
    """
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    # Unlocked: only read once the child is dead.
    seen_chunk = context.Array("c", SEEN_CHUNK_SIZE, lock=False)
    seen_line = context.Value("i", 0, lock=False)
    process = context.Process(
        target=_serve, args=(child, memory_limit, os.getpid(), seen_chunk, seen_line), daemon=True
    )
    process.start()
    child.close()
    return Started(memory_limit, process, conn, seen_chunk, seen_line)


def _serve(*args: Any) -> None:
    """In the child: import the compiler and evaluate what the parent sends."""
    from compiler.isolated import serve

    serve(*args)
