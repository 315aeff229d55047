"""The host side of the bridge: whatever goes wrong inside an API call, the script gets a located message."""

from compiler.api import dispatch
from tests.helpers import problems


def test_an_unexpected_exception_in_an_api_call_is_a_located_error(monkeypatch):
    def broken(call, *args):
        raise KeyError("platform")

    entry = dispatch.BRIDGE_NAMES[b"bk.image"]
    monkeypatch.setitem(dispatch.BRIDGE_NAMES, b"bk.image", dispatch.Entry(entry.where, broken, entry.method))
    assert problems('local b = bk.image("alpine")\nbk.export(b)') == [
        "build.lua:1:11: bk.image: internal error ('platform'); please report it"
    ]


def test_errors_raised_with_non_string_values_are_located():
    assert problems("error({ code = 1 })") == ["build.lua:1:1: error object is a table value"]


def test_scripts_at_long_paths_keep_their_locations(tmp_path):
    # Lua shortens chunk names over ~60 characters in its messages; editors send absolute paths.
    from compiler import ScriptSource, evaluate

    folder = tmp_path / ("a-folder-name-long-enough-to-matter-" * 2) / "nested"
    folder.mkdir(parents=True)
    (folder / "lib.lua").write_text("local M = {}\nfunction M.g() error('inner') end\nreturn M\n")
    cases = {
        "syntax.lua": ("local x = = 1\n", "1:11: unexpected symbol near '='"),
        "boom.lua": ("local b = bk.image('a')\nerror('boom')\n", "2:1: boom"),
        "mod.lua": ("local lib = require('lib')\nlib.g()\n", "2:1: inner"),
    }
    for name, (text, expected) in cases.items():
        script = folder / name
        script.write_text(text)
        for _ in range(2):  # the second time from the compiled module
            found = [str(p) for p in evaluate(ScriptSource.from_file(str(script))).problems]
            where = folder / ("lib.lua" if name == "mod.lua" else name)
            assert found == [f"{where}:{expected}"]
