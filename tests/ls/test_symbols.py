"""Document symbols: State locals grouped under their export, dead stages apart, and the build inputs."""

from lsprotocol.types import SymbolKind

from luakit_ls.symbols import document_symbols

from .helpers import evaluated_calls, example


def by_name(symbols):
    return {s.name: s for s in symbols}


def test_go_multistage_outline_with_the_last_evaluation():
    text = example("go-multistage")
    calls = evaluated_calls(text)
    symbols = document_symbols(text, calls=calls)
    assert [s.name for s in symbols] == ["bk.export", "build inputs"]
    export = symbols[0]
    assert export.kind == SymbolKind.Event and export.detail == "final"
    stages = [c.name for c in export.children]
    assert stages == ["builder", "go_files", "with_go", "deps", "src", "with_src", "built", "runtime", "final"]
    deps = by_name(export.children)["deps"]
    run = next(c for c in calls if c.function == "state:run")
    assert deps.detail == f"exec · {run.digest[7:19]}"
    assert deps.selection_range.start.character == len("local ")
    inputs = by_name(symbols[1].children)
    assert set(inputs) == {"context", "gomod", "gobuild"}
    assert inputs["context"].detail == "local directory" and inputs["gomod"].detail == "cache mount"


def test_without_an_evaluation_the_op_kind_comes_from_the_last_call():
    symbols = document_symbols(example("merge-diff"))
    stages = by_name(symbols[0].children)
    assert {name: s.detail for name, s in stages.items()} == {
        "base": "source",
        "curl": "exec",
        "jq": "exec",
        "tools": "merge",
        "nginx_layer": "diff",
        "server": "file",  # mkfile, then with_metadata (which makes no new op)
    }


def test_stages_that_never_reach_the_export_stay_at_the_top_level():
    text = """local base = bk.image("alpine")
local unused = base:run("make")
local out = base:mkdir("/out")
out = out:mkfile("/out/x", "y")
bk.export(out)
"""
    symbols = document_symbols(text)
    assert [s.name for s in symbols] == ["bk.export", "unused"]  # in source order: the export encloses its stages
    assert [c.name for c in symbols[0].children] == ["base", "out"]
    export_range = symbols[0].range
    assert export_range.start.line == 0 and export_range.end.line == 4  # it encloses its stages
    assert symbols[1].detail == "exec"


def test_build_inputs():
    text = """local v = bk.arg("VERSION", "1.0")
local tag = os.getenv("TAG")
local src = bk.git("git@github.com:o/r.git", { auth_token_secret = "gh_token", mount_ssh_sock = "gh" })
local ran = bk.image("alpine"):run("make", {
  mounts = {
    bk.secret("/run/secrets/npmrc"),
    bk.secret("/x", { id = "other" }),
    bk.ssh(),
    bk.cache("/root/.cache", { id = "cache" }),
    bk.cache("/go/pkg"),
  },
  secret_env = { NPM_TOKEN = "npm_token", GH = { id = "gh_env", optional = true } },
})
bk.export(ran)
"""
    symbols = document_symbols(text)
    group = by_name(symbols)["build inputs"]
    assert group.kind == SymbolKind.Namespace
    found = {(c.name, c.detail) for c in group.children}
    assert found == {
        ("VERSION", "build arg (default: 1.0)"),
        ("TAG", "build arg"),
        ("gh_token", "secret"),
        ("gh", "ssh agent"),
        ("npmrc", "secret"),
        ("other", "secret"),
        ("default", "ssh agent"),
        ("cache", "cache mount"),
        ("/go/pkg", "cache mount"),
        ("npm_token", "secret"),
        ("gh_env", "secret"),
    }
    for child in group.children:  # LSP: the selection lies inside the range
        assert (child.range.start.line, child.range.start.character) <= (
            child.selection_range.start.line,
            child.selection_range.start.character,
        )


def test_states_bound_by_a_helper_are_stages_with_the_evaluation():
    text = example("prelude")
    export = by_name(document_symbols(text))["bk.export"]
    assert export.children == []  # without evaluation `app` is just a helper's result
    export = by_name(document_symbols(text, calls=evaluated_calls(text)))["bk.export"]
    assert [c.name for c in export.children] == ["app"] and export.children[0].detail.startswith("exec · ")


def test_broken_code_still_gives_the_complete_statements():
    text = 'local a = bk.image("x")\nlocal b = a:run("y", {\nlocal c = a:mkdir("/z")\n'
    names = {s.name for s in document_symbols(text)}
    assert "a" in names
