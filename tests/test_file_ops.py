"""copy, mkdir, mkfile, rm, symlink -> FileOps with BuildKit's defaults (docs/llb.md#file-ops)."""

import itertools
import posixpath

import pytest

from compiler.api.paths import absolute
from compiler.pb import ops_pb2 as pb
from tests.helpers import build, error


def file_action(code: str) -> tuple[pb.Op, pb.FileAction]:
    d = build(f'local base = bk.image("alpine")\nlocal src = bk.local_("context")\nbk.export({code})')
    op = d.one("file")
    assert len(op.file.actions) == 1
    return op, op.file.actions[0]


def test_copy_defaults_are_dockerfile_copy():
    op, action = file_action('base:copy(src, ".", "/app")')
    c = action.copy
    assert (c.src, c.dest) == ("/", "/app")
    assert c.mode == -1  # keep the source's modes; 0 would chmod everything to 0000
    assert c.timestamp == -1
    assert c.followSymlink and c.dirCopyContents and c.createDestPath
    assert c.allowWildcard and c.allowEmptyWildcard
    assert not c.HasField("owner")
    # inputs: the destination base first, then the source (llb order)
    assert (action.input, action.secondaryInput, action.output) == (0, 1, 0)
    assert len(op.inputs) == 2


def test_copy_options():
    _, action = file_action(
        """base:copy(src, "/bin/*", "/usr/local/bin/", { mode = "0755", owner = "app:1000",
           follow_symlink = false, create_dest_path = false, allow_wildcard = false,
           allow_empty_wildcard = false, copy_dir_contents = false,
           include = { "*.sh" }, exclude = { "test_*" } })"""
    )
    c = action.copy
    assert c.dest == "/usr/local/bin/"  # trailing slash kept
    assert c.mode == 0o755
    assert c.owner.user.byName.name == "app"
    assert c.owner.user.byName.input == 0
    assert c.owner.group.byID == 1000
    assert not (c.followSymlink or c.createDestPath or c.allowWildcard or c.allowEmptyWildcard or c.dirCopyContents)
    assert list(c.include_patterns) == ["*.sh"]
    assert list(c.exclude_patterns) == ["test_*"]


def test_owner_forms_and_root_by_id():
    _, action = file_action('base:copy(src, "a", "b", { owner = 0 })')
    owner = action.copy.owner
    assert owner.user.HasField("byID") and owner.user.byID == 0
    assert owner.user.SerializeToString() == b"\x10\x00"  # uid 0 is emitted, not dropped
    _, action = file_action('base:copy(src, "a", "b", { owner = { user = "root", group = 0 } })')
    # "root" is id 0, as in llb's WithUser and Dockerfile's --chown=root
    assert action.copy.owner.user.HasField("byID") and action.copy.owner.user.byID == 0
    assert action.copy.owner.group.HasField("byID")


def test_copy_from_scratch_uses_minus_one():
    d = build('bk.export(bk.scratch():copy(bk.image("alpine"), "/etc/passwd", "/passwd"))')
    action = d.one("file").file.actions[0]
    assert (action.input, action.secondaryInput) == (-1, 0)


@pytest.mark.parametrize(
    "code, mode",
    [
        ('base:mkdir("/app")', 0o755),
        ('base:mkdir("/app", { mode = "0700" })', 0o700),
        ('base:mkdir("/app", { mode = 448 })', 0o700),
    ],
)
def test_mkdir_modes(code, mode):
    _, action = file_action(code)
    assert action.mkdir.mode == mode
    assert action.mkdir.timestamp == -1
    assert action.secondaryInput == -1


def test_mkdir_parents_and_owner():
    _, action = file_action('base:mkdir("a/b", { make_parents = true, owner = "app" })')
    assert action.mkdir.path == "/a/b"
    assert action.mkdir.makeParents
    assert action.mkdir.owner.user.byName.name == "app"


def test_mkfile():
    _, action = file_action('base:mkfile("/etc/app.conf", "listen=8080\\n\\0bin")')
    f = action.mkfile
    assert (f.path, f.mode, f.data) == ("/etc/app.conf", 0o644, b"listen=8080\n\x00bin")
    _, action = file_action('base:mkfile("/x", "", { mode = "0600", owner = 1000 })')
    assert action.mkfile.mode == 0o600
    assert action.mkfile.owner.user.byID == 1000


def test_rm_and_symlink():
    _, action = file_action('base:rm("/tmp/*", { allow_not_found = true, allow_wildcard = true })')
    assert (action.rm.path, action.rm.allowNotFound, action.rm.allowWildcard) == ("/tmp/*", True, True)
    _, action = file_action('base:symlink("/usr/bin/python3", "/usr/bin/python")')
    assert (action.symlink.oldpath, action.symlink.newpath) == ("/usr/bin/python3", "/usr/bin/python")
    _, action = file_action('base:symlink("python3", "/usr/bin/python", { owner = "app" })')
    assert action.symlink.oldpath == "python3"  # relative targets stay relative
    assert action.symlink.owner.user.byName.name == "app"


def test_file_ops_have_no_platform_and_only_file_base_cap():
    from compiler.graph.platform import parse

    d = build('bk.export(bk.image("alpine"):mkdir("/x"))', target_platform=parse("linux/arm64"))
    op = d.one("file")
    assert not op.HasField("platform")
    assert d.caps(op) == {"file.base"}


def test_file_errors():
    assert "state:copy: argument 1 (source) must be a State, got string" in error('bk.image("a"):copy("x", "a", "b")')
    assert "state:copy: src must not be empty" in error('bk.image("a"):copy(bk.scratch(), "", "b")')
    assert "state:mkdir: mode must be an octal string like \"0755\", got '0789'" in error(
        'bk.image("a"):mkdir("/x", { mode = "0789" })'
    )
    assert "must be a mode between 0 and 07777" in error('bk.image("a"):mkdir("/x", { mode = 99999 })')
    assert "state:mkfile: data argument required" in error('bk.image("a"):mkfile("/x")')
    assert "state:copy: owner must be" in error('bk.image("a"):copy(bk.scratch(), "a", "b", { owner = true })')
    assert "state:copy: owner.user must be a user name or id, got boolean" in error(
        'bk.image("a"):copy(bk.scratch(), "a", "b", { owner = { user = true } })'
    )


def test_absolute_paths_skip_normpath_only_where_it_would_change_nothing():
    # `absolute` leaves clean absolute paths as they are: every path built from these
    # parts must come out as posixpath.normpath (with llb's "//" and trailing-slash rules) makes it.
    parts = ["", "/", "a", ".", "..", "//", ".x", "..y", "./", "../"]
    for path_parts in itertools.product(parts, repeat=3):
        path = "".join(path_parts)
        for base in ("/", "/work", "/work/", "rel", "./", ""):
            for keep_slash in (False, True):
                joined = path if path.startswith("/") else posixpath.join(base or "/", path)
                expected = posixpath.normpath(joined)
                if expected.startswith("//"):
                    expected = "/" + expected.lstrip("/")
                if keep_slash and expected != "/":
                    expected += "/." if path.endswith("/.") else "/" if path.endswith("/") else ""
                assert absolute(path, base, keep_slash) == expected, (path, base, keep_slash)
