"""Typed reading of content JSON, turning every shape mistake into a ``ContentError``.

Content files are written by hand and reviewed as medical-device content; a
typo must stop the server at load with the file and the path of the bad
value, never surface later as a ``KeyError`` in the middle of a triage.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatserver.triage.errors import ContentError


@dataclass(frozen=True, slots=True)
class Node:
    """A JSON object and where it is (``file.json: item[3].enableWhen[0]``)."""

    data: dict[str, object]
    where: str

    @classmethod
    def of(cls, value: object, where: str) -> Node:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ContentError(f"{where}: expected a JSON object")
        return cls(value, where)

    def fail(self, key: str, message: str) -> ContentError:
        return ContentError(f"{self.where}.{key}: {message}")

    def has(self, key: str) -> bool:
        return key in self.data

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "expected a non-empty string")
        return value

    def opt_text(self, key: str) -> str | None:
        return self.text(key) if self.data.get(key) is not None else None

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "expected true or false")
        return value

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "expected an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        return self.integer(key) if self.data.get(key) is not None else None

    def number(self, key: str) -> int | float:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, "expected a number")
        return value

    def node(self, key: str) -> Node:
        return Node.of(self.data.get(key), f"{self.where}.{key}")

    def opt_node(self, key: str) -> Node | None:
        return self.node(key) if self.data.get(key) is not None else None

    def nodes(self, key: str, *, optional: bool = False) -> list[Node]:
        value = self.data.get(key)
        if value is None and optional:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "expected a list")
        return [Node.of(v, f"{self.where}.{key}[{i}]") for i, v in enumerate(value)]

    def values(self, key: str) -> list[object]:
        value = self.data.get(key)
        if not isinstance(value, list):
            raise self.fail(key, "expected a list")
        return list(value)
