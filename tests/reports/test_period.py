"""Whole Swedish days as UTC bounds, including the days the clocks change."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

import pytest

from chatserver.reports.period import (
    day_start_ms,
    local_day,
    parse_day,
    report_window,
    window_ms,
    zone,
)

TZ = zone("Europe/Stockholm")
H = 3_600_000


def test_local_midnight_in_winter_and_summer() -> None:
    winter = datetime(2024, 1, 14, 23, tzinfo=UTC)
    summer = datetime(2024, 7, 14, 22, tzinfo=UTC)
    assert day_start_ms(date(2024, 1, 15), TZ) == int(winter.timestamp() * 1000)
    assert day_start_ms(date(2024, 7, 15), TZ) == int(summer.timestamp() * 1000)


def test_clock_change_days_are_23_and_25_hours() -> None:
    spring = window_ms(date(2024, 3, 31), date(2024, 3, 31), TZ)
    autumn = window_ms(date(2024, 10, 27), date(2024, 10, 27), TZ)
    assert spring[0] is not None and spring[1] is not None
    assert autumn[0] is not None and autumn[1] is not None
    assert spring[1] - spring[0] == 23 * H
    assert autumn[1] - autumn[0] == 25 * H
    # 23:30 local on the spring day is 21:30 UTC, and still that day.
    assert local_day(spring[1] - 30 * 60_000, TZ) == date(2024, 3, 31)


def test_open_ends_and_order() -> None:
    assert window_ms(None, None, TZ) == (None, None)
    lower, upper = window_ms(date(2024, 3, 4), None, TZ)
    assert (lower, upper) == (day_start_ms(date(2024, 3, 4), TZ), None)
    with pytest.raises(ValueError, match="after"):
        window_ms(date(2024, 3, 5), date(2024, 3, 4), TZ)


def test_report_window_defaults_to_the_last_seven_days() -> None:
    now = day_start_ms(date(2024, 3, 10), TZ) + 15 * H
    assert report_window(None, None, TZ, now_ms=now) == (
        day_start_ms(date(2024, 3, 4), TZ),
        day_start_ms(date(2024, 3, 11), TZ),
    )
    assert report_window(None, date(2024, 2, 7), TZ, now_ms=now)[0] == day_start_ms(
        date(2024, 2, 1), TZ
    )


def test_parse_day_and_zone_errors() -> None:
    assert parse_day("2024-03-04") == date(2024, 3, 4)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_day("04/03/2024")
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("Mars/Olympus_Mons")
