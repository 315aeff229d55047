"""require / dofile: the script folder and the bundled stdlib, each module once, source-mapped."""

from compiler import EvalOptions, ScriptSource, evaluate
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


def test_a_missing_module_is_one_line_at_the_name_saying_where_it_was_looked_for(tmp_path):
    evaluation = evaluate_dir(tmp_path, 'local x = 1\n\nlocal m = require("lib.missing")\nbk.export(bk.scratch())')
    (problem,) = evaluation.problems
    assert str(problem) == (
        "build.lua:3:19: require: no module 'lib.missing' "
        "(looked for lib/missing.lua and lib/missing/init.lua beside build.lua)"
    )
    assert (problem.location.column, problem.location.end_column) == (18, 31)  # the string "lib.missing"
    assert problem.kind.code == "LK003"
    (problem,) = evaluate_dir(tmp_path, 'dofile "nope.lua"').problems
    assert str(problem) == "build.lua:1:8: dofile: no file 'nope.lua' (looked for nope.lua beside build.lua)"


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


def test_module_overlays_are_read_before_the_disk_and_listed_with_every_module_read(tmp_path):
    write(tmp_path, {"lib/util.lua": "return { path = '/disk' }\n", "lib/other.lua": "return 1\n"})
    script = 'local u = require("lib.util")\nrequire("lib.other")\nbk.export(bk.scratch():mkdir(u.path))\n'
    write(tmp_path, {"build.lua": script})
    util, other = str(tmp_path / "lib" / "util.lua"), str(tmp_path / "lib" / "other.lua")
    source = ScriptSource(script, name="build.lua", path=str(tmp_path / "build.lua"))

    def made_dir(options: EvalOptions) -> str:
        evaluation = evaluate(source, options)
        assert evaluation.ok, evaluation.problems
        assert evaluation.modules == (util, other)
        return decode(evaluation.definition_bytes()).one("file").file.actions[0].mkdir.path

    assert made_dir(EvalOptions()) == "/disk"
    # an unsaved edit in the editor: seen, and the compiled-chunk cache (by text) does not hide it
    assert made_dir(EvalOptions(module_overlays={util: "return { path = '/unsaved' }\n"})) == "/unsaved"
    assert made_dir(EvalOptions()) == "/disk"  # the overlay gone: the disk again


def test_modules_that_fail_are_listed_too(tmp_path):
    write(tmp_path, {"bad.lua": "return {\n", "raises.lua": "error('no')\n"})
    for name in ("bad", "raises"):
        evaluation = evaluate_dir(tmp_path, f'require("{name}")\nbk.export(bk.scratch())\n')
        assert not evaluation.ok
        assert evaluation.modules == (str(tmp_path / f"{name}.lua"),)


def test_the_worker_reports_the_modules_and_takes_overlays(tmp_path):
    from compiler.isolated import evaluate_isolated

    write(tmp_path, {"lib.lua": "return 1\n"})
    source = ScriptSource('require("lib")\n', name="build.lua", path=str(tmp_path / "build.lua"))
    lib = str(tmp_path / "lib.lua")
    report = evaluate_isolated(source, EvalOptions(module_overlays={lib: "return {\n"}))
    assert report.modules == (lib,)
    assert [p.location.file for p in report.problems if p.location] == ["lib.lua"]  # the overlay's syntax error
