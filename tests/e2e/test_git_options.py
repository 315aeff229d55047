"""bk.git options end to end: skip_submodules, auth_token_secret / auth_header_secret, known_ssh_hosts + mount_ssh_sock.

Every server runs on 127.0.0.1 and is started by this module: a `git daemon` (submodules),
`git http-backend` behind a stdlib HTTP server that demands an ``Authorization`` header, and
a private `sshd` + `ssh-agent`. Each is stopped in a finalizer. BuildKit runs git (and ssh)
on the daemon's host, so loopback is reachable from the git source.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from availability import unavailable
from buildkit_harness import free_port
from scenario import scenario
from servers import git, start_git_daemon, stop, wait_port

# --------------------------------------------------------------------------- helpers


def _bare_repo(root: Path, name: str, files: dict[str, str]) -> Path:
    """A bare repo ``root/name`` with one commit on ``main`` holding ``files``."""
    work = root / f"{name}.work"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    for rel, text in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", f"{name}: initial")
    bare = root / name
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    git(bare, "config", "uploadpack.allowAnySHA1InWant", "true")
    return bare


def _tree(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): p.read_text()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(out).parts
    }


# =========================================================================== skip_submodules


@dataclass
class SubmoduleServer:
    url: str  # git://127.0.0.1:PORT/super.git, whose "lib" is a submodule


@pytest.fixture(scope="module")
def submodule_server(tmp_path_factory) -> Iterator[SubmoduleServer]:
    root = tmp_path_factory.mktemp("gitsub")
    served = root / "served"
    served.mkdir()
    port = free_port()
    _bare_repo(served, "sub.git", {"lib.txt": "from the submodule\n"})

    work = root / "super.work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README").write_text("superproject\n")
    # The submodule URL is what BuildKit's `git submodule update` fetches: the same daemon.
    git(work, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(served / "sub.git"), "lib")
    git(work, "config", "-f", ".gitmodules", "submodule.lib.url", f"git://127.0.0.1:{port}/sub.git")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "super with submodule")
    git(root, "clone", "-q", "--bare", str(work), str(served / "super.git"))
    git(served / "super.git", "config", "uploadpack.allowAnySHA1InWant", "true")

    proc = start_git_daemon(served, port)
    try:
        yield SubmoduleServer(f"git://127.0.0.1:{port}/super.git")
    finally:
        stop(proc)


def test_git_submodules_checked_out_by_default_and_skipped_on_request(buildkit, tmp_path, submodule_server):
    url = submodule_server.url
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        bk.export(bk.scratch()
          :copy(bk.git("{url}", {{ ref = "main" }}), "/", "/default")
          :copy(bk.git("{url}", {{ ref = "main", skip_submodules = true }}), "/", "/skipped"))
        """,
    )
    default = result.out / "default"
    skipped = result.out / "skipped"
    assert (default / "lib" / "lib.txt").read_text() == "from the submodule\n"
    assert (skipped / "README").read_text() == "superproject\n"
    assert (skipped / ".gitmodules").is_file()
    assert not (skipped / "lib" / "lib.txt").exists(), "skip_submodules = true must not check out the submodule"
    assert not (skipped / "lib").exists() or not any((skipped / "lib").iterdir())


# =========================================================================== HTTP auth secrets


@dataclass
class AuthHTTPServer:
    base: str  # http://127.0.0.1:PORT
    accepted: set[str]  # Authorization values that are let through
    seen: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Authorization) per request

    def authorizations(self, repo: str) -> list[str | None]:
        return [auth for path, auth in self.seen if path.startswith(f"/{repo}/")]


def _read_body(handler: http.server.BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


@pytest.fixture(scope="module")
def auth_http_server(tmp_path_factory) -> Iterator[AuthHTTPServer]:
    """`git http-backend` (smart HTTP) that answers 401 unless Authorization is accepted."""
    root = tmp_path_factory.mktemp("githttp")
    for name in ("token.git", "header.git"):
        _bare_repo(root, name, {"PRIVATE": f"private content of {name}\n"})
    backend = Path(subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True).stdout.strip())
    state = AuthHTTPServer("", set())
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - stdlib signature
            pass

        def _handle(self) -> None:
            path, _, query = self.path.partition("?")
            auth = self.headers.get("Authorization")
            with lock:
                state.seen.append((path, auth))
            body = _read_body(self) if self.command == "POST" else b""
            if auth not in state.accepted:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="luakit-e2e"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "GIT_CONFIG_NOSYSTEM": "1",
                "HOME": str(root),
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_USER": "e2e",
                "REMOTE_ADDR": self.client_address[0],
                "GATEWAY_INTERFACE": "CGI/1.1",
                "SERVER_PROTOCOL": "HTTP/1.0",
            }
            if self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
            cgi = subprocess.run([str(backend / "git-http-backend")], input=body, env=env, capture_output=True)
            head, _, payload = cgi.stdout.partition(b"\r\n\r\n")
            if not _:
                head, _, payload = cgi.stdout.partition(b"\n\n")
            status, headers = 200, []
            for line in head.decode("latin-1").splitlines():
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _handle
        do_POST = _handle

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="e2e-git-http", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_git_auth_token_secret_over_http(buildkit, tmp_path, auth_http_server):
    token = "s3cret-token-123"
    expected = "basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
    auth_http_server.accepted.add(expected)
    (tmp_path / "token.txt").write_text(token)
    url = f"{auth_http_server.base}/token.git"
    script = f"""
        bk.export(bk.git("{url}", {{ ref = "main", auth_token_secret = "MYTOKEN" }}))
        """

    # Without the secret nothing sends the header: the server says 401 and the build fails.
    (tmp_path / "nosecret").mkdir()
    denied = scenario(buildkit, tmp_path / "nosecret", script, check=False)
    assert denied.build.returncode != 0
    assert "could not read Username" in denied.build.stderr, denied.build.stderr[-2000:]  # the 401
    assert auth_http_server.authorizations("token.git"), "the git source never reached the server"
    assert set(auth_http_server.authorizations("token.git")) == {None}

    # The secret under the id named by auth_token_secret (not the default GIT_AUTH_TOKEN).
    (tmp_path / "ok").mkdir()
    ok = scenario(buildkit, tmp_path / "ok", script, secrets=[f"id=MYTOKEN,src={tmp_path / 'token.txt'}"])
    assert _tree(ok.out) == {"PRIVATE": "private content of token.git\n"}
    assert expected in auth_http_server.authorizations("token.git")


def test_git_auth_header_secret_over_http(buildkit, tmp_path, auth_http_server):
    header = "Bearer hdr-token-456"
    auth_http_server.accepted.add(header)
    (tmp_path / "header.txt").write_text(header)
    url = f"{auth_http_server.base}/header.git"
    script = f"""
        bk.export(bk.git("{url}", {{ ref = "main", auth_header_secret = "MYHEADER" }}))
        """

    # The secret is there but under another id: not used, 401, failure.
    (tmp_path / "otherid").mkdir()
    denied = scenario(
        buildkit, tmp_path / "otherid", script, check=False, secrets=[f"id=OTHER,src={tmp_path / 'header.txt'}"]
    )
    assert denied.build.returncode != 0
    assert "could not read Username" in denied.build.stderr, denied.build.stderr[-2000:]  # the 401
    assert set(auth_http_server.authorizations("header.git")) == {None}

    (tmp_path / "ok").mkdir()
    ok = scenario(buildkit, tmp_path / "ok", script, secrets=[f"id=MYHEADER,src={tmp_path / 'header.txt'}"])
    assert _tree(ok.out) == {"PRIVATE": "private content of header.git\n"}
    # The secret's value is sent verbatim as the Authorization header.
    assert header in auth_http_server.authorizations("header.git")


# =========================================================================== SSH


@dataclass
class SSHServer:
    port: int
    repos: Path  # bare repos live here (absolute paths in the URL)
    known_host: str  # "[127.0.0.1]:PORT <type> <key>" for the real host key
    wrong_known_host: str  # same host, another key
    agent_sock: Path

    def url(self, repo: str) -> str:
        return f"ssh://root@127.0.0.1:{self.port}{self.repos / repo}"


def _ensure_sshd() -> str:
    sshd = "/usr/sbin/sshd"
    if not os.access(sshd, os.X_OK):
        if os.geteuid() != 0:
            unavailable("openssh-server is missing and installing it needs root")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "openssh-server"]):
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                unavailable(f"cannot install openssh-server ({' '.join(cmd)}): {proc.stderr[-500:]}")
    for tool in ("ssh", "ssh-agent", "ssh-add", "ssh-keygen"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} not found (openssh-client)")
    return sshd


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e", "-f", str(path)], check=True)
    kind, key = path.with_suffix(".pub").read_text().split()[:2]
    return f"{kind} {key}"


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory) -> Iterator[SSHServer]:
    if os.geteuid() != 0:
        unavailable("the sshd scenario needs root")
    sshd = _ensure_sshd()
    root = tmp_path_factory.mktemp("gitssh")
    repos = root / "repos"
    repos.mkdir()
    for name in ("ok.git", "badhost.git"):
        _bare_repo(repos, name, {"HELLO": f"over ssh from {name}\n"})

    host_key = _keygen(root / "host_key")
    wrong_key = _keygen(root / "wrong_host_key")
    _keygen(root / "client_key")
    (root / "authorized_keys").write_text((root / "client_key.pub").read_text())
    port = free_port()
    cfg = root / "sshd_config"
    cfg.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {root / 'host_key'}",
                f"AuthorizedKeysFile {root / 'authorized_keys'}",
                "PermitRootLogin yes",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                f"PidFile {root / 'sshd.pid'}",
                "",
            ]
        )
    )
    privsep = Path("/run/sshd")  # sshd refuses to start without its privilege separation directory
    made_privsep = not privsep.exists()
    privsep.mkdir(mode=0o755, parents=True, exist_ok=True)

    procs: list[subprocess.Popen] = []
    try:
        sshd_proc = subprocess.Popen(
            [sshd, "-D", "-e", "-p", str(port), "-f", str(cfg)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        procs.append(sshd_proc)
        wait_port(port, sshd_proc, "sshd")

        sock = root / "agent.sock"
        agent = subprocess.Popen(
            ["ssh-agent", "-D", "-a", str(sock)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        procs.append(agent)
        deadline = time.monotonic() + 10
        while not sock.exists():
            if agent.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ssh-agent did not create {sock}: {agent.stderr.read()!r}")
            time.sleep(0.05)
        subprocess.run(
            ["ssh-add", "-q", str(root / "client_key")],
            env=dict(os.environ, SSH_AUTH_SOCK=str(sock)),
            check=True,
            capture_output=True,
        )
        yield SSHServer(
            port=port,
            repos=repos,
            known_host=f"[127.0.0.1]:{port} {host_key}",
            wrong_known_host=f"[127.0.0.1]:{port} {wrong_key}",
            agent_sock=sock,
        )
    finally:
        for proc in reversed(procs):
            stop(proc)
        if made_privsep:
            with contextlib.suppress(OSError):
                privsep.rmdir()


def test_git_over_ssh_with_known_hosts_and_agent_socket(buildkit, tmp_path, ssh_server):
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        local repo = bk.git("{ssh_server.url("ok.git")}", {{
          ref = "main",
          known_ssh_hosts = "{ssh_server.known_host}",
          mount_ssh_sock = "mysock",
        }})
        bk.export(repo)
        """,
        ssh=[f"mysock={ssh_server.agent_sock}"],
    )
    assert _tree(result.out) == {"HELLO": "over ssh from ok.git\n"}


def test_git_over_ssh_wrong_known_host_key_fails(buildkit, tmp_path, ssh_server):
    result = scenario(
        buildkit,
        tmp_path,
        f"""
        bk.export(bk.git("{ssh_server.url("badhost.git")}", {{
          ref = "main",
          known_ssh_hosts = "{ssh_server.wrong_known_host}",
          mount_ssh_sock = "mysock",
        }}))
        """,
        ssh=[f"mysock={ssh_server.agent_sock}"],
        check=False,
    )
    assert result.build.returncode != 0
    assert "Host key verification failed" in result.build.stderr, result.build.stderr[-2000:]
