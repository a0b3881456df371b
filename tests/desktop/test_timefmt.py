"""Queue times as short text, in Swedish and English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from clients.desktop import timefmt
from clients.desktop.i18n import tr

MIN = 60_000
# Monday 2 March 2026, 08:00 UTC = 09:00 in Stockholm (winter time).
T0 = int(datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture(autouse=True)
def swedish() -> Iterator[None]:
    tr.set_language("sv")
    yield
    tr.set_language("sv")


def test_durations() -> None:
    assert timefmt.duration(-5) == "< 1 min"
    assert timefmt.duration(59_999) == "< 1 min"
    assert timefmt.duration(12 * MIN) == "12 min"
    assert timefmt.duration(65 * MIN) == "1 h 05 min"
    assert timefmt.duration(50 * 60 * MIN) == "2 d 2 h"


def test_deadlines_say_when_late() -> None:
    assert timefmt.to_deadline(T0 + 8 * MIN, T0) == ("om 8 min", False)
    assert timefmt.to_deadline(T0 - 3 * MIN, T0) == ("försenad 3 min", True)
    tr.set_language("en")
    assert timefmt.to_deadline(T0 - 3 * MIN, T0) == ("late 3 min", True)
    assert timefmt.waited(T0 - 90 * MIN, T0) == "1 h 30 min"


def test_local_times_are_stockholm() -> None:
    assert timefmt.hhmm(T0) == "09:00"
    assert timefmt.clock(T0) == "2026-03-02 09:00"
    assert timefmt.span(T0, T0 + 20 * MIN) == "mån 2/3 09:00–09:20"
    summer = int(datetime(2026, 7, 1, 8, 0, tzinfo=UTC).timestamp() * 1000)
    assert timefmt.hhmm(summer) == "10:00"
