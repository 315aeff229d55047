"""Option-table sites: the API call around a position, and the options table (or a table nested in one) there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from luakit_ls import stubs
from luakit_ls.cursor import Context, Frame
from luakit_ls.inference import Resolver


@dataclass(frozen=True)
class CallSite:
    """The API call whose argument list holds a position."""

    function: stubs.Function
    frame: Frame  # the call's `(`
    argument: int  # which argument the position is in (0-based)


@dataclass(frozen=True)
class TableSite:
    """A table at a position that is an API call's options table, or a table nested in one."""

    call: CallSite
    path: tuple[str | None, ...]  # keys from the options table down to this table; None: an array element
    type: stubs.Type  # this table's type, e.g. `bk.RunOptions`, or `bk.Owner` for `owner = { ... }`
    frame: Frame  # this table's `{`


def api_call(ctx: Context, resolver: Resolver) -> CallSite | None:
    """The innermost call around the position, if it is a `bk` function or a `State` method."""
    for frame in reversed(ctx.frames):
        if frame.bracket == "(" and frame.callee is not None:
            function = resolver.function_of(frame.callee)
            return CallSite(function, frame, frame.index) if function else None
    return None


def option_table(ctx: Context, resolver: Resolver, frames: Sequence[Frame] | None = None) -> TableSite | None:
    """The innermost table around the position, when it belongs to an API call's options argument."""
    frames = ctx.frames if frames is None else frames
    i = len(frames) - 1
    if i < 0 or frames[i].bracket != "{" or frames[i].callee is not None:
        return None
    while i > 0 and frames[i - 1].bracket == "{" and frames[i - 1].callee is None:
        i -= 1
    tables = frames[i:]
    if i == 0 or frames[i - 1].bracket != "(" or frames[i - 1].callee is None:
        return None
    call_frame = frames[i - 1]
    function = resolver.function_of(call_frame.callee)  # type: ignore[arg-type]
    opts = function.options if function else None
    if function is None or opts is None or function.params.index(opts) != call_frame.index:
        return None
    type_: stubs.Type | None = stubs.TName(opts.type)
    path: list[str | None] = []
    for table in tables[:-1]:
        step = table.key
        path.append(step)
        type_ = resolver.index.key_type(type_, step) if type_ is not None else None
    if type_ is None:
        return None
    return TableSite(CallSite(function, call_frame, call_frame.index), tuple(path), type_, tables[-1])


def option_field(ctx: Context, resolver: Resolver, key: str) -> tuple[TableSite, stubs.Field] | None:
    """The option table around the position and its stub field named `key`, if both exist."""
    site = option_table(ctx, resolver)
    field = resolver.index.fields(site.type).get(key) if site is not None else None
    return (site, field) if site is not None and field is not None else None
