"""``Spec.accepts``: the inline test a generated builder makes before it
calls ``check`` (protocol/codec.py ``_builder``). It must be true exactly for
the values ``check`` returns unchanged, or the builder would let through what
``check`` refuses, or normalise less than ``check`` does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.codec import plan
from protocol.fields import FieldError, Spec
from tests.protocol.strategies import from_spec, invalid, wire_values
from tests.protocol.test_codec import declared_classes


def _specs_with_accepts() -> list[Any]:
    found: dict[str, Spec] = {}
    for cls in declared_classes():
        for p in plan(cls):
            if p.spec.accepts("v") is not None:
                found.setdefault(repr(p.spec), p.spec)
    return [pytest.param(spec, id=key) for key, spec in sorted(found.items())]


def _checked(spec: Spec, value: Any) -> bool:
    """Whether ``check`` returns ``value`` itself (not refused, not changed)."""
    try:
        return spec.check(value) is value
    except FieldError:
        return False


def test_the_hot_fields_have_an_inline_test() -> None:
    kinds = {type(p.values[0]).__name__ for p in _specs_with_accepts()}
    assert {"Str", "Int", "OneOf", "Bool"} <= kinds


@pytest.mark.parametrize("spec", _specs_with_accepts())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_accepts_exactly_what_check_returns_unchanged(spec: Spec, data: st.DataObject) -> None:
    value = data.draw(st.one_of(from_spec(spec), invalid(spec), wire_values()))
    source = spec.accepts("v")
    assert source is not None
    assert eval(source, {"v": value}) is _checked(spec, value), (source, value)
