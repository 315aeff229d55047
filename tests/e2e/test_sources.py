"""Sources end to end: bk.local_, bk.git, bk.http, bk.image and pushing to a registry.

Every source is served on loopback by something this module starts (a git daemon, an
http.server thread) or by the harness registry; each server is stopped in a finalizer.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import platform
import shutil
import stat
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from buildkit_harness import free_port
from scenario import scenario
from servers import git, start_git_daemon, stop

HOST_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower(), platform.machine().lower()
)
OTHER_ARCH = "arm64" if HOST_ARCH == "amd64" else "amd64"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


# =========================================================================== bk.local_


def test_local_include_exclude_and_shared_key_hint(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """
        local src = bk.local_("context", {
          include = { "src/", "*.toml" },
          exclude = { "src/**/*_test.go", "src/vendor" },
          shared_key_hint = "luakit-e2e-src",
        })
        bk.export(bk.scratch():copy(src, "/", "/app"))
        """,
        files={
            "Cargo.toml": "[package]\n",
            "README.md": "not included\n",
            "secret.env": "TOKEN=1\n",
            "src/main.go": "package main\n",
            "src/lib/util.go": "package lib\n",
            "src/lib/util_test.go": "package lib // test\n",
            "src/vendor/dep.go": "package dep\n",
            "docs/guide.md": "not included\n",
        },
    )
    app = result.out / "app"
    got = sorted(str(p.relative_to(app)) for p in app.rglob("*") if p.is_file())
    assert got == ["Cargo.toml", "src/lib/util.go", "src/main.go"]
    assert (app / "src/main.go").read_text() == "package main\n"


def test_local_follow_paths(buildkit, tmp_path):
    """`follow_paths` transfers the target of an included symlink; without it only the link comes."""
    files = {"real/target.txt": "the target\n", "other/unrelated.txt": "x\n"}

    def run(sub: str, opts: str) -> Path:
        d = tmp_path / sub
        d.mkdir()
        (d / "context").mkdir()
        os.symlink("real/target.txt", d / "context" / "link")
        result = scenario(
            buildkit,
            d,
            f"""
            local src = bk.local_("context", {opts})
            bk.export(bk.scratch():copy(src, "/", "/ctx", {{ follow_symlink = false }}))
            """,
            files=files,
        )
        return result.out / "ctx"

    followed = run("followed", '{ include = { "link" }, follow_paths = { "link" } }')
    assert (followed / "link").is_symlink()
    assert os.readlink(followed / "link") == "real/target.txt"
    assert (followed / "real" / "target.txt").read_text() == "the target\n"
    assert not (followed / "other").exists()

    plain = run("plain", '{ include = { "link" } }')
    assert (plain / "link").is_symlink()
    assert not (plain / "real").exists(), "without follow_paths the symlink target must not be transferred"


def test_second_named_local(buildkit, tmp_path):
    other = tmp_path / "other-dir"
    (other / "conf").mkdir(parents=True)
    (other / "conf" / "app.conf").write_text("port=8080\n")
    result = scenario(
        buildkit,
        tmp_path,
        """
        local ctx = bk.local_("context")
        local other = bk.local_("other")
        local st = bk.image(bk.arg("BASE"))
          :copy(ctx, "main.txt", "/data/main.txt")
          :copy(other, "conf/app.conf", "/data/app.conf")
          :run("cat /data/main.txt /data/app.conf > /data/both.txt")
        bk.export(st)
        """,
        files={"main.txt": "from context\n"},
        contexts={"other": other},
    )
    assert (result.out / "data/both.txt").read_text() == "from context\nport=8080\n"


# =========================================================================== bk.git


@dataclass
class GitServer:
    url: str  # git://127.0.0.1:PORT/repo.git
    first: str  # sha of the tagged commit (v1)
    second: str  # sha of main's tip
    feature: str  # sha of the feature branch tip


@pytest.fixture(scope="module")
def git_server(tmp_path_factory) -> Iterator[GitServer]:
    root = tmp_path_factory.mktemp("git")
    work = root / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "VERSION").write_text("1\n")
    (work / "docs").mkdir()
    (work / "docs" / "guide.md").write_text("guide v1\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    git(work, "tag", "v1")
    first = git(work, "rev-parse", "HEAD")
    (work / "VERSION").write_text("2\n")
    (work / "docs" / "guide.md").write_text("guide v2\n")
    (work / "NEW").write_text("added in the second commit\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "second")
    second = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "-b", "feature", first)
    (work / "FEATURE").write_text("feature branch\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "feature")
    feature = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "main")

    served = root / "served"
    served.mkdir()
    git(root, "clone", "-q", "--bare", str(work), str(served / "repo.git"))
    git(served / "repo.git", "config", "uploadpack.allowAnySHA1InWant", "true")

    port = free_port()
    proc = start_git_daemon(served, port)
    try:
        yield GitServer(f"git://127.0.0.1:{port}/repo.git", first, second, feature)
    finally:
        stop(proc)


def _git_tree(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): p.read_text()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(out).parts
    }


def test_git_ref_selects_branch_tag_and_commit(buildkit, tmp_path, git_server):
    url = git_server.url
    cases = {
        "tag": ("v1", {"VERSION": "1\n", "docs/guide.md": "guide v1\n"}),
        "branch": (
            "main",
            {"VERSION": "2\n", "docs/guide.md": "guide v2\n", "NEW": "added in the second commit\n"},
        ),
        "other-branch": (
            "feature",
            {"VERSION": "1\n", "docs/guide.md": "guide v1\n", "FEATURE": "feature branch\n"},
        ),
        "commit": (git_server.first, {"VERSION": "1\n", "docs/guide.md": "guide v1\n"}),
    }
    # One build, four checkouts side by side.
    copies = "\n".join(
        f'st = st:copy(bk.git("{url}", {{ ref = "{ref}" }}), "/", "/{name}")' for name, (ref, _) in cases.items()
    )
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        local st = bk.scratch()
        {copies}
        st = st:copy(bk.git("{url}"), "/", "/default")
        bk.export(st)
        """,
    )
    for name, (_, expected) in cases.items():
        assert _git_tree(result.out / name) == expected, name
    # No ref: the remote's default branch (HEAD -> main).
    assert _git_tree(result.out / "default") == cases["branch"][1]
    # Without keep_git_dir BuildKit drops .git.
    for name in [*cases, "default"]:
        assert not (result.out / name / ".git").exists(), name


def test_git_keep_git_dir(buildkit, tmp_path, git_server):
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        local repo = bk.git("{git_server.url}", {{ ref = "main", keep_git_dir = true }})
        local st = bk.image(bk.arg("BASE"))
          :copy(repo, "/", "/src")
          :run("ls -a /src > /listing.txt")
        bk.export(bk.scratch():copy(repo, "/", "/repo"):copy(st, "/listing.txt", "/listing.txt"))
        """,
    )
    repo = result.out / "repo"
    assert (repo / ".git").is_dir()
    assert (repo / "VERSION").read_text() == "2\n"
    assert ".git" in (result.out / "listing.txt").read_text().split()
    # The kept .git is a usable repository checked out at main's tip.
    head = subprocess.run(
        ["git", "-c", f"safe.directory={repo}", "rev-parse", "HEAD"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert head == git_server.second


def test_git_subdir(buildkit, tmp_path, git_server):
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        bk.export(bk.git("{git_server.url}", {{ ref = "v1", subdir = "docs" }}))
        """,
    )
    assert _git_tree(result.out) == {"guide.md": "guide v1\n"}
    assert not (result.out / "VERSION").exists()


def test_git_checksum(buildkit, tmp_path, git_server):
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    good = scenario(
        buildkit,
        tmp_path / "good",
        f"""
        bk.export(bk.git("{git_server.url}", {{ ref = "v1", checksum = "{git_server.first}" }}))
        """,
    )
    assert (good.out / "VERSION").read_text() == "1\n"

    bad = scenario(
        buildkit,
        tmp_path / "bad",
        f"""
        bk.export(bk.git("{git_server.url}", {{ ref = "main", checksum = "{git_server.first}" }}))
        """,
        check=False,
    )
    assert bad.build.returncode != 0
    expected = f"expected checksum to match {git_server.first}, got {git_server.second}"
    assert expected in bad.build.stderr, bad.build.stderr[-2000:]


# =========================================================================== bk.http


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


@dataclass
class HTTPServer:
    base: str  # http://127.0.0.1:PORT
    root: Path  # files served from here
    requests: list[str]

    def put(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        return f"{self.base}/{name}"


@pytest.fixture(scope="module")
def http_server(tmp_path_factory) -> Iterator[HTTPServer]:
    root = tmp_path_factory.mktemp("http")
    requests: list[str] = []

    class Handler(_QuietHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, name="e2e-http", daemon=True)
    thread.start()
    try:
        yield HTTPServer(f"http://127.0.0.1:{server.server_address[1]}", root, requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_http_checksum_filename_chmod(buildkit, tmp_path, http_server):
    data = b"#!/bin/sh\necho tool-ok\n"
    url = http_server.put("tool-1.0.sh", data)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        local plain = bk.http("{url}")
        local named = bk.http("{url}", {{ checksum = "{digest}", filename = "tool", chmod = "0755" }})
        local ran = bk.image(bk.arg("BASE"))
          :copy(named, "tool", "/usr/local/bin/tool")
          :run("tool > /tool.out")
        bk.export(bk.scratch()
          :copy(plain, "/", "/plain")
          :copy(named, "/", "/named")
          :copy(ran, "/tool.out", "/tool.out"))
        """,
    )
    assert "/tool-1.0.sh" in http_server.requests
    # filename: the default comes from the URL, the option renames it.
    assert sorted(p.name for p in (result.out / "plain").iterdir()) == ["tool-1.0.sh"]
    assert sorted(p.name for p in (result.out / "named").iterdir()) == ["tool"]
    assert (result.out / "named" / "tool").read_bytes() == data
    # chmod: BuildKit's default is 0600; "0755" makes it executable.
    assert _mode(result.out / "plain" / "tool-1.0.sh") == 0o600
    assert _mode(result.out / "named" / "tool") == 0o755
    assert (result.out / "tool.out").read_text() == "tool-ok\n"


def test_http_wrong_checksum_fails(buildkit, tmp_path, http_server):
    url = http_server.put("payload.bin", b"the real payload\n")
    wrong = "sha256:" + hashlib.sha256(b"something else").hexdigest()
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        bk.export(bk.http("{url}", {{ checksum = "{wrong}" }}))
        """,
        check=False,
    )
    assert result.build.returncode != 0
    actual = "sha256:" + hashlib.sha256(b"the real payload\n").hexdigest()
    assert f"digest mismatch {actual}: {wrong}" in result.build.stderr, result.build.stderr[-2000:]
    assert not (result.out / "payload.bin").exists()


# =========================================================================== bk.image


def test_image_from_local_registry_with_platform_and_resolve_mode(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        local base = bk.arg("BASE")
        local a = bk.image(base, {{ platform = "linux/{HOST_ARCH}", resolve_mode = "pull" }})
        local b = bk.image(base, {{ platform = bk.platform("linux", "{HOST_ARCH}") }})
        local c = bk.image(base, {{
          platform = {{ os = "linux", arch = "{HOST_ARCH}" }}, resolve_mode = "local",
        }})
        local st = a:run("uname -m > /a.txt")
          :copy(b:run("ls /bin/busybox > /b.txt"), "/b.txt", "/b.txt")
          :copy(c:run("cat /etc/passwd > /c.txt"), "/c.txt", "/c.txt")
        bk.export(st)
        """,
    )
    assert (result.out / "a.txt").read_text().strip() == platform.machine()
    assert (result.out / "b.txt").read_text() == "/bin/busybox\n"
    assert "nobody:x:65534" in (result.out / "c.txt").read_text()
    assert (result.out / "bin" / "busybox").is_file()


@pytest.fixture(scope="module")
def multiarch_ref(buildkit, registry) -> str:
    """An image index with a linux/amd64 and a linux/arm64 image (COPY only, so no emulation
    is needed), each holding /arch.txt naming its architecture."""
    dockerfile = "FROM scratch\nARG TARGETARCH\nCOPY arch-${TARGETARCH}.txt /arch.txt\n"
    ref = f"{registry}/luakit-multiarch:1"
    buildkit.build_dockerfile(
        dockerfile,
        {"arch-amd64.txt": "amd64\n", "arch-arm64.txt": "arm64\n"},
        output=buildkit.push_output(ref),
        opts={"platform": "linux/amd64,linux/arm64"},
    )
    return ref


def test_image_platform_selects_from_index(buildkit, tmp_path, multiarch_ref):
    """`platform` picks the matching image of a multi-platform index (the busybox image has a
    single manifest, which BuildKit uses whatever platform is asked for)."""
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        local img = "{multiarch_ref}"
        local st = bk.scratch()
          :copy(bk.image(img, {{ platform = "linux/{OTHER_ARCH}" }}), "/arch.txt", "/other.txt")
          :copy(bk.image(img, {{ platform = bk.platform("linux/{HOST_ARCH}") }}), "/arch.txt", "/host.txt")
          :copy(bk.image(img), "/arch.txt", "/default.txt")
        bk.export(st)
        """,
    )
    assert (result.out / "other.txt").read_text() == f"{OTHER_ARCH}\n"
    assert (result.out / "host.txt").read_text() == f"{HOST_ARCH}\n"
    # No platform: the build's target platform, i.e. the daemon's (host) platform.
    assert (result.out / "default.txt").read_text() == f"{HOST_ARCH}\n"


# =========================================================================== export to a registry


def test_export_pushes_image_to_registry(buildkit, registry, tmp_path):
    ref = f"{registry}/luakit-test:x"
    result = scenario(
        buildkit,
        tmp_path,
        """
        local st = bk.image(bk.arg("BASE"))
          :run("mkdir -p /app && echo pushed > /app/marker.txt")
          :mkfile("/app/run.sh", "#!/bin/sh\\necho run\\n", { mode = "0755" })
        bk.export(st)
        """,
        output=buildkit.push_output(ref),
    )
    assert result.build.returncode == 0
    manifest = buildkit.image_manifest(ref)
    config = buildkit.image_config(ref)
    assert config["os"] == "linux"
    assert config["architecture"] == HOST_ARCH
    assert config["rootfs"]["type"] == "layers"
    assert len(config["rootfs"]["diff_ids"]) == len(manifest["layers"]) >= 2

    files = buildkit.image_files(ref, tmp_path / "rootfs")
    assert (files / "app" / "marker.txt").read_text() == "pushed\n"
    assert (files / "app" / "run.sh").read_text() == "#!/bin/sh\necho run\n"
    assert _mode(files / "app" / "run.sh") == 0o755
    assert (files / "bin" / "busybox").is_file()
    shutil.rmtree(files)
