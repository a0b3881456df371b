"""Queue deadlines in staffed time (shared/DOMAIN.md, urgency scale rules).

A waiting case's deadline is its enqueue time plus the target for its
urgency, counted only while its pool is staffed: a case that arrives at night
gets next opening + target. U4-U6 ("end of the staffed day") wait at most
until the pool closes on the day it is next open.
"""

from __future__ import annotations

from collections.abc import Mapping

from chatserver.domain.clock import to_datetime, to_ms
from chatserver.domain.hours import OpeningHours
from chatserver.domain.urgency import DEFAULT_TARGET_MINUTES, Urgency


class StaffedDeadlines:
    def __init__(
        self,
        hours: Mapping[str, OpeningHours],
        targets: Mapping[Urgency, int | None] = DEFAULT_TARGET_MINUTES,
    ) -> None:
        self.hours = dict(hours)
        self.targets = dict(targets)

    def deadline(self, pool: str, urgency: Urgency, enqueued: int) -> int:
        hours = self.hours.get(pool)
        minutes = self.targets.get(urgency)
        if hours is None:
            return enqueued + (minutes or 8 * 60) * 60_000
        start = to_datetime(enqueued)
        if minutes is None:
            return to_ms(hours.end_of_staffed_day(hours.next_opening(start)))
        return to_ms(hours.add_staffed(start, minutes))

    def is_open(self, pool: str, at: int) -> bool:
        hours = self.hours.get(pool)
        return hours is None or hours.is_open(to_datetime(at))

    def next_opening(self, pool: str, at: int) -> int:
        hours = self.hours.get(pool)
        return at if hours is None else to_ms(hours.next_opening(to_datetime(at)))
