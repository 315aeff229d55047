"""Lua values as the API sees them, and the one reader for each concept.

The runtime converts every argument before an API function sees it: strings
become `str` (or `bytes` where UTF-8 fails), tables become `Table`, and the
opaque handles become the graph values they stand for.

A reader takes one such value and returns what the graph needs, or raises
`Invalid`. There is one reader per concept -- a list, a mapping, an options
table, a user, an owner, a file mode, a platform -- and every API function
uses it, so a concept is accepted (and refused, with the same words) the same
way wherever it is written. `check` and `options` turn `Invalid` into the
`ScriptError` the user sees, and record the warnings a reader attached.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from compiler.errors import Focus, ProblemKind, Replacement
from compiler.graph import nodes as g
from compiler.graph import platform as platforms
from compiler.graph.platform import Platform
from compiler.records import IdentityRecord, Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

    from compiler.api.call import Call


class Table(IdentityRecord):
    """A Lua table: its entries, keys as Python values (str, int, float, bool, or other values).

    Compared and hashed by identity, like a Lua table, so a table can be a key of another.
    (The values here are records: compiler/records.py.)
    """

    __slots__ = ("items",)
    items: dict[Any, Any]

    def __init__(self, items: dict[Any, Any]) -> None:
        object.__setattr__(self, "items", items)

    def is_empty(self) -> bool:
        return not self.items

    def is_array(self) -> bool:
        n = len(self.items)
        # `type(k) is int`: an int and not a bool (bool is int's subclass), in one test of the
        # type where isinstance needs two (the converter makes no other int subclass).
        return all(type(k) is int and 1 <= k <= n for k in self.items)

    def array(self) -> list[Any]:
        return [self.items[i] for i in range(1, len(self.items) + 1)]


class Opaque(Record):
    """A Lua value the API never accepts (function, thread, foreign userdata)."""

    __slots__ = ("type_name",)
    type_name: str

    def __init__(self, type_name: str) -> None:
        object.__setattr__(self, "type_name", type_name)


class MountValue(Record):
    """What bk.cache/secret/ssh/tmpfs/bind return; placed by `state:run`."""

    __slots__ = ("mount",)
    mount: g.Mount

    def __init__(self, mount: g.Mount) -> None:
        object.__setattr__(self, "mount", mount)


def type_name(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (str, bytes)):
        return "string"
    if isinstance(value, Table):
        return "table"
    if isinstance(value, g.State):
        return "State"
    if isinstance(value, MountValue):
        return "Mount"
    if isinstance(value, Platform):
        return "Platform"
    if isinstance(value, Opaque):
        return value.type_name
    return "userdata"


def number_text(n: int | float) -> str:
    """A number as Lua 5.1 prints it (`3`, `0.5`)."""
    if float(n).is_integer() and abs(n) < 2**63:
        return str(int(n))
    return f"{n:.14g}"


def shown(text: str, limit: int = 60) -> str:
    """`text` quoted for a message, shortened when long."""
    return f"'{text}'" if len(text) <= limit else f"'{text[: limit - 3]}...'"


# ---------------------------------------------------------------- complaints


class Invalid(Exception):
    """A reader's complaint about a value.

    `predicate` completes a sentence whose subject is the value's name ("must be
    a string, got number"); `path` leads from that name to the value that is
    wrong (".user", "[2]", "['KEY']"). A `clause` is a sentence of its own,
    joined to the name with a colon ("owner: unknown option 'usr'").

    `keys` lead to the wrong value in the script's text as `Focus.keys` do (to
    the wrong key itself with `key`); `replacement` is a certain fix for it.
    """

    def __init__(
        self,
        predicate: str,
        path: tuple[str, ...] = (),
        clause: bool = False,
        keys: tuple[str | int, ...] = (),
        key: bool = False,
        replacement: Replacement | None = None,
    ) -> None:
        super().__init__(predicate)
        self.predicate = predicate
        self.path = path
        self.clause = clause
        self.keys = keys
        self.key = key
        self.replacement = replacement

    def inside(self, segment: str, key: str | int) -> Invalid:
        """The complaint about a value inside the table under `key` (`segment` as messages show it)."""
        path, keys = (segment, *self.path), (key, *self.keys)
        return Invalid(self.predicate, path, self.clause, keys, self.key, self.replacement)

    def about_key(self) -> Invalid:
        """The same complaint, about the key its `keys` end in rather than its value."""
        return Invalid(self.predicate, self.path, self.clause, self.keys, True, self.replacement)


def must_be(expected: str, value: Any) -> Invalid:
    if isinstance(value, bytes):
        return Invalid(f"must be {expected}, got a string that is not UTF-8 text")
    return Invalid(f"must be {expected}, got {type_name(value)}")


def sentence(subject: str, err: Invalid) -> str:
    """The complaint as the user reads it, e.g. "mounts[2] must be a mount ..."."""
    name = (subject + "".join(err.path)).lstrip(".")
    if not name:
        return err.predicate
    return f"{name}: {err.predicate}" if err.clause else f"{name} {err.predicate}"


class Warned(Record):
    """A value that is accepted, with a warning for the user (a predicate, like Invalid's)."""

    __slots__ = ("value", "predicate", "kind", "replacement")
    value: Any
    predicate: str
    kind: ProblemKind  # what it is reported as (editors give each kind a code)
    replacement: Replacement | None  # a certain fix for the value

    def __init__(self, value: Any, predicate: str, kind: ProblemKind, replacement: Replacement | None = None) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "predicate", predicate)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "replacement", replacement)


if TYPE_CHECKING:  # only annotations name it (`Any` is typing's)
    Reader = Callable[[Any], Any]


def check(call: Call, what: str, reader: Reader, value: Any) -> Any:
    """Read one argument of an API function; `what` names it in messages."""
    try:
        result = reader(value)
    except Invalid as err:
        raise call.error(sentence(what, err), _focus(call, value, err.keys, err.key), err.replacement) from None
    if type(result) is Warned:  # tested here, not in a call to `_heed`: every argument of every call passes
        return _heed(call, what, result, value)
    return result


def _focus(call: Call, argument: Any, keys: tuple[str | int, ...], key: bool) -> Focus | None:
    return call.focus(argument, keys, key)


def _heed(call: Call, what: str, result: Any, argument: Any, keys: tuple[str | int, ...] = ()) -> Any:
    if isinstance(result, Warned):
        focus = _focus(call, argument, keys, False)
        call.warn(sentence(what, Invalid(result.predicate)), result.kind, focus, result.replacement)
        return result.value
    return result


# ---------------------------------------------------------------- scalars


def string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        raise Invalid("must be UTF-8 text")
    raise must_be("a string", value)


def nonempty_string(value: Any) -> str:
    text = string(value)
    if not text.strip():
        raise Invalid("must not be empty")
    return text


def text(value: Any) -> str:
    """A string, or a number written as Lua prints it (env values, labels, argv items)."""
    if isinstance(value, str):  # the usual case, answered first: every argv item and env value goes through here
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value)
    if isinstance(value, bytes):
        return string(value)  # the complaint about text that is not UTF-8
    raise must_be("a string", value)


def data(value: Any) -> bytes:
    """File contents: any Lua string, bytes kept exactly."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise must_be("a string", value)


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise must_be("a boolean (true or false)", value)


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise must_be("an integer", value)
    if isinstance(value, float):
        if not value.is_integer():  # also nan and inf
            raise Invalid(f"must be an integer, got {number_text(value)}")
        value = int(value)
    return value


def bounded(low: int, high: int) -> Reader:
    def read(value: Any) -> int:
        n = integer(value)
        if not low <= n <= high:
            raise Invalid(f"must be between {low} and {high}, got {number_text(value)}")
        return n

    return read


uint32 = bounded(0, 2**32 - 1)
non_negative = bounded(0, 2**63 - 1)


def one_of(*choices: str) -> Reader:
    """One of `choices`, as the string itself."""
    return choice({c: c for c in choices})


def choice(meanings: Mapping[str, Any]) -> Reader:
    """One of the names in `meanings`, read as what it means (e.g. "host" -> pb.HOST)."""
    listed = "one of " + ", ".join(f"'{c}'" for c in meanings)

    def read(value: Any) -> Any:
        if not isinstance(value, str):
            raise must_be(listed, value)
        if value not in meanings:
            raise Invalid(f"must be {listed}, got {shown(value)}")
        return meanings[value]

    return read


# ---------------------------------------------------------------- lists and mappings


def list_of(item: Reader, expected: str) -> Reader:
    """A Lua list (a table with keys 1..n); each item read by `item`, its index in messages."""

    def read(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, Table) or not value.is_array():
            raise must_be(expected, value) if not isinstance(value, Table) else Invalid(f"must be {expected}")
        out = []
        for i, element in enumerate(value.array(), 1):
            try:
                out.append(item(element))
            except Invalid as err:
                raise err.inside(f"[{i}]", i) from None
        return tuple(out)

    return read


def _key_order(key: Any) -> tuple[str, str]:
    return (type_name(key), str(key))


def _in_order(keys: Any) -> list[Any]:
    """Keys sorted, so the first complaint is the same on every run; names (the usual case) directly."""
    try:
        return sorted(keys)
    except TypeError:  # mixed key types
        return sorted(keys, key=_key_order)


def mapping(key: Reader, item: Reader, expected: str) -> Reader:
    """A Lua table of string keys, in sorted key order; keys read by `key`, values by `item`."""

    def read(value: Any) -> dict[Any, Any]:
        if not isinstance(value, Table):
            raise must_be(expected, value)
        out: dict[Any, Any] = {}
        for k in _in_order(value.items):
            if not isinstance(k, str):
                raise Invalid(f"must be {expected}; it has a {type_name(k)} key", keys=_key_path(k), key=True)
            try:
                name = key(k)
            except Invalid as err:  # the key itself is wrong
                raise err.inside(f"[{shown(k)}]", k).about_key() from None
            try:
                out[name] = item(value.items[k])
            except Invalid as err:
                raise err.inside(f"[{shown(k)}]", k) from None
        return out

    return read


string_list = list_of(string, "a list of strings")
string_map = mapping(string, text, "a table of names to strings")


# ---------------------------------------------------------------- options tables


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice `name` was probably meant to be (a prefix either way, else a close spelling), if any."""
    import difflib  # only on error paths: it is slow to import

    names = sorted(choices)
    prefixed = [c for c in names if c.startswith(name) or name.startswith(c)]
    close = prefixed[:1] or difflib.get_close_matches(name, names, n=1)
    return close[0] if close else None


def unknown_option(key: str, schema: Mapping[str, Any]) -> str:
    meant = closest(key, schema)
    hint = f" (did you mean '{meant}'?)" if meant else f" (valid options: {', '.join(sorted(schema))})"
    return f"unknown option {shown(key)}{hint}"


def rename(wrong: str, meant: str | None) -> Replacement | None:
    """The fix for a misspelled name, worded as editors offer it."""
    return None if meant is None else Replacement(f"Change '{wrong}' to '{meant}'", meant, re.escape(wrong))


def _key_path(key: Any) -> tuple[str | int, ...]:
    """`Focus.keys` for a table key, when the text can show it (a name or a list position)."""
    if isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
        return (key,)
    return ()


def _fields(value: Table, schema: Mapping[str, Reader]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _in_order(value.items):
        if not isinstance(key, str):
            example = next(iter(schema))
            raise Invalid(
                f"options are named, like {{ {example} = ... }}; a {type_name(key)} key is not an option",
                clause=True,
                keys=_key_path(key),
                key=True,
            )
        reader = schema.get(key)
        if reader is None:
            meant = closest(key, schema)
            raise Invalid(
                unknown_option(key, schema), clause=True, keys=(key,), key=True, replacement=rename(key, meant)
            )
        try:
            out[key] = reader(value.items[key])
        except Invalid as err:
            raise err.inside("." + key, key) from None
    return out


def record(schema: Mapping[str, Reader], expected: str) -> Reader:
    """A table of named fields, each read by its reader in `schema` (nested options).

    Its readers must not warn: only `options` and `check` pass warnings on.
    """

    def read(value: Any) -> dict[str, Any]:
        if not isinstance(value, Table):
            raise must_be(expected, value)
        return _fields(value, schema)

    return read


def options(call: Call, value: Any, schema: Mapping[str, Reader]) -> dict[str, Any]:
    """The optional trailing options table of an API function, read against `schema`.

    Keys are the option names, so they can be passed on as the graph node's fields.
    """
    if value is None:
        return {}
    if not isinstance(value, Table):
        raise call.wrong(value, f"options must be a table, got {type_name(value)}")
    try:
        found = _fields(value, schema)
    except Invalid as err:
        raise call.error(sentence("", err), _focus(call, value, err.keys, err.key), err.replacement) from None
    if not any(type(item) is Warned for item in found.values()):  # the usual case: no warnings to record
        return found
    return {key: _heed(call, key, item, value, (key,)) for key, item in found.items()}


# ---------------------------------------------------------------- file modes

SPECIAL_BITS = 0o7000  # set-uid, set-gid, sticky
_SPECIAL_NAMES = ((0o4000, "set-uid"), (0o2000, "set-gid"), (0o1000, "sticky"))


def _special(n: int) -> str:
    names = [name for bit, name in _SPECIAL_NAMES if n & bit]
    return " and ".join(names) + (" bits" if len(names) > 1 else " bit")


def _written_as_octal(n: int) -> bool:
    """Whether a number looks like an octal mode written without quotes (`644`, `0755`, `4755`).

    Lua has no octal literals, so `0644` is the number 644. We flag numbers whose
    decimal digits, read as octal, are a plausible mode: 3 or 4 digits 0-7, the
    owner can read, and the group has no permission the owner lacks nor the
    others one the group lacks. The decimal spellings of common modes (420 for
    0644, 493 for 0755, 256 for 0400) are not flagged; 511 (0777) is, harmlessly.
    """
    digits = str(n)
    if not 3 <= len(digits) <= 4 or any(c not in "01234567" for c in digits):
        return False
    owner, group, other = (int(c) for c in digits[-3:])
    return owner >= 4 and not group & ~owner and not other & ~group


# A mode string's digits are checked as a set against these: one C call, where a generator
# over the characters took a Python step for each.
_OCTAL_DIGITS = frozenset("01234567")


def file_mode(special_bits: bool) -> Reader:
    """A file mode: a string is octal ("0755"), a number is taken as given (493 is 0755).

    `special_bits`: whether BuildKit applies the set-uid, set-gid and sticky bits
    where this mode is used. It does for copy; it masks them off (mode & 0777) for
    mkdir, mkfile, secrets and ssh sockets, and fails an http download with
    "unsupported file mode" (checked with BuildKit v0.32.2), so there they are
    refused here, with a message that says where they can be set. A number that looks like an octal
    literal (`0644`) is accepted with a warning, or refused when, read as the
    decimal it is, it is no mode that place can take.
    """

    def read(value: Any) -> int | Warned:
        if isinstance(value, str):
            digits = value.strip()
            digits = digits[2:] if digits[:2] in ("0o", "0O") else digits
            if not digits or not set(digits) <= _OCTAL_DIGITS:
                raise Invalid(f'must be an octal string like "0755", got {shown(value)}')
            n, looks_octal = int(digits, 8), False
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            n = integer(value)
            looks_octal = _written_as_octal(n)
        else:
            raise must_be('an octal string like "0755" or a number', value)
        # What to write instead, and (the digits as a string, which luakit reads as octal) what the
        # author meant: only a number that looks octal needs them, so a string mode (the usual
        # case, on every copy, mkdir and mkfile that gives one) formats no words it never shows.
        write = f'Lua has no octal literals; write "{n:04d}" for octal {n:04d}' if looks_octal else ""
        as_string = (
            Replacement(f'Write the mode as the string "{n:04d}"', f'"{n:04d}"', f"0*{n}") if looks_octal else None
        )
        if not 0 <= n <= 0o7777:
            if looks_octal:
                raise Invalid(f"is the decimal number {n}, too large for a mode: {write}", replacement=as_string)
            raise Invalid(f'must be a mode between 0 and 07777 ("0755" as a string is octal), got {n}')
        if n & SPECIAL_BITS and not special_bits:
            if looks_octal:
                raise Invalid(
                    f"is the decimal number {n} (octal {n:04o}, which sets the {_special(n)}): {write}",
                    replacement=as_string,
                )
            raise Invalid(
                f"must not set the {_special(n)} (got {n:04o} in octal): BuildKit applies only the permission "
                "bits (0777) here; they can be set with state:copy's mode or a chmod in state:run"
            )
        if looks_octal:
            return Warned(n, f"is the decimal number {n} (octal {n:04o}): {write}", ProblemKind.MODE, as_string)
        return n

    return read


mode = file_mode(special_bits=True)
permissions = file_mode(special_bits=False)


# ---------------------------------------------------------------- users and owners

# Compiled by `re` on first use (its cache): most scripts set no owner.
_ID = r"^[0-9]+$"
_NAME = r"^[^:\s]+$"


def _account(value: Any) -> str | int:
    """A user or group: a name, or a numeric id (a number, or a string of digits)."""
    if isinstance(value, str):
        if re.match(_ID, value):
            return uint32(int(value))
        if not value:
            raise Invalid("must not be empty")
        if not re.match(_NAME, value):
            raise Invalid(f"must be a user name or id, without ':' or spaces, got {shown(value)}")
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return uint32(value)
    raise must_be("a user name or id", value)


_ACCOUNTS = record({"user": _account, "group": _account}, "a table like { user = ..., group = ... }")
_OWNER_FORMS = '"user", "user:group", a numeric id, or { user = ..., group = ... }'


def _user_and_group(value: Any) -> tuple[str | int | None, str | int | None]:
    if isinstance(value, str):
        user, colon, group = value.partition(":")
        if colon and not group:
            raise Invalid(f"must name a group after ':', got {shown(value)}")
        # ":group" names only a group, like Dockerfile's --chown=:group.
        return (_account(user) if user or not colon else None), (_account(group) if colon else None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return uint32(value), None
    if isinstance(value, Table):
        found = _ACCOUNTS(value)
        if not found:
            raise Invalid("must name a user or a group")
        return found.get("user"), found.get("group")
    raise must_be(_OWNER_FORMS, value)


def owner(value: Any) -> g.Owner:
    """The owner of files: a user and/or group, each a name or a numeric id.

    BuildKit looks names up in the target's /etc/passwd and /etc/group; "root" is
    id 0 without a lookup, as in llb's WithUser and Dockerfile's --chown.
    """
    user, group = _user_and_group(value)
    return g.Owner(0 if user == "root" else user, 0 if group == "root" else group)


def user(value: Any) -> str:
    """The user a process runs as, in the "user[:group]" text of ExecOp and image configs."""
    found, group = _user_and_group(value)
    if found is None:
        raise Invalid("must name a user (a group alone is not a user to run as)")
    return f"{found}:{group}" if group is not None else str(found)


def numeric_id(value: Any) -> int:
    """A uid or gid where BuildKit takes only numbers (secrets, ssh sockets, http downloads)."""
    if isinstance(value, str) and not re.match(_ID, value):
        raise Invalid(f"must be a numeric id (names are not looked up here), got {shown(value)}")
    if isinstance(value, str):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise must_be("a numeric id", value)
    return uint32(value)


# ---------------------------------------------------------------- platforms

_PLATFORM_TABLE = record({"os": string, "arch": string, "variant": string}, "a table")
_PLATFORM_FORMS = f'"os/arch[/variant]" like "{platforms.EXAMPLE}", {{ os = ..., arch = ... }} or bk.platform(...)'


def platform(value: Any) -> Platform:
    """A target platform, normalized like containerd (see compiler/graph/platform.py)."""
    if isinstance(value, Platform):
        return value
    try:
        if isinstance(value, str):
            return platforms.parse(value)
        if isinstance(value, Table):
            parts = _PLATFORM_TABLE(value)
            if not parts.get("os") or not parts.get("arch"):
                raise Invalid('must have os and arch, like { os = "linux", arch = "arm64" }')
            return platforms.normalize(parts["os"], parts["arch"], parts.get("variant", ""))
    except ValueError as exc:
        raise Invalid(str(exc), clause=True) from None
    raise must_be(_PLATFORM_FORMS, value)


def platform_of(os_name: str, arch: str, variant: str = "") -> Platform:
    """`normalize` for API functions: its complaint as an `Invalid`."""
    try:
        return platforms.normalize(os_name, arch, variant)
    except ValueError as exc:
        raise Invalid(str(exc), clause=True) from None
