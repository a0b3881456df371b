"""``@value``: an immutable record, checked by the type checker, cheap to make.

A frozen dataclass enforces immutability at run time: its ``__init__`` sets
each field through ``object.__setattr__`` because its own ``__setattr__``
refuses. For a chat message (ten fields, made once per message on the hot
path) that costs ~1.05 µs against ~0.16 µs for the same class unfrozen, here
(docs/decisions/0010-values-and-the-message-path.md). ``mypy --strict``
already refuses any assignment to a field of a ``@value`` class: the
decorator is declared a dataclass transform with ``frozen_default=True``,
so the check is made once, when the code is checked, instead of on every
message. At run time the class is a slotted dataclass with value equality
and a hash over its fields, as a frozen one has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

_T = TypeVar("_T")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform

    @dataclass_transform(frozen_default=True)
    def value(cls: type[_T]) -> type[_T]: ...

else:

    def value(cls):
        return dataclass(slots=True, unsafe_hash=True)(cls)
