"""Diagnostics from the real server over stdio: when they come, for which version, where, and what they say."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_lsp
from lsprotocol import types as t

from tests.lsp.session import CONFIG, Client, initialize_params, one_line, within

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: Client):
    await lsp_client.initialize_session(initialize_params())
    yield
    await lsp_client.shutdown_session()


def script(folder, text: str, name: str = "build.lua") -> str:
    """A script on disk (for `require` and the CLI) and its URI."""
    path = folder / name
    path.write_text(text)
    return path.as_uri()


UNKNOWN_OPTION = 'local s = bk.image("alpine")\nlocal r = s:run("x", { cwdd = "/" })\nbk.export(r)\n'


async def test_open_change_save_publish_for_each_version(client: Client, folder):
    uri = script(folder, UNKNOWN_OPTION)
    client.open(uri, UNKNOWN_OPTION, version=1)
    [found] = await client.diagnostics_of(uri, 1)
    assert (found.source, found.code, found.severity) == ("luakit", "LK003", t.DiagnosticSeverity.Error)
    # At the unknown key itself (where the CLI's column points).
    assert one_line([found]) == [(1, 23, 1, 27, "LK003", "state:run: unknown option 'cwdd' (did you mean 'cwd'?)")]

    fixed = UNKNOWN_OPTION.replace("cwdd", "cwd")
    client.replace(uri, fixed, version=2)
    assert await client.diagnostics_of(uri, 2) == []

    client.edit(uri, 3, (1, 0), (1, 5), "local x = = 1\nlocal")  # incremental: a syntax error on a new line 2
    [syntax] = await client.diagnostics_of(uri, 3)
    assert one_line([syntax]) == [(1, 10, 1, 11, "LK001", "unexpected symbol near '='")]

    saved = len(client.publishes)
    client.text_document_did_save(t.DidSaveTextDocumentParams(t.TextDocumentIdentifier(uri)))
    again = await client.publish_of(uri, after=saved)  # didSave evaluates again
    assert (again.version, one_line(list(again.diagnostics))) == (3, one_line([syntax]))
    client.close(uri)


async def test_errors_in_a_script_at_a_long_path_are_located(client: Client, folder):
    deep = folder / ("a-long-folder-name/" * 4)
    deep.mkdir(parents=True)
    text = 'local base = bk.image("alpine")\nlocal x = = 1\n'
    uri = script(deep, text)
    client.open(uri, text)
    syntax = await client.diagnostics_of(uri, 1)
    client.replace(uri, 'error("boom")\n', version=2)
    boom = await client.diagnostics_of(uri, 2)
    client.close(uri)
    assert one_line(syntax) == [(1, 10, 1, 11, "LK001", "unexpected symbol near '='")]
    assert one_line(boom) == [(0, 0, 0, 13, "LK002", "boom")]


async def test_an_error_in_a_required_module_is_shown_in_the_module_and_at_the_require(client: Client, folder):
    (folder / "lib").mkdir()
    module = folder / "lib" / "steps.lua"
    module.write_text('local M = {}\nlocal broken = bk.image("")\nfunction M.f() return 1 end\nreturn M\n')
    text = 'local base = bk.image("alpine")\nlocal steps = require("lib.steps")\nbk.export(base)\n'
    uri = script(folder, text)
    client.open(uri, text)
    [at_require] = await client.diagnostics_of(uri, 1)
    [in_module] = await client.diagnostics_of(module.as_uri())
    message = "bk.image: ref must not be empty"
    assert one_line([in_module]) == [(1, 24, 1, 26, "LK003", message)]  # the empty string
    # In the script: the line of the `require` that ran the module (Lua's frames know lines, not calls).
    assert one_line([at_require]) == [(1, 0, 1, 34, "LK003", f"in lib/steps.lua: {message}")]
    # The script's diagnostic leads into the module.
    [into_module] = at_require.related_information or []
    assert (into_module.location.uri, into_module.location.range, into_module.message) == (
        module.as_uri(),
        in_module.range,
        message,
    )
    [back] = in_module.related_information or []
    assert (back.location.uri, back.location.range.start.line, back.message) == (uri, 1, "called from here")

    # Fixed in the script: the module's diagnostics go too.
    publishes = len(client.publishes)
    client.replace(uri, text.replace('local steps = require("lib.steps")', ""), version=2)
    assert await client.diagnostics_of(uri, 2) == []
    cleared = await client.publish_of(module.as_uri(), after=publishes)
    assert list(cleared.diagnostics) == []
    client.close(uri)


async def test_an_error_in_a_function_of_a_module_is_located_in_it_with_its_callers(client: Client, folder):
    (folder / "lib").mkdir()
    module = folder / "lib" / "bad.lua"
    module.write_text("local M = {}\nfunction M.f() local s = bk.image('') return s end\nreturn M\n")
    text = 'local bad = require("lib.bad")\nbad.f()\n'
    uri = script(folder, text)
    client.open(uri, text)
    [at_call] = await client.diagnostics_of(uri, 1)
    [in_module] = await client.diagnostics_of(module.as_uri())
    assert (in_module.range.start.line, in_module.range.start.character) == (1, 34)  # the CLI's lib/bad.lua:2:35
    assert (at_call.range.start.line, at_call.message) == (1, "in lib/bad.lua: bk.image: ref must not be empty")
    client.close(uri)
    closed = len(client.publishes)
    await client.publish_of(module.as_uri(), after=closed)  # closing the script clears what it put in the module
    assert list(client.diagnostics[module.as_uri()]) == []


async def test_sandbox_violations_in_a_branch_not_taken(client: Client, folder):
    text = 'local base = bk.image("alpine")\nif bk.arg("NEVER") then\n  os.execute("rm -rf /")\nend\nbk.export(base)\n'
    uri = script(folder, text)
    client.open(uri, text)
    [found] = await client.diagnostics_of(uri, 1)
    assert (found.code, found.range.start.line, found.range.start.character, found.range.end.character) == (
        "LK007",
        2,
        2,
        12,
    )
    assert found.message.startswith("os.execute is not available in build scripts")
    client.close(uri)


async def test_unknown_option_has_a_did_you_mean_quick_fix(client: Client, folder):
    uri = script(folder, UNKNOWN_OPTION)
    client.open(uri, UNKNOWN_OPTION)
    diagnostics = await client.diagnostics_of(uri, 1)
    actions = await within(
        client.text_document_code_action_async(
            t.CodeActionParams(
                t.TextDocumentIdentifier(uri), diagnostics[0].range, t.CodeActionContext(diagnostics=diagnostics)
            )
        )
    )
    [action] = actions or []
    assert isinstance(action, t.CodeAction)
    assert (action.title, action.kind, action.is_preferred) == (
        "Change 'cwdd' to 'cwd'",
        t.CodeActionKind.QuickFix,
        True,
    )
    assert action.edit is not None and action.edit.changes is not None
    [edit] = action.edit.changes[uri]
    assert (edit.range, edit.new_text) == (t.Range(t.Position(1, 23), t.Position(1, 27)), "cwd")
    client.edit(uri, 2, (1, 23), (1, 27), edit.new_text)  # what the editor does when the fix is chosen
    assert await client.diagnostics_of(uri, 2) == []
    client.close(uri)


async def test_missing_export_unused_step_and_a_library_of_steps(client: Client, folder):
    text = 'local base = bk.image("alpine")\n'
    uri = script(folder, text)
    client.open(uri, text)
    [missing] = await client.diagnostics_of(uri, 1)
    assert (missing.code, missing.message, missing.range.start.line) == (
        "LK005",
        "no bk.export() call - nothing to build",
        0,
    )

    text = 'local base = bk.image("alpine")\nlocal tests = base:run("make test")\nbk.export(base)\n'
    client.replace(uri, text, version=2)
    [unused] = await client.diagnostics_of(uri, 2)
    assert (unused.code, unused.severity, unused.range.start.line, unused.range.start.character) == (
        "LK006",
        t.DiagnosticSeverity.Warning,
        1,
        19,
    )
    assert unused.message == "state:run: this result is never used by bk.export, so BuildKit will not run it"
    client.close(uri)

    # Not named like a build script but calling `bk.`: a library of steps, which need not export.
    library = 'local M = {}\nfunction M.base() return bk.image("alpine") end\nreturn M\n'
    library_uri = script(folder, library, name="steps.lua")
    client.open(library_uri, library)
    assert await client.diagnostics_of(library_uri, 1) == []
    client.close(library_uri)


async def test_no_diagnostics_for_lua_files_that_are_not_build_scripts(client: Client, folder):
    plain = "local x = = 1\nreturn { answer = 42 }\n"
    plain_uri = script(folder, plain, name="util.lua")
    client.open(plain_uri, plain)
    client.replace(plain_uri, plain + "-- edited\n", version=2)
    # A build script opened after it: once its diagnostics are out, the plain file's would have been too.
    uri = script(folder, UNKNOWN_OPTION)
    client.open(uri, UNKNOWN_OPTION)
    await client.diagnostics_of(uri, 1)
    client.close(plain_uri)
    await asyncio.sleep(0.3)
    assert client.published(plain_uri) == []  # not even an empty list on close
    client.close(uri)


async def test_a_file_that_stops_calling_bk_loses_its_diagnostics(client: Client, folder):
    library = 'local M = {}\nM.base = bk.image("")\nreturn M\n'
    uri = script(folder, library, name="steps.lua")
    client.open(uri, library)
    [found] = await client.diagnostics_of(uri, 1)
    assert found.message == "bk.image: ref must not be empty"
    published = len(client.publishes)
    client.replace(uri, "local M = {}\nreturn M\n", version=2)  # no `bk.` left: plain Lua now
    cleared = await client.publish_of(uri, after=published)
    assert list(cleared.diagnostics) == []
    client.close(uri)


async def test_a_burst_of_edits_publishes_the_last_version_only(client: Client, folder):
    text = 'local base = bk.image("alpine")\nbk.export(base:run("echo 0"))\n'
    uri = script(folder, text)
    client.open(uri, text)
    await client.diagnostics_of(uri, 1)
    start = len(client.publishes)
    for version in range(2, 42):  # as fast as the client can write: a burst of keystrokes
        client.edit(uri, version, (1, 25), (1, 26), str(version % 10))
    await client.diagnostics_of(uri, 41)
    await asyncio.sleep(0.3)  # anything late would have arrived
    assert [p.version for _, p in client.publishes[start:] if p.uri == uri] == [41]
    client.close(uri)


async def test_obsolete_evaluations_never_publish_after_newer_ones(client: Client, folder):
    # Each evaluation takes a while (~0.2 s): edits arrive while older versions are being evaluated.
    text = (
        'local n = 0\nfor i = 1, 2e6 do n = n + i end\nlocal base = bk.image("alpine")\nbk.export(base:run("echo 0"))\n'
    )
    uri = script(folder, text)
    client.open(uri, text)
    await client.diagnostics_of(uri, 1)
    for version in range(2, 14):
        client.edit(uri, version, (3, 25), (3, 26), str(version % 10))
        await asyncio.sleep(0.05 if version % 3 else 0.25)
    await client.diagnostics_of(uri, 13)
    await asyncio.sleep(0.3)
    versions = [p.version for p in client.published(uri)]
    assert versions == sorted(versions), versions
    assert versions[-1] == 13
    evaluated = [e.version for e in client.evaluated if e.uri == uri]
    assert evaluated == sorted(evaluated)
    client.close(uri)


async def test_an_edit_ends_a_long_obsolete_evaluation_at_once(client: Client, folder):
    # A limit of 60 s for this test, against the module's 2 s: waiting for the runaway to
    # end would take a minute, while killing it and starting another worker takes a
    # second or two, and up to several seconds on a loaded machine (a CI run with other
    # work). With 2 s the two could not be told apart under load.
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"luakit": {"timeout": 60}}))
    try:
        warm = script(folder, "bk.export(bk.scratch())", name="warm.build.lua")
        client.open(warm, "bk.export(bk.scratch())")
        await client.diagnostics_of(warm, 1)  # the worker has answered: it is warm, and may be killed
        runaway = 'local base = bk.image("alpine")\nwhile true do end\nbk.export(base)\n'
        uri = script(folder, runaway)
        client.open(uri, runaway)
        await asyncio.sleep(0.4)  # evaluating, until the 60 s limit
        edited = time.monotonic()
        client.replace(uri, runaway.replace("while true do end", ""), version=2)
        assert await client.diagnostics_of(uri, 2, timeout=70) == []
        assert time.monotonic() - edited < 20, "the obsolete evaluation was waited for rather than killed"
        assert [p.version for p in client.published(uri)] == [2]  # version 1's timeout is never shown
        client.close(uri)
        client.close(warm)
    finally:
        client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"luakit": {"timeout": 2}}))


async def test_feature_requests_are_answered_while_an_evaluation_runs(client: Client, folder):
    text = 'local base = bk.image("alpine")\nwhile true do end\n'  # evaluated until the 2 s limit
    uri = script(folder, text)
    client.open(uri, text)
    await asyncio.sleep(0.2)
    assert "image" in await client.completion_labels(uri, 0, 16)
    assert "image" in (await client.hover_text(uri, 0, 17) or "")
    assert client.published(uri) == [], "answered before the evaluation ended"
    [limit] = await client.diagnostics_of(uri, 1)
    assert (limit.code, limit.message) == ("LK004", "script evaluation timed out after 2s")
    client.close(uri)


async def published_until(client: Client, uri: str, wanted, after: int, timeout: float = 15) -> list[t.Diagnostic]:
    """The diagnostics of the first publish for `uri` after the `after`-th that `wanted` accepts."""
    deadline = time.monotonic() + timeout
    while True:
        for _, params in client.publishes[after:]:
            if params.uri == uri and wanted(list(params.diagnostics)):
                return list(params.diagnostics)
        assert time.monotonic() < deadline, [list(p.diagnostics) for p in client.published(uri)][-3:]
        await asyncio.sleep(0.01)


GOOD_MODULE = 'local M = {}\nfunction M.file(s)\n  return s:mkfile("/a", "x")\nend\nreturn M\n'
USES_MODULE = 'local util = require("lib.util")\nbk.export(util.file(bk.image("alpine")))\n'
MISTYPED = "State has no method 'XXmkfile' (did you mean 'mkfile'?)"


async def test_a_module_is_read_as_the_editor_has_it_and_its_scripts_follow_its_edits(client: Client, folder):
    (folder / "lib").mkdir()
    module = folder / "lib" / "util.lua"
    module.write_text(GOOD_MODULE)
    uri, module_uri = script(folder, USES_MODULE), module.as_uri()
    client.open(uri, USES_MODULE)
    assert await client.diagnostics_of(uri, 1) == []

    # An unsaved edit of the module: the script, untouched, is evaluated again with the editor's text.
    client.open(module_uri, GOOD_MODULE)
    mark = len(client.publishes)
    broken = GOOD_MODULE.replace("s:mkfile", "s:XXmkfile")
    client.replace(module_uri, broken, version=2)
    [at_call] = await published_until(client, uri, bool, mark)
    assert at_call.message == f"in lib/util.lua: {MISTYPED}" and at_call.range.start.line == 1
    # In the module, at the misspelled name of the line the editor has (not on disk).
    [in_module] = await published_until(client, module_uri, bool, mark)
    assert (in_module.message, in_module.range.start.line, in_module.range.start.character) == (MISTYPED, 2, 11)
    assert module.read_text() == GOOD_MODULE

    # Reverted, still unsaved: both files are clean again.
    mark = len(client.publishes)
    client.replace(module_uri, GOOD_MODULE, version=3)
    assert await published_until(client, uri, lambda d: d == [], mark) == []
    assert await published_until(client, module_uri, lambda d: d == [], mark) == []

    # Broken and saved, then closed: the script reads the disk (broken); fixed on disk and saved
    # in the editor: the stale diagnostic goes without an edit of the script.
    client.replace(module_uri, broken, version=4)
    module.write_text(broken)
    client.text_document_did_save(t.DidSaveTextDocumentParams(t.TextDocumentIdentifier(module_uri)))
    mark = len(client.publishes)
    client.close(module_uri)
    client.open(module_uri, broken, version=1)
    [still] = await published_until(client, uri, bool, mark)
    assert still.message == f"in lib/util.lua: {MISTYPED}"
    mark = len(client.publishes)
    client.replace(module_uri, GOOD_MODULE, version=2)
    module.write_text(GOOD_MODULE)
    client.text_document_did_save(t.DidSaveTextDocumentParams(t.TextDocumentIdentifier(module_uri)))
    assert await published_until(client, uri, lambda d: d == [], mark) == []

    # Closing the module with unsaved text goes back to the disk's version.
    client.replace(module_uri, broken, version=3)
    await published_until(client, uri, bool, mark)
    mark = len(client.publishes)
    client.close(module_uri)
    assert await published_until(client, uri, lambda d: d == [], mark) == []
    client.close(uri)


async def test_a_module_edited_before_its_scripts_first_evaluation_is_seen(client: Client, folder):
    # The script's modules are known only from its first report: an edit made before it comes
    # back must still reach the script's diagnostics.
    (folder / "lib").mkdir()
    module = folder / "lib" / "util.lua"
    module.write_text(GOOD_MODULE)
    # A loaded server (one that is still loading evaluates only once everything has arrived).
    warm = script(folder, "bk.export(bk.scratch())", name="warm.build.lua")
    client.open(warm, "bk.export(bk.scratch())")
    await client.diagnostics_of(warm, 1, timeout=30)
    client.close(warm)
    uri, module_uri = script(folder, USES_MODULE), module.as_uri()
    mark = len(client.publishes)
    client.open(uri, USES_MODULE)
    client.open(module_uri, GOOD_MODULE)
    client.replace(module_uri, GOOD_MODULE.replace("s:mkfile", "s:XXmkfile"), version=2)
    [at_call] = await published_until(client, uri, bool, mark)
    assert at_call.message == f"in lib/util.lua: {MISTYPED}"
    client.close(module_uri)
    client.close(uri)
