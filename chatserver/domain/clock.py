"""Injected time (DESIGN rule 7): the domain never calls ``time`` itself.

Times are UTC ``datetime`` values internally and integer milliseconds since
the Unix epoch on the wire and in the store.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch, UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for timeouts and rates."""


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock tests move by hand; both readings advance together."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
        self._ms = int(start.timestamp() * 1000)
        self._mono = 1000.0

    def now_ms(self) -> int:
        return self._ms

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float = 0.0, **kwargs: float) -> None:
        delta = timedelta(seconds=seconds, **kwargs).total_seconds()
        self._ms += int(delta * 1000)
        self._mono += delta

    def set(self, when: datetime) -> None:
        new_ms = int(when.timestamp() * 1000)
        self._mono += max(0, new_ms - self._ms) / 1000
        self._ms = new_ms


def to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def to_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)
