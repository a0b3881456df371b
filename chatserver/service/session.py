"""One authenticated client connection as the service sees it.

The transport supplies a ``Peer`` (something that can queue bytes to the
client and close it); the service keeps, per connection, who it is, which
rooms it follows and how fast it may send commands.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Protocol

from chatserver.domain.principals import Principal
from protocol.codec import encode
from protocol.errors import ErrorCode
from protocol.frames import Error, Frame

_ids = itertools.count(1)


class Peer(Protocol):
    def push(self, data: bytes) -> None:
        """Queue bytes for the client; never blocks. On overflow the peer
        closes itself with slow_consumer (4003)."""

    def close(self, code: int, reason: str) -> None:
        """Close the connection (idempotent)."""


class TokenBucket:
    """Commands per second with a burst allowance (DESIGN rule 4)."""

    __slots__ = ("burst", "last", "rate", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.last = now

    def allow(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass(eq=False, slots=True)
class ClientSession:
    principal: Principal
    peer: Peer
    client: str
    bucket: TokenBucket
    addr: str | None = None
    lang: str = "sv"
    token_hash: bytes | None = None  # the session token it authenticated with (logout ends it)
    id: int = field(default_factory=lambda: next(_ids))
    subs: set[str] = field(default_factory=set)
    strikes: int = 0  # consecutive rate-limited or invalid frames
    typing_at: dict[str, float] = field(default_factory=dict)

    def send(self, frame: Frame) -> None:
        self.peer.push(encode(frame))

    def error(
        self, code: ErrorCode, message: str, re: int | None = None, field: str | None = None
    ) -> None:
        self.send(Error(code=code.name, num=code.number, message=message, re=re, field=field))
