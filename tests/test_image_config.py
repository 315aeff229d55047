"""Base image configs into states, and the exported image's config (compiler/image/config.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from compiler.api.call import ImageResolveError, RegistryUnreachable
from compiler.graph import nodes as g
from compiler.graph.platform import Platform, host
from compiler.image.config import exported_image_config, image_defaults_from_config
from tests.helpers import build, problems, run_script

DIGEST = "sha256:" + "ab" * 32
BASE_CONFIG = {
    "created": "2024-01-01T00:00:00Z",
    "architecture": "arm64",
    "os": "linux",
    "variant": "v8",
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "11" * 32]},
    "history": [{"created_by": "ADD rootfs"}],
    "config": {
        "Env": ["PATH=/opt/bin:/bin", "LANG=C.UTF-8"],
        "WorkingDir": "/srv",
        "User": "app",
        "Entrypoint": ["/bin/base"],
        "Cmd": ["--serve"],
        "Labels": {"from": "base"},
        "ExposedPorts": {"9000/tcp": {}},
    },
}


class Resolver:
    """A resolver answering from a table: config JSON per identifier (what a registry would send)."""

    def __init__(self, configs: dict[str, dict], digest: str = DIGEST) -> None:
        self.configs = configs
        self.digest = digest
        self.asked: list[tuple[str, Platform | None]] = []

    def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None:
        self.asked.append((identifier, platform))
        config = self.configs.get(identifier)
        return None if config is None else image_defaults_from_config(json.dumps(config).encode(), self.digest)


ALPINE = "docker-image://docker.io/library/alpine:3.19"


def exported(script: str, configs: dict[str, dict] | None = None, platform: Platform | None = None, **options):
    evaluation = run_script(script, image_resolver=Resolver(configs or {}), **options)
    assert evaluation.ok, evaluation.problems
    return exported_image_config(evaluation, platform)


# ---------------------------------------------------------------- reading a config


def test_a_config_blob_gives_env_workdir_user_the_whole_config_and_the_digest():
    defaults = image_defaults_from_config(json.dumps(BASE_CONFIG).encode(), DIGEST)
    assert defaults.env == ("PATH=/opt/bin:/bin", "LANG=C.UTF-8")
    assert (defaults.workdir, defaults.user, defaults.digest) == ("/srv", "app", DIGEST)
    assert json.loads(defaults.config) == BASE_CONFIG


def test_a_config_without_a_config_section_gives_empty_defaults():
    defaults = image_defaults_from_config(b'{"os": "linux", "architecture": "amd64", "config": null}')
    assert (defaults.env, defaults.workdir, defaults.user, defaults.digest) == ((), "", "", "")


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"{not json", "the image config is not valid JSON"),
        (b"[1]", "the image config is not a JSON object (got list)"),
        (b'{"config": []}', 'the image config\'s "config" is not a JSON object'),
        (b'{"config": {"Env": "PATH=/bin"}}', 'the image config\'s "Env" is not a list of strings'),
        (b'{"config": {"User": 0}}', 'the image config\'s "WorkingDir" and "User" must be strings'),
    ],
)
def test_a_bad_config_blob_is_a_clear_error(blob, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        image_defaults_from_config(blob)


# ---------------------------------------------------------------- bk.image pins what it resolved


def test_a_resolved_image_is_pinned_to_its_digest_like_dockerfile_from():
    d = build('bk.export(bk.image("alpine:3.19"))', image_resolver=Resolver({ALPINE: BASE_CONFIG}))
    assert d.ops[0].source.identifier == f"{ALPINE}@{DIGEST}"


def test_unresolved_and_unpinned_images_keep_their_identifier():
    d = build(
        """
        local a = bk.image("alpine:3.19", { resolve_digest = false })
        local b = bk.image("busybox")
        bk.export(bk.merge(a, b))
        """,
        image_resolver=Resolver({ALPINE: BASE_CONFIG}),
    )
    assert sorted(op.source.identifier for op in d.ops if op.HasField("source")) == [
        ALPINE,
        "docker-image://docker.io/library/busybox:latest",
    ]


def test_an_image_given_by_digest_is_not_pinned_again():
    pinned = "docker-image://docker.io/library/alpine@" + "sha256:" + "cd" * 32
    d = build(f'bk.export(bk.image("{pinned}"))', image_resolver=Resolver({pinned: BASE_CONFIG}))
    assert d.ops[0].source.identifier == pinned


def test_the_resolver_is_asked_for_the_image_platform():
    resolver = Resolver({})
    run_script('bk.export(bk.image("alpine:3.19", { platform = "linux/aarch64" }))', image_resolver=resolver)
    assert resolver.asked == [(ALPINE, Platform("linux", "arm64"))]


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def resolve(self, identifier: str, platform: Platform | None) -> g.ImageDefaults | None:
        raise self.error


def test_a_failed_resolution_is_a_located_error():
    failing = Failing(ImageResolveError('cannot resolve "x": 404 manifest unknown at registry r'))
    assert problems('\nbk.export(bk.image("alpine"))', image_resolver=failing) == [
        'build.lua:2:11: bk.image: cannot resolve "x": 404 manifest unknown at registry r'
    ]


def test_an_unreachable_registry_is_a_located_warning_and_the_defaults():
    failing = Failing(RegistryUnreachable('cannot resolve "x": registry r is unreachable (timed out)'))
    evaluation = run_script('bk.export(bk.image("alpine"):run("true"))', image_resolver=failing)
    assert evaluation.ok
    assert [str(p) for p in evaluation.problems] == [
        'build.lua:1:11: warning: bk.image: cannot resolve "x": registry r is unreachable (timed out); later steps '
        "get the default PATH and working directory (the daemon may still pull the image; pass --no-resolve to "
        "skip the lookup)"
    ]
    assert exported_image_config(evaluation, Platform("linux", "amd64"))["config"]["WorkingDir"] == "/"


# ---------------------------------------------------------------- the exported config


def test_a_scratch_export_gets_dockerfiles_empty_image_config():
    assert exported("bk.export(bk.scratch())", platform=Platform("linux", "arm", "v7")) == {
        "os": "linux",
        "architecture": "arm",
        "variant": "v7",
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {
            "WorkingDir": "/",
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        },
    }


def test_the_platform_defaults_to_the_exported_states_then_the_hosts():
    on_arm = exported('bk.export(bk.scratch():mkdir("/x"))', target_platform=Platform("linux", "arm64"))
    assert (on_arm["os"], on_arm["architecture"]) == ("linux", "arm64")
    here = exported('bk.export(bk.scratch():mkdir("/x"))')
    assert (here["os"], here["architecture"]) == (host().os, host().architecture)


def test_export_options_choose_the_platform_unless_the_caller_names_one():
    script = 'bk.export(bk.scratch(), { os = "linux", arch = "arm64" })'
    assert exported(script)["architecture"] == "arm64"
    assert exported(script, platform=Platform("linux", "amd64"))["architecture"] == "amd64"


def test_an_export_descending_from_an_image_starts_from_its_config():
    script = """
    local base = bk.image("alpine:3.19")
    local built = base:run("make"):mkdir("/out"):copy(bk.local_("context"), ".", "/src")
    bk.export(built)
    """
    image = exported(script, {ALPINE: BASE_CONFIG}, platform=Platform("linux", "amd64"))
    assert "created" not in image  # the exporter dates the new image
    assert (image["os"], image["architecture"]) == ("linux", "amd64")
    assert "variant" not in image  # the base's arm64 variant does not describe an amd64 image
    assert image["rootfs"] == {"type": "layers", "diff_ids": []}
    assert image["history"] == BASE_CONFIG["history"]  # kept, as Dockerfile keeps the base's
    assert image["config"] == BASE_CONFIG["config"]


def test_export_options_overlay_the_base_config_like_dockerfile_instructions():
    script = """
    bk.export(bk.image("alpine:3.19"), {
      entrypoint = { "/bin/app" }, env = { LANG = "C", MODE = "prod" }, user = "root", workdir = "/app",
      expose = { 8080 }, labels = { team = "build" }, volumes = { "/data" }, stop_signal = "SIGINT",
    })
    """
    config = exported(script, {ALPINE: BASE_CONFIG})["config"]
    assert config == {
        "Env": ["PATH=/opt/bin:/bin", "LANG=C", "MODE=prod"],  # ENV replaces in place, appends new ones
        "WorkingDir": "/app",
        "User": "root",
        "Entrypoint": ["/bin/app"],  # ENTRYPOINT without CMD drops the base's CMD
        "Labels": {"from": "base", "team": "build"},
        "ExposedPorts": {"9000/tcp": {}, "8080/tcp": {}},
        "Volumes": {"/data": {}},
        "StopSignal": "SIGINT",
    }


def test_cmd_alone_keeps_the_base_entrypoint():
    config = exported('bk.export(bk.image("alpine:3.19"), { cmd = { "--once" } })', {ALPINE: BASE_CONFIG})["config"]
    assert (config["Entrypoint"], config["Cmd"]) == (["/bin/base"], ["--once"])


def test_a_base_without_path_gets_the_default_path():
    base = {"os": "linux", "architecture": "amd64", "config": {"Env": ["A=1"]}}
    config = exported('bk.export(bk.image("alpine:3.19"))', {ALPINE: base})["config"]
    # appended, as Dockerfile's FROM does
    assert config["Env"] == ["A=1", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def test_merge_keeps_the_first_layers_config_and_diff_the_lower_states():
    other = "docker-image://docker.io/library/busybox:latest"
    configs = {ALPINE: BASE_CONFIG, other: {"os": "linux", "config": {"User": "other"}}}
    merged = """
    bk.export(bk.merge(bk.image("alpine:3.19"), bk.image("busybox")))
    """
    assert exported(merged, configs)["config"]["User"] == "app"
    diffed = """
    local base = bk.image("busybox")
    bk.export(bk.diff(base, bk.image("alpine:3.19"):mkdir("/x")))
    """
    assert exported(diffed, configs)["config"]["User"] == "other"
    copied = """
    bk.export(bk.image("busybox"):copy(bk.image("alpine:3.19"), "/etc", "/etc"))
    """
    assert exported(copied, configs)["config"]["User"] == "other"  # the destination's


def test_a_run_on_a_merge_uses_the_first_layers_env():
    script = """
    bk.export(bk.merge(bk.image("alpine:3.19"), bk.local_("context")):run("true"))
    """
    d = build(script, image_resolver=Resolver({ALPINE: BASE_CONFIG}))
    (run,) = d.of_kind("exec")
    assert (list(run.exec.meta.env), run.exec.meta.cwd, run.exec.meta.user) == (
        ["PATH=/opt/bin:/bin", "LANG=C.UTF-8"],
        "/srv",
        "app",
    )


def test_nothing_exported_is_an_error():
    evaluation = run_script("local x = 1")
    with pytest.raises(ValueError, match="nothing was exported"):
        exported_image_config(evaluation)


# ---------------------------------------------------------------- the CLI


def luakit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if k != "LUAKIT_NO_RESOLVE"}
    return subprocess.run(
        [sys.executable, "-m", "compiler.cli", *args],
        capture_output=True,
        timeout=60,
        env={**environment, **(env or {})},
    )


def test_config_out_writes_the_exported_image_config(tmp_path):
    script = tmp_path / "build.lua"
    script.write_text('bk.export(bk.scratch():mkdir("/x"), { cmd = { "/x" }, os = "linux", arch = "arm64" })\n')
    done = luakit("build", str(script), "--config-out", str(tmp_path / "config.json"), "-o", str(tmp_path / "d.pb"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "config.json").read_text()) == {
        "os": "linux",
        "architecture": "arm64",
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {
            "WorkingDir": "/",
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["/x"],
        },
    }
    refused = luakit("build", str(script), "--config-out", "-")
    assert refused.returncode == 2
    assert refused.stderr.decode().endswith("--config-out - needs -o FILE: stdout already carries the definition\n")


def test_no_resolve_by_flag_or_environment_asks_no_registry(tmp_path):
    script = tmp_path / "build.lua"
    script.write_text('bk.export(bk.image("127.0.0.1:9/app:1"):run("true"))\n')
    env = {"LUAKIT_CACHE_DIR": str(tmp_path / "cache")}
    asked = luakit("validate", str(script), env=env)
    assert asked.returncode == 0
    assert "warning: bk.image: cannot resolve" in asked.stderr.decode()
    assert luakit("validate", "--no-resolve", str(script), env=env).stderr == b""
    assert luakit("validate", str(script), env={**env, "LUAKIT_NO_RESOLVE": "1"}).stderr == b""
