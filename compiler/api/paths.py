"""Path rules shared by file actions and mounts (llb's normalizePath)."""

from __future__ import annotations

import posixpath


def absolute(path: str, base: str = "/", keep_slash: bool = False) -> str:
    """`path` made absolute against `base` and cleaned; optionally keep a trailing `/` or `/.`."""
    joined = path if path.startswith("/") else posixpath.join(base or "/", path)
    cleaned = posixpath.normpath(joined)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if keep_slash and cleaned != "/":
        if path.endswith("/."):
            cleaned += "/."
        elif path.endswith("/"):
            cleaned += "/"
    return cleaned
