"""Hypothesis strategies derived from the frame declarations, never from a frame list.

Everything here walks ``protocol.codec.plan`` and the field specs, so a frame or
field added to ``protocol.frames`` is generated, broken and fuzzed by the tests
as soon as it is declared. A Spec class this module does not know raises
NotImplementedError: a new kind of field must teach the tests how to make it.

Three kinds of value come out:

* ``from_spec`` / ``from_record``: valid Python values, as a decoded frame holds
  them (tuples for arrays, record instances for nested maps);
* ``invalid`` / ``wire_values``: wire values (what msgpack carries) that a spec
  must reject, and arbitrary msgpack-able data for fuzzing;
* ``minimal`` / ``maximal``: the smallest valid wire value and the valid value
  with the largest encoding, to probe list counts and the frame size limit.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import msgpack
from hypothesis import strategies as st

from protocol.codec import plan, to_wire
from protocol.fields import (
    MAX_SAFE_INT,
    Bool,
    Float,
    Int,
    ListOf,
    MapOf,
    Nested,
    OneOf,
    Scalar,
    Spec,
    Str,
)
from protocol.frames import CLIENT_FRAMES, SERVER_FRAMES, Frame

T = TypeVar("T")

# msgpack's integer range: nothing outside it can be packed (OverflowError).
INT64_MIN = -(2**63)
UINT64_MAX = 2**64 - 1

# Swedish letters, multi-byte symbols, emoji (4 bytes in UTF-8, 2 UTF-16 units),
# joiners and the extremes of the code space: limits count code points, and
# these are where code points, bytes and UTF-16 units disagree.
SPECIAL_CHARS = "åäöÅÄÖé€😀🩺👍\u200d\ufe0f\x00\U0010ffff"
# The widest code point in UTF-8 (4 bytes): used to build the largest frames.
WIDE_CHAR = "\U0001f600"

# Any Unicode scalar value (surrogates cannot be encoded as UTF-8), with the
# special characters drawn often.
CHARS: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(SPECIAL_CHARS), st.characters(codec="utf-8")
)


def text(min_len: int, max_len: int) -> st.SearchStrategy[str]:
    """Strings of ``min_len..max_len`` code points, both short and near the limits.

    Long strings are a short random chunk repeated: hypothesis cannot draw
    thousands of independent characters per example, and the limit checks only
    care about the count."""
    lengths = st.one_of(st.sampled_from((min_len, max_len)), st.integers(min_len, max_len))
    repeated = st.builds(_repeat, st.text(CHARS, min_size=1, max_size=8), lengths)
    if min_len > 64:
        return repeated
    return st.one_of(st.text(CHARS, min_size=min_len, max_size=min(max_len, 64)), repeated)


def _repeat(chunk: str, n: int) -> str:
    return (chunk * (n // len(chunk) + 1))[:n]


# ---------------------------------------------------------------- valid values


def from_spec(spec: Spec) -> st.SearchStrategy[Any]:
    """Valid values for ``spec``, as the decoder returns them."""
    if isinstance(spec, Str):
        return text(spec.min_len, spec.max_len)
    if isinstance(spec, OneOf):
        return st.sampled_from(spec.choices)
    if isinstance(spec, Int):
        return st.one_of(st.sampled_from((spec.lo, spec.hi)), st.integers(spec.lo, spec.hi))
    if isinstance(spec, Float):
        return st.floats(spec.lo, spec.hi, allow_nan=False, allow_infinity=False)
    if isinstance(spec, Bool):
        return st.booleans()
    if isinstance(spec, Scalar):
        return st.one_of(
            st.booleans(),
            st.integers(-MAX_SAFE_INT, MAX_SAFE_INT),
            st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
            text(0, spec.max_len),
        )
    if isinstance(spec, ListOf):
        return st.lists(from_spec(spec.item), max_size=spec.max_items).map(tuple)
    if isinstance(spec, MapOf):
        return st.dictionaries(from_spec(spec.key), from_spec(spec.value), max_size=spec.max_items)
    if isinstance(spec, Nested):
        record = spec.record
        return st.deferred(lambda: from_record(record))
    raise NotImplementedError(f"tests/protocol/strategies.py cannot generate {spec!r}")


_RECORDS: dict[type[Any], st.SearchStrategy[Any]] = {}


def from_record(cls: type[T]) -> st.SearchStrategy[T]:
    """Valid instances of a frame or record class (built once per class).

    Required fields are always drawn; optional ones are sometimes left at
    their default and, when nullable, sometimes None."""
    cached = _RECORDS.get(cls)
    if cached is None:
        cached = _RECORDS[cls] = _from_record(cls)
    return cached


def _from_record(cls: type[T]) -> st.SearchStrategy[T]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for p in plan(cls):
        values = from_spec(p.spec)
        if p.required:
            required[p.name] = values
        else:
            optional[p.name] = st.one_of(st.none(), values) if p.nullable else values
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: cls(**kw))


def frames(registry: dict[str, type[Frame]]) -> st.SearchStrategy[Frame]:
    """Any valid frame of one direction."""
    return st.one_of([from_record(registry[t]) for t in sorted(registry)])


def any_frame() -> st.SearchStrategy[Frame]:
    """Any valid frame of either direction."""
    return st.one_of(frames(CLIENT_FRAMES), frames(SERVER_FRAMES))


# ---------------------------------------------------------------- wire data


def wire_values(*, strict_keys: bool = True) -> st.SearchStrategy[Any]:
    """Arbitrary msgpack-able data: every wire type, nested.

    With ``strict_keys`` map keys are str or bytes (what the decoder accepts);
    without, ints and other scalars appear as keys too."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(INT64_MIN, UINT64_MAX),
        st.floats(),
        st.text(CHARS, max_size=20),
        st.binary(max_size=20),
        st.builds(msgpack.ExtType, st.integers(0, 127), st.binary(max_size=8)),
        st.builds(msgpack.Timestamp, st.integers(0, 2**34 - 1), st.integers(0, 999_999_999)),
    )
    keys: st.SearchStrategy[Any] = st.one_of(st.text(CHARS, max_size=8), st.binary(max_size=4))
    if not strict_keys:
        keys = st.one_of(keys, st.integers(INT64_MIN, UINT64_MAX), st.booleans(), st.none())
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)
        ),
        max_leaves=16,
    )


# The wire kinds a spec accepts, ignoring its limits. nil is not a kind here:
# on the wire nil means "absent", which is a separate case.
_KINDS: dict[str, st.SearchStrategy[Any]] = {
    "bool": st.booleans(),
    "int": st.integers(INT64_MIN, UINT64_MAX),
    "float": st.floats(),
    "str": st.text(CHARS, max_size=10),
    "bin": st.binary(max_size=10),
    "array": st.lists(st.integers(0, 3), max_size=3),
    "map": st.dictionaries(st.text(max_size=3), st.integers(0, 3), max_size=3),
    "ext": st.builds(msgpack.ExtType, st.integers(0, 127), st.binary(max_size=4)),
}


def _accepted_kinds(spec: Spec) -> frozenset[str]:
    if isinstance(spec, Str | OneOf):
        return frozenset({"str"})
    if isinstance(spec, Int):
        return frozenset({"int"})
    if isinstance(spec, Float):
        return frozenset({"int", "float"})
    if isinstance(spec, Bool):
        return frozenset({"bool"})
    if isinstance(spec, Scalar):
        return frozenset({"bool", "int", "float", "str"})
    if isinstance(spec, ListOf):
        return frozenset({"array"})
    if isinstance(spec, MapOf | Nested):
        return frozenset({"map"})
    raise NotImplementedError(f"tests/protocol/strategies.py does not know {spec!r}")


def wrong_kind(spec: Spec) -> st.SearchStrategy[Any]:
    """Non-nil wire values of a kind ``spec`` never accepts."""
    accepted = _accepted_kinds(spec)
    return st.one_of([s for kind, s in _KINDS.items() if kind not in accepted])


def invalid(spec: Spec) -> st.SearchStrategy[Any]:
    """Non-nil wire values that ``spec.check`` rejects: wrong kind or outside a limit."""
    options = [wrong_kind(spec)]
    if isinstance(spec, Str):
        options.append(_too_long(spec.max_len))
        if spec.min_len > 0:
            options.append(st.text(CHARS, max_size=spec.min_len - 1))
    elif isinstance(spec, OneOf):
        options.append(st.text(CHARS, max_size=20).filter(lambda s: s not in spec.choices))
    elif isinstance(spec, Int):
        options.append(_ints_outside(spec.lo, spec.hi))
    elif isinstance(spec, Float):
        options.append(st.sampled_from((math.nan, math.inf, -math.inf)))
        options.append(st.floats(min_value=spec.hi, exclude_min=True))
        options.append(st.floats(max_value=spec.lo, exclude_max=True))
    elif isinstance(spec, Scalar):
        options.append(_too_long(spec.max_len))
        options.append(_ints_outside(-MAX_SAFE_INT, MAX_SAFE_INT))
        options.append(st.sampled_from((math.nan, math.inf, -math.inf)))
    elif isinstance(spec, ListOf):
        options.append(st.just([minimal(spec.item)] * (spec.max_items + 1)))
        valid_items = st.lists(_wire(spec.item), max_size=max(0, min(spec.max_items - 1, 3)))
        options.append(st.builds(_insert, valid_items, invalid(spec.item), st.integers(0, 3)))
    elif isinstance(spec, MapOf):
        keys = _distinct_keys(spec.key, spec.max_items + 1, wide=False)
        if len(keys) > spec.max_items:
            options.append(st.just(dict.fromkeys(keys, minimal(spec.value))))
        valid = st.dictionaries(_wire(spec.key), _wire(spec.value), max_size=3)
        bad_key = st.one_of(_too_long(spec.key.max_len), st.binary(max_size=4))
        if spec.key.min_len > 0:
            bad_key = st.one_of(bad_key, st.text(CHARS, max_size=spec.key.min_len - 1))
        options.append(st.builds(_put, valid, bad_key, _wire(spec.value)))
        options.append(st.builds(_put, valid, _wire(spec.key), invalid(spec.value)))
    elif isinstance(spec, Nested):
        record = spec.record
        options.append(st.deferred(lambda: invalid_record(record)))
    return st.one_of(options)


def invalid_record(cls: type[Any]) -> st.SearchStrategy[dict[Any, Any]]:
    """Wire maps of ``cls`` with exactly one field broken or a required one missing."""
    fields = plan(cls)
    if not fields:
        return st.nothing()
    options: list[st.SearchStrategy[dict[Any, Any]]] = []
    base = from_record(cls).map(to_wire)
    for p in fields:
        options.append(st.builds(_put, base, st.just(p.name), invalid(p.spec)))
        if p.required:
            options.append(st.builds(_put, base, st.just(p.name), st.none()))
            options.append(st.builds(_drop, base, st.just(p.name)))
    return st.one_of(options)


def _wire(spec: Spec) -> st.SearchStrategy[Any]:
    return from_spec(spec).map(to_wire)


def _too_long(max_len: int) -> st.SearchStrategy[str]:
    return st.builds(
        _repeat, st.text(CHARS, min_size=1, max_size=8), st.integers(max_len + 1, max_len + 9)
    )


def _ints_outside(lo: int, hi: int) -> st.SearchStrategy[int]:
    options = []
    if lo > INT64_MIN:
        options += [st.just(lo - 1), st.integers(INT64_MIN, lo - 1)]
    if hi < UINT64_MAX:
        options += [st.just(hi + 1), st.integers(hi + 1, UINT64_MAX)]
    return st.one_of(options)


def _insert(items: list[Any], item: Any, at: int) -> list[Any]:
    return [*items[:at], item, *items[at:]]


def _put(mapping: dict[Any, Any], key: Any, value: Any) -> dict[Any, Any]:
    return {**mapping, key: value}


def _drop(mapping: dict[Any, Any], key: Any) -> dict[Any, Any]:
    return {k: v for k, v in mapping.items() if k != key}


# ---------------------------------------------------------------- extremes


def minimal(spec: Spec) -> Any:
    """The smallest valid wire value of ``spec``."""
    if isinstance(spec, Str):
        return "a" * spec.min_len
    if isinstance(spec, OneOf):
        return min(spec.choices, key=len)
    if isinstance(spec, Int):
        return min(max(0, spec.lo), spec.hi)
    if isinstance(spec, Float):
        return min(max(0.0, spec.lo), spec.hi)
    if isinstance(spec, Bool | Scalar):
        return False
    if isinstance(spec, ListOf):
        return []
    if isinstance(spec, MapOf):
        return {}
    if isinstance(spec, Nested):
        return {p.name: minimal(p.spec) for p in plan(spec.record) if p.required}
    raise NotImplementedError(f"tests/protocol/strategies.py does not know {spec!r}")


def maximal(spec: Spec) -> Any:
    """The valid value of ``spec`` with the longest MessagePack encoding.

    Strings are full of 4-byte characters, arrays and maps full, integers at
    the bound with the widest encoding, every optional field present."""
    if isinstance(spec, Str):
        return WIDE_CHAR * spec.max_len
    if isinstance(spec, OneOf):
        return max(spec.choices, key=_packed_size)
    if isinstance(spec, Int):
        return max((spec.lo, spec.hi), key=_packed_size)
    if isinstance(spec, Float):
        return spec.hi
    if isinstance(spec, Bool):
        return True
    if isinstance(spec, Scalar):
        return max((WIDE_CHAR * spec.max_len, -MAX_SAFE_INT, 0.5), key=_packed_size)
    if isinstance(spec, ListOf):
        return (maximal(spec.item),) * spec.max_items
    if isinstance(spec, MapOf):
        keys = _distinct_keys(spec.key, spec.max_items, wide=True)
        return dict.fromkeys(keys, maximal(spec.value))
    if isinstance(spec, Nested):
        return maximal_record(spec.record)
    raise NotImplementedError(f"tests/protocol/strategies.py does not know {spec!r}")


def maximal_record(cls: type[T]) -> T:
    return cls(**{p.name: maximal(p.spec) for p in plan(cls)})


def _packed_size(value: Any) -> int:
    return len(msgpack.packb(value, use_bin_type=True))


def _distinct_keys(spec: Str, n: int, *, wide: bool) -> list[str]:
    """Up to ``n`` distinct valid keys (fewer if the spec allows fewer)."""
    pad = WIDE_CHAR if wide else "a"
    keys: list[str] = []
    for i in range(n):
        # A non-digit pad after distinct digit strings keeps the keys distinct.
        digits = "".join(chr(0x10000 + int(d)) if wide else d for d in str(i))
        if len(digits) > spec.max_len:
            break
        length = spec.max_len if wide else max(spec.min_len, len(digits))
        keys.append((digits + pad * length)[:length])
    return keys
