"""Fixtures for the end-to-end tests: a real BuildKit daemon and a local registry.

Every test in tests/e2e gets the ``e2e`` marker (deselect with ``-m "not e2e"``).
The session-scoped ``buildkit`` fixture installs what is missing (see
scripts/buildkit_harness.py), starts a private registry + buildkitd, pushes a busybox
base image and stops everything at the end of the session. With ``BUILDKIT_HOST`` set it
uses that daemon instead (no registry then, unless LUAKIT_E2E_REGISTRY is set: tests
needing one skip).

When the daemon cannot be started the tests skip -- except when ``CI`` is set: then they
fail, so that the e2e suite can never be skipped silently in CI.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
SCRIPTS_DIR = E2E_DIR.parents[1] / "scripts"
if str(SCRIPTS_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPTS_DIR))

import buildkit_harness  # noqa: E402

if str(E2E_DIR) not in sys.path:
    sys.path.insert(0, str(E2E_DIR))

_started: list[buildkit_harness.BuildKit] = []


from availability import unavailable  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: builds on a real BuildKit daemon (tests/e2e)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent == E2E_DIR or E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def buildkit() -> Iterator[buildkit_harness.BuildKit]:
    """A started :class:`buildkit_harness.BuildKit` with ``busybox_ref`` pushed (own daemon)."""
    try:
        if os.environ.get("BUILDKIT_HOST"):
            buildkit_harness.ensure_buildkit()  # only buildctl is needed
        else:
            buildkit_harness.ensure_installed()
    except Exception as e:  # noqa: BLE001 - reported via skip/fail
        unavailable(f"cannot install the BuildKit harness dependencies: {e}")
    bk = buildkit_harness.BuildKit()
    try:
        bk.start()
    except Exception as e:  # noqa: BLE001
        bk.close()
        unavailable(f"cannot start BuildKit: {e}")
    _started.append(bk)
    try:
        yield bk
    finally:
        bk.close()


@pytest.fixture(scope="session")
def registry(buildkit: buildkit_harness.BuildKit) -> str:
    """``"127.0.0.1:<port>"`` of the harness's registry; skips in ``BUILDKIT_HOST`` mode."""
    if buildkit.registry is None:
        unavailable("no local registry: BUILDKIT_HOST points at an external daemon and LUAKIT_E2E_REGISTRY is unset")
    return buildkit.registry


@pytest.fixture(scope="session")
def busybox_ref(buildkit: buildkit_harness.BuildKit, registry: str) -> str:
    """``<registry>/busybox:latest``."""
    assert buildkit.busybox_ref is not None
    return buildkit.busybox_ref


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    for bk in _started:
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in bk.timings.items())
        terminalreporter.write_line(f"buildkit harness ({buildkit_harness.BUILDKIT_VERSION}, {bk.addr}): {timings}")
