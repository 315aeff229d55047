"""The gateway frontend on the real daemon: `buildctl build --frontend gateway.v0 --opt source=<image>`.

The frontend image is built and pushed once by `scripts/frontend-image` itself
(so the bootstrap and scripts/frontend.lua are tested too), then every scenario
runs through it as a user would, and checks what lands in the local registry or
the exported folder. Where the CLI applies, the same script piped through
`luakit build | buildctl` must give the same files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import buildkit_harness
import pytest
from scenario import compile_script, write_files

REPO = Path(__file__).resolve().parents[2]
PATH_ENV = buildkit_harness.PATH_ENV


@pytest.fixture(scope="module")
def frontend(buildkit: buildkit_harness.BuildKit, registry: str) -> str:
    """`<registry>/luakit-frontend:test`, made by scripts/frontend-image on the harness's daemon."""
    ref = f"{registry}/luakit-frontend:test"
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "frontend-image"), ref],
        env=dict(os.environ, BUILDKIT_HOST=str(buildkit.addr)),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, f"scripts/frontend-image failed:\n{proc.stderr[-6000:]}"
    buildkit.timings["frontend_image"] = time.monotonic() - t0
    return ref


@pytest.fixture(scope="module")
def configured_base(buildkit: buildkit_harness.BuildKit, busybox_ref: str) -> str:
    """A base image whose config a build must inherit: extra env, a working directory, a user."""
    return buildkit.build_base_image(
        "configured:1",
        f"FROM {busybox_ref}\nENV LANG=C.UTF-8 GREETING=hello\nWORKDIR /srv\nUSER app\n",
    )


def frontend_build(
    buildkit: buildkit_harness.BuildKit,
    frontend: str,
    folder: Path,
    *,
    opts: dict[str, str] | None = None,
    output: str | None = None,
    frontend_name: str = "gateway.v0",
    check: bool = True,
) -> buildkit_harness.BuildResult:
    args = ["build", "--progress", "plain", "--frontend", frontend_name]
    if frontend_name == "gateway.v0":
        args += ["--opt", f"source={frontend}"]
    args += ["--local", f"dockerfile={folder}", "--local", f"context={folder}"]
    for key, value in (opts or {}).items():
        args += ["--opt", f"{key}={value}"]
    if output:
        args += ["--output", output]
    return buildkit.buildctl(*args, check=check)


def registry_json(registry: str, path: str) -> dict:
    request = urllib.request.Request(
        f"http://{registry}/v2/{path}", headers={"Accept": buildkit_harness.MANIFEST_ACCEPT}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def folder_with(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "src"
    write_files(folder, {name: textwrap.dedent(text) for name, text in files.items()})
    return folder


def test_filename_build_args_and_require(buildkit, frontend, busybox_ref, tmp_path):
    folder = folder_with(
        tmp_path,
        {
            "ci/app.lua": """\
                local greet = require("lib.greet")
                local base = bk.image(bk.arg("BASE"))
                bk.export(base:run("echo " .. greet(os.getenv("WHO")) .. " > /greeting"))
            """,
            "ci/lib/greet.lua": 'return function(who) return "hello-" .. who end\n',
            "build.lua": 'error("the filename option was ignored")\n',
        },
    )
    out = tmp_path / "out"
    frontend_build(
        buildkit,
        frontend,
        folder,
        opts={"filename": "ci/app.lua", "build-arg:BASE": busybox_ref, "build-arg:WHO": "frontend"},
        output=f"type=local,dest={out}",
    )
    assert (out / "greeting").read_text() == "hello-frontend\n"


def test_script_error_reaches_the_user_with_its_lua_line(buildkit, frontend, busybox_ref, tmp_path):
    folder = folder_with(
        tmp_path,
        {"build.lua": 'local base = bk.image(bk.arg("BASE"))\n\nlocal x = base:run(42)\nbk.export(x)\n'},
    )
    result = frontend_build(buildkit, frontend, folder, opts={"build-arg:BASE": busybox_ref}, check=False)
    assert result.returncode != 0
    # At the wrong argument, as the CLI prints it.
    assert "build.lua:3:20: state:run: command must be a string or a list of strings, got number" in result.stderr
    assert "Traceback" not in result.stderr


def test_failing_step_is_shown_in_build_lua(buildkit, frontend, busybox_ref, tmp_path):
    """The Definition's source map makes BuildKit's own error output quote build.lua."""
    folder = folder_with(
        tmp_path,
        {"build.lua": 'local base = bk.image(bk.arg("BASE"))\n\nlocal x = base:run("exit 3")\nbk.export(x)\n'},
    )
    result = frontend_build(buildkit, frontend, folder, opts={"build-arg:BASE": busybox_ref}, check=False)
    assert result.returncode != 0
    assert "build.lua:3\n" in result.stderr
    assert '>>> local x = base:run("exit 3")' in result.stderr
    assert "exit code: 3" in result.stderr


def test_script_stuck_in_one_c_call_fails_with_the_timeout(buildkit, frontend, tmp_path):
    """No hook ends a pathological pattern; the watchdog Returns the error and exits 0, so
    BuildKit shows it (a non-zero exit would replace it). 30 s and the 5 s grace: ~35 s."""
    stuck = 'local s = string.rep("a", 5000) .. "c"\ns:find(".-.-.-.-.-.-b")\nbk.export(bk.scratch())\n'
    result = frontend_build(buildkit, frontend, folder_with(tmp_path, {"build.lua": stuck}), check=False)
    assert result.returncode != 0
    assert "build.lua: script evaluation timed out after 30s" in result.stderr


def test_script_mistakes_are_returned_where_they_are(buildkit, frontend, tmp_path):
    """The daemon shows the frontend's one-line problems at the mistake: the key, the module's name."""
    script = 'local base = bk.scratch()\nlocal s = base:run("x", {\n  cwdd = "/",\n})\nbk.export(s)\n'
    result = frontend_build(buildkit, frontend, folder_with(tmp_path, {"build.lua": script}), check=False)
    assert result.returncode != 0
    assert "build.lua:3:3: state:run: unknown option 'cwdd' (did you mean 'cwd'?)" in result.stderr
    script = 'local x = 1\nlocal m = require("lib.missing")\n'
    result = frontend_build(buildkit, frontend, folder_with(tmp_path, {"build.lua": script}), check=False)
    assert result.returncode != 0
    assert (
        "build.lua:2:19: require: no module 'lib.missing' "
        "(looked for lib/missing.lua and lib/missing/init.lua beside build.lua)"
    ) in result.stderr


def test_missing_script_is_reported(buildkit, frontend, tmp_path):
    folder = folder_with(tmp_path, {"other.lua": "bk.export(bk.scratch())\n"})
    result = frontend_build(buildkit, frontend, folder, check=False)
    assert result.returncode != 0
    assert "build.lua: cannot read the build script" in result.stderr


IMAGE_SCRIPT = """\
    local base = bk.image(bk.arg("BASE"))
    -- runs see the base image's env, working directory and user (like Dockerfile FROM)
    local built = base:run("mkdir -p /tmp/report && env | sort > /tmp/report/env && pwd > /tmp/report/pwd && id -un > /tmp/report/user")
    bk.export(built, {
      entrypoint = { "/bin/sh", "-c" },
      cmd = { "echo hi" },
      env = { FOO = "bar" },
      user = "app",
      workdir = "/srv/app",
      expose = { "8080/tcp", 53 },
      labels = { team = "build" },
    })
"""


def test_image_config_in_the_pushed_image(buildkit, frontend, configured_base, registry, tmp_path):
    folder = folder_with(tmp_path, {"build.lua": IMAGE_SCRIPT})
    ref = f"{registry}/frontend-config:1"
    frontend_build(
        buildkit,
        frontend,
        folder,
        opts={"build-arg:BASE": configured_base, "label:from-opt": "x=y"},
        output=buildkit.push_output(ref),
    )
    image = buildkit.image_config(ref)
    config = image["config"]
    assert (image["os"], image["architecture"]) == buildkit_harness._host_platform()
    assert config["Entrypoint"] == ["/bin/sh", "-c"]
    assert config["Cmd"] == ["echo hi"]
    assert config["Env"] == [f"PATH={PATH_ENV}", "LANG=C.UTF-8", "GREETING=hello", "FOO=bar"]
    assert config["User"] == "app"
    assert config["WorkingDir"] == "/srv/app"
    assert config["ExposedPorts"] == {"8080/tcp": {}, "53/tcp": {}}
    assert config["Labels"] == {"team": "build", "from-opt": "x=y"}

    # The files the run wrote, with the base image's env, working directory and user.
    files = buildkit.image_files(ref, tmp_path / "files")
    env = (files / "tmp/report/env").read_text().splitlines()
    assert f"PATH={PATH_ENV}" in env and "LANG=C.UTF-8" in env and "GREETING=hello" in env
    assert (files / "tmp/report/pwd").read_text() == "/srv\n"
    assert (files / "tmp/report/user").read_text() == "app\n"


def test_cli_builds_the_same_files(buildkit, frontend, configured_base, tmp_path, monkeypatch):
    """`luakit build | buildctl` (registry resolver) and the frontend (gateway resolver) agree."""
    monkeypatch.delenv("LUAKIT_NO_RESOLVE", raising=False)  # tests/conftest.py sets it for offline runs
    folder = folder_with(tmp_path, {"build.lua": IMAGE_SCRIPT})
    via_frontend = tmp_path / "frontend"
    frontend_build(
        buildkit,
        frontend,
        folder,
        opts={"build-arg:BASE": configured_base},
        output=f"type=local,dest={via_frontend}",
    )
    definition = compile_script(folder, {"BASE": configured_base})
    via_cli = tmp_path / "cli"
    buildkit.build(definition, contexts={"context": folder}, output=f"type=local,dest={via_cli}")
    for name in ("env", "pwd", "user"):
        assert (via_cli / "tmp/report" / name).read_text() == (via_frontend / "tmp/report" / name).read_text(), name


def test_two_platforms_make_an_index_with_two_configs(buildkit, frontend, registry, tmp_path):
    folder = folder_with(
        tmp_path,
        {
            "build.lua": """\
                -- no step runs a binary, so no emulation is needed for the foreign platform
                local src = bk.local_("context", { include = { "hello.txt" } })
                local image = bk.scratch():copy(src, "hello.txt", "/hello.txt"):mkfile("/marker", "built\\n")
                bk.export(image, { entrypoint = { "/hello" }, labels = { kind = "multi" } })
            """,
            "hello.txt": "hello\n",
        },
    )
    ref = f"{registry}/frontend-multi:1"
    frontend_build(
        buildkit,
        frontend,
        folder,
        opts={"platform": "linux/amd64,linux/arm64"},
        output=buildkit.push_output(ref),
    )
    index = registry_json(registry, "frontend-multi/manifests/1")
    assert index["mediaType"] in buildkit_harness.INDEX_MEDIA_TYPES
    platforms = sorted((m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"])
    assert platforms == [("linux", "amd64"), ("linux", "arm64")]
    configs = set()
    for entry in index["manifests"]:
        manifest = registry_json(registry, f"frontend-multi/manifests/{entry['digest']}")
        configs.add(manifest["config"]["digest"])
        config = registry_json(registry, f"frontend-multi/blobs/{manifest['config']['digest']}")
        assert (config["os"], config["architecture"]) == (entry["platform"]["os"], entry["platform"]["architecture"])
        assert config["config"]["Entrypoint"] == ["/hello"]
        assert config["config"]["Labels"] == {"kind": "multi"}
        assert len(manifest["layers"]) >= 1
    assert len(configs) == 2


def test_syntax_line_forwards_a_dockerfile_to_the_frontend(buildkit, frontend, busybox_ref, tmp_path):
    """`# syntax=<frontend image>` on line 1 of a Lua file named Dockerfile: BuildKit's
    Dockerfile frontend hands the build to ours, which reads that same file."""
    folder = folder_with(
        tmp_path,
        {
            "Dockerfile": f"""\
                # syntax={frontend}
                local base = bk.image(bk.arg("BASE"))
                bk.export(base:run("echo forwarded > /via"))
            """,
        },
    )
    out = tmp_path / "out"
    frontend_build(
        buildkit,
        frontend,
        folder,
        frontend_name="dockerfile.v0",
        opts={"build-arg:BASE": busybox_ref},
        output=f"type=local,dest={out}",
    )
    assert (out / "via").read_text() == "forwarded\n"


def test_export_platform_names_the_image_without_a_platform_option(buildkit, frontend, registry, tmp_path):
    folder = folder_with(
        tmp_path, {"build.lua": 'bk.export(bk.scratch():mkfile("/f", "x"), { os = "linux", arch = "arm64" })\n'}
    )
    ref = f"{registry}/frontend-arch:1"
    frontend_build(buildkit, frontend, folder, output=buildkit.push_output(ref))
    config = buildkit.image_config(ref, ("linux", "arm64"))
    assert (config["os"], config["architecture"]) == ("linux", "arm64")
