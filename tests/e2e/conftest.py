"""The end-to-end tests' marker: every test in tests/e2e gets ``e2e`` (deselect with
``-m "not e2e"``). Their daemon and registry fixtures (``buildkit``, ``registry``,
``busybox_ref``) are in tests/conftest.py, shared with the editor tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: builds on a real BuildKit daemon (tests/e2e)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent == E2E_DIR or E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)
