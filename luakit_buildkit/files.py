"""Files the BuildKit client writes for the user (`--metadata-file`, a local cache's index): atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write `path` through a temporary file beside it, renamed over it: a reader (another build,
    buildctl) never sees half a file, and a failed write leaves the old one."""
    fd, tmp = tempfile.mkstemp(dir=path.resolve().parent, prefix=".luakit-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
