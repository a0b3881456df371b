"""Whole local days as UTC millisecond bounds, for reports and log listings.

Regions follow up per calendar day in Swedish time, while the store keeps
UTC milliseconds (DESIGN rule 7). A day is [local midnight, next local
midnight), which is 23 or 25 hours long on the days daylight saving time
changes; zoneinfo gets that right.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Europe/Stockholm"
DEFAULT_DAYS = 7
"""Without --since, reports cover the last week including --until."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {name!r}") from e


def parse_day(text: str) -> date:
    """argparse type for YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def day_start_ms(day: date, tz: ZoneInfo) -> int:
    """UTC ms of local midnight starting ``day``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() * 1000)


def local_day(at_ms: int, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(at_ms / 1000, UTC).astimezone(tz).date()


def window_ms(
    since: date | None, until: date | None, tz: ZoneInfo
) -> tuple[int | None, int | None]:
    """[start of ``since``, end of ``until``) in UTC ms, both days included; None is open."""
    if since is not None and until is not None and since > until:
        raise ValueError(f"--since {since} is after --until {until}")
    lower = day_start_ms(since, tz) if since is not None else None
    upper = day_start_ms(until + timedelta(days=1), tz) if until is not None else None
    return lower, upper


def report_window(
    since: date | None, until: date | None, tz: ZoneInfo, *, now_ms: int
) -> tuple[int, int]:
    """Like ``window_ms``, but ``until`` defaults to today and ``since`` to a week before."""
    last = until if until is not None else local_day(now_ms, tz)
    first = since if since is not None else last - timedelta(days=DEFAULT_DAYS - 1)
    lower, upper = window_ms(first, last, tz)
    assert lower is not None and upper is not None
    return lower, upper
