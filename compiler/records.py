"""Immutable records: the base classes of the compiler's value types.

The compiler's values (graph nodes, locations, problems, ...) were frozen dataclasses.
`@dataclass` writes and compiles an `__init__`, `__eq__`, `__repr__`, `__hash__`,
`__setattr__`, ... for each class as its module is imported, and importing
`dataclasses` brings `inspect` with `ast`, `dis` and `tokenize`: together about a
third of each start of `luakit build` (docs/performance.md#cold-start). These bases
define those methods once, for every record, reading the fields from the class's
`__slots__`; a record class then costs what any class costs to define.

A record lists its fields in `__slots__`, in the order of its `__init__`'s
parameters, annotates them for type checkers, and writes its `__init__`, setting
each field with `object.__setattr__` (as a frozen dataclass's `__init__` does: the
record's own `__setattr__` refuses every assignment).

- `Record`: equal by value (same class, equal fields) and hashable, like
  `@dataclass(frozen=True)`.
- `IdentityRecord`: equal only to itself, like `@dataclass(frozen=True, eq=False)`:
  graph nodes, whose walks hash and compare them by identity.

`replace(record, **changes)` is `dataclasses.replace` for records.
"""

from __future__ import annotations

from operator import attrgetter

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (a few ms of each start)
if TYPE_CHECKING:
    from typing import Any, ClassVar, Self, TypeVar

    R = TypeVar("R", bound="IdentityRecord")


class FrozenRecordError(AttributeError):
    """An assignment to a field of a record (they are immutable)."""


class IdentityRecord:
    """An immutable value with fields: see the module's docstring."""

    __slots__: tuple[str, ...] = ()
    # The fields' values, read by one C call (`operator.attrgetter`): comparing and hashing
    # records then costs what a dataclass's generated `__eq__` and `__hash__` cost. A class
    # attribute that is no method: called as `self._field_values(self)`.
    _field_values: ClassVar[attrgetter[Any]]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        if cls.__slots__:
            cls._field_values = attrgetter(*cls.__slots__)

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenRecordError(f"cannot assign to field '{name}' of {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenRecordError(f"cannot delete field '{name}' of {type(self).__name__}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__qualname__}({fields})"

    def __reduce__(self) -> tuple[type[Self], tuple[Any, ...]]:
        # For pickle and copy (the editor's worker sends problems back pickled): the
        # fields are the constructor's positional arguments, in order.
        return type(self), self._fields()

    def __replace__(self, **changes: Any) -> Self:
        # Python 3.13's copy.replace() protocol; `replace` below for older versions.
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return type(self)(**fields)


class Record(IdentityRecord):
    """An immutable value equal to another of its class with equal fields, and hashable."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._field_values(self) == other._field_values(other)

    def __hash__(self) -> int:
        return hash(self._field_values(self))


def replace(record: R, **changes: Any) -> R:
    """A copy of `record` with the fields in `changes` replaced (TypeError for a name it has not)."""
    return record.__replace__(**changes)
