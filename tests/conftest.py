"""Settings and fixtures for every test.

luakit commands never ask a registry unless a test says so. Offline, a lookup would
add a warning to every script naming an image; online (Docker Hub reachable), it
would pin digests that change under the goldens. The scenarios that test resolution
remove LUAKIT_NO_RESOLVE from their commands' environment.

The real BuildKit daemon and its registry are session fixtures here, not in
tests/e2e, because the editor tests (tests/lsp/test_neovim.py's `:LuakitBuild`) build
on it too: one definition, so a run of the whole suite starts one daemon. The
``buildkit`` fixture installs what is missing (scripts/buildkit_harness.py), starts a
private registry + buildkitd, pushes a busybox base image and stops everything at the
end of the session. With ``BUILDKIT_HOST`` set it uses that daemon instead (no registry
then, unless LUAKIT_E2E_REGISTRY is set: tests needing one skip). When the daemon cannot
be started the tests skip -- except when ``CI`` is set: then they fail
(tests/e2e/availability.py), so that they can never be skipped silently in CI.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["LUAKIT_NO_RESOLVE"] = "1"

TESTS_DIR = Path(__file__).resolve().parent
for helpers in (TESTS_DIR.parent / "scripts", TESTS_DIR / "e2e"):  # the harness; the e2e suite's helpers
    if str(helpers) not in sys.path:
        sys.path.insert(0, str(helpers))

import buildkit_harness  # noqa: E402
from availability import unavailable  # noqa: E402

_started: list[buildkit_harness.BuildKit] = []


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
