"""Path rules shared by file actions and mounts (llb's normalizePath)."""

from __future__ import annotations

import posixpath


def absolute(path: str, base: str = "/", keep_slash: bool = False) -> str:
    """`path` made absolute against `base` and cleaned; optionally keep a trailing `/` or `/.`."""
    joined = path if path.startswith("/") else posixpath.join(base or "/", path)
    if not joined.startswith("/") or "//" in joined or "/." in joined or joined.endswith("/"):
        cleaned = posixpath.normpath(joined)
        if cleaned.startswith("//"):
            cleaned = "/" + cleaned.lstrip("/")
    else:  # already clean, as most paths written in scripts are: normpath would return it unchanged
        cleaned = joined
    if keep_slash and cleaned != "/":
        if path.endswith("/."):
            cleaned += "/."
        elif path.endswith("/"):
            cleaned += "/"
    return cleaned
