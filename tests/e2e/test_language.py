"""The Lua side end to end: require, build args, the bundled prelude, first-line
comments and step metadata -- each checked on what BuildKit really built."""

from __future__ import annotations

import subprocess
import sys

from scenario import scenario

# =========================================================================== require


REQUIRE_FILES = {
    # Dotted name -> lib/util.lua. Builds states from the state it is given.
    "lib/util.lua": """
        local counter = require("counter")
        local M = {}
        function M.stamp(state, name)
          return state:run("mkdir -p /stamps && echo " .. name .. " > /stamps/" .. name)
        end
        function M.config(text)
          return bk.scratch():mkfile("/config.txt", text)
        end
        M.counter = counter
        return M
        """,
    # A package: require("pkg") -> pkg/init.lua, which requires its own submodule.
    "pkg/init.lua": """
        local helpers = require("pkg.helpers")
        return { name = "pkg", greet = helpers.greet }
        """,
    "pkg/helpers.lua": """
        return {
          greet = function(state, who)
            return state:run("echo hello " .. who .. " > /greeting.txt")
          end,
        }
        """,
    # Counts how often its body runs: required from build.lua and from lib/util.lua,
    # and under two spellings of the same file.
    "counter.lua": """
        module_loads = (module_loads or 0) + 1
        return { loads = function() return module_loads end }
        """,
}


def test_require_context_modules(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """
        local util = require("lib.util")
        local pkg = require("pkg")
        local counter = require("counter")
        local again = require("counter")
        local slash = require("lib/util")
        assert(counter == again, "require must return the cached module")
        assert(slash == util, "lib.util and lib/util are the same module")
        assert(util.counter == counter)

        local base = bk.image(bk.arg("BASE"))
        local st = util.stamp(base, "one")
        st = pkg.greet(st, pkg.name)
        st = st:copy(util.config("from a module\\n"), "/config.txt", "/etc/config.txt")
        st = st:mkfile("/loads.txt", tostring(counter.loads()) .. "\\n")
        bk.export(st)
        """,
        files=REQUIRE_FILES,
    )
    assert (result.out / "stamps/one").read_text() == "one\n"
    assert (result.out / "greeting.txt").read_text() == "hello pkg\n"
    assert (result.out / "etc/config.txt").read_text() == "from a module\n"
    assert (result.out / "loads.txt").read_text() == "1\n", "a module required several times must run once"


def test_require_missing_module_fails_compile(buildkit, tmp_path):
    context = tmp_path / "context"
    context.mkdir()
    (context / "build.lua").write_text('local m = require("nope.missing")\nbk.export(bk.scratch())\n')
    proc = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "build", str(context / "build.lua")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "nope/missing.lua" in proc.stderr and "nope/missing/init.lua" in proc.stderr, proc.stderr


# =========================================================================== build args


ARGS_SCRIPT = """
    local greeting = bk.arg("GREETING", "default-greeting")
    local from_env = os.getenv("GREETING")
    local version = bk.arg("VERSION", "0.0.0-dev")
    local missing_env = os.getenv("VERSION")
    local st = bk.image(bk.arg("BASE"))
      :run("echo " .. greeting .. " > /greeting.txt")
      :mkfile("/env.txt", tostring(from_env) .. "\\n")
      :mkfile("/version.txt", version .. "\\n")
      :mkfile("/missing.txt", tostring(missing_env) .. "\\n")
    bk.export(st)
"""


def test_build_args_given(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        ARGS_SCRIPT,
        args={"GREETING": "hi-from-arg"},
        cli_flags=["--arg", "VERSION=1.2.3"],
    )
    assert (result.out / "greeting.txt").read_text() == "hi-from-arg\n"
    assert (result.out / "env.txt").read_text() == "hi-from-arg\n"
    assert (result.out / "version.txt").read_text() == "1.2.3\n"
    assert (result.out / "missing.txt").read_text() == "1.2.3\n"


def test_build_args_defaults(buildkit, tmp_path):
    result = scenario(buildkit, tmp_path, ARGS_SCRIPT)
    assert (result.out / "greeting.txt").read_text() == "default-greeting\n"
    assert (result.out / "env.txt").read_text() == "nil\n"
    assert (result.out / "version.txt").read_text() == "0.0.0-dev\n"
    assert (result.out / "missing.txt").read_text() == "nil\n"


def test_build_arg_without_default_is_nil(buildkit, tmp_path):
    """types/bk.lua: bk.arg returns `nil` (one value) when the arg is absent and has no default."""
    result = scenario(
        buildkit,
        tmp_path,
        """
        local n = select("#", bk.arg("UNSET_NO_DEFAULT"))
        local text = tostring(bk.arg("UNSET_NO_DEFAULT"))
        local given = tostring(bk.arg("GIVEN"))
        bk.export(bk.scratch():mkfile("/nodefault.txt", n .. " " .. text .. " " .. given .. "\\n"))
        """,
        args={"GIVEN": ""},
    )
    # An empty --arg value is given (""), not absent.
    assert (result.out / "nodefault.txt").read_text() == "1 nil \n"


# =========================================================================== prelude


def test_prelude_helpers_on_busybox(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """
        local prelude = require("prelude")
        local base = bk.image(bk.arg("BASE"))
        local src = bk.local_("context", { include = { "site/" } })

        -- with_workdir: mkdir -p
        local st = prelude.with_workdir(base, "/srv/www/html")
        -- copy_all: the whole site dir into the workdir
        st = prelude.copy_all(src, st, "/site", "/srv/www/html")
        -- chown_path: chown -R user:group
        st = prelude.chown_path(st, "/srv/www", "app", "app")
        st = st:run("stat -c '%U:%G %n' /srv/www/html/index.html /srv/www/html/css/site.css > /owners.txt")

        -- merge_multiple: layers several states
        local a = bk.scratch():mkfile("/a.txt", "a\\n")
        local b = bk.scratch():mkfile("/b.txt", "b\\n")
        local c = bk.scratch():mkfile("/a.txt", "c wins\\n")
        local merged = prelude.merge_multiple({ st, a, b, c })

        -- container: calls the function with the base
        local final = prelude.container(merged, function(s)
          return s:run("ls /srv/www/html > /listing.txt")
        end)
        bk.export(final)
        """,
        files={
            "site/index.html": "<h1>hi</h1>\n",
            "site/css/site.css": "body{}\n",
            "other.txt": "not included\n",
        },
    )
    out = result.out
    assert (out / "srv/www/html/index.html").read_text() == "<h1>hi</h1>\n"
    assert (out / "srv/www/html/css/site.css").read_text() == "body{}\n"
    assert not (out / "srv/www/html/other.txt").exists()
    assert (out / "owners.txt").read_text().splitlines() == [
        "app:app /srv/www/html/index.html",
        "app:app /srv/www/html/css/site.css",
    ]
    assert (out / "a.txt").read_text() == "c wins\n"
    assert (out / "b.txt").read_text() == "b\n"
    assert (out / "listing.txt").read_text().split() == ["css", "index.html"]
    assert (out / "bin/busybox").is_file()


# =========================================================================== first-line comments


def test_shebang_first_line(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """#!/usr/bin/env luakit
local st = bk.image(bk.arg("BASE")):run("echo shebang > /x.txt")
bk.export(st)
""",
    )
    assert (result.out / "x.txt").read_text() == "shebang\n"


def test_syntax_directive_first_line(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """# syntax=docker.io/kasuboski/luakit:latest
local st = bk.image(bk.arg("BASE")):run("echo syntax > /x.txt")
-- an error on line 4 would be reported on line 4: line numbers are kept
bk.export(st)
""",
    )
    assert (result.out / "x.txt").read_text() == "syntax\n"


# =========================================================================== metadata


def test_with_metadata_description_in_progress(buildkit, tmp_path):
    script = """
        local base = bk.image(bk.arg("BASE"))
        local built = base:run("echo compiled > /thing.txt")
          :with_metadata({ description = "compile the thing" })
        local tested = built:run("cat /thing.txt > /tested.txt")
          :with_metadata({ description = "test the thing", progress_group = "grp" })
        local linted = tested:run("echo linted > /linted.txt")
          :with_metadata({ description = "lint the thing", progress_group = "grp" })
        bk.export(linted)
        """
    result = scenario(buildkit, tmp_path, script)
    assert (result.out / "tested.txt").read_text() == "compiled\n"
    assert (result.out / "linted.txt").read_text() == "linted\n"
    err = result.build.stderr
    # --progress plain prints each vertex as "#N <name>"; the name is the description.
    names = {line.split(" ", 1)[1] for line in err.splitlines() if line.startswith("#") and " " in line}
    assert "compile the thing" in names, err
    assert not any("echo compiled" in n for n in names), err
    # Vertices of one progress group are shown as one entry named after the group.
    assert "grp" in names, err
    assert not any("cat /thing.txt" in n or "echo linted" in n for n in names), err

    # The description and group are in the definition's op metadata.
    meta = [m["OpMetadata"] for m in buildkit.dump_llb(result.definition)]
    descriptions = [m.get("description", {}).get("llb.customname") for m in meta]
    assert {"compile the thing", "test the thing", "lint the thing"} <= set(descriptions), meta
    groups = [m.get("progress_group", {}).get("id") for m in meta]
    assert groups.count("grp") == 2, meta
