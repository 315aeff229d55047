"""The editor set-ups under editors/: shown verbatim in docs/editors.md, and valid where no editor runs them.

Neovim (0.7 and 0.11) and Emacs run theirs for real (test_neovim.py, test_emacs.py). Two
cannot run here: nvim-lspconfig (no registry the tests reach ships it; its piece is checked
to be Lua that Neovim compiles) and Helix (not in Debian 12, not on crates.io, npm or PyPI; its
languages.toml is read with tomllib and checked against the keys Helix documents, in its book's
languages.md, and against this server's command and settings).
"""

from __future__ import annotations

import re
import subprocess
import tomllib

import pytest

from tests.lsp.editor_setup import DOCS, EDITORS, ROOT, debian_package, documented, snippet_files

# Helix's book, languages.md: the keys of a [[language]] and of a [language-server.NAME].
HELIX_LANGUAGE_KEYS = {
    "name", "language-id", "scope", "injection-regex", "file-types", "shebangs", "roots", "auto-format",
    "diagnostic-severity", "comment-tokens", "comment-token", "block-comment-tokens", "indent",
    "language-servers", "grammar", "formatter", "soft-wrap", "text-width", "rulers", "path-completion",
    "word-completion", "workspace-lsp-roots", "persistent-diagnostic-sources", "rainbow-brackets",
    "code-actions-on-save",
}  # fmt: skip
HELIX_SERVER_KEYS = {"command", "args", "config", "timeout", "environment", "required-root-patterns"}
HELIX_TOP_KEYS = {"use-grammars", "language-server", "language", "grammar"}
HELIX_FEATURES = {
    "format", "goto-declaration", "goto-definition", "goto-type-definition", "goto-reference",
    "goto-implementation", "signature-help", "hover", "document-highlight", "completion", "code-action",
    "document-links", "workspace-command", "document-symbols", "workspace-symbols", "diagnostics",
    "pull-diagnostics", "rename-symbol", "inlay-hints", "document-colors", "call-hierarchy",
}  # fmt: skip
# Helix's own languages.toml: the server it runs for Lua.
HELIX_DEFAULT_SERVERS = {"lua-language-server"}


@pytest.mark.parametrize("relative", snippet_files())
def test_docs_show_each_editor_setup_as_it_is(relative):
    documented(relative)


def test_the_docs_point_at_the_setup_files():
    text = DOCS.read_text()
    for folder in ("neovim/", "emacs/luakit.el", "helix/languages.toml"):
        assert f"(../editors/{folder})" in text, folder


def documented_settings() -> set[str]:
    """The keys of docs/editors.md's Settings table."""
    section = DOCS.read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE))


def test_helix_languages_toml_uses_only_documented_keys():
    config = tomllib.loads(documented("helix/languages.toml"))
    assert set(config) <= HELIX_TOP_KEYS, set(config) - HELIX_TOP_KEYS

    servers = config["language-server"]
    luakit = servers["luakit"]
    assert set(luakit) <= HELIX_SERVER_KEYS, set(luakit) - HELIX_SERVER_KEYS
    # The server as installed: the console script pyproject.toml declares, in stdio mode.
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert luakit["command"] in scripts and luakit["args"] == ["--stdio"]
    # `config` is sent as initializationOptions: only settings the server reads.
    assert isinstance(luakit["config"], dict) and set(luakit["config"]) <= documented_settings()

    [lua] = config["language"]
    assert set(lua) <= HELIX_LANGUAGE_KEYS, set(lua) - HELIX_LANGUAGE_KEYS
    assert lua["name"] == "lua"
    names = []
    for entry in lua["language-servers"]:
        if isinstance(entry, dict):
            assert set(entry) <= {"name", "only-features", "except-features"}
            assert set(entry.get("only-features", [])) | set(entry.get("except-features", [])) <= HELIX_FEATURES
            entry = entry["name"]
        names.append(entry)
    assert "luakit" in names and set(names) <= set(servers) | HELIX_DEFAULT_SERVERS


@pytest.mark.parametrize("relative", [f for f in snippet_files() if f.endswith(".lua")])
def test_neovim_pieces_compile(relative, tmp_path):
    # Compiled by Neovim's LuaJIT (loadfile runs nothing): the one check the lspconfig piece gets.
    nvim = debian_package("nvim", "neovim")
    path = EDITORS / relative
    check = f"lua local ok, err = loadfile({str(path)!r}); io.stdout:write(ok and 'ok' or err)"
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-c", check, "-c", "qa!"],
        capture_output=True,
        timeout=60,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        stdin=subprocess.DEVNULL,
    )
    assert (proc.stdout + proc.stderr).decode().strip() == "ok", proc
