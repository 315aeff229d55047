"""Signature help for `bk` functions and State methods, with the active parameter and, inside
an options table, the active option key.

`signature_help(text, position)` returns an lsprotocol `SignatureHelp` or None.
One signature per declared form (the function, then its `---@overload`s); the
active one is the first that has a parameter at the cursor's argument. Inside
the options table (or a table nested in it) the `opts` parameter's
documentation is the doc of the key being written (`cwd = |` shows `cwd`), or
the list of keys still available.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from lsprotocol.types import (
    ParameterInformation,
    Position,
    SignatureHelp,
    SignatureInformation,
)

from luakit_ls import stubs
from luakit_ls.call_records import CallRecord
from luakit_ls.client import FULL, ClientFeatures
from luakit_ls.completion import field_markdown
from luakit_ls.cursor import Context, context_at
from luakit_ls.inference import Resolver
from luakit_ls.markup import documentation
from luakit_ls.option_sites import TableSite, api_call, option_table
from luakit_ls.parsing import parse_prefix


def signature_help(
    text: str,
    position: Position,
    *,
    calls: Sequence[CallRecord] = (),
    state_names: Collection[str] = (),
    client: ClientFeatures = FULL,
) -> SignatureHelp | None:
    """Signature help for the innermost API call around `position`, or None outside API calls."""
    doc = parse_prefix(text, position.line, client.units)
    ctx = context_at(doc, doc.offset_at(position))
    if ctx.in_comment:
        return None
    resolver = Resolver(doc, state_names, calls)
    call = api_call(ctx, resolver)
    if call is None:
        return None
    function = call.function
    site = option_table(ctx, resolver)
    if site is not None and site.call.frame.start != call.frame.start:
        site = None
    options_doc = _options_doc(ctx, resolver, site) if site is not None else None
    forms: list[tuple[tuple[stubs.Param, ...], str]] = [(function.params, function.signature())]
    forms += [(o.params, function.signature(o)) for o in function.overloads]
    signatures = [_signature(function, params, label, call.argument, options_doc, client) for params, label in forms]
    active = next(
        (i for i, (params, _) in enumerate(forms) if _parameter_at(params, call.argument) is not None),
        0,
    )
    return SignatureHelp(signatures, active_signature=active, active_parameter=signatures[active].active_parameter)


def _parameter_at(params: tuple[stubs.Param, ...], argument: int) -> int | None:
    if argument < len(params):
        return argument
    if params and params[-1].name == "...":
        return len(params) - 1
    return None


def _signature(
    function: stubs.Function,
    params: tuple[stubs.Param, ...],
    label: str,
    argument: int,
    options_doc: str | None,
    client: ClientFeatures,
) -> SignatureInformation:
    infos = []
    pos = label.index("(") + 1
    for param in params:
        found = label.index(param.label, pos)
        pos = found + len(param.label)
        # Offsets into the label count characters as positions do (the negotiated encoding).
        start, end = client.units.count(label[:found]), client.units.count(label[:pos])
        doc = param.doc
        if options_doc is not None and param is function.options:
            doc = options_doc
        infos.append(
            ParameterInformation(
                label=(start, end), documentation=documentation(doc, client.signature_markdown) if doc else None
            )
        )
    summary = function.description.split("\n\n", 1)[0]
    return SignatureInformation(
        label=label,
        documentation=documentation(summary, client.signature_markdown) if summary else None,
        parameters=infos,
        active_parameter=_parameter_at(params, argument),
    )


def _options_doc(ctx: Context, resolver: Resolver, site: TableSite) -> str:
    """The doc of the option key at the cursor, else the keys that may still be written."""
    index = resolver.index
    frame = site.frame
    fields = index.fields(site.type)
    key = frame.key
    if key is None and frame.at_key and ctx.word is not None and ctx.word.kind == "name":
        key = ctx.word.value if ctx.word.value in fields else None
    if key is not None and key in fields:
        return field_markdown(index, site, fields[key])
    left = [name for name in fields if name not in frame.keys]
    where = " = { ".join(k for k in site.path if k)
    heading = f"`{where}`: " if where else ""
    if not left:
        return f"{heading}all options are set"
    return heading + "options: " + ", ".join(f"`{name}`" for name in left)
