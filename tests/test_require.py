"""require / dofile: the script folder and the bundled stdlib, each module once, source-mapped."""

from tests.helpers import decode, run_script


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def evaluate_dir(root, script):
    write(root, {"build.lua": script})
    return run_script(script, name="build.lua", path=str(root / "build.lua"))


def test_dotted_slashed_and_init_modules_run_once(tmp_path):
    write(
        tmp_path,
        {
            "lib/util.lua": "COUNT = (COUNT or 0) + 1\nreturn { base = function() local s = bk.image('alpine') return s end }\n",
            "pkg/init.lua": "return { name = 'pkg' }\n",
        },
    )
    evaluation = evaluate_dir(
        tmp_path,
        """
        local a = require("lib.util")
        local b = require("lib/util")
        local c = require("lib/util.lua")
        assert(a == b and b == c)
        assert(COUNT == 1, COUNT)
        assert(require("pkg").name == "pkg")
        assert(package.loaded["lib.util"] == a)
        bk.export(a.base():run("true"))
        """,
    )
    assert evaluation.ok, [str(p) for p in evaluation.problems]
    assert [s.name for s in evaluation.sources] == ["build.lua", "lib/util.lua", "pkg/init.lua"]
    d = decode(evaluation.definition_bytes())
    infos = [i.filename for i in d.definition.Source.infos]
    assert infos == ["build.lua", "lib/util.lua", "pkg/init.lua"]
    source_digest = d.digests[0]
    location = d.definition.Source.locations[source_digest].locations[0]
    assert infos[location.sourceIndex] == "lib/util.lua"
    assert location.ranges[0].start.line == 2


def test_missing_module_lists_searched_paths(tmp_path):
    evaluation = evaluate_dir(tmp_path, 'require("nope.mod")\nbk.export(bk.scratch())')
    (problem,) = [str(p) for p in evaluation.problems]
    assert problem == (
        "build.lua:1:1: require: module 'nope.mod' not found:"
        "\n\tno file 'nope/mod.lua'\n\tno file 'nope/mod/init.lua'"
        "\n\tno file 'luakit/nope/mod.lua'\n\tno file 'luakit/nope/mod/init.lua'"
    )


def test_module_display_names_follow_the_script_path(tmp_path):
    write(tmp_path, {"sub/lib.lua": "return 1", "sub/build.lua": "require('lib') bk.export(bk.scratch())"})
    script = tmp_path / "sub" / "build.lua"
    evaluation = run_script(script.read_text(), name="sub/build.lua", path=str(script))
    assert [s.name for s in evaluation.sources] == ["sub/build.lua", "sub/lib.lua"]


def test_context_module_shadows_stdlib_and_stdlib_is_bundled(tmp_path):
    evaluation = evaluate_dir(tmp_path, 'local p = require("prelude")\nbk.export(p.from_alpine("3.20"))')
    assert evaluation.ok
    assert decode(evaluation.definition_bytes()).one("source").source.identifier.endswith("alpine:3.20")
    write(tmp_path, {"prelude.lua": "return { mine = true }"})
    evaluation = evaluate_dir(tmp_path, 'assert(require("prelude").mine)\nbk.export(bk.scratch())')
    assert evaluation.ok


def test_require_loop_is_reported(tmp_path):
    write(tmp_path, {"a.lua": "require('b') return 1", "b.lua": "require('a') return 2"})
    evaluation = evaluate_dir(tmp_path, "require('a')\nbk.export(bk.scratch())")
    messages = [str(p) for p in evaluation.problems]
    assert messages and "loop or previous error loading module 'a'" in messages[0]


def test_dofile_runs_each_time(tmp_path):
    write(tmp_path, {"inc.lua": "N = (N or 0) + 1"})
    evaluation = evaluate_dir(tmp_path, "dofile('inc.lua') dofile('inc.lua') assert(N == 2)\nbk.export(bk.scratch())")
    assert evaluation.ok, evaluation.problems


def test_in_memory_scripts_still_reach_the_stdlib():
    evaluation = run_script('local p = require("prelude")\nbk.export(p.from_debian())')
    assert evaluation.ok
