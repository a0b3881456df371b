"""Stable error codes and close codes of the wire protocol.

Exception tree (only ``ProtocolError`` leaves the decoder)::

    ProtocolError            the peer sent something the protocol does not allow
     └─ carries an ErrorCode: bad_frame, unknown_type, bad_field, frame_too_large, ...

Every code has a stable string (what clients should switch on) and a stable
number (for logs and metrics). Codes are never renumbered or reused; new ones
are appended. docs/PROTOCOL.md lists them all and a test checks that it does.
"""

from __future__ import annotations

import enum


class ErrorCode(enum.Enum):
    """(number, description). The enum name is the wire string."""

    # 1xxx: the frame itself is wrong
    bad_frame = (1001, "Not a MessagePack map with a string 't' field")
    unknown_type = (1002, "The frame type is unknown in this direction")
    bad_field = (1003, "A field is missing, of the wrong type or outside its limits")
    frame_too_large = (1004, "The frame is larger than the negotiated maximum")
    unsupported_version = (1005, "The protocol version in hello is not supported")
    not_authenticated = (1006, "The first frame must be hello with a valid token")
    already_authenticated = (1007, "hello was sent twice on one connection")
    # 2xxx: who you are and what you may do
    auth_failed = (2001, "The token or credentials are invalid or expired")
    forbidden = (2002, "You may not do this to this object")
    rate_limited = (2003, "Too many commands; slow down and retry later")
    locked = (2004, "Too many failed logins; the account is locked for a while")
    origin_not_allowed = (2005, "The page's origin is not allowed to connect")
    # 3xxx: the request does not fit the current state
    not_found = (3001, "No such object (or not visible to you)")
    conflict = (3002, "Someone else changed it first (for example claimed the case)")
    invalid_state = (3003, "The object's state does not allow this now")
    limit_reached = (3004, "A configured limit was reached (subscriptions, open cases, ...)")
    duplicate = (3005, "Already done; the earlier result stands")
    bad_request = (3006, "The request is well-formed but its content is not acceptable")
    too_large = (3007, "Upload or text is larger than allowed")
    unsupported_media = (3008, "Upload content is not an accepted image type")
    not_listed = (3009, "This entrance is only for patients listed at its care unit")
    # 5xxx: the server cannot serve the request now
    unavailable = (5001, "The server cannot accept writes now (storage failure); retry later")
    busy = (5002, "The server is shedding load; retry with backoff")
    internal = (5003, "An unexpected server error; the request was not carried out")
    shutting_down = (5004, "The server is restarting; reconnect and resume")

    @property
    def number(self) -> int:
        return self.value[0]

    @property
    def description(self) -> str:
        return self.value[1]


class CloseCode(enum.IntEnum):
    """WebSocket close codes the server uses (RFC 6455 §7.4; 4000-4999 private)."""

    normal = 1000
    going_away = 1001  # server shutting down: reconnect with backoff and resume
    protocol_error = 1002  # not binary frames, broken WebSocket framing
    unsupported_data = 1003  # a text frame was sent; the protocol is binary only
    policy = 1008  # origin not allowed
    too_big = 1009  # frame above the maximum frame size
    internal = 1011
    service_restart = 1012  # shutting down, and the client did not answer 1001 in time
    auth_failed = 4001  # hello missing, late, or with a bad token: log in again
    unsupported_version = 4002  # hello.v not supported: upgrade the client
    slow_consumer = 4003  # outbox full: the client read too slowly; reconnect and resume
    idle_timeout = 4004  # nothing received within the idle timeout: reconnect if still needed
    protocol_violation = 4005  # too many bad frames
    session_revoked = 4006  # the session was logged out or revoked: log in again
    rate_limited = 4008  # kept sending after rate_limited errors


class ProtocolError(Exception):
    """The peer sent bytes or a frame that the protocol does not allow."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.req_id: int | None = None  # the request's id, when it could be read

    def __repr__(self) -> str:
        return f"ProtocolError({self.code.name}, {self.message!r})"
