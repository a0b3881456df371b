"""The admin API's schema validator: what it accepts, what it refuses and
which field it names (pure, no server)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatserver.transport.admin import ENTRANCE_PUT, POOL_PUT, USER_CREATE, USER_PATCH
from chatserver.transport.jsonschema import SchemaError, validate

NURSE = {"username": "eva", "name": "Eva", "password": "0123456789", "roles": ["nurse"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NURSE, "roles": ["nurse", "nurse"]}, "/roles"),
        ({**NURSE, "roles": "nurse"}, "/roles"),
        ({**NURSE, "username": "Eva"}, "/username"),
        ({**NURSE, "name": ""}, "/name"),
        ({**NURSE, "name": "x" * 101}, "/name"),
        ({**NURSE, "pools": ["ok", 3]}, "/pools/1"),
        ({k: v for k, v in NURSE.items() if k != "password"}, "/password"),
        ({**NURSE, "admin": True}, "/admin"),
    ],
)
def test_refusals_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(SchemaError) as info:
        validate(body, USER_CREATE)
    assert info.value.field == field


def test_integers_are_not_booleans_and_ranges_hold() -> None:
    ok = {"name": "E", "pool": "vc"}
    validate({**ok, "urgency": 6}, ENTRANCE_PUT)
    for bad in (True, 0, 7, "3"):
        with pytest.raises(SchemaError):
            validate({**ok, "urgency": bad}, ENTRANCE_PUT)
    with pytest.raises(SchemaError):
        validate({**ok, "triage": 1}, ENTRANCE_PUT)


def test_a_patch_must_change_something_and_hours_are_strings() -> None:
    with pytest.raises(SchemaError):
        validate({}, USER_PATCH)
    validate({"name": "X", "hours": {"mon-fri": "08:00-16:00"}}, POOL_PUT)
    with pytest.raises(SchemaError) as info:
        validate({"name": "X", "hours": {"mon-fri": 8}}, POOL_PUT)
    assert info.value.field == "/hours/mon-fri"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)


@given(json_values)
def test_any_json_value_is_accepted_or_refused_with_a_schema_error(value: Any) -> None:
    for schema in (USER_CREATE, USER_PATCH, POOL_PUT, ENTRANCE_PUT):
        try:
            validate(value, schema)
        except SchemaError as e:
            assert e.field == "" or e.field.startswith("/")
