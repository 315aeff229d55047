"""Type inference from the stubs: which type an expression has, and which API function a callee names.

Types are few and named by strings: "bk" (the API table), "State", "Mount",
"Platform", "string", or None when unknown. `Resolver` infers them for
expressions from `bk.*` calls, `State` methods, chains and local bindings, plus
what the last evaluation said (names known to hold States, and the ops produced
on each line).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from luakit_ls import stubs
from luakit_ls.call_records import CallIndex, CallRecord
from luakit_ls.expressions import Call, Expr, Index, MethodRef, Name, Str, expr_of
from luakit_ls.parsing import Document
from luakit_ls.scopes import Binding


class Resolver:
    """Infers the type of expressions in one document.

    `state_names`: names the caller knows to hold States (from the last evaluation).
    `calls`: the last evaluation's API calls in this document: a binding whose
    statement produced an op there (a prelude helper's result, say) holds a State.
    """

    def __init__(
        self,
        doc: Document,
        state_names: Collection[str] = (),
        calls: Sequence[CallRecord] | CallIndex = (),
        index: stubs.StubIndex | None = None,
    ) -> None:
        self.doc = doc
        self.index = index or stubs.load()
        self.state_names = frozenset(state_names)
        self.calls = calls if isinstance(calls, CallIndex) else CallIndex(calls)
        self._memo: dict[int, str | None] = {}

    def type_of(self, expr: Expr | None, depth: int = 0) -> str | None:
        """The type's name: "bk", "State", "Mount", "Platform", "string", or None when unknown."""
        if expr is None or depth > 64:
            return None
        if isinstance(expr, Name):
            binding = self.doc.binding_at(expr.name, expr.start)
            if binding is None:
                if expr.name == "bk":
                    return "bk"
                return "State" if expr.name in self.state_names else None
            found = self.binding_type(binding, depth + 1)
            if found is None and expr.name in self.state_names:
                return "State"
            return found
        if isinstance(expr, Call):
            function = self.function_of(expr.callee, depth + 1)
            return function.return_type if function else None
        if isinstance(expr, Str):
            return "string"
        return None

    def binding_type(self, binding: Binding, depth: int = 0) -> str | None:
        key = binding.name_start
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # a binding that refers to itself stays unknown
        found = self.type_of(expr_of(binding.value), depth) if binding.value is not None else None
        if found is None and binding.kind in ("local", "assign"):
            found = self._evaluated_type(binding)
        self._memo[key] = found
        return found

    def _evaluated_type(self, binding: Binding) -> str | None:
        if binding.value is None or not self.calls:
            return None
        made = self.calls.within(self.doc, binding.value.start_byte, binding.value.end_byte)
        return "State" if made and made[-1].kind is not None else None

    def function_of(self, callee: Expr, depth: int = 0) -> stubs.Function | None:
        """The API function a callee names: `bk.image`, or `x:run` on a State.

        A method on a receiver of unknown type counts (a parameter, a helper's
        result: most likely a State); a receiver known to be something else does not.
        """
        if isinstance(callee, Index) and self.type_of(callee.base, depth) == "bk":
            return self.index.functions.get(f"bk.{callee.name}")
        if isinstance(callee, MethodRef):
            method = self.index.methods.get(f"State:{callee.name}")
            if method is None:
                return None
            receiver = self.type_of(callee.base, depth)
            if receiver in ("State", None):
                return method
        return None
