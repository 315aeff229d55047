#!/usr/bin/env python3
"""Real-BuildKit test harness for luakit's end-to-end tests.

Stdlib only. Importable (``tests/conftest.py`` uses it) and runnable::

    python scripts/buildkit_harness.py install   # install runc/registry/busybox/git + build buildkit
    python scripts/buildkit_harness.py up        # start registry + buildkitd + base images, wait for Ctrl-C

What it does:

* :func:`ensure_installed` installs the Debian packages it needs (only the missing
  ones) and builds ``buildkitd``/``buildctl`` at :data:`BUILDKIT_VERSION` from the Go
  module proxy into ``~/.cache/luakit/buildkit-<version>/bin`` when they are missing.
* :class:`BuildKit` (alias :class:`Harness`) is a context manager that starts a
  private Distribution registry on a free loopback port and a private ``buildkitd``
  (OCI worker, overlayfs, runc) in a temporary directory, pushes a busybox base image
  to the registry, and on exit stops exactly the processes it started and removes
  its temporary directory. With ``BUILDKIT_HOST`` set it uses that daemon instead and
  starts nothing (then :attr:`BuildKit.registry` is ``None``).

See docs/e2e.md.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import dataclasses
import json
import os
import platform
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

# The one place where the BuildKit release is pinned.
BUILDKIT_VERSION = "v0.32.2"
BUILDKIT_MODULE = "github.com/moby/buildkit"

#: Debian packages the harness needs, with how to tell whether each is present.
APT_PACKAGES = ("runc", "docker-registry", "busybox-static", "git")

BUSYBOX_BINARY = Path("/bin/busybox")

DEFAULT_BUILD_TIMEOUT = 300.0
DEFAULT_START_TIMEOUT = 60.0

PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

ETC_PASSWD = textwrap.dedent(
    """\
    root:x:0:0:root:/root:/bin/sh
    app:x:1000:1000:app:/home/app:/bin/sh
    nobody:x:65534:65534:nobody:/nonexistent:/bin/false
    """
)
ETC_GROUP = textwrap.dedent(
    """\
    root:x:0:
    app:x:1000:
    nobody:x:65534:
    """
)
BUSYBOX_DOCKERFILE = textwrap.dedent(
    f"""\
    FROM scratch
    COPY busybox /bin/busybox
    COPY passwd group /etc/
    ENV PATH={PATH_ENV}
    RUN ["/bin/busybox", "--install", "-s", "/bin"]
    RUN mkdir -p -m 1777 /tmp && mkdir -p -m 0700 /root \\
        && mkdir -p /home/app && chown 1000:1000 /home/app
    """
)

MANIFEST_ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
INDEX_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


def log(msg: str) -> None:
    """Progress output of the harness (stderr, so stdout stays machine-readable)."""
    print(f"[buildkit-harness] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- install


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/luakit`` (default ``~/.cache/luakit``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "luakit"


def buildkit_bin_dir(version: str = BUILDKIT_VERSION) -> Path:
    """Directory holding ``buildkitd`` and ``buildctl`` for ``version``."""
    return cache_dir() / f"buildkit-{version}" / "bin"


def buildctl_path() -> Path:
    return buildkit_bin_dir() / "buildctl"


def buildkitd_path() -> Path:
    return buildkit_bin_dir() / "buildkitd"


def _is_static_elf(path: Path) -> bool:
    """True when ``path`` is an ELF file without a PT_INTERP header (statically linked)."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if data[:4] != b"\x7fELF" or data[4] != 2:  # only ELF64 is supported
        return False
    endian = "<" if data[5] == 1 else ">"
    (phoff,) = struct.unpack_from(endian + "Q", data, 0x20)
    phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
    for i in range(phnum):
        (p_type,) = struct.unpack_from(endian + "I", data, phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP
            return False
    return True


def _package_present(pkg: str) -> bool:
    if pkg == "runc":
        return shutil.which("runc") is not None
    if pkg == "docker-registry":
        return shutil.which("docker-registry") is not None
    if pkg == "busybox-static":
        return _is_static_elf(BUSYBOX_BINARY)
    if pkg == "git":
        return shutil.which("git") is not None
    raise ValueError(pkg)


def _run_logged(cmd: Sequence[str], **kw) -> None:
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run(cmd, check=True, **kw)


def ensure_apt_packages() -> None:
    missing = [p for p in APT_PACKAGES if not _package_present(p)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"missing packages {missing}; installing them needs root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=120"]  # another installer may hold the lock
    _run_logged([*apt, "update"], env=env)
    _run_logged([*apt, "install", "-y", "--no-install-recommends", *missing], env=env)
    still = [p for p in missing if not _package_present(p)]
    if still:
        raise RuntimeError(f"packages still missing after apt-get install: {still}")


def ensure_buildkit(version: str = BUILDKIT_VERSION) -> Path:
    """Build buildkitd/buildctl ``version`` into the cache unless both are there. Returns the bin dir."""
    bindir = buildkit_bin_dir(version)
    if (bindir / "buildkitd").is_file() and (bindir / "buildctl").is_file():
        return bindir
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        raise RuntimeError(
            f"building BuildKit {version} needs a Go toolchain (>= the one in buildkit's go.mod) on PATH"
        )
    log(f"building BuildKit {version} (takes a few minutes)")
    t0 = time.monotonic()
    bindir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gomod-", dir=bindir.parent) as scratch:
        # `go install pkg@version` refuses modules whose go.mod has `exclude`
        # directives, so download the module and build inside its directory.
        out = subprocess.run(
            [go, "mod", "download", "-json", f"{BUILDKIT_MODULE}@{version}"],
            cwd=scratch,
            check=True,
            stdout=subprocess.PIPE,
        ).stdout
        moddir = json.loads(out)["Dir"]
        staging = Path(scratch) / "bin"
        staging.mkdir()
        env = dict(os.environ, CGO_ENABLED="0")
        _run_logged(
            [
                go,
                "build",
                "-trimpath",
                "-ldflags",
                f"-X {BUILDKIT_MODULE}/version.Version={version}",
                "-o",
                str(staging) + "/",
                "./cmd/buildkitd",
                "./cmd/buildctl",
            ],
            cwd=moddir,
            env=env,
        )
        bindir.mkdir(parents=True, exist_ok=True)
        for name in ("buildctl", "buildkitd"):  # buildkitd last: its presence marks completion
            os.replace(staging / name, bindir / name)
    log(f"built BuildKit {version} in {time.monotonic() - t0:.0f}s -> {bindir}")
    return bindir


def ensure_installed() -> Path:
    """Idempotently install everything the harness needs. Returns the BuildKit bin dir."""
    ensure_apt_packages()
    return ensure_buildkit()


# --------------------------------------------------------------------------- helpers


@dataclasses.dataclass
class BuildResult:
    """Outcome of a buildctl invocation. buildctl writes progress to ``stderr``."""

    args: list[str]
    returncode: int
    stdout: bytes
    stderr: str
    duration: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1
MNT_DETACH = 2


def _child_setup() -> None:
    # Own process group (so we can signal the whole tree), and die with the parent
    # thread even if the test process gets SIGKILLed.
    os.setsid()
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _unescape_mountinfo(path: str) -> str:
    return path.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def unmount_under(root: Path) -> list[str]:
    """Lazily unmount every mount point at or below ``root`` (deepest first). Errors are ignored."""
    root_s = str(root.resolve())
    points = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = _unescape_mountinfo(line.split()[4])
                if mp == root_s or mp.startswith(root_s + "/"):
                    points.append(mp)
    except OSError:
        return []
    for mp in sorted(set(points), key=lambda p: p.count("/"), reverse=True):
        if _libc.umount2(mp.encode(), MNT_DETACH) != 0:
            subprocess.run(["umount", "-l", mp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return points


def _stop_group(proc: subprocess.Popen, name: str, timeout: float = 20.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"{name} (pid {proc.pid}) ignored SIGTERM for {timeout}s; SIGKILL")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Anything left in the group (e.g. a container shim) goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def dump_llb(definition: bytes, *, buildctl: str | os.PathLike | None = None, timeout: float = 60) -> list[dict]:
    """Decode a serialized ``pb.Definition`` with ``buildctl debug dump-llb`` (no daemon needed).

    Returns one dict per op, in the order of ``Definition.def``:
    ``{"Op": {...pb.Op...}, "Digest": "sha256:...", "OpMetadata": {...}}``.
    It is Go ``encoding/json`` of the generated structs, not protojson: the oneof sits
    under ``"Op"`` (``{"Op": {"inputs": [...], "Op": {"exec": {...}}}}``), keys are the
    .proto field names, and zero values (``0``, ``""``, ``false``, empty lists) are
    omitted. See docs/e2e.md.
    """
    exe = str(buildctl or buildctl_path())
    proc = subprocess.run(
        [exe, "debug", "dump-llb"],
        input=definition,
        capture_output=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"buildctl debug dump-llb failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')}"
        )
    return [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]


def _write_context(dest: Path, files: Mapping[str, bytes | str | os.PathLike]) -> None:
    for name, content in files.items():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, str):
            target.write_text(content)
        else:
            src = Path(content)
            if src.is_dir():
                shutil.copytree(src, target, symlinks=True)
            else:
                shutil.copy2(src, target)


def _split_ref(ref: str) -> tuple[str, str, str]:
    """``host:port/name[:tag|@digest]`` -> (host, name, reference)."""
    host, _, rest = ref.partition("/")
    if "@" in rest:
        name, _, reference = rest.partition("@")
    else:
        name, sep, tag = rest.rpartition(":")
        if not sep or "/" in tag:
            name, tag = rest, "latest"
        reference = tag
    return host, name, reference


def _host_platform() -> tuple[str, str]:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return "linux", arch


# --------------------------------------------------------------------------- harness


class BuildKit:
    """A running BuildKit daemon (own or ``BUILDKIT_HOST``) plus a local registry.

    Attributes:
        buildctl_path: Path of the pinned ``buildctl``.
        addr: buildkitd address for ``buildctl --addr`` (``unix://.../buildkitd.sock``
            or the value of ``BUILDKIT_HOST``).
        registry: ``"127.0.0.1:<port>"`` of the private registry. With an external daemon
            (``BUILDKIT_HOST``) it is ``None`` unless ``LUAKIT_E2E_REGISTRY`` names a
            plain-HTTP registry that both this process and that daemon can reach
            (``scripts/buildkit-up`` prints both variables).
        busybox_ref: ``"<registry>/busybox:latest"`` once pushed, else ``None``.
        workdir: Temporary directory holding logs, config, buildkitd root, registry data.

    Use as ``with BuildKit() as bk: ...``; :meth:`start` / :meth:`close` also work.
    """

    def __init__(
        self,
        *,
        host: str | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        base_images: bool = True,
        tmp_parent: str | None = None,
        debug: bool = False,
        registry: str | None = None,
    ) -> None:
        self.external = host if host is not None else (os.environ.get("BUILDKIT_HOST") or None)
        self._external_registry = (registry or os.environ.get("LUAKIT_E2E_REGISTRY") or None) if self.external else None
        self.start_timeout = start_timeout
        self.want_base_images = base_images
        self.tmp_parent = tmp_parent
        self.debug = debug
        self.buildctl_path: Path = buildctl_path()
        self.buildkitd_path: Path = buildkitd_path()
        self.addr: str | None = self.external
        self.registry: str | None = None
        self.busybox_ref: str | None = None
        self.workdir: Path | None = None
        self.timings: dict[str, float] = {}
        self._procs: list[tuple[str, subprocess.Popen]] = []
        self._logs: list = []
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------

    def __enter__(self) -> BuildKit:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> BuildKit:
        """Start registry + buildkitd (unless external) and push the base images."""
        atexit.register(self.close)
        if self.external is None:
            if os.geteuid() != 0:
                raise RuntimeError("the harness runs a rootful buildkitd: run as root or set BUILDKIT_HOST")
            self.workdir = Path(tempfile.mkdtemp(prefix="luakit-bk-", dir=self.tmp_parent))
            t0 = time.monotonic()
            self._start_registry()
            self.timings["registry_start"] = time.monotonic() - t0
            t0 = time.monotonic()
            self._start_buildkitd()
            self.timings["daemon_start"] = time.monotonic() - t0
        else:
            self.registry = self._external_registry
            t0 = time.monotonic()
            self._wait_for_daemon(None)
            self.timings["daemon_start"] = time.monotonic() - t0
        if self.want_base_images and self.registry is not None:
            t0 = time.monotonic()
            self.busybox_ref = self.build_busybox_image()
            self.timings["busybox_image"] = time.monotonic() - t0
        return self

    def close(self) -> None:
        """Stop the processes this harness started and remove its temp dir. Idempotent."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)
        for name, proc in reversed(self._procs):  # buildkitd first, then the registry
            try:
                _stop_group(proc, name)
            except Exception as e:  # keep going: the other process must stop too
                log(f"stopping {name}: {e}")
        self._procs.clear()
        for f in self._logs:
            with contextlib.suppress(Exception):
                f.close()
        if self.workdir is not None:
            unmount_under(self.workdir)
            shutil.rmtree(self.workdir, ignore_errors=True)
            if self.workdir.exists():  # e.g. a mount that went busy again
                unmount_under(self.workdir)
                shutil.rmtree(self.workdir, ignore_errors=True)
            if self.workdir.exists():
                log(f"could not fully remove {self.workdir}")

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        assert self.workdir is not None
        logf = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - closed in close()
        self._logs.append(logf)
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=logf,
            stderr=subprocess.STDOUT,
            preexec_fn=_child_setup,
            cwd=self.workdir,
        )
        self._procs.append((name, proc))
        return proc

    def log_tail(self, name: str = "buildkitd", lines: int = 40) -> str:
        """Last lines of ``<workdir>/<name>.log`` (``buildkitd`` or ``registry``)."""
        if self.workdir is None:
            return "(external daemon: no log)"
        try:
            return _tail((self.workdir / f"{name}.log").read_text(errors="replace"), lines)
        except OSError as e:
            return f"(no log: {e})"

    def _start_registry(self, attempts: int = 3) -> None:
        assert self.workdir is not None
        exe = shutil.which("docker-registry")
        if exe is None:
            raise RuntimeError("docker-registry not found (run ensure_installed())")
        storage = self.workdir / "registry-data"
        storage.mkdir()
        for attempt in range(attempts):
            port = free_port()
            cfg = self.workdir / "registry.yml"
            cfg.write_text(
                textwrap.dedent(
                    f"""\
                    version: 0.1
                    log:
                      level: warn
                      accesslog:
                        disabled: true
                    storage:
                      filesystem:
                        rootdirectory: {storage}
                      delete:
                        enabled: true
                    http:
                      addr: 127.0.0.1:{port}
                    """
                )
            )
            proc = self._spawn("registry", [exe, "serve", str(cfg)])
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2) as r:
                        if r.status == 200:
                            self.registry = f"127.0.0.1:{port}"
                            return
                except (urllib.error.URLError, OSError):
                    time.sleep(0.1)
            _stop_group(proc, "registry")
            self._procs.remove(("registry", proc))
            log(f"registry did not come up on port {port} (attempt {attempt + 1}):\n" + self.log_tail("registry"))
        raise RuntimeError("could not start docker-registry:\n" + self.log_tail("registry"))

    def _buildkitd_config(self) -> str:
        assert self.workdir is not None
        runc = shutil.which("runc")
        if runc is None:
            raise RuntimeError("runc not found (run ensure_installed())")
        reg = ""
        if self.registry:
            reg = f'[registry."{self.registry}"]\n  http = true\n  insecure = true\n'
        return (
            textwrap.dedent(
                f"""\
            root = "{self.workdir / "root"}"
            debug = {str(self.debug).lower()}
            insecure-entitlements = ["security.insecure", "network.host"]

            [grpc]
              address = ["{self.addr}"]

            [worker.oci]
              enabled = true
              snapshotter = "overlayfs"
              binary = "{runc}"
              gc = false

            [worker.containerd]
              enabled = false

            """
            )
            + reg
        )

    def _start_buildkitd(self) -> None:
        assert self.workdir is not None
        if not self.buildkitd_path.is_file():
            raise RuntimeError(f"{self.buildkitd_path} missing (run ensure_installed())")
        self.addr = f"unix://{self.workdir / 'buildkitd.sock'}"
        cfg = self.workdir / "buildkitd.toml"
        cfg.write_text(self._buildkitd_config())
        proc = self._spawn("buildkitd", [str(self.buildkitd_path), "--config", str(cfg)])
        self._wait_for_daemon(proc)

    def _wait_for_daemon(self, proc: subprocess.Popen | None) -> None:
        deadline = time.monotonic() + self.start_timeout
        last = ""
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"buildkitd exited with {proc.returncode} during startup:\n{self.log_tail()}")
            try:
                r = subprocess.run(
                    [str(self.buildctl_path), "--addr", str(self.addr), "debug", "workers"],
                    capture_output=True,
                    timeout=10,
                )
                if r.returncode == 0 and len(r.stdout.splitlines()) > 1:
                    return
                last = (r.stderr or r.stdout).decode(errors="replace")
            except subprocess.TimeoutExpired:
                last = "buildctl debug workers timed out"
            time.sleep(0.2)
        raise RuntimeError(
            f"buildkitd at {self.addr} not ready after {self.start_timeout:.0f}s: {last.strip()}\n"
            f"--- buildkitd log tail ---\n{self.log_tail()}"
        )

    # -- buildctl ----------------------------------------------------------------

    def buildctl(
        self,
        *args: str,
        input: bytes | None = None,
        timeout: float = DEFAULT_BUILD_TIMEOUT,
        check: bool = True,
    ) -> BuildResult:
        """Run ``buildctl --addr <addr> <args...>``.

        With ``check``, a non-zero exit raises AssertionError with buildctl's stderr tail.
        """
        cmd = [str(self.buildctl_path), "--addr", str(self.addr), *args]
        t0 = time.monotonic()
        try:
            proc = subprocess.run(
                cmd,
                input=input if input is not None else b"",
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as e:
            err = (e.stderr or b"").decode(errors="replace")
            raise AssertionError(
                f"buildctl timed out after {timeout:.0f}s: {' '.join(cmd)}\n--- stderr tail ---\n{_tail(err)}"
            ) from None
        res = BuildResult(
            cmd, proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"), time.monotonic() - t0
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"buildctl failed with exit code {proc.returncode}: {' '.join(cmd)}\n"
                f"--- stderr tail ---\n{_tail(res.stderr)}"
            )
        return res

    @staticmethod
    def _common_args(
        contexts: Mapping[str, os.PathLike | str] | None,
        output: str | None,
        secrets: Iterable[str],
        ssh: Iterable[str],
        allow: Iterable[str],
        progress: str,
    ) -> list[str]:
        args = ["--progress", progress]
        for name, path in (contexts or {}).items():
            args += ["--local", f"{name}={path}"]
        if output:
            args += ["--output", output]
        for s in secrets:
            args += ["--secret", s]
        for s in ssh:
            args += ["--ssh", s]
        for a in allow:
            args += ["--allow", a]
        return args

    def build(
        self,
        definition: bytes,
        *,
        contexts: Mapping[str, os.PathLike | str] | None = None,
        output: str | None = None,
        secrets: Sequence[str] = (),
        ssh: Sequence[str] = (),
        allow: Sequence[str] = (),
        progress: str = "plain",
        extra_args: Sequence[str] = (),
        check: bool = True,
        timeout: float = DEFAULT_BUILD_TIMEOUT,
    ) -> BuildResult:
        """Solve a serialized ``pb.Definition`` (e.g. ``luakit build`` stdout).

        The definition goes to ``buildctl build`` on stdin with no ``--frontend``
        (buildctl v0.32 has no ``--no-frontend`` flag: leaving out ``--frontend`` is
        what makes it read LLB from stdin).

        Args:
            contexts: ``--local NAME=DIR`` for each item, e.g. ``{"context": tmp_path}``.
            output: one ``--output`` value, e.g. ``"type=local,dest=/x"``,
                ``"type=tar,dest=/x.tar"`` or
                ``"type=image,name=<registry>/x:y,push=true,registry.insecure=true"``.
            secrets: ``--secret`` values, e.g. ``"id=tok,src=/path"`` or ``"id=tok,env=TOK"``.
            ssh: ``--ssh`` values, e.g. ``"default"`` or ``"agent=/path/to/agent.sock"``.
            allow: ``--allow`` entitlements, e.g. ``"security.insecure"``, ``"network.host"``.
            progress: ``plain`` (default; shows RUN output in ``stderr``), ``rawjson``...
            extra_args: appended verbatim (e.g. ``["--no-cache"]``).
            check: raise ``AssertionError`` (with buildctl's stderr tail) on non-zero exit.
            timeout: seconds; a timeout always raises ``AssertionError``.

        Returns:
            :class:`BuildResult` (``returncode``, ``stdout`` bytes, ``stderr`` text, ``duration``).
        """
        if not definition:
            raise ValueError("empty definition")
        args = ["build", *self._common_args(contexts, output, secrets, ssh, allow, progress), *extra_args]
        return self.buildctl(*args, input=definition, timeout=timeout, check=check)

    def build_dockerfile(
        self,
        dockerfile: str,
        files: Mapping[str, bytes | str | os.PathLike] | None = None,
        *,
        output: str | None = None,
        opts: Mapping[str, str] | None = None,
        secrets: Sequence[str] = (),
        ssh: Sequence[str] = (),
        allow: Sequence[str] = (),
        progress: str = "plain",
        extra_args: Sequence[str] = (),
        check: bool = True,
        timeout: float = DEFAULT_BUILD_TIMEOUT,
    ) -> BuildResult:
        """Build ``dockerfile`` (text) with the built-in ``dockerfile.v0`` frontend.

        ``files`` become the build context: name -> bytes / text / path of a file or dir to copy.
        ``opts`` become ``--opt K=V`` (e.g. ``{"build-arg:X": "1", "target": "t"}``).
        Other arguments are as for :meth:`build`.
        """
        with tempfile.TemporaryDirectory(prefix="luakit-ctx-") as d:
            ctx = Path(d) / "context"
            ctx.mkdir()
            _write_context(ctx, files or {})
            df_dir = Path(d) / "dockerfile"
            df_dir.mkdir()
            (df_dir / "Dockerfile").write_text(dockerfile)
            args = [
                "build",
                "--frontend",
                "dockerfile.v0",
                *self._common_args({"context": ctx, "dockerfile": df_dir}, output, secrets, ssh, allow, progress),
            ]
            for k, v in (opts or {}).items():
                args += ["--opt", f"{k}={v}"]
            return self.buildctl(*args, *extra_args, timeout=timeout, check=check)

    def require_registry(self) -> str:
        if self.registry is None:
            raise RuntimeError("no local registry (BUILDKIT_HOST mode)")
        return self.registry

    def push_output(self, ref: str) -> str:
        """The ``--output`` value that pushes an image named ``ref`` to the local (plain-HTTP) registry."""
        return f"type=image,name={ref},push=true,registry.insecure=true"

    def build_base_image(
        self,
        name: str,
        dockerfile: str,
        files: Mapping[str, bytes | str | os.PathLike] | None = None,
        *,
        timeout: float = DEFAULT_BUILD_TIMEOUT,
    ) -> str:
        """Build ``dockerfile`` with ``files`` as context and push it as ``<registry>/<name>``.

        ``name`` may carry a tag (``"tools:1"``); ``:latest`` is added otherwise.
        Returns the full image reference.
        """
        registry = self.require_registry()
        if ":" not in name.rsplit("/", 1)[-1]:
            name += ":latest"
        ref = f"{registry}/{name}"
        self.build_dockerfile(dockerfile, files, output=self.push_output(ref), timeout=timeout)
        return ref

    def build_busybox_image(self) -> str:
        """Push ``<registry>/busybox:latest`` made from Debian's static ``/bin/busybox``."""
        if not _is_static_elf(BUSYBOX_BINARY):
            raise RuntimeError(f"{BUSYBOX_BINARY} is not a static binary (install busybox-static)")
        return self.build_base_image(
            "busybox:latest",
            BUSYBOX_DOCKERFILE,
            {"busybox": BUSYBOX_BINARY, "passwd": ETC_PASSWD, "group": ETC_GROUP},
        )

    # -- inspection ----------------------------------------------------------------

    def dump_llb(self, definition: bytes) -> list[dict]:
        """See module-level :func:`dump_llb` (no daemon needed)."""
        return dump_llb(definition, buildctl=self.buildctl_path)

    @staticmethod
    def _registry_get(url: str, accept: str | None = None) -> tuple[bytes, str]:
        req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read(), r.headers.get("Content-Type", "")

    def image_manifest(self, ref: str, platform: tuple[str, str] | None = None) -> dict:
        """Image manifest of ``ref`` from its (plain-HTTP) registry, resolving an index to ``platform``
        (default: the host's, e.g. ``("linux", "amd64")``)."""
        host, name, reference = _split_ref(ref)
        os_, arch = platform or _host_platform()
        body, ctype = self._registry_get(f"http://{host}/v2/{name}/manifests/{reference}", MANIFEST_ACCEPT)
        manifest = json.loads(body)
        media = manifest.get("mediaType") or ctype.split(";")[0]
        if media in INDEX_MEDIA_TYPES:
            for m in manifest.get("manifests", []):
                p = m.get("platform") or {}
                if p.get("os") == os_ and p.get("architecture") == arch:
                    body, _ = self._registry_get(f"http://{host}/v2/{name}/manifests/{m['digest']}", MANIFEST_ACCEPT)
                    return json.loads(body)
            raise AssertionError(f"{ref}: no manifest for {os_}/{arch} in index: {manifest}")
        return manifest

    def image_config(self, ref: str, platform: tuple[str, str] | None = None) -> dict:
        """The OCI image config JSON of a pushed image (``{"config": {"Env": [...], "User": ...},
        "rootfs": ..., "history": ...}``), read from the registry over HTTP."""
        host, name, _ = _split_ref(ref)
        manifest = self.image_manifest(ref, platform)
        body, _ = self._registry_get(f"http://{host}/v2/{name}/blobs/{manifest['config']['digest']}")
        return json.loads(body)

    def image_files(self, ref: str, dest: os.PathLike | str, *, timeout: float = DEFAULT_BUILD_TIMEOUT) -> Path:
        """Export the root filesystem of image ``ref`` into directory ``dest`` (``FROM ref`` with a
        ``type=local`` export, so whiteouts are applied by BuildKit). Returns ``dest``."""
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        self.build_dockerfile(f"FROM {ref}\n", output=f"type=local,dest={dest}", timeout=timeout)
        return dest


Harness = BuildKit


# --------------------------------------------------------------------------- CLI


def _cmd_up(args: argparse.Namespace) -> int:
    ensure_installed()
    stop = False

    def _on_signal(signum, frame):
        nonlocal stop
        stop = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_signal)
    with BuildKit(start_timeout=args.timeout, tmp_parent=args.tmpdir, debug=args.debug) as bk:
        for k, v in bk.timings.items():
            log(f"{k}: {v:.1f}s")
        print(f"export BUILDKIT_HOST={bk.addr}")
        print(f"export LUAKIT_E2E_REGISTRY={bk.registry}")
        print(f"# busybox image: {bk.busybox_ref}")
        print(f"# logs: {bk.workdir}/buildkitd.log {bk.workdir}/registry.log")
        print(f"# buildctl: {bk.buildctl_path}")
        sys.stdout.flush()
        log("running; Ctrl-C or SIGTERM to stop")
        try:
            while not stop:
                time.sleep(3600)
        except KeyboardInterrupt:
            log("stopping")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("install", help="install apt packages and build buildkit if missing")
    up = sub.add_parser("up", help="start registry + buildkitd + base images until Ctrl-C/SIGTERM")
    up.add_argument("--timeout", type=float, default=DEFAULT_START_TIMEOUT, help="daemon start timeout (s)")
    up.add_argument("--tmpdir", default=None, help="parent directory for the temp dir")
    up.add_argument("--debug", action="store_true", help="buildkitd debug logging")
    sub.add_parser("version", help="print the pinned BuildKit version")
    sub.add_parser("paths", help="print where buildctl/buildkitd live")
    args = p.parse_args(argv)
    if args.cmd == "install":
        print(ensure_installed())
        return 0
    if args.cmd == "version":
        print(BUILDKIT_VERSION)
        return 0
    if args.cmd == "paths":
        print(f"buildctl={buildctl_path()}\nbuildkitd={buildkitd_path()}")
        return 0
    if args.cmd == "up":
        # `up` ignores BUILDKIT_HOST: its whole point is to start a daemon.
        os.environ.pop("BUILDKIT_HOST", None)
        os.environ.pop("LUAKIT_E2E_REGISTRY", None)
        return _cmd_up(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
