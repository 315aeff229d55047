"""File operations on a real BuildKit: copy, mkdir, mkfile, rm, symlink, scratch, merge, diff.

Every scenario compiles a build.lua with the real `luakit build` CLI and builds it with
buildctl; assertions are made on the `type=local` export or on files written by a `run`
inside the build (for ownership, which is most reliably observed with `stat` in the
container).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from scenario import scenario, write_files


def _context(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """Pre-create the scenario's context dir (so modes / symlinks can be set before the build)."""
    context = tmp_path / "context"
    context.mkdir(exist_ok=True)
    write_files(context, files)
    return context


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _stat_lines(text: str) -> dict[str, str]:
    """`stat -c '%n %u:%g %a'` output -> {name: "uid:gid mode"}."""
    result = {}
    for line in text.splitlines():
        name, rest = line.split(" ", 1)
        result[name] = rest
    return result


# --------------------------------------------------------------------------- copy


def test_copy_keeps_source_modes_and_copies_directory_contents(buildkit, tmp_path):
    context = _context(
        tmp_path,
        {
            "tool.sh": "#!/bin/sh\necho tool\n",
            "private.txt": "secret-ish\n",
            "dir/a.txt": "A\n",
            "dir/sub/b.txt": "B\n",
        },
    )
    os.chmod(context / "tool.sh", 0o755)
    os.chmod(context / "private.txt", 0o600)
    os.chmod(context / "dir/a.txt", 0o640)

    result = scenario(
        buildkit,
        tmp_path,
        """
        local ctx = bk.local_("context")
        local out = bk.scratch()
          :copy(ctx, "tool.sh", "/bin/tool.sh")
          :copy(ctx, "private.txt", "/private.txt")
          :copy(ctx, "dir", "/dest")
          :copy(ctx, "dir", "/whole", { copy_dir_contents = false })
          :copy(ctx, "dir", "/into/", { copy_dir_contents = false })
          :copy(ctx, "dir", "/contents_into/")
        bk.export(out)
        """,
    )
    out = result.out
    assert _mode(out / "bin/tool.sh") == 0o755
    assert _mode(out / "private.txt") == 0o600
    assert (out / "bin/tool.sh").read_text() == "#!/bin/sh\necho tool\n"
    # Dockerfile COPY semantics: the *contents* of dir land in /dest.
    assert (out / "dest/a.txt").read_text() == "A\n"
    assert (out / "dest/sub/b.txt").read_text() == "B\n"
    assert not (out / "dest/dir").exists()
    assert _mode(out / "dest/a.txt") == 0o640
    assert (out / "contents_into/a.txt").read_text() == "A\n"
    # copy_dir_contents = false copies the directory itself, like `cp -r`: to a new name,
    # or into a destination ending in "/".
    assert (out / "whole/a.txt").read_text() == "A\n"
    assert (out / "whole/sub/b.txt").read_text() == "B\n"
    assert (out / "into/dir/a.txt").read_text() == "A\n"
    assert (out / "into/dir/sub/b.txt").read_text() == "B\n"
    assert sorted(p.name for p in out.iterdir()) == ["bin", "contents_into", "dest", "into", "private.txt", "whole"]


def test_copy_mode_and_owner(buildkit, tmp_path):
    _context(tmp_path, {"f.txt": "data\n", "d/inner.txt": "inner\n"})
    os.chmod(tmp_path / "context/f.txt", 0o600)
    result = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("BASE"))
        local ctx = bk.local_("context")
        local st = base:mkdir("/t")
          :copy(ctx, "f.txt", "/t/mode_str", { mode = "0755" })
          :copy(ctx, "f.txt", "/t/mode_num", { mode = 420 })
          :copy(ctx, "f.txt", "/t/keep")
          :copy(ctx, "f.txt", "/t/owner_name", { owner = "app" })
          :copy(ctx, "f.txt", "/t/owner_name_group", { owner = "app:app" })
          :copy(ctx, "f.txt", "/t/owner_uid0", { owner = 0 })
          :copy(ctx, "f.txt", "/t/owner_uid1000", { owner = 1000 })
          :copy(ctx, "f.txt", "/t/owner_ids", { owner = "1000:65534" })
          :copy(ctx, "f.txt", "/t/owner_table", { owner = { user = "nobody", group = 1000 } })
          :copy(ctx, "d", "/t/owned_dir", { owner = "1000:1000", mode = "0750" })
        local checked = st:run("cd /t && stat -c '%n %u:%g %a' * owned_dir/inner.txt > /stat.txt")
        bk.export(bk.scratch():copy(checked, "/stat.txt", "/stat.txt"))
        """,
    )
    stats = _stat_lines((result.out / "stat.txt").read_text())
    assert stats["mode_str"] == "0:0 755"
    assert stats["mode_num"] == "0:0 644"
    assert stats["keep"] == "0:0 600"
    # A user name alone takes the user's primary group from the base's /etc/passwd.
    assert stats["owner_name"] == "1000:1000 600"
    assert stats["owner_name_group"] == "1000:1000 600"
    assert stats["owner_uid0"] == "0:0 600"
    assert stats["owner_uid1000"] == "1000:1000 600"  # a bare uid is also the gid
    assert stats["owner_ids"] == "1000:65534 600"
    assert stats["owner_table"] == "65534:1000 600"
    assert stats["owned_dir/inner.txt"] == "1000:1000 750"


def test_copy_include_exclude_wildcards_symlinks_and_dest_path(buildkit, tmp_path):
    context = _context(
        tmp_path,
        {
            "src/keep.txt": "keep\n",
            "src/skip.log": "log\n",
            "src/nested/deep.txt": "deep\n",
            "src/nested/deep.md": "md\n",
            "one.txt": "one\n",
            "two.txt": "two\n",
            "three.md": "three\n",
            "target.txt": "target contents\n",
        },
    )
    os.symlink("target.txt", context / "link.txt")
    result = scenario(
        buildkit,
        tmp_path,
        """
        local ctx = bk.local_("context")
        local out = bk.scratch()
          :copy(ctx, "src", "/inc", { include = { "*.txt", "nested/*.txt" } })
          :copy(ctx, "src", "/exc", { exclude = { "*.log", "**/*.md" } })
          :copy(ctx, "*.txt", "/wild/")
          :copy(ctx, "link.txt", "/followed")
          :copy(ctx, "link.txt", "/nofollow", { follow_symlink = false })
          :copy(ctx, "one.txt", "/deep/er/path/one.txt")
          :copy(ctx, "one.txt", "relative/dest.txt")
          :copy(ctx, "*.nomatch", "/empty-wildcard/")
        bk.export(out)
        """,
    )
    out = result.out
    inc = sorted(str(p.relative_to(out / "inc")) for p in (out / "inc").rglob("*") if p.is_file())
    assert inc == ["keep.txt", "nested/deep.txt"]
    exc = sorted(str(p.relative_to(out / "exc")) for p in (out / "exc").rglob("*") if p.is_file())
    assert exc == ["keep.txt", "nested/deep.txt"]
    # "*.txt" matches one.txt, two.txt, target.txt and the link link.txt (followed).
    assert sorted(p.name for p in (out / "wild").iterdir()) == [
        "link.txt",
        "one.txt",
        "target.txt",
        "two.txt",
    ]
    assert (out / "wild/two.txt").read_text() == "two\n"
    assert not (out / "wild/three.md").exists()
    # Default: a symlink given as src is followed -> a regular file with the target's contents.
    assert not (out / "followed").is_symlink()
    assert (out / "followed").read_text() == "target contents\n"
    # follow_symlink = false copies the link itself.
    assert (out / "nofollow").is_symlink()
    assert os.readlink(out / "nofollow") == "target.txt"
    # create_dest_path defaults to true.
    assert (out / "deep/er/path/one.txt").read_text() == "one\n"
    # Relative destinations are relative to "/".
    assert (out / "relative/dest.txt").read_text() == "one\n"
    # A wildcard matching nothing is fine by default (allow_empty_wildcard = true).
    assert not any(p.is_file() for p in out.joinpath("empty-wildcard").rglob("*"))


def test_copy_wildcard_options_fail(buildkit, tmp_path):
    _context(tmp_path, {"one.txt": "one\n"})
    for i, (src, opts) in enumerate(
        [("*.nomatch", "{ allow_empty_wildcard = false }"), ("*.txt", "{ allow_wildcard = false }")]
    ):
        sub = tmp_path / f"case{i}"
        sub.mkdir()
        _context(sub, {"one.txt": "one\n"})
        failed = scenario(
            buildkit,
            sub,
            f"""
            local ctx = bk.local_("context")
            bk.export(bk.scratch():copy(ctx, "{src}", "/dest/", {opts}))
            """,
            check=False,
        )
        assert failed.build.returncode != 0, (src, opts)
        assert src in failed.build.stderr, failed.build.stderr


def test_copy_create_dest_path_false_fails_when_parent_missing(buildkit, tmp_path):
    _context(tmp_path, {"one.txt": "one\n"})
    failed = scenario(
        buildkit,
        tmp_path,
        """
        local ctx = bk.local_("context")
        bk.export(bk.scratch():copy(ctx, "one.txt", "/missing/parent/one.txt", { create_dest_path = false }))
        """,
        check=False,
    )
    assert failed.build.returncode != 0
    assert "no such file or directory" in failed.build.stderr.lower()

    # The same with the parent present succeeds.
    ok = scenario(
        buildkit,
        tmp_path,
        """
        local ctx = bk.local_("context")
        local st = bk.scratch():mkdir("/present")
        bk.export(st:copy(ctx, "one.txt", "/present/one.txt", { create_dest_path = false }))
        """,
    )
    assert (ok.out / "present/one.txt").read_text() == "one\n"


# --------------------------------------------------------------------------- mkdir / mkfile / rm / symlink


def test_mkdir_mkfile_symlink(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        r"""
        local st = bk.scratch()
          :mkdir("/d_default")
          :mkdir("/d_private", { mode = "0700" })
          :mkdir("/a/b/c", { make_parents = true })
          :mkdir("relative_dir")
          :mkfile("/d_default/plain.txt", "hello\n")
          :mkfile("/d_default/exec.sh", "#!/bin/sh\n", { mode = "0755" })
          :mkfile("/d_default/num.txt", "n", { mode = 384 })
          :mkfile("/d_default/bin.dat", "a\0b\255\n")
          :mkfile("/d_default/empty", "")
          :symlink("d_default/plain.txt", "/rel_link")
          :symlink("/d_default/plain.txt", "/abs_link")
        bk.export(st)
        """,
    )
    out = result.out
    assert _mode(out / "d_default") == 0o755
    assert _mode(out / "d_private") == 0o700
    assert (out / "a/b/c").is_dir()
    assert (out / "relative_dir").is_dir()
    assert _mode(out / "d_default/plain.txt") == 0o644
    assert (out / "d_default/plain.txt").read_text() == "hello\n"
    assert _mode(out / "d_default/exec.sh") == 0o755
    assert _mode(out / "d_default/num.txt") == 0o600
    assert (out / "d_default/bin.dat").read_bytes() == b"a\x00b\xff\n"
    assert (out / "d_default/empty").read_bytes() == b""
    assert os.readlink(out / "rel_link") == "d_default/plain.txt"
    assert (out / "rel_link").read_text() == "hello\n"  # resolves inside the export
    assert os.readlink(out / "abs_link") == "/d_default/plain.txt"


def test_mkdir_mkfile_symlink_owner(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("BASE"))
        local st = base:mkdir("/t")
          :mkdir("/t/dir_default")
          :mkdir("/t/dir_app", { owner = "app" })
          :mkdir("/t/p1/p2", { make_parents = true, owner = "1000:65534", mode = "0750" })
          :mkfile("/t/file_default", "x")
          :mkfile("/t/file_app", "x", { owner = "app:app", mode = "0640" })
          :mkfile("/t/file_table", "x", { owner = { user = 1000, group = "nobody" } })
          :symlink("/t/file_app", "/t/link_uid", { owner = 1000 })
        local checked = st:run("cd /t && stat -c '%n %u:%g %a' dir_default dir_app p1 p1/p2 file_default file_app file_table > /stat.txt"
          .. " && stat -c '%n %u:%g %F' link_uid >> /stat.txt")
        bk.export(bk.scratch():copy(checked, "/stat.txt", "/stat.txt"))
        """,
    )
    stats = _stat_lines((result.out / "stat.txt").read_text())
    assert stats["dir_default"] == "0:0 755"
    assert stats["dir_app"] == "1000:1000 755"
    assert stats["p1/p2"] == "1000:65534 750"
    assert stats["p1"].split()[0] == "1000:65534"  # make_parents: parents get the owner too
    assert stats["file_default"] == "0:0 644"
    assert stats["file_app"] == "1000:1000 640"
    assert stats["file_table"] == "1000:65534 644"
    assert stats["link_uid"] == "1000:1000 symbolic link"


def test_mkdir_without_make_parents_fails(buildkit, tmp_path):
    failed = scenario(
        buildkit,
        tmp_path,
        """
        bk.export(bk.scratch():mkdir("/x/y/z"))
        """,
        check=False,
    )
    assert failed.build.returncode != 0
    assert "no such file or directory" in failed.build.stderr.lower()


def test_symlink_resolves_in_container(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("BASE"))
        local st = base:mkfile("/target.txt", "via link\\n")
          :symlink("/target.txt", "/usr_link")
          :run("cat /usr_link > /read.txt && readlink /usr_link > /readlink.txt")
        bk.export(bk.scratch():copy(st, "/read.txt", "/"):copy(st, "/readlink.txt", "/"))
        """,
    )
    assert (result.out / "read.txt").read_text() == "via link\n"
    assert (result.out / "readlink.txt").read_text() == "/target.txt\n"


def test_rm(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """
        local st = bk.scratch()
          :mkdir("/d")
          :mkfile("/d/x1", "1")
          :mkfile("/d/x2", "2")
          :mkfile("/d/y", "y")
          :mkdir("/tree/sub", { make_parents = true })
          :mkfile("/tree/sub/f", "f")
          :mkfile("/gone", "bye")
          :rm("/gone")
          :rm("/tree")
          :rm("/d/x*", { allow_wildcard = true })
          :rm("/not/there", { allow_not_found = true })
        bk.export(st)
        """,
    )
    out = result.out
    assert sorted(p.name for p in out.iterdir()) == ["d"]
    assert sorted(p.name for p in (out / "d").iterdir()) == ["y"]

    missing = scenario(
        buildkit,
        tmp_path,
        """
        bk.export(bk.scratch():mkdir("/d"):rm("/d/not-there"))
        """,
        check=False,
    )
    assert missing.build.returncode != 0
    assert "no such file or directory" in missing.build.stderr
    # The failing file op points back at its Lua line (Definition.Source).
    assert "build.lua:2\n" in missing.build.stderr
    assert any(">>>" in line and ':rm("/d/not-there")' in line for line in missing.build.stderr.splitlines())


def test_rm_without_allow_wildcard_is_literal(buildkit, tmp_path):
    # Without allow_wildcard, "*" is a literal file name: /d/x* does not exist -> failure.
    failed = scenario(
        buildkit,
        tmp_path,
        """
        bk.export(bk.scratch():mkdir("/d"):mkfile("/d/x1", "1"):rm("/d/x*"))
        """,
        check=False,
    )
    assert failed.build.returncode != 0


# --------------------------------------------------------------------------- scratch / merge / diff


def test_scratch_base_contains_only_the_copied_file(buildkit, tmp_path):
    _context(tmp_path, {"only.txt": "only\n", "other.txt": "other\n"})
    result = scenario(
        buildkit,
        tmp_path,
        """
        local ctx = bk.local_("context")
        bk.export(bk.scratch():copy(ctx, "only.txt", "/only.txt"))
        """,
    )
    assert [p.name for p in result.out.iterdir()] == ["only.txt"]
    assert (result.out / "only.txt").read_text() == "only\n"


def test_merge_and_diff(buildkit, tmp_path):
    result = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("BASE"))
        local a = bk.scratch():mkfile("/a.txt", "A")
        local b = bk.scratch():mkfile("/b.txt", "B"):mkfile("/shared.txt", "from b")
        local c = bk.scratch():mkfile("/shared.txt", "from c")
        local merged = bk.merge(a, b, c)
        local merged_list = bk.merge({ a, b })

        local changed = base:run("echo changed > /changed.txt && mkdir -p /var/new && echo n > /var/new/n")
        local only_changes = bk.diff(base, changed)
        local onto = bk.merge({ bk.scratch():mkfile("/marker", "m"), only_changes })

        bk.export(bk.scratch()
          :copy(merged, "/", "/merged")
          :copy(merged_list, "/", "/merged_list")
          :copy(only_changes, "/", "/diff")
          :copy(onto, "/", "/onto"))
        """,
    )
    out = result.out
    assert sorted(p.name for p in (out / "merged").iterdir()) == ["a.txt", "b.txt", "shared.txt"]
    assert (out / "merged/shared.txt").read_text() == "from c"  # later states win
    assert sorted(p.name for p in (out / "merged_list").iterdir()) == ["a.txt", "b.txt", "shared.txt"]
    assert (out / "merged_list/shared.txt").read_text() == "from b"
    # The diff holds only what the run changed, not busybox's /bin or /etc.
    diff_files = sorted(str(p.relative_to(out / "diff")) for p in (out / "diff").rglob("*") if not p.is_dir())
    assert diff_files == ["changed.txt", "var/new/n"]
    assert not (out / "diff/bin").exists()
    assert not (out / "diff/etc").exists()
    onto_files = sorted(str(p.relative_to(out / "onto")) for p in (out / "onto").rglob("*") if not p.is_dir())
    assert onto_files == ["changed.txt", "marker", "var/new/n"]
    assert (out / "onto/changed.txt").read_text() == "changed\n"


def test_diff_merged_onto_another_base_runs(buildkit, tmp_path):
    """Apply a diff onto a different base and run something that needs both parts."""
    result = scenario(
        buildkit,
        tmp_path,
        """
        local base = bk.image(bk.arg("BASE"))
        local tool = base:run("mkdir -p /usr/local/bin && printf '#!/bin/sh\\necho tool-ran\\n' > /usr/local/bin/tool"
          .. " && chmod 755 /usr/local/bin/tool")
        local other = base:mkfile("/etc/other-base", "yes")
        local img = bk.merge({ other, bk.diff(base, tool) })
        local ran = img:run("tool > /out.txt && cat /etc/other-base >> /out.txt")
        bk.export(bk.scratch():copy(ran, "/out.txt", "/out.txt"))
        """,
    )
    assert (result.out / "out.txt").read_text() == "tool-ran\nyes"
