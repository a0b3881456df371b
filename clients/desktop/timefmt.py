"""Times as staff read them in a queue: "12 min", "1 h 05 min", "om 8 min",
"försenad 3 min". Pure functions of milliseconds, so tests need no clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from clients.desktop.i18n import tr

# Times are shown in Swedish local time whatever the workstation's zone is
# (shared/DESIGN.md rule 7: opening hours and deadlines are Europe/Stockholm).
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def duration(ms: int) -> str:
    """A non-negative span, rounded down to whole minutes."""
    minutes = max(0, ms) // 60_000
    if minutes < 1:
        return tr("time.under_minute")
    if minutes < 60:
        return tr("time.minutes", n=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return tr("time.hours", h=hours, m=f"{rest:02d}")
    return tr("time.days", d=hours // 24, h=hours % 24)


def waited(enqueued: int, now: int) -> str:
    return duration(now - enqueued)


def to_deadline(deadline: int, now: int) -> tuple[str, bool]:
    """The time left before a deadline and whether it has passed."""
    if deadline >= now:
        return tr("time.left", d=duration(deadline - now)), False
    return tr("time.late", d=duration(now - deadline)), True


def clock(ms: int) -> str:
    """A moment as local date and time, e.g. ``2026-11-23 14:05``."""
    return datetime.fromtimestamp(ms / 1000, STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def hhmm(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, STOCKHOLM).strftime("%H:%M")


def span(start: int, end: int) -> str:
    """An appointment: ``mån 2/3 09:00–09:20`` (weekday in the UI language)."""
    at = datetime.fromtimestamp(start / 1000, STOCKHOLM)
    day = tr(f"weekday.{at.weekday()}")
    return f"{day} {at.day}/{at.month} {at:%H:%M}–{hhmm(end)}"
