"""The small part of JSON Schema the admin API uses, as one validator.

The same schema dictionaries are published in the OpenAPI document and
enforced on every request, so the document cannot promise what the server
does not check. Supported keywords: ``type`` (object, string, integer,
boolean, array, and a list of types including "null"), ``properties``,
``required``, ``additionalProperties: false``, ``minProperties``,
``maxLength``, ``minLength``, ``pattern``, ``enum``, ``minimum``,
``maximum``, ``items``, ``maxItems``, ``uniqueItems``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

Schema = Mapping[str, Any]


class SchemaError(ValueError):
    """A value does not match its schema; ``field`` is a JSON-pointer-like path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field or 'body'}: {message}")
        self.field = field
        self.message = message


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "null": (type(None),),
}


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _type_ok(value: Any, name: str) -> bool:
    if name == "integer" and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def validate(value: Any, schema: Schema, path: str = "") -> None:
    """Raise SchemaError for the first place ``value`` breaks ``schema``."""
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_type_ok(value, n) for n in names):
            raise SchemaError(path, f"must be {' or '.join(names)}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(path, f"must be one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            raise SchemaError(path, f"must have at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise SchemaError(path, f"must have at most {schema['maxLength']} characters")
        if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
            raise SchemaError(path, f"must match {schema['pattern']}")
    elif isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise SchemaError(path, f"must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise SchemaError(path, f"must be at most {schema['maximum']}")
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise SchemaError(path, f"must have at most {schema['maxItems']} items")
        if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
            raise SchemaError(path, "must not repeat items")
        items = schema.get("items")
        if items is not None:
            for i, v in enumerate(value):
                validate(v, items, f"{path}/{i}")
    elif isinstance(value, dict):
        _validate_object(value, schema, path)


def _validate_object(value: dict[str, Any], schema: Schema, path: str) -> None:
    props: Mapping[str, Schema] = schema.get("properties", {})
    for key in schema.get("required", ()):
        if key not in value:
            raise SchemaError(f"{path}/{key}", "is required")
    if len(value) < schema.get("minProperties", 0):
        raise SchemaError(path, f"must set at least {schema['minProperties']} field(s)")
    extra = schema.get("additionalProperties", True)
    for key, v in value.items():
        if not isinstance(key, str):
            raise SchemaError(path, "keys must be strings")
        sub = props.get(key)
        if sub is not None:
            validate(v, sub, f"{path}/{key}")
        elif extra is False:
            raise SchemaError(f"{path}/{key}", "is not a known field")
        elif isinstance(extra, Mapping):
            validate(v, extra, f"{path}/{key}")
