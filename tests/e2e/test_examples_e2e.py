"""The seed README's examples, built for real: the Quick Start and the Go multi-stage build.

Public base images are replaced by local ones: `alpine:3.19` -> the harness busybox image,
`golang:1.21-alpine` -> busybox plus a fake `go` shell script, and
`gcr.io/distroless/static-debian12` -> busybox again (so the built server can be run).
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
import textwrap

import pytest
from scenario import scenario

# --------------------------------------------------------------------------- Quick Start

QUICK_START = """
local base = bk.image(bk.arg("BASE"))  -- README: bk.image("alpine:3.19")
local result = base:run("echo 'Hello from Luakit!' > /greeting.txt")
bk.export(result)
"""


def test_readme_quick_start(buildkit, tmp_path):
    result = scenario(buildkit, tmp_path, QUICK_START)
    assert (result.out / "greeting.txt").read_text() == "Hello from Luakit!\n"
    assert (result.out / "bin" / "busybox").is_file()


def test_readme_cli_usage_validate_and_output_file(buildkit, tmp_path):
    """README "CLI Usage": `luakit validate build.lua` and `luakit build -o output.pb build.lua`,
    then the file is what buildctl builds."""
    (tmp_path / "build.lua").write_text(QUICK_START)
    base_arg = ["--arg", f"BASE={buildkit.busybox_ref}"]
    cli = [sys.executable, "-m", "compiler.cli"]
    validate = subprocess.run(
        [*cli, "validate", str(tmp_path / "build.lua"), *base_arg], capture_output=True, timeout=120
    )
    assert validate.returncode == 0, validate.stderr
    assert validate.stdout == b""
    pb = tmp_path / "output.pb"
    built = subprocess.run(
        [*cli, "build", "-o", str(pb), str(tmp_path / "build.lua"), *base_arg],
        capture_output=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    assert built.stdout == b""
    out = tmp_path / "out"
    buildkit.build(pb.read_bytes(), contexts={"context": tmp_path}, output=f"type=local,dest={out}")
    assert (out / "greeting.txt").read_text() == "Hello from Luakit!\n"


# --------------------------------------------------------------------------- Go multi-stage

# Stands in for the Go toolchain: `go mod download` records the module in the module
# cache (/go/pkg/mod), `go build -o OUT` needs that record and writes an executable
# shell script to OUT that prints the greeting found in main.go.
FAKE_GO = r"""#!/bin/sh
set -e
case "$1" in
  version)
    echo "go version go1.21.0-fake linux/amd64"
    ;;
  mod)
    [ "$2" = download ] || { echo "fake go: unsupported: go mod $2" >&2; exit 2; }
    [ -f go.mod ] || { echo "go: go.mod file not found in $(pwd)" >&2; exit 1; }
    [ ! -f main.go ] || { echo "fake go: main.go should not be here yet (include filter)" >&2; exit 1; }
    mkdir -p /go/pkg/mod/cache
    sed -n 's/^module //p' go.mod > /go/pkg/mod/cache/downloaded
    ;;
  build)
    shift
    out=""
    while [ $# -gt 0 ]; do
      case "$1" in
        -o) out="$2"; shift 2 ;;
        *) shift ;;
      esac
    done
    [ -n "$out" ] || { echo "fake go: -o is required" >&2; exit 2; }
    [ -f /go/pkg/mod/cache/downloaded ] || { echo "fake go: module cache is empty" >&2; exit 1; }
    [ -f main.go ] || { echo "fake go: no main.go in $(pwd)" >&2; exit 1; }
    mkdir -p "$(dirname "$out")" /root/.cache/go-build
    echo "build $out" >> /root/.cache/go-build/log
    msg=$(sed -n 's/.*greeting = "\(.*\)".*/\1/p' main.go)
    module=$(cat /go/pkg/mod/cache/downloaded)
    printf '#!/bin/sh\necho "%s (module %s, user $(id -un))"\n' "$msg" "$module" > "$out"
    chmod 0755 "$out"
    ;;
  *)
    echo "fake go: unsupported command $1" >&2
    exit 2
    ;;
esac
"""


@pytest.fixture(scope="module")
def fake_golang_ref(buildkit, busybox_ref) -> str:
    return buildkit.build_base_image(
        "fake-golang:1.21-alpine",
        f"FROM {busybox_ref}\n"
        "COPY go /usr/local/bin/go\n"
        "RUN chmod 0755 /usr/local/bin/go && mkdir -p /go/pkg/mod /root/.cache\n",
        {"go": FAKE_GO},
    )


# The README's example with only the image references replaced by build args.
GO_MULTI_STAGE = """
-- Builder stage
local builder = bk.image(bk.arg("GOLANG"))   -- README: golang:1.21-alpine

local go_files = bk.local_("context", {
    include = { "go.mod", "go.sum" }
})
local with_go = builder:copy(go_files, ".", "/app")

local deps = with_go:run("go mod download", {
    cwd = "/app",
    mounts = { bk.cache("/go/pkg/mod", { id = "gomod" }) }
})

local src = bk.local_("context")
local with_src = deps:copy(src, ".", "/app")

local built = with_src:run({
    "go", "build",
    "-ldflags=-s -w",
    "-o", "/out/server",
    "."
}, {
    cwd = "/app",
    mounts = {
        bk.cache("/go/pkg/mod", { id = "gomod" }),
        bk.cache("/root/.cache/go-build", { id = "gobuild" })
    }
})

-- Runtime stage
local runtime = bk.image(bk.arg("RUNTIME"))  -- README: gcr.io/distroless/static-debian12
local final = runtime:copy(built, "/out/server", "/server")

bk.export(final, {
    entrypoint = {"/server"},
    user = "nobody",
    expose = {"8080/tcp"}
})
"""

GO_SOURCES = {
    "go.mod": "module example.com/server\n\ngo 1.21\n",
    "go.sum": "",
    "main.go": textwrap.dedent(
        """\
        package main

        import "fmt"

        const greeting = "hello from the luakit server"

        func main() { fmt.Println(greeting) }
        """
    ),
}


def test_readme_go_multi_stage(buildkit, registry, busybox_ref, fake_golang_ref, tmp_path):
    ref = f"{registry}/luakit-go-server:1"
    result = scenario(
        buildkit,
        tmp_path,
        GO_MULTI_STAGE,
        files=GO_SOURCES,
        args={"GOLANG": fake_golang_ref, "RUNTIME": busybox_ref},
        output=buildkit.push_output(ref),
    )
    assert result.build.returncode == 0

    rootfs = buildkit.image_files(ref, tmp_path / "rootfs")
    server = rootfs / "server"
    assert server.is_file()
    assert stat.S_IMODE(server.stat().st_mode) == 0o755
    text = server.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "hello from the luakit server (module example.com/server" in text
    # Only the binary comes over from the builder; its sources and caches do not.
    assert not (rootfs / "app").exists()
    assert not (rootfs / "go").exists()
    assert not (rootfs / "out").exists()
    assert (rootfs / "bin" / "busybox").is_file()  # the runtime base
    # Today the CLI path does not carry bk.export's image config into the pushed image
    # (only the gateway frontend does), so entrypoint/user/expose are not asserted here.
    config = buildkit.image_config(ref)
    assert config["os"] == "linux"
    shutil.rmtree(rootfs)

    # The pushed image runs: its /server works as user nobody.
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    ran = scenario(
        buildkit,
        run_dir,
        """
        local img = bk.image(bk.arg("IMAGE"))
        local ran = img:run("/server > /tmp/out.txt", { user = "nobody" })
        bk.export(bk.scratch():copy(ran, "/tmp/out.txt", "/out.txt"))
        """,
        args={"IMAGE": ref},
    )
    assert (ran.out / "out.txt").read_text() == (
        "hello from the luakit server (module example.com/server, user nobody)\n"
    )


def test_go_multi_stage_cache_mounts_are_not_in_the_result(buildkit, busybox_ref, fake_golang_ref, tmp_path):
    """The builder stage itself, exported: /out/server is there, but /go/pkg/mod and the
    build cache were cache mounts, so they stay out of the snapshot."""
    script = GO_MULTI_STAGE[: GO_MULTI_STAGE.index("bk.export(final")] + textwrap.dedent(
        """
        bk.export(built:run("ls -a /go/pkg/mod > /app/mod-listing.txt", {
            cwd = "/app",
            mounts = { bk.cache("/go/pkg/mod", { id = "gomod" }) },
        }))
        """
    )
    result = scenario(
        buildkit,
        tmp_path,
        script,
        files=GO_SOURCES,
        args={"GOLANG": fake_golang_ref, "RUNTIME": busybox_ref},
    )
    out = result.out
    assert (out / "out" / "server").is_file()
    assert stat.S_IMODE((out / "out" / "server").stat().st_mode) == 0o755
    assert (out / "app" / "main.go").read_text() == GO_SOURCES["main.go"]
    # Seen through the cache mount: what `go mod download` wrote there.
    assert "cache" in (out / "app" / "mod-listing.txt").read_text().split()
    # Not in the snapshot: the image's empty dirs only.
    assert list((out / "go" / "pkg" / "mod").iterdir()) == []
    assert (
        not (out / "root" / ".cache" / "go-build").exists()
        or list((out / "root" / ".cache" / "go-build").iterdir()) == []
    )
