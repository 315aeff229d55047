"""Starting an evaluation worker's process, with nothing heavier than `subprocess`.

A worker (`compiler.isolated.Worker`) is a new Python that imports the compiler and
then evaluates one request at a time. Its start is the longest wait before an
editor's first diagnostics, so the language server begins it as soon as it has
answered `initialize` (`LuakitServer.start_first_worker`), before it loads the
scheduler and the compiler itself, and hands the process to its scheduler once that
has loaded (`Worker(memory_limit, started)`). This module imports nothing that
pygls has not loaded already, so that start waits for no import.

Why a plain `subprocess` and not multiprocessing's spawn: starting through
multiprocessing cost the parent its imports (~40-65 ms of CPU: pickle, ctypes,
tempfile, its shared-memory heap), started a second Python at once (its resource
tracker) competing with the worker for the two cores, and had each worker run the
parent's main script again. Here the parent only makes a socket pair and a small
shared file; the child wraps its end in a multiprocessing `Connection` (the same
pickled messages as before) and imports the compiler itself.
"""

from __future__ import annotations

import mmap
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

# Where the evaluation was last seen running, written by the child at each look of its
# count hook, read by the parent once it had to kill the child (stuck inside one C
# call, the child can no longer say): the chunk name (NUL-padded), then the line.
SEEN_CHUNK_SIZE = 256
SEEN_SIZE = SEEN_CHUNK_SIZE + 8

# The child's program. Its arguments: its socket's and the shared file's descriptors, its
# memory limit, the parent's pid, then the parent's `sys.path`, which it takes before it
# imports anything (as multiprocessing's spawn does): the same modules are found (a
# source checkout, an editable install), and nothing from the workspace folder it runs in.
CHILD = "import sys; sys.path[:] = sys.argv[5:]; from compiler.worker_start import serve_child; serve_child()"


@dataclass(frozen=True)
class Started:
    """A worker process that has been started, and how to talk to it."""

    memory_limit: int  # the address-space cap the process was started with
    process: subprocess.Popen[bytes]
    sock: socket.socket  # the parent's end of the pair (`Worker` wraps it in a Connection)
    seen: mmap.mmap  # shared with the child: see `SEEN_SIZE`


def start_process(memory_limit: int) -> Started:
    """Start a worker process (a new Python, never a fork of a threaded server).

    The child asks for SIGKILL when the *thread* that started it ends (Linux's
    parent-death signal), so call this on a thread that lives as long as the process:
    `compiler.isolated.on_process_thread`, or the main thread at start-up.
    """
    parent_end, child_end = socket.socketpair()
    seen_fd = _shared_file(SEEN_SIZE)
    try:
        seen = mmap.mmap(seen_fd, SEEN_SIZE)
        arguments = [str(child_end.fileno()), str(seen_fd), str(memory_limit), str(os.getpid()), *sys.path]
        process = subprocess.Popen(
            [sys.executable, "-c", CHILD, *arguments], stdin=subprocess.DEVNULL, pass_fds=(child_end.fileno(), seen_fd)
        )
    except BaseException:
        parent_end.close()
        raise
    finally:
        child_end.close()
        os.close(seen_fd)  # the mapping keeps the memory
    return Started(memory_limit, process, parent_end, seen)


def _shared_file(size: int) -> int:
    """A file descriptor of `size` zero bytes that a child can map: memory only where the
    platform has that (Linux), else an unlinked temporary file."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("luakit-worker-seen")
    else:
        import tempfile

        handle, path = tempfile.mkstemp(prefix="luakit-worker-")
        os.unlink(path)
        fd = handle
    os.ftruncate(fd, size)
    return fd


def seen_views(seen: mmap.mmap) -> tuple[Any, Any]:
    """The chunk name (a ctypes char array: `.value` is bytes) and the line (`.value` is an
    int) inside the shared mapping, for the child to write and the parent to read."""
    import ctypes

    chunk = (ctypes.c_char * SEEN_CHUNK_SIZE).from_buffer(seen)
    line = ctypes.c_int.from_buffer(seen, SEEN_CHUNK_SIZE)
    return chunk, line


def serve_child() -> None:
    """The child's main (see `CHILD`)."""
    from multiprocessing.connection import Connection

    from compiler.isolated import serve

    sock_fd, seen_fd, memory_limit, parent = (int(arg) for arg in sys.argv[1:5])
    seen = mmap.mmap(seen_fd, SEEN_SIZE)
    os.close(seen_fd)
    chunk, line = seen_views(seen)
    serve(Connection(sock_fd), memory_limit, parent, chunk, line)
