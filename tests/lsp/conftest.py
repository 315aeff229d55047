"""Fixtures shared by the end-to-end tests of the language server."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _short_folder() -> Path:
    # Short on purpose: Lua shortens long chunk names in its messages (see
    # test_diagnostics.py's test of long paths), and pytest's tmp_path grows.
    return Path(tempfile.mkdtemp(prefix="lk-", dir="/tmp"))


@pytest.fixture
def folder() -> Iterator[Path]:
    """A new folder with a short path, for scripts and modules on disk."""
    path = _short_folder()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def module_folder() -> Iterator[Path]:
    path = _short_folder()
    yield path
    shutil.rmtree(path, ignore_errors=True)
