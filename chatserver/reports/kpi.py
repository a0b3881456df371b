"""Follow-up KPIs computed from the stored events (shared/DOMAIN.md: waiting
time, share handled in self-care, share within target).

Everything is counted per case, on the local day the case was created and
under the entrance it came through: a case opened at 23:50 and answered at
00:10 counts on the day it was opened, with its wait, handoffs and rating.

Definitions, so the numbers can be re-derived from the tables by hand:

- **cases**: rows of ``cases`` with ``created`` in [since, until).
- **self-care** / **112**: the case's ``triage.disposition`` is ``self_care``
  / ``call_112``. The share divides by all cases of the day and entrance,
  direct entrances without triage included. A self-care case whose patient
  then asked for a person still counts as self-care advice given.
- **queued at**: the first ``case_events`` row with action ``enqueue`` or
  ``ask_person``, else ``cases.enqueued``.
- **first staff reply**: the first ``messages`` row in the case's room with
  role ``staff`` at or after queued-at (``system`` messages are not replies;
  consultants write in the staff room, which is another room).
- **wait**: first staff reply - queued at, in minutes; p50 and p90 by linear
  interpolation between closest ranks (numpy's default, Excel's
  PERCENTILE.INC), per the case's current urgency (a re-triage changes it,
  and recomputes the deadline from the original enqueue time).
- **within target**: answered by ``cases.deadline``. The share's denominator
  is the cases judged so far: answered, plus unanswered ones that waited past
  their deadline (still open at ``as_of``, or closed after the deadline).
  A case closed unanswered before its deadline is not judged.
- **handoffs** / **returns to queue**: ``case_events`` rows with action
  ``transfer`` / ``release``.
- **ratings**: ``cases.rating`` (1-5, added by migration 0003); reported as
  n/a when the column does not exist.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from chatserver.reports.period import DEFAULT_TZ, local_day, zone

RATING_SCORES = (1, 2, 3, 4, 5)

_CASES_SQL = """
WITH per_case AS (
    SELECT k.id, k.room, k.entrance, k.created, k.urgency, k.deadline, k.closed,
           {rating} AS rating, t.disposition,
           coalesce(
               (SELECT min(e.at) FROM case_events e
                WHERE e.case_id = k.id AND e.action IN ('enqueue', 'ask_person')),
               k.enqueued
           ) AS queued_at,
           (SELECT count(*) FROM case_events e
            WHERE e.case_id = k.id AND e.action = 'transfer') AS handoffs,
           (SELECT count(*) FROM case_events e
            WHERE e.case_id = k.id AND e.action = 'release') AS returns
    FROM cases k LEFT JOIN triage t ON t.case_id = k.id
    WHERE k.created >= ? AND k.created < ?
)
SELECT entrance, created, urgency, deadline, closed, rating, disposition, queued_at,
       handoffs, returns,
       (SELECT min(m.ts) FROM messages m
        WHERE m.room = per_case.room AND m.role = 'staff' AND m.ts >= per_case.queued_at
              {not_system}) AS first_reply
FROM per_case
"""


@dataclass(frozen=True, slots=True)
class CaseCounts:
    """Counts over a set of cases; ``rated``/``rating_sum`` are None without ratings."""

    cases: int = 0
    self_care: int = 0
    referred_112: int = 0
    handoffs: int = 0
    returns: int = 0
    rated: int | None = None
    rating_sum: int | None = None

    @property
    def self_care_share(self) -> float | None:
        return self.self_care / self.cases if self.cases else None

    @property
    def rating_mean(self) -> float | None:
        if not self.rated or self.rating_sum is None:
            return None
        return self.rating_sum / self.rated

    def to_json(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "self_care": self.self_care,
            "self_care_share": _round(self.self_care_share, 4),
            "referred_112": self.referred_112,
            "handoffs": self.handoffs,
            "returns_to_queue": self.returns,
            "ratings": self.rated,
            "rating_mean": _round(self.rating_mean, 2),
        }


@dataclass(frozen=True, slots=True)
class DayEntrance:
    day: date
    entrance: str
    counts: CaseCounts

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "entrance": self.entrance, **self.counts.to_json()}


@dataclass(frozen=True, slots=True)
class UrgencyWait:
    """Waits to the first staff reply; ``urgency`` None is every urgency together."""

    urgency: int | None
    queued: int
    answered: int
    p50_min: float | None
    p90_min: float | None
    in_time: int
    judged: int

    @property
    def within_target_share(self) -> float | None:
        return self.in_time / self.judged if self.judged else None

    @property
    def label(self) -> str:
        return "all" if self.urgency is None else f"U{self.urgency}"

    def to_json(self) -> dict[str, Any]:
        return {
            "urgency": self.label,
            "queued": self.queued,
            "answered": self.answered,
            "p50_min": _round(self.p50_min, 2),
            "p90_min": _round(self.p90_min, 2),
            "in_time": self.in_time,
            "judged": self.judged,
            "within_target_share": _round(self.within_target_share, 4),
        }


@dataclass(frozen=True, slots=True)
class KpiReport:
    since_ms: int
    until_ms: int
    as_of_ms: int
    tz: str
    ratings_available: bool
    days: tuple[DayEntrance, ...]
    totals: CaseCounts
    waits: tuple[UrgencyWait, ...]
    """One row per urgency that had queued cases, ascending."""
    all_waits: UrgencyWait
    ratings_by_score: tuple[int, ...] | None
    """How many ratings of 1, 2, 3, 4 and 5; None without ratings."""

    def to_json(self) -> dict[str, Any]:
        return {
            "period": {
                "since": _iso(self.since_ms, self.tz),
                "until": _iso(self.until_ms, self.tz),
                "as_of": _iso(self.as_of_ms, self.tz),
                "tz": self.tz,
            },
            "ratings_available": self.ratings_available,
            "days": [d.to_json() for d in self.days],
            "totals": {
                **self.totals.to_json(),
                "rating_distribution": self._distribution(),
            },
            "waits": [w.to_json() for w in (*self.waits, self.all_waits)],
        }

    def _distribution(self) -> dict[str, int] | None:
        if self.ratings_by_score is None:
            return None
        return {str(s): n for s, n in zip(RATING_SCORES, self.ratings_by_score, strict=True)}

    def to_markdown(self) -> str:
        first = _iso(self.since_ms, self.tz)[:10]
        last = _iso(self.until_ms - 1, self.tz)[:10]
        out = [f"# KPIs {first} – {last} ({self.tz})", ""]
        out += ["## Cases per day and entrance", ""]
        out += [
            "| Day | Entrance | Cases | Self-care | Self-care share | 112 | Handoffs "
            "| Returns to queue | Ratings | Mean rating |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for d in self.days:
            out.append(self._counts_row(d.day.isoformat(), d.entrance, d.counts))
        out.append(self._counts_row("**All**", "", self.totals))
        out += ["", "## Wait to first staff reply", ""]
        out += [
            "| Urgency | Queued | Answered | p50 (min) | p90 (min) | Within target "
            "| Share within target |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for w in (*self.waits, self.all_waits):
            label = "**All**" if w.urgency is None else w.label
            out.append(
                f"| {label} | {w.queued} | {w.answered} | {_num(w.p50_min)} "
                f"| {_num(w.p90_min)} | {w.in_time} of {w.judged} "
                f"| {_pct(w.within_target_share)} |"
            )
        if self.ratings_by_score is not None:
            out += ["", "## Ratings", ""]
            out += ["| " + " | ".join(map(str, RATING_SCORES)) + " |"]
            out += ["|" + "---:|" * len(RATING_SCORES)]
            out += ["| " + " | ".join(map(str, self.ratings_by_score)) + " |"]
        out.append("")
        return "\n".join(out)

    def _counts_row(self, day: str, entrance: str, c: CaseCounts) -> str:
        if self.ratings_available:
            rated, mean = str(c.rated or 0), _num(c.rating_mean, 2)
        else:
            rated = mean = "n/a"
        return (
            f"| {day} | {entrance} | {c.cases} | {c.self_care} | {_pct(c.self_care_share)} "
            f"| {c.referred_112} | {c.handoffs} | {c.returns} | {rated} | {mean} |"
        )


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None if empty."""
    if not sorted_values:
        return None
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be within [0, 1], got {q}")
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))


def kpis(
    conn: sqlite3.Connection,
    since_ms: int,
    until_ms: int,
    tz: str = DEFAULT_TZ,
    *,
    as_of_ms: int | None = None,
) -> KpiReport:
    """KPIs of the cases created in [since_ms, until_ms).

    ``as_of_ms`` (default ``until_ms``) is "now" for cases still waiting: one
    past its deadline at that moment counts as missed. The CLI passes the
    present time when the period reaches into the future.
    """
    if until_ms < since_ms:
        raise ValueError("until_ms is before since_ms")
    zone_info = zone(tz)
    as_of = until_ms if as_of_ms is None else as_of_ms
    ratings = has_column(conn, "cases", "rating")
    sql = _CASES_SQL.format(
        rating="k.rating" if ratings else "NULL",
        not_system="AND m.kind != 'system'" if has_column(conn, "messages", "kind") else "",
    )
    tally = _Tally(ratings, as_of)
    for row in conn.execute(sql, (since_ms, until_ms)):
        tally.add(_CaseRow(*row), local_day(row[1], zone_info))
    return tally.report(since_ms, until_ms, tz)


@dataclass(frozen=True, slots=True)
class _CaseRow:
    entrance: str
    created: int
    urgency: int
    deadline: int | None
    closed: int | None
    rating: int | None
    disposition: str | None
    queued_at: int | None
    handoffs: int
    returns: int
    first_reply: int | None


@dataclass(slots=True)
class _Counter:
    cases: int = 0
    self_care: int = 0
    referred_112: int = 0
    handoffs: int = 0
    returns: int = 0
    rated: int = 0
    rating_sum: int = 0

    def add(self, c: _CaseRow) -> None:
        self.cases += 1
        self.self_care += c.disposition == "self_care"
        self.referred_112 += c.disposition == "call_112"
        self.handoffs += c.handoffs
        self.returns += c.returns
        if c.rating in RATING_SCORES:
            self.rated += 1
            self.rating_sum += c.rating

    def freeze(self, ratings: bool) -> CaseCounts:
        return CaseCounts(
            self.cases,
            self.self_care,
            self.referred_112,
            self.handoffs,
            self.returns,
            self.rated if ratings else None,
            self.rating_sum if ratings else None,
        )


@dataclass(slots=True)
class _Waits:
    queued: int = 0
    waits_min: list[float] = field(default_factory=list)
    in_time: int = 0
    judged: int = 0

    def add(self, c: _CaseRow, as_of: int) -> None:
        if c.queued_at is None:
            return
        self.queued += 1
        if c.first_reply is not None:
            self.waits_min.append((c.first_reply - c.queued_at) / 60_000)
            if c.deadline is not None:
                self.judged += 1
                self.in_time += c.first_reply <= c.deadline
        elif c.deadline is not None:
            ended = c.closed if c.closed is not None else as_of
            self.judged += ended > c.deadline

    def freeze(self, urgency: int | None) -> UrgencyWait:
        waits = sorted(self.waits_min)
        return UrgencyWait(
            urgency,
            self.queued,
            len(waits),
            percentile(waits, 0.5),
            percentile(waits, 0.9),
            self.in_time,
            self.judged,
        )


@dataclass(slots=True)
class _Tally:
    ratings: bool
    as_of: int
    days: dict[tuple[date, str], _Counter] = field(default_factory=dict)
    total: _Counter = field(default_factory=_Counter)
    waits: dict[int, _Waits] = field(default_factory=dict)
    all_waits: _Waits = field(default_factory=_Waits)
    scores: list[int] = field(default_factory=lambda: [0] * len(RATING_SCORES))

    def add(self, c: _CaseRow, day: date) -> None:
        self.days.setdefault((day, c.entrance), _Counter()).add(c)
        self.total.add(c)
        if c.queued_at is not None:
            self.waits.setdefault(c.urgency, _Waits()).add(c, self.as_of)
            self.all_waits.add(c, self.as_of)
        if c.rating in RATING_SCORES:
            self.scores[c.rating - 1] += 1

    def report(self, since_ms: int, until_ms: int, tz: str) -> KpiReport:
        return KpiReport(
            since_ms=since_ms,
            until_ms=until_ms,
            as_of_ms=self.as_of,
            tz=tz,
            ratings_available=self.ratings,
            days=tuple(
                DayEntrance(day, entrance, counter.freeze(self.ratings))
                for (day, entrance), counter in sorted(self.days.items())
            ),
            totals=self.total.freeze(self.ratings),
            waits=tuple(w.freeze(u) for u, w in sorted(self.waits.items())),
            all_waits=self.all_waits.freeze(None),
            ratings_by_score=tuple(self.scores) if self.ratings else None,
        )


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


def _iso(at_ms: int, tz: str) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).astimezone(zone(tz)).isoformat()
