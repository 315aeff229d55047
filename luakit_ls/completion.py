"""Completion: `bk.` members, State methods, option keys and their values.

`complete(text, position)` returns plain lsprotocol items; it reads only the
text, the stub index and, optionally, what the last evaluation knew (names that
hold States, the ops each line produced). What it offers:

* after `bk.`: the API functions, as call snippets;
* after `x:` where `x` is known to be a State (a `bk.*` result, a State method's
  result, a chain, a re-assigned local, or a name the evaluation reported): the
  State methods;
* inside an API call's options table, also nested ones (`owner = { | }`,
  `mounts = { bk.cache("/x", { | }) }`): the option keys not written yet;
* at an option's value: enum values (`network = "|"`), `true`/`false`, and the
  `bk` functions that make the expected kind of value (`bk.cache` in `mounts`).

Every item carries docs from the stubs (Markdown, or plain text for a client
that shows only that) and a text edit that replaces the word being typed (or the
string's contents), so clients need no word rules. Calls and options are
snippets only for a client with snippet support; others get plain text that
still leaves the cursor where typing goes on (`image(`, `cwd = `).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from lsprotocol.types import (
    CompletionItem,
    CompletionItemKind,
    CompletionItemLabelDetails,
    InsertTextFormat,
    Position,
    Range,
    TextEdit,
)

from luakit_ls import stubs
from luakit_ls.call_records import CallRecord
from luakit_ls.client import FULL, ClientFeatures
from luakit_ls.cursor import Context, context_at
from luakit_ls.inference import Resolver
from luakit_ls.markup import documentation
from luakit_ls.option_sites import TableSite, option_table
from luakit_ls.parsing import Document, parse_prefix


def complete(
    text: str,
    position: Position,
    *,
    calls: Sequence[CallRecord] = (),
    state_names: Collection[str] = (),
    client: ClientFeatures = FULL,
) -> list[CompletionItem]:
    """Completion items at `position` (an empty list when there is nothing luakit-specific to offer)."""
    doc = parse_prefix(text, position.line, client.units)
    offset = doc.offset_at(position)
    ctx = context_at(doc, offset)
    if ctx.in_comment:
        return []
    resolver = Resolver(doc, state_names, calls)
    index = resolver.index
    word_range = _word_range(doc, ctx)
    if ctx.receiver is not None:
        receiver = resolver.type_of(ctx.receiver)
        if ctx.separator == "." and receiver == "bk":
            return [_function_item(f, word_range, doc, ctx, i, client) for i, f in enumerate(index.functions.values())]
        if ctx.separator == ":" and receiver == "State":
            return [_function_item(f, word_range, doc, ctx, i, client) for i, f in enumerate(index.methods.values())]
        return []
    site = option_table(ctx, resolver)
    if site is not None:
        return _table_items(doc, ctx, site, index, word_range, client)
    return []


def _word_range(doc: Document, ctx: Context) -> Range:
    word = ctx.word
    if word is None or word.kind not in ("name", "keyword"):
        return doc.range_of(ctx.offset, ctx.offset)
    return doc.range_of(word.start, word.end)


def _followed_by_call(doc: Document, ctx: Context) -> bool:
    end = ctx.word.end if ctx.word is not None else ctx.offset
    return doc.source[end : end + 1] in (b"(", b"{", b'"', b"'")


def call_snippet(function: stubs.Function, name: str) -> str:
    """`image("${1:ref}")`: the required parameters as placeholders, strings quoted."""
    parts = []
    for number, param in enumerate((p for p in function.params if not p.optional), start=1):
        label = "states" if param.name == "..." else param.name
        first_type = param.type.split("|", 1)[0]
        if first_type == "string":
            parts.append(f'"${{{number}:{label}}}"')
        elif first_type in stubs.load().classes:
            parts.append(f"{{ ${number} }}")
        else:
            parts.append(f"${{{number}:{label}}}")
    return f"{name}({', '.join(parts)})"


def _function_item(
    function: stubs.Function,
    word_range: Range,
    doc: Document,
    ctx: Context,
    order: int,
    client: ClientFeatures,
    qualified: bool = False,
) -> CompletionItem:
    name = function.name if qualified else function.short_name
    if _followed_by_call(doc, ctx):
        text, snippet = name, False  # the arguments are there already
    elif client.snippets:
        text, snippet = call_snippet(function, name), True
    else:
        text, snippet = f"{name}(", False
    details = None
    if client.label_details:
        params = ", ".join(p.label for p in function.params)
        details = CompletionItemLabelDetails(detail=f"({params})", description=function.return_type)
    return CompletionItem(
        label=name,
        label_details=details,
        kind=CompletionItemKind.Method if function.is_method else CompletionItemKind.Function,
        detail=function.signature(),
        documentation=documentation(function.markdown(), client.completion_markdown),
        sort_text=f"{order:03d}",
        filter_text=name,
        insert_text_format=InsertTextFormat.Snippet if snippet else InsertTextFormat.PlainText,
        text_edit=TextEdit(word_range, text),
    )


# ---------------------------------------------------------------- option tables


def _table_items(
    doc: Document, ctx: Context, site: TableSite, index: stubs.StubIndex, word_range: Range, client: ClientFeatures
) -> list[CompletionItem]:
    frame = site.frame
    word = ctx.word
    if word is not None and word.kind == "str":
        if frame.key is None:
            return []
        field_type = index.key_type(site.type, frame.key)
        edit_range = doc.range_of(word.content_start, word.content_end)
        return _literal_items(index, field_type, edit_range, client, quoted=False)
    if frame.key is not None:  # `key = |`
        return _value_items(doc, ctx, index, index.key_type(site.type, frame.key), word_range, client)
    if not frame.at_key:
        return []
    items: list[CompletionItem] = []
    fields = index.fields(site.type)
    plain = ctx.next_text == b"="
    for order, field in enumerate(fields.values()):
        if field.name in frame.keys:
            continue
        items.append(_field_item(index, site, field, word_range, order, plain, client))
    # An array's element (`mounts = { | }`): the functions that make one.
    element = index.key_type(site.type, None)
    if element is not None:
        items.extend(_value_items(doc, ctx, index, element, word_range, client))
    return items


def _field_item(
    index: stubs.StubIndex,
    site: TableSite,
    field: stubs.Field,
    word_range: Range,
    order: int,
    plain: bool,
    client: ClientFeatures,
) -> CompletionItem:
    if plain:  # `|= value` is there already
        text, snippet = field.name, False
    elif client.snippets:
        text, snippet = f"{field.name} = {value_snippet(index, field.type)}", True
    else:
        text, snippet = f"{field.name} = ", False
    return CompletionItem(
        label=field.name,
        kind=CompletionItemKind.Property,
        detail=f"{field.name}{'?' if field.optional else ''}: {field.type}",
        documentation=documentation(field_markdown(index, site, field), client.completion_markdown),
        sort_text=f"{order:03d}",
        filter_text=field.name,
        insert_text_format=InsertTextFormat.Snippet if snippet else InsertTextFormat.PlainText,
        text_edit=TextEdit(word_range, text),
    )


def field_markdown(index: stubs.StubIndex, site: TableSite, field: stubs.Field) -> str:
    """An option's documentation: its declaration, its doc, its values if it is an enum, and where it belongs."""
    owner = site.call.function
    where = f"`{' = { '.join(str(k) for k in site.path if k)}`" if any(site.path) else ""
    table = site.type.name if isinstance(site.type, stubs.TName) else stubs.type_text(site.type)
    lines = [f"```lua\n(option) {field.name}{'?' if field.optional else ''}: {field.type}\n```"]
    if field.doc:
        lines.append(field.doc)
    type_ = stubs.parse_type(field.type)
    alias = index.alias_of(type_)
    if alias is not None and alias.description and alias.description not in field.doc:
        lines.append(alias.description)
    values = index.literals(type_)
    if values:
        lines.append("Values: " + ", ".join(f'`"{v.value}"`' for v in values))
    in_what = f"{where} in " if where else ""
    lines.append(f"*{in_what}`{table}`, the options of `{owner.name}`*")
    return "\n\n".join(lines)


def value_snippet(index: stubs.StubIndex, type_text: str) -> str:
    """What to type after `key = ` for a value of this type."""
    type_ = stubs.parse_type(type_text)
    values = index.literals(type_)
    if values:
        return '"${1|' + ",".join(v.value for v in values) + '|}"'
    members = list(index.members(type_))
    first = members[0] if members else None
    if isinstance(first, stubs.TName):
        if first.name == "boolean":
            return "${1|true,false|}"
        if first.name == "string":
            return '"$1"'
        if first.name in index.classes:
            return "{ $1 }"
        return "$1"
    if isinstance(first, stubs.TArray | stubs.TMap | stubs.TShape):
        return "{ $1 }"
    return "$1"


def _value_items(
    doc: Document,
    ctx: Context,
    index: stubs.StubIndex,
    type_: stubs.Type | None,
    word_range: Range,
    client: ClientFeatures,
) -> list[CompletionItem]:
    if type_ is None:
        return []
    items = _literal_items(index, type_, word_range, client, quoted=True)
    names = index.names(type_)
    if "boolean" in names:
        for value in ("true", "false"):
            items.append(
                CompletionItem(label=value, kind=CompletionItemKind.Keyword, text_edit=TextEdit(word_range, value))
            )
    makers = [f for f in index.functions.values() if f.return_type in names and f.return_type != "string"]
    for order, function in enumerate(makers):
        items.append(_function_item(function, word_range, doc, ctx, order, client, qualified=True))
    return items


def _literal_items(
    index: stubs.StubIndex, type_: stubs.Type | None, edit_range: Range, client: ClientFeatures, quoted: bool
) -> list[CompletionItem]:
    if type_ is None:
        return []
    alias = next((index.alias_of(m) for m in _alias_names(type_) if index.alias_of(m)), None)
    items = []
    for order, value in enumerate(index.literals(type_)):
        doc = value.doc or (alias.description if alias else "")
        text = f'"{value.value}"' if quoted else value.value
        items.append(
            CompletionItem(
                label=text,
                kind=CompletionItemKind.EnumMember,
                detail=alias.name if alias else None,
                documentation=documentation(doc, client.completion_markdown) if doc else None,
                sort_text=f"{order:03d}",
                filter_text=value.value,
                text_edit=TextEdit(edit_range, text),
            )
        )
    return items


def _alias_names(type_: stubs.Type) -> list[stubs.Type]:
    if isinstance(type_, stubs.TUnion):
        return list(type_.members)
    return [type_]
