"""Hover: the stubs' docs for `bk` functions, State methods, option keys and enum values, plus
what the last evaluation produced on that line (op kind, short digest, platform).

`hover(text, position, calls=...)` returns an lsprotocol `Hover` or None. `calls`
are the last evaluation's API call records for this document (the shape of
`compiler.isolated.CallOp`), used for "this line made an exec op 3f2a1b9c0d1e".
Locals that hold States get a hover too (their type and op); other Lua is left
to LuaLS.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from lsprotocol.types import Hover, Position

from luakit_ls import stubs
from luakit_ls.call_records import CallRecord, api_name, op_summary
from luakit_ls.client import FULL, ClientFeatures
from luakit_ls.completion import field_markdown
from luakit_ls.cursor import Context, word_at
from luakit_ls.expressions import Index, MethodRef, Name
from luakit_ls.inference import Resolver
from luakit_ls.markup import content
from luakit_ls.option_sites import option_field
from luakit_ls.parsing import Document

# More calls than this on one line (a loop body) are summarized.
_MAX_LISTED = 5


def hover(
    text: str,
    position: Position,
    *,
    calls: Sequence[CallRecord] = (),
    state_names: Collection[str] = (),
    client: ClientFeatures = FULL,
) -> Hover | None:
    """The hover at `position`, or None where luakit has nothing to add (plain Lua is LuaLS's)."""
    found = word_at(text, position, client.units)
    if found is None:
        return None
    doc, ctx, word = found
    resolver = Resolver(doc, state_names, calls)
    index = resolver.index
    word_range = doc.range_of(word.start, word.end)
    markdown: str | None = None
    if word.kind == "name":
        name = word.value
        if ctx.receiver is not None:
            member = MethodRef if ctx.separator == ":" else Index
            callee = member(ctx.receiver, name, ctx.receiver.start, word.end)
            function = resolver.function_of(callee)
            if function is not None:
                markdown = _with_ops(function.markdown(), _calls_of(doc, resolver, function, word.start))
        elif ctx.next_text == b"=" and ctx.innermost is not None and ctx.innermost.at_key:
            option = option_field(ctx, resolver, name)
            if option is not None:
                markdown = field_markdown(index, *option)
        else:
            markdown = _name_markdown(doc, resolver, Name(name, word.start, word.end))
    elif word.kind == "str":
        markdown = _value_markdown(ctx, resolver, word.value)
    if markdown is None:
        return None
    return Hover(content(markdown, client.hover_markdown), word_range)


def _name_markdown(doc: Document, resolver: Resolver, name: Name) -> str | None:
    # On the name a statement binds (`local deps = ...`), that binding; elsewhere the one in scope.
    bound_here = next((b for b in doc.bindings_of(name.name) if b.name_start == name.start), None)
    type_ = resolver.binding_type(bound_here) if bound_here is not None else resolver.type_of(name)
    if type_ == "bk":
        bk = resolver.index.types.get("bk")
        return f"```lua\n(global) bk\n```\n\n{bk.description}" if bk else None
    if type_ not in ("State", "Mount", "Platform"):
        return None
    binding = bound_here if bound_here is not None and bound_here.kind != "assign" else None
    binding = binding or doc.declaration_at(name.name, name.start)
    current = bound_here or doc.binding_at(name.name, name.start) or binding
    kind = "local" if binding is not None and binding.kind in ("local", "param", "for") else "global"
    text = f"```lua\n({kind}) {name.name}: {type_}\n```"
    if current is not None and current.value is not None:
        made = resolver.calls.within(doc, current.value.start_byte, current.value.end_byte)
        if made and made[-1].kind:
            text += f"\n\n**Last evaluation:** {op_summary(made[-1])}"
    return text


def _calls_of(doc: Document, resolver: Resolver, function: stubs.Function, offset: int) -> list[CallRecord]:
    line = doc.line_of(offset) + 1
    return [c for c in resolver.calls.on_line(line) if api_name(c.function) == function.name]


def _with_ops(markdown: str, calls: list[CallRecord]) -> str:
    if not calls:
        return markdown
    if len(calls) == 1:
        return f"**Last evaluation:** {op_summary(calls[0])}\n\n---\n\n{markdown}"
    listed = "\n".join(f"- {op_summary(c)}" for c in calls[-_MAX_LISTED:])
    more = f" ({len(calls)} calls; the last {_MAX_LISTED})" if len(calls) > _MAX_LISTED else f" ({len(calls)} calls)"
    return f"**Last evaluation**{more}:\n{listed}\n\n---\n\n{markdown}"


def _value_markdown(ctx: Context, resolver: Resolver, value: str) -> str | None:
    frame = ctx.innermost
    if frame is None or frame.bracket != "{" or frame.key is None:
        return None
    found = option_field(ctx, resolver, frame.key)
    if found is None:
        return None
    index = resolver.index
    type_ = stubs.parse_type(found[1].type)
    literal = next((v for v in index.literals(type_) if v.value == value), None)
    if literal is None:
        return None
    alias = index.alias_of(type_)
    lines = [f'```lua\n(enum) {frame.key} = "{value}"\n```']
    if literal.doc:
        lines.append(literal.doc)
    if alias is not None:
        lines.append(f"*`{alias.name}`*: {alias.description}" if alias.description else f"*`{alias.name}`*")
    return "\n\n".join(lines)
