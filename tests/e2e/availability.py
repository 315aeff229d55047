"""What e2e tests do when something they need is missing: skip on a laptop, fail in CI."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Skip with ``reason`` -- or fail when running in CI, where e2e must not be skipped."""
    if in_ci():
        pytest.fail(f"e2e unavailable in CI (CI={os.environ['CI']!r}): {reason}", pytrace=False)
    pytest.skip(reason)
