"""Lua values as the API sees them, and readers that validate them.

The runtime converts every argument before an API function sees it: strings
become `str` (or `bytes` where UTF-8 fails), tables become `Table`, and the
opaque handles become the graph values they stand for. Readers raise
`ScriptError` with messages in the user's terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.errors import ScriptError
from compiler.graph import nodes as g
from compiler.graph.platform import Platform, normalize, parse


@dataclass(frozen=True, slots=True)
class Table:
    """A Lua table: its entries, keys as Python values (str, int, float, bool)."""

    items: dict[Any, Any]

    def is_empty(self) -> bool:
        return not self.items

    def is_array(self) -> bool:
        n = len(self.items)
        return all(isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= n for k in self.items)

    def array(self) -> list[Any]:
        return [self.items[i] for i in range(1, len(self.items) + 1)]


@dataclass(frozen=True, slots=True)
class Opaque:
    """A Lua value the API never accepts (function, thread, foreign userdata)."""

    type_name: str


@dataclass(frozen=True, slots=True)
class MountValue:
    """What bk.cache/secret/ssh/tmpfs/bind return; placed by `state:run`."""

    mount: g.Mount


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
    return type(value).__name__


class Invalid(Exception):
    """A reader's complaint: `expected` completes "X must be ..."."""

    def __init__(self, expected: str, detail: str | None = None, path: bool = False) -> None:
        super().__init__(expected)
        self.expected = expected
        self.detail = detail
        self.path = path  # detail starts with a nested option name ("user must be ...")


Reader = Callable[[Any], Any]


def describe_error(where: str, what: str, value: Any, err: Invalid) -> ScriptError:
    if err.detail:
        return ScriptError(f"{where}: {what} {err.detail}")
    return ScriptError(f"{where}: {what} must be {err.expected}, got {type_name(value)}")


def check(where: str, what: str, reader: Reader, value: Any) -> Any:
    try:
        return reader(value)
    except Invalid as err:
        raise describe_error(where, what, value, err) from None


# ---------------------------------------------------------------- readers


def string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        raise Invalid("a string", "must be valid UTF-8")
    raise Invalid("a string")


def nonempty_string(value: Any) -> str:
    text = string(value)
    if not text.strip():
        raise Invalid("a string", "must not be empty")
    return text


def data(value: Any) -> bytes:
    """File contents: any Lua string, bytes kept exactly."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise Invalid("a string")


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise Invalid("a boolean")


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid("an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise Invalid("an integer", f"must be an integer, got {value:g}")
        value = int(value)
    return value


def bounded(low: int, high: int) -> Reader:
    def read(value: Any) -> int:
        n = integer(value)
        if not low <= n <= high:
            raise Invalid("an integer", f"must be between {low} and {high}, got {n}")
        return n

    return read


uint32 = bounded(0, 2**32 - 1)
non_negative = bounded(0, 2**63 - 1)


def string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, Table) and value.is_array():
        out = []
        for i, item in enumerate(value.array(), 1):
            if not isinstance(item, str):
                raise Invalid("a list of strings", f"[{i}] must be a string, got {type_name(item)}")
            out.append(item)
        return tuple(out)
    raise Invalid("a list of strings")


def string_map(value: Any) -> dict[str, str]:
    """A table of string keys to string (or number) values."""
    if not isinstance(value, Table) or (value.items and value.is_array()):
        raise Invalid("a table of string keys to string values")
    out: dict[str, str] = {}
    for key, item in value.items.items():
        if not isinstance(key, str):
            raise Invalid("a table of string keys", f"keys must be strings, got {type_name(key)}")
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = number_text(item)
        if not isinstance(item, str):
            raise Invalid("a table of string values", f"['{key}'] must be a string, got {type_name(item)}")
        out[key] = item
    return out


def number_text(n: int | float) -> str:
    return str(int(n)) if float(n).is_integer() else repr(n)


def one_of(*choices: str) -> Reader:
    def read(value: Any) -> str:
        text = string(value) if isinstance(value, str) else None
        if text is None:
            raise Invalid(_choices(choices))
        if text not in choices:
            raise Invalid(_choices(choices), f"must be {_choices(choices)}, got '{text}'")
        return text

    return read


def _choices(choices: tuple[str, ...]) -> str:
    quoted = [f"'{c}'" for c in choices]
    return "one of " + ", ".join(quoted)


def mode(value: Any) -> int:
    """File modes: "0755" (octal string) or a number taken as given (Lua has no octal literals)."""
    if isinstance(value, str):
        text = value.strip()
        digits = text[2:] if text[:2] in ("0o", "0O") else text
        if not digits or any(c not in "01234567" for c in digits):
            raise Invalid(
                'an octal string like "0755" or a number',
                f"must be an octal string like \"0755\", got '{value}'",
            )
        n = int(digits, 8)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        n = integer(value)
    else:
        raise Invalid('an octal string like "0755" or a number')
    if not 0 <= n <= 0o7777:
        raise Invalid("a mode", f'must be a mode between 0 and 07777 ("0755" as a string is octal), got {n}')
    return n


def user_id(value: Any) -> str | int:
    if isinstance(value, str):
        if not value:
            raise Invalid("a user name or id", "must not be empty")
        return int(value) if value.isdigit() else value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid("a user name or id")
    return uint32(value)


def owner(value: Any) -> g.Owner:
    """ "user", "user:group", a uid, or {user=..., group=...}."""
    if isinstance(value, str):
        user, _, group = value.partition(":")
        return g.Owner(user_id(user), user_id(group) if group else None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return g.Owner(uint32(value), None)
    if isinstance(value, Table):
        opts = read_table("owner", value, {"user": user_id, "group": user_id})
        if "user" not in opts and "group" not in opts:
            raise Invalid("a table", "must name a user or a group")
        return g.Owner(opts.get("user"), opts.get("group"))
    raise Invalid('"user[:group]", a uid, or {user=..., group=...}')


def platform(value: Any) -> Platform:
    if isinstance(value, Platform):
        return value
    if isinstance(value, str):
        try:
            return parse(value)
        except ValueError as exc:
            raise Invalid("a platform", f"{exc}") from None
    if isinstance(value, Table):
        opts = read_table("platform", value, {"os": string, "arch": string, "architecture": string, "variant": string})
        arch = opts.get("arch") or opts.get("architecture")
        if not opts.get("os") or not arch:
            raise Invalid("a platform", 'must have os and arch, e.g. {os="linux", arch="arm64"}')
        return normalize(opts["os"], arch, opts.get("variant", ""))
    raise Invalid('a platform ("linux/arm64", {os=..., arch=...} or bk.platform(...))')


# ---------------------------------------------------------------- option tables


def read_table(where: str, value: Any, schema: Mapping[str, Reader]) -> dict[str, Any]:
    """Validate an options table against `schema` (key -> reader)."""
    if not isinstance(value, Table):
        raise Invalid("a table")
    out: dict[str, Any] = {}
    for key in sorted(value.items, key=str):
        item = value.items[key]
        if not isinstance(key, str):
            raise Invalid(
                "a table",
                f"has a {type_name(key)} key; options are named, like {{ {next(iter(schema))} = ... }}",
            )
        reader = schema.get(key)
        if reader is None:
            raise Invalid("a table", unknown_option(key, schema))
        if item is None:
            continue
        try:
            out[key] = reader(item)
        except Invalid as err:
            raise Invalid(err.expected, _nested(key, item, err), path=True) from None
    return out


def _nested(key: str, item: Any, err: Invalid) -> str:
    """`key` joined to what its reader said: "mounts[2] must ...", "owner.user must ..."."""
    if not err.detail:
        return f"{key} must be {err.expected}, got {type_name(item)}"
    if err.path:
        return f"{key}.{err.detail}"
    if err.detail.startswith("["):
        return f"{key}{err.detail}"
    return f"{key} {err.detail}"


def unknown_option(key: str, schema: Mapping[str, Reader]) -> str:
    import difflib  # only on this error path: it is slow to import

    prefixed = [name for name in sorted(schema) if name.startswith(key) or key.startswith(name)]
    close = prefixed[:1] or difflib.get_close_matches(key, list(schema), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (valid options: {', '.join(sorted(schema))})"
    return f"unknown option '{key}'{hint}"


def options(where: str, value: Any, schema: Mapping[str, Reader]) -> dict[str, Any]:
    """Read an optional trailing options argument of an API function."""
    if value is None:
        return {}
    if not isinstance(value, Table):
        raise ScriptError(f"{where}: options must be a table, got {type_name(value)}")
    try:
        return read_table(where, value, schema)
    except Invalid as err:
        raise ScriptError(f"{where}: {err.detail or 'options must be ' + err.expected}") from None
