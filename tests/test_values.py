"""One reader per concept (compiler/api/values.py): the same value is read the same way everywhere."""

import pytest

from compiler.api import file, mounts, sources
from compiler.api import values as v
from compiler.api.call import Call, Session
from compiler.errors import Location, ScriptError
from compiler.graph import nodes as g
from compiler.pb import ops_pb2 as pb
from tests.helpers import build, error, run_script

HERE = Location("build.lua", 3, 4, 3, 20)


def session() -> Session:
    return Session(None, {}, 1 << 30)


def call(where: str, s: Session | None = None) -> Call:
    return Call(where, HERE, s or session())


def table(**items: object) -> v.Table:
    return v.Table(dict(items))


def lua_list(*items: object) -> v.Table:
    return v.Table({i: item for i, item in enumerate(items, 1)})


BASE = g.State(g.Ref(g.SourceNode("docker-image://docker.io/library/alpine:latest", (), ())))


# ---------------------------------------------------------------- modes


@pytest.mark.parametrize(
    "value, expected",
    [("0755", 0o755), ("755", 0o755), ("0o644", 0o644), (" 0600 ", 0o600), (493, 0o755), (420.0, 0o644), (0, 0)],
)
def test_mode_strings_are_octal_and_numbers_are_taken_as_given(value, expected):
    assert v.mode(value) == expected
    assert v.permissions(value) == expected


def test_special_bits_where_buildkit_applies_them_and_refused_where_it_drops_them():
    assert v.mode("4755") == 0o4755  # copy: fsutil applies set-uid, set-gid and sticky
    for reader_place in (
        'bk.image("a"):mkdir("/x", { mode = "4755" })',
        'bk.image("a"):mkfile("/x", "", { mode = "2755" })',
        'bk.http("https://e.com/f", { chmod = "4755" })',
        'bk.secret("/s", { mode = "1400" })',
        'bk.ssh({ mode = "6600" })',
    ):
        message = error(reader_place)
        assert "must not set the" in message and "BuildKit applies only the permission bits (0777) here" in message
    assert error('bk.http("https://e.com/f", { chmod = "4755" })') == (
        "build.lua:1:38: bk.http: chmod must not set the set-uid bit (got 4755 in octal): BuildKit applies only the "
        "permission bits (0777) here; they can be set with state:copy's mode or a chmod in state:run"
    )
    assert "set-uid and set-gid bits" in error('bk.image("a"):mkdir("/x", { mode = "6755" })')
    d = build('bk.export(bk.image("a"):copy(bk.local_("c"), "s", "/d", { mode = "4755" }))')
    assert d.one("file").file.actions[0].copy.mode == 0o4755


def test_http_chmod_zero_is_refused_because_buildkit_reads_it_as_unset():
    assert 'chmod must not be 0: BuildKit reads 0 as "not set"' in error('bk.http("https://e.com/f", { chmod = "0" })')
    d = build('bk.export(bk.http("https://e.com/f", { chmod = "0750" }))')
    assert dict(d.one("source").source.attrs)["http.perm"] == "0750"


@pytest.mark.parametrize("number", [644, 755, 600, 777, 400, 440, 700, 750, 711, 555, 4755, 2750])
def test_octal_looking_numbers(number):
    assert v._written_as_octal(number)


@pytest.mark.parametrize("number", [0, 7, 420, 493, 256, 384, 438, 448, 488, 509, 436, 416, 292, 365, 8, 99, 1000])
def test_numbers_that_are_not_octal_lookalikes(number):
    # The decimal spellings of common modes (420 = 0644, 493 = 0755, 256 = 0400, ...) are not flagged.
    assert not v._written_as_octal(number)


def test_an_octal_looking_number_is_a_warning_recorded_in_the_session():
    s = session()
    result = file.copy(call("state:copy", s), BASE, BASE, "a", "/b", table(mode=644))
    assert isinstance(result.ref.node.action, g.Copy)
    assert result.ref.node.action.mode == 644  # taken as given
    assert [(w.message, w.location, w.kind) for w in s.warnings] == [
        (
            'state:copy: mode is the decimal number 644 (octal 1204): Lua has no octal literals; write "0644" '
            "for octal 0644",
            HERE,
            "mode",
        )
    ]
    s = session()
    file.copy(call("state:copy", s), BASE, BASE, "a", "/b", table(mode=420))
    file.copy(call("state:copy", s), BASE, BASE, "a", "/b", table(mode="0644"))
    assert s.warnings == []


def test_check_records_the_warning_of_a_reader_for_one_argument():
    s = session()
    assert v.check(call("state:copy", s), "mode", v.mode, 644) == 644  # taken as given
    assert [w.message for w in s.warnings] == [
        'state:copy: mode is the decimal number 644 (octal 1204): Lua has no octal literals; write "0644" for octal 0644'
    ]
    s = session()
    assert v.check(call("state:copy", s), "mode", v.mode, "0644") == 0o644
    assert s.warnings == []


def test_an_octal_looking_number_that_is_no_mode_there_is_an_error_saying_what_to_write():
    # 644 is 0o1204: its sticky bit is dropped by mkfile, so the mode would silently be 0204.
    with pytest.raises(ScriptError) as raised:
        file.mkfile(call("state:mkfile"), BASE, "/f", "x", table(mode=644))
    assert raised.value.message == (
        "state:mkfile: mode is the decimal number 644 (octal 1204, which sets the sticky bit): Lua has no octal "
        'literals; write "0644" for octal 0644'
    )
    assert 'is the decimal number 4755, too large for a mode: Lua has no octal literals; write "4755"' in error(
        'bk.image("a"):copy(bk.scratch(), "a", "b", { mode = 4755 })'
    )


def test_numeric_modes_that_look_octal_but_fit_are_kept_with_the_warning():
    s = session()
    secret = mounts.secret(call("bk.secret", s), "/run/s", table(mode=440))
    assert secret.mount.mode == 440  # 0o670
    assert len(s.warnings) == 1 and 'write "0440"' in s.warnings[0].message


# ---------------------------------------------------------------- users and owners


def test_run_user_and_export_user_read_numbers_names_and_tables_alike():
    d = build(
        """
        local s = bk.image("a")
        local r = s:run("a", { user = 1000 }):run("b", { user = "app:staff" }):run("c", { user = { user = 1000, group = "staff" } })
        bk.export(r:run("d", { user = "0:0" }))
        """
    )
    assert [op.exec.meta.user for op in d.of_kind("exec")] == ["1000", "app:staff", "1000:staff", "0:0"]
    for value, expected in (("1000", "1000"), ('"nobody"', "nobody"), ('{ user = "app", group = 10 }', "app:10")):
        evaluation = run_script(f"bk.export(bk.scratch(), {{ user = {value} }})")
        assert evaluation.ok, evaluation.problems
        assert evaluation.export.config["config"]["User"] == expected


def test_owners_of_files_are_names_or_ids_in_the_same_forms():
    assert v.owner(1000) == g.Owner(1000, None)
    assert v.owner("1000:1000") == g.Owner(1000, 1000)
    assert v.owner("app") == g.Owner("app", None)
    assert v.owner(":staff") == g.Owner(None, "staff")  # Dockerfile's --chown=:staff
    assert v.owner(table(user="app", group=0)) == g.Owner("app", 0)
    assert v.owner(table(group="10")) == g.Owner(None, 10)


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "must not be empty"),
        ("app:", "must name a group after ':', got 'app:'"),
        ("a b", "must be a user name or id, without ':' or spaces, got 'a b'"),
        ("app:st aff", "must be a user name or id, without ':' or spaces, got 'st aff'"),
        ("99999999999", "must be between 0 and 4294967295, got 99999999999"),
        (-1, "must be between 0 and 4294967295, got -1"),
        (1.5, "must be an integer, got 1.5"),
        (True, 'must be "user", "user:group", a numeric id, or { user = ..., group = ... }, got boolean'),
    ],
)
def test_bad_owners(value, message):
    with pytest.raises(v.Invalid) as raised:
        v.owner(value)
    assert raised.value.predicate == message


def test_a_group_alone_is_no_user_to_run_as():
    assert error('bk.image("a"):run("x", { user = { group = "staff" } })') == (
        "build.lua:1:33: state:run: user must name a user (a group alone is not a user to run as)"
    )
    assert error('bk.image("a"):run("x", { user = "" })') == "build.lua:1:33: state:run: user must not be empty"


def test_ids_where_buildkit_takes_only_numbers():
    d = build('bk.export(bk.http("https://e.com/f", { uid = 1000, gid = "1001" }))')
    attrs = dict(d.one("source").source.attrs)
    assert (attrs["http.uid"], attrs["http.gid"]) == ("1000", "1001")
    assert "bk.http: uid must be a numeric id (names are not looked up here), got 'app'" in error(
        'bk.http("https://e.com/f", { uid = "app" })'
    )
    assert "bk.secret: gid must be a numeric id, got boolean" in error('bk.secret("/s", { gid = true })')


# ---------------------------------------------------------------- lists, mappings, options


def test_list_and_mapping_errors_name_the_element():
    assert error('bk.image("a"):run("x", { env = { A = {} } })') == (
        "build.lua:1:38: state:run: env['A'] must be a string, got table"
    )
    assert error('bk.image("a"):run("x", { env = { "A=1", 2 } })') == (
        "build.lua:1:41: state:run: env[2] must be a string, got number"
    )
    assert error('bk.image("a"):run("x", { ulimits = { nofile = { soft = "x" } } })') == (
        "build.lua:1:56: state:run: ulimits['nofile'].soft must be an integer, got string"
    )
    assert error('bk.image("a"):run("x", { ulimits = { files = 1 } })').startswith(
        "build.lua:1:38: state:run: ulimits['files'] is not a ulimit (one of core, cpu,"
    )
    assert error('bk.image("a"):run("x", { secret_env = { ["1X"] = "t" } })') == (
        "build.lua:1:43: state:run: secret_env['1X'] is not a valid environment variable name"
    )
    assert error('bk.image("a"):run("x", { secret_env = { T = { idd = "t" } } })') == (
        "build.lua:1:47: state:run: secret_env['T']: unknown option 'idd' (did you mean 'id'?)"
    )
    assert error('bk.export(bk.scratch(), { expose = { 80, "x" } })') == (
        'build.lua:1:42: bk.export: expose[2] must be a port like "8080" or "53/udp", got \'x\''
    )
    assert error('bk.export(bk.scratch(), { labels = { "a" } })') == (
        "build.lua:1:38: bk.export: labels must be a table of names to strings; it has a number key"
    )
    assert error('bk.local_("c", { include = { "a", false } })') == (
        "build.lua:1:35: bk.local_: include[2] must be a string, got boolean"
    )
    assert error('bk.image("a"):copy(bk.scratch(), "a", "b", { owner = { usr = 1 } })') == (
        "build.lua:1:56: state:copy: owner: unknown option 'usr' (did you mean 'user'?)"
    )
    assert error('bk.image("a"):run("x", { [1] = "y" })') == (
        "build.lua:1:27: state:run: options are named, like { env = ... }; a number key is not an option"
    )


def test_values_with_holes_or_mixed_keys_are_not_lists():
    assert error('bk.image("a"):run("x", { mounts = { [1] = bk.tmpfs("/a"), [3] = bk.tmpfs("/b") } })') == (
        "build.lua:1:35: state:run: mounts must be a list of mounts"
    )
    assert error('bk.image("a"):run({ "ls", x = 1 })') == "build.lua:1:19: state:run: command must be a list of strings"


def test_long_values_are_shortened_in_messages():
    message = error(f'bk.image("a"):run("x", {{ network = "{"n" * 500}" }})')
    assert message.endswith("got 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...'")


def test_table_values_are_identities():
    a, b = v.Table({}), v.Table({})
    assert a != b and len({a, b}) == 2  # usable as keys, like Lua tables
    evaluation = run_script("bk.image('a', { platform = { [{}] = 1 } })")
    assert [p.message for p in evaluation.problems] == [
        "bk.image: platform: options are named, like { os = ... }; a table key is not an option"
    ]


def test_defaults_come_from_the_nodes():
    s = session()
    ssh = mounts.ssh(call("bk.ssh", s), None)
    assert ssh.mount == g.SSHMount()
    secret = mounts.secret(call("bk.secret", s), "/run/secrets/npmrc", None)
    assert secret.mount == g.SecretMount("/run/secrets/npmrc", "npmrc")
    assert file.mkdir(call("state:mkdir"), BASE, "/x", None).ref.node.action == g.Mkdir("/x")
    assert file.mkfile(call("state:mkfile"), BASE, "/x", "", None).ref.node.action == g.Mkfile("/x", b"")
    node = sources.http(call("bk.http"), "https://e.com/f", None).ref.node
    assert node.attrs == ()
    assert (g.Mkdir("/x").mode, g.Mkfile("/x", b"").mode, g.SecretMount("/s", "s").mode, g.SSHMount().mode) == (
        0o755,
        0o644,
        0o400,
        0o600,
    )
    assert g.Copy(None, "/a", "/b").mode == g.KEEP_MODE


def test_choices_map_names_to_buildkit_values():
    d = build('bk.export(bk.image("a"):run("x", { network = "none", security = "insecure" }))')
    op = d.one("exec")
    assert (op.exec.network, op.exec.security) == (pb.NONE, pb.INSECURE)


# ---------------------------------------------------------------- lists and text


@pytest.mark.parametrize(
    "items, expected",
    [
        ({}, True),
        ({1: "a", 2: "b"}, True),
        ({2: "b", 1: "a"}, True),  # keys 1..n in any order
        ({1: "a", 3: "c"}, False),
        ({True: "a"}, False),  # a bool key is not the index 1, although True == 1 in Python
        ({1.0: "a"}, False),
        ({"1": "a"}, False),
    ],
)
def test_a_table_is_an_array_only_with_int_keys_1_to_n(items: dict[object, object], expected: bool) -> None:
    assert v.Table(items).is_array() is expected


def test_text_takes_strings_and_numbers_and_refuses_bytes_and_bools() -> None:
    assert v.text("x") == "x"
    assert v.text(3) == "3"
    assert v.text(2.5) == "2.5"
    with pytest.raises(v.Invalid, match="must be UTF-8 text"):
        v.text(b"\xff")
    with pytest.raises(v.Invalid, match="must be a string"):
        v.text(True)
