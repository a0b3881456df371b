"""Field specifications: the limits every frame field is validated against.

A frame field is declared once, as ``Annotated[type, Spec, "description"]``.
The codec validates decoded values with the Spec, and the protocol document
is generated from the same declaration, so code, validation and doc cannot
drift apart.

msgpack refuses integers outside the signed/unsigned 64-bit range, and
JavaScript clients lose precision above 2**53, so every integer spec stays
inside ±(2**53 - 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

MAX_SAFE_INT = 2**53 - 1


class FieldError(ValueError):
    """A value does not satisfy its spec; the codec adds the field path."""


class Spec:
    """Base of all field specs: checks a decoded value and returns it normalised."""

    __slots__ = ()
    wire_type: ClassVar[str] = "any"

    def check(self, value: Any) -> Any:
        raise FieldError("no check defined")

    def accepts(self, var: str) -> str | None:
        """Python source of an expression over the variable ``var`` that is
        true exactly when ``check`` would return that value unchanged, or
        None. The codec's builders test it inline and call ``check`` only
        when it is false (to normalise the value or raise its error)."""
        return None

    def describe(self) -> str:
        return self.wire_type


@dataclass(frozen=True, slots=True)
class Str(Spec):
    """A UTF-8 string with a length limit counted in code points."""

    max_len: int
    min_len: int = 0
    wire_type: ClassVar[str] = "str"

    def check(self, value: Any) -> str:
        if type(value) is not str:
            raise FieldError(f"expected str, got {_kind(value)}")
        n = len(value)
        if n < self.min_len or n > self.max_len:
            raise FieldError(f"length {n} outside {self.min_len}..{self.max_len}")
        return value

    def accepts(self, var: str) -> str:
        return f"type({var}) is str and {self.min_len} <= len({var}) <= {self.max_len}"

    def describe(self) -> str:
        return f"str[{self.min_len}..{self.max_len}]"


@dataclass(frozen=True, slots=True)
class OneOf(Spec):
    """A string from a fixed set."""

    choices: tuple[str, ...]
    wire_type: ClassVar[str] = "str"

    def check(self, value: Any) -> str:
        if type(value) is not str or value not in self.choices:
            raise FieldError(f"expected one of {', '.join(self.choices)}")
        return value

    def accepts(self, var: str) -> str:
        return f"type({var}) is str and {var} in {tuple(self.choices)!r}"

    def describe(self) -> str:
        return "one of " + ", ".join(f"`{c}`" for c in self.choices)


@dataclass(frozen=True, slots=True)
class Int(Spec):
    lo: int
    hi: int
    wire_type: ClassVar[str] = "int"

    def __post_init__(self) -> None:
        if self.lo < -MAX_SAFE_INT or self.hi > MAX_SAFE_INT:
            raise ValueError("integer specs must stay within ±(2**53-1)")

    def check(self, value: Any) -> int:
        if type(value) is not int:
            raise FieldError(f"expected int, got {_kind(value)}")
        if value < self.lo or value > self.hi:
            raise FieldError(f"{value} outside {self.lo}..{self.hi}")
        return value

    def accepts(self, var: str) -> str:
        return f"type({var}) is int and {int(self.lo)} <= {var} <= {int(self.hi)}"

    def describe(self) -> str:
        return f"int[{self.lo}..{self.hi}]"


@dataclass(frozen=True, slots=True)
class Float(Spec):
    lo: float
    hi: float
    wire_type: ClassVar[str] = "float"

    def check(self, value: Any) -> float:
        if type(value) is int:
            value = float(value)
        if type(value) is not float or not math.isfinite(value):
            raise FieldError(f"expected finite number, got {_kind(value)}")
        if value < self.lo or value > self.hi:
            raise FieldError(f"{value} outside {self.lo}..{self.hi}")
        return value

    def describe(self) -> str:
        return f"float[{self.lo}..{self.hi}]"


@dataclass(frozen=True, slots=True)
class Bool(Spec):
    wire_type: ClassVar[str] = "bool"

    def check(self, value: Any) -> bool:
        if type(value) is not bool:
            raise FieldError(f"expected bool, got {_kind(value)}")
        return value

    def accepts(self, var: str) -> str:
        return f"type({var}) is bool"

    def describe(self) -> str:
        return "bool"


@dataclass(frozen=True, slots=True)
class Scalar(Spec):
    """bool, int, float or a string of at most ``max_len``: an answer value."""

    max_len: int
    wire_type: ClassVar[str] = "scalar"

    def check(self, value: Any) -> bool | int | float | str:
        t = type(value)
        if t is bool:
            return bool(value)
        if t is int:
            return Int(-MAX_SAFE_INT, MAX_SAFE_INT).check(value)
        if t is float:
            return Float(-1e15, 1e15).check(value)
        if t is str:
            return Str(self.max_len).check(value)
        raise FieldError(f"expected bool, int, float or str, got {_kind(value)}")

    def describe(self) -> str:
        return f"bool | int | float | str[..{self.max_len}]"


@dataclass(frozen=True, slots=True)
class ListOf(Spec):
    """An array; decoded as a tuple so frames stay immutable."""

    item: Spec
    max_items: int
    wire_type: ClassVar[str] = "array"

    def check(self, value: Any) -> tuple[Any, ...]:
        if type(value) is not list and type(value) is not tuple:
            raise FieldError(f"expected array, got {_kind(value)}")
        if len(value) > self.max_items:
            raise FieldError(f"{len(value)} items, at most {self.max_items}")
        out = []
        for i, v in enumerate(value):
            try:
                out.append(self.item.check(v))
            except FieldError as e:
                raise FieldError(f"[{i}]: {e}") from None
        return tuple(out)

    def describe(self) -> str:
        return f"array[..{self.max_items}] of {self.item.describe()}"


@dataclass(frozen=True, slots=True)
class MapOf(Spec):
    """A map with string keys; decoded as a plain dict (copied, never shared)."""

    key: Str
    value: Spec
    max_items: int
    wire_type: ClassVar[str] = "map"

    def check(self, value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise FieldError(f"expected map, got {_kind(value)}")
        if len(value) > self.max_items:
            raise FieldError(f"{len(value)} entries, at most {self.max_items}")
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = self.key.check(k)
            try:
                out[key] = self.value.check(v)
            except FieldError as e:
                raise FieldError(f"[{key!r}]: {e}") from None
        return out

    def describe(self) -> str:
        return f"map[..{self.max_items}] of {self.key.describe()} → {self.value.describe()}"


@dataclass(frozen=True, slots=True)
class Nested(Spec):
    """A record (see ``protocol.frames.Record``) encoded as a map."""

    record: type[Any]
    wire_type: ClassVar[str] = "map"

    def check(self, value: Any) -> Any:
        from protocol.codec import build_record

        return build_record(self.record, value)

    def describe(self) -> str:
        return f"{self.record.__name__}"


def _kind(value: Any) -> str:
    return "nil" if value is None else type(value).__name__
