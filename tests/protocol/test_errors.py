"""Tests of protocol/errors.py: the codes clients switch on must never move.

The tables below repeat the current codes on purpose. Renaming, renumbering
or removing a code breaks deployed clients and must fail here; a new code is
appended to errors.py and to the table in the same change.
"""

from __future__ import annotations

import re

import pytest

from protocol.codec import decode_server, encode
from protocol.errors import CloseCode, ErrorCode, ProtocolError
from protocol.frames import Error

ERROR_NUMBERS = {
    "bad_frame": 1001,
    "unknown_type": 1002,
    "bad_field": 1003,
    "frame_too_large": 1004,
    "unsupported_version": 1005,
    "not_authenticated": 1006,
    "already_authenticated": 1007,
    "auth_failed": 2001,
    "forbidden": 2002,
    "rate_limited": 2003,
    "locked": 2004,
    "origin_not_allowed": 2005,
    "not_found": 3001,
    "conflict": 3002,
    "invalid_state": 3003,
    "limit_reached": 3004,
    "duplicate": 3005,
    "bad_request": 3006,
    "too_large": 3007,
    "unsupported_media": 3008,
    "not_listed": 3009,
    "unavailable": 5001,
    "busy": 5002,
    "internal": 5003,
    "shutting_down": 5004,
}

CLOSE_CODES = {
    "normal": 1000,
    "going_away": 1001,
    "protocol_error": 1002,
    "unsupported_data": 1003,
    "policy": 1008,
    "too_big": 1009,
    "internal": 1011,
    "service_restart": 1012,
    "auth_failed": 4001,
    "unsupported_version": 4002,
    "slow_consumer": 4003,
    "idle_timeout": 4004,
    "protocol_violation": 4005,
    "session_revoked": 4006,
    "rate_limited": 4008,
}

# RFC 6455 §7.4.1: 1004 is reserved, and 1005, 1006 and 1015 must never be
# sent in a close frame (they only describe what a peer observed).
NOT_SENDABLE = {1004, 1005, 1006, 1015}


def test_error_codes_are_stable() -> None:
    current = {code.name: code.number for code in ErrorCode}
    removed_or_moved = {k: v for k, v in ERROR_NUMBERS.items() if current.get(k) != v}
    assert not removed_or_moved, "error codes were renamed, renumbered or removed"
    assert current == ERROR_NUMBERS, "add the new error codes to ERROR_NUMBERS"


def test_error_code_names_and_numbers_are_unique() -> None:
    # Equal (number, description) values would make one member an alias of another.
    assert len(ErrorCode.__members__) == len(ErrorCode)
    numbers = [code.number for code in ErrorCode]
    assert len(set(numbers)) == len(numbers)


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda c: c.name)
def test_error_code_fits_the_error_frame(code: ErrorCode) -> None:
    """Every code can be sent as it is: a snake_case name, a described number."""
    assert re.fullmatch(r"[a-z][a-z0-9_]*", code.name)
    assert code.description.strip()
    frame = Error(code=code.name, num=code.number, message=code.description)
    assert decode_server(encode(frame)) == frame


def test_close_codes_are_stable() -> None:
    assert {code.name: code.value for code in CloseCode} == CLOSE_CODES


def test_close_codes_are_unique_and_sendable() -> None:
    assert len(CloseCode.__members__) == len(CloseCode)
    for code in CloseCode:
        # 1000-1014: RFC 6455 and the IANA WebSocket Close Code Number
        # Registry (1012 Service Restart); 4000-4999: private use.
        assert 1000 <= code <= 1014 or 4000 <= code <= 4999, code
        assert code not in NOT_SENDABLE, code


def test_protocol_error_carries_its_code() -> None:
    error = ProtocolError(ErrorCode.bad_field, "ping.id: required", field="id")
    assert (error.code, error.message, error.field, error.req_id) == (
        ErrorCode.bad_field,
        "ping.id: required",
        "id",
        None,
    )
    assert str(error) == "ping.id: required"
    assert repr(error) == "ProtocolError(bad_field, 'ping.id: required')"
