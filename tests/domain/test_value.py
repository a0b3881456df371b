"""``@value`` records: immutable to the type checker, equal and hashable by
their fields at run time (chatserver/domain/value.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api as mypy_api

from chatserver.domain.events import ChatMessage, MessagePosted


def _message(seq: int = 1) -> ChatMessage:
    return ChatMessage("case-1", seq, "c1", "p1", "Pia", "patient", "hej", 1000)


def test_equal_and_hashed_by_fields() -> None:
    assert _message() == _message()
    assert _message() != _message(2)
    assert hash(_message()) == hash(_message())
    assert {MessagePosted(_message()), MessagePosted(_message())} == {MessagePosted(_message())}
    assert _message().kind == "text" and _message().att is None


def test_slotted() -> None:
    with pytest.raises(AttributeError):
        _message().__dict__  # noqa: B018 - slots: no per-instance dict
    with pytest.raises(AttributeError):
        _message().colour = "red"  # type: ignore[attr-defined]


def test_type_checker_refuses_assignment(tmp_path: Path) -> None:
    snippet = tmp_path / "assign.py"
    snippet.write_text(
        "from chatserver.domain.events import ChatMessage, MessagePosted\n"
        "m = ChatMessage('r', 1, 'c', 's', 'n', 'patient', 't', 1)\n"
        "m.seq = 2\n"
        "MessagePosted(m).message = m\n"
    )
    out, _, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(snippet)]
    )
    assert status == 1, out
    assert out.count("is read-only") == 2, out
    assert "assign.py:3:" in out and "assign.py:4:" in out, out
