"""KPIs on a hand-built event history whose answers were worked out by hand.

Two days in Swedish time, two entrances, ten cases in the period and two
just outside it. The comment by each case says what it contributes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from chatserver.reports import CaseCounts, KpiReport, UrgencyWait, kpis, percentile
from chatserver.reports.kpi import has_column
from chatserver.reports.period import day_start_ms, zone
from chatserver.store import records
from chatserver.store.records import Op
from tests.audit.schema import apply, fresh_db

TZ = zone("Europe/Stockholm")
D1 = day_start_ms(date(2024, 3, 4), TZ)
D2 = day_start_ms(date(2024, 3, 5), TZ)
D3 = day_start_ms(date(2024, 3, 6), TZ)
MIN = 60_000
H = 60 * MIN


class History:
    """Builds rows with chatserver.store.records, as the service persists them."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.ratings: dict[str, int] = {}
        self.system_messages: list[tuple[str, int]] = []
        self._seq: dict[str, int] = {}

    def case(
        self,
        cid: str,
        entrance: str,
        created: int,
        urgency: int,
        *,
        state: str = "closed",
        enqueued: int | None = None,
        deadline: int | None = None,
        closed: int | None = None,
        rating: int | None = None,
        events: bool = True,
    ) -> None:
        self.ops.append(
            records.case_row(
                id=cid,
                room=cid,
                patient_id=f"p-{cid}",
                actor_id=f"p-{cid}",
                entrance=entrance,
                pool="nurse_1177",
                state=state,
                urgency=urgency,
                complaint="halsont",
                created=created,
                enqueued=enqueued,
                deadline=deadline,
                assignee=None,
                closed=closed,
                outcome=None,
            )
        )
        if events:
            self.event(cid, created, "create", urgency)
        if rating is not None:
            self.ratings[cid] = rating

    def event(self, cid: str, at: int, action: str, urgency: int = 2) -> None:
        self.ops.append(records.case_event(cid, at, action, "actor", "x", "pool", urgency, ""))

    def triage(self, cid: str, at: int, disposition: str, urgency: int) -> None:
        self.ops.append(
            records.triage(cid, "halsont", "{}", at, urgency=urgency, disposition=disposition)
        )

    def say(self, room: str, at: int, role: str, *, kind: str = "text") -> None:
        seq = self._seq.get(room, 0) + 1
        self._seq[room] = seq
        sender = f"{role}-1"
        self.ops.append(records.message(room, seq, f"m{seq}", sender, "N", role, "hej", None, at))
        if kind != "text":
            self.system_messages.append((room, seq))

    def store(self, conn: sqlite3.Connection) -> None:
        # The rating column comes with the integrator's migration 0003, and the
        # message kind too; add them if this checkout does not have it yet.
        for table, column, decl in (
            ("cases", "rating", "INTEGER"),
            ("messages", "kind", "TEXT NOT NULL DEFAULT 'text'"),
        ):
            if not has_column(conn, table, column):
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
        apply(conn, self.ops)
        for cid, score in self.ratings.items():
            conn.execute("UPDATE cases SET rating = ? WHERE id = ?", (score, cid))
        for room, seq in self.system_messages:
            conn.execute(
                "UPDATE messages SET kind = 'system' WHERE room = ? AND seq = ?", (room, seq)
            )


def history() -> History:
    h = History()
    day_1(h)
    day_2(h)
    # --- Outside the period: a millisecond before, and the day after.
    h.case("c0", "seek_care", D1 - 1, 6, state="self_care", closed=D1 - 1)
    h.triage("c0", D1 - 1, "self_care", 6)
    h.case("c11", "seek_care", D3, 6, state="self_care", closed=D3, rating=1)
    h.triage("c11", D3, "self_care", 6)
    return h


def day_1(h: History) -> None:
    # --- Day 1, seek care: 5 cases, 2 self-care, one 112, 1 handoff, ratings 5 and 4.
    h.case("c1", "seek_care", D1 + 7 * H, 6, state="self_care", closed=D1 + 7 * H)
    h.triage("c1", D1 + 7 * H, "self_care", 6)  # self-care, never queued
    h.case("c2", "seek_care", D1 + 7 * H, 0, state="referred_112", closed=D1 + 7 * H)
    h.triage("c2", D1 + 7 * H, "call_112", 0)  # 112, never queued
    # c3: U2 queued 08:00, deadline 09:00, answered after 10 min, handed over once.
    h.case("c3", "seek_care", D1 + 8 * H, 2, enqueued=D1 + 8 * H, deadline=D1 + 9 * H, rating=5)
    h.triage("c3", D1 + 8 * H, "queue", 2)
    h.event("c3", D1 + 8 * H, "enqueue")
    h.say("c3", D1 + 8 * H + 2 * MIN, "patient")  # patients' words are not replies
    h.say("c3", D1 + 8 * H + 10 * MIN, "staff")
    h.say("c3", D1 + 8 * H + 11 * MIN, "staff")
    h.event("c3", D1 + 8 * H + 20 * MIN, "transfer")
    # c4: queued 09:00 as U3, re-triaged to U2, answered 09:30; closed, continued
    # and queued again at 11:00 (cases.enqueued moved): the wait counts from the
    # first enqueue, 30 min.
    h.case("c4", "seek_care", D1 + 9 * H, 2, enqueued=D1 + 11 * H, deadline=D1 + 12 * H, rating=4)
    h.triage("c4", D1 + 9 * H, "queue", 3)
    h.event("c4", D1 + 9 * H, "enqueue", 3)
    h.event("c4", D1 + 9 * H + 5 * MIN, "retriage")
    h.say("c4", D1 + 9 * H + 30 * MIN, "staff")
    h.event("c4", D1 + 10 * H, "close")
    h.event("c4", D1 + 11 * H, "reopen")
    h.event("c4", D1 + 11 * H, "enqueue")
    h.say("c4", D1 + 11 * H + 10 * MIN, "staff")
    # c5: self-care advice, then the patient asked for a person at 10:00 (U6,
    # deadline 16:00); answered 12:00: 120 min, in time.
    h.case("c5", "seek_care", D1 + 9 * H, 6, enqueued=D1 + 10 * H, deadline=D1 + 16 * H)
    h.triage("c5", D1 + 9 * H, "self_care", 6)
    h.event("c5", D1 + 10 * H, "ask_person", 6)
    h.say("c5", D1 + 12 * H, "staff")
    # --- Day 1, secretary (direct entrance, no triage): 2 cases, 1 return, rating 3.
    # c6: U4 queued 13:00, deadline 16:00, released once, answered 17:00: 240 min, late.
    h.case("c6", "vc_secretary", D1 + 13 * H, 4, enqueued=D1 + 13 * H, deadline=D1 + 16 * H)
    h.ratings["c6"] = 3
    h.event("c6", D1 + 13 * H, "enqueue", 4)
    h.event("c6", D1 + 14 * H, "assign", 4)
    h.event("c6", D1 + 14 * H + 10 * MIN, "release", 4)
    h.say("c6", D1 + 17 * H, "staff")
    # c7: U4 queued 14:00 (no case_events: cases.enqueued is the fallback),
    # closed unanswered at 15:00, before its deadline: queued, but not judged.
    h.case(
        "c7",
        "vc_secretary",
        D1 + 14 * H,
        4,
        enqueued=D1 + 14 * H,
        deadline=D1 + 16 * H,
        closed=D1 + 15 * H,
        events=False,
    )


def day_2(h: History) -> None:
    # --- Day 2, seek care: 3 cases, 2 handoffs, 2 returns.
    # c8: U2 queued 08:00, deadline 09:00, never answered, still waiting at the
    # end of the period: judged, missed.
    h.case(
        "c8", "seek_care", D2 + 8 * H, 2, state="queued", enqueued=D2 + 8 * H, deadline=D2 + 9 * H
    )
    h.triage("c8", D2 + 8 * H, "queue", 2)
    h.event("c8", D2 + 8 * H, "enqueue")
    # c9: U2 queued 10:00, deadline 11:00, answered 10:50. Earlier staff-role
    # rows do not count: a system notice, and a note in the staff-only room.
    h.case("c9", "seek_care", D2 + 10 * H, 2, enqueued=D2 + 10 * H, deadline=D2 + 11 * H)
    h.triage("c9", D2 + 10 * H, "queue", 2)
    h.event("c9", D2 + 10 * H, "enqueue")
    h.say("c9", D2 + 10 * H + 1 * MIN, "staff", kind="system")
    h.say("c9~staff", D2 + 10 * H + 2 * MIN, "staff")
    h.say("c9", D2 + 10 * H + 50 * MIN, "staff")
    # c10: U1 created 23:30 (day 2 in Sweden, day 2 in UTC too: 22:30), deadline
    # 23:45, answered 23:35: 5 min. Handed over twice, released twice.
    at = D2 + 23 * H + 30 * MIN
    h.case("c10", "seek_care", at, 1, enqueued=at, deadline=at + 15 * MIN)
    h.triage("c10", at, "queue", 1)
    h.event("c10", at, "enqueue", 1)
    for i in range(2):
        h.event("c10", at + (i + 1) * MIN, "transfer", 1)
        h.event("c10", at + (i + 1) * MIN, "release", 1)
    h.say("c10", at + 5 * MIN, "staff")


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = fresh_db(tmp_path / "chat.sqlite3")
    history().store(c)
    yield c
    c.close()


@pytest.fixture
def report(conn: sqlite3.Connection) -> KpiReport:
    return kpis(conn, D1, D3)


def test_cases_per_day_and_entrance(report: KpiReport) -> None:
    got = {(d.day.isoformat(), d.entrance): d.counts for d in report.days}
    assert got == {
        ("2024-03-04", "seek_care"): CaseCounts(5, 2, 1, 1, 0, 2, 9),
        ("2024-03-04", "vc_secretary"): CaseCounts(2, 0, 0, 0, 1, 1, 3),
        ("2024-03-05", "seek_care"): CaseCounts(3, 0, 0, 2, 2, 0, 0),
    }
    first = report.days[0].counts
    assert first.self_care_share == pytest.approx(0.4)
    assert first.rating_mean == pytest.approx(4.5)
    assert report.days[2].counts.rating_mean is None


def test_totals(report: KpiReport) -> None:
    assert report.totals == CaseCounts(10, 2, 1, 3, 3, 3, 12)
    assert report.totals.self_care_share == pytest.approx(0.2)
    assert report.totals.rating_mean == pytest.approx(4.0)
    assert report.ratings_by_score == (0, 0, 1, 1, 1)
    assert report.ratings_available


def test_waits_per_urgency(report: KpiReport) -> None:
    assert report.waits == (
        UrgencyWait(1, queued=1, answered=1, p50_min=5.0, p90_min=5.0, in_time=1, judged=1),
        UrgencyWait(2, queued=4, answered=3, p50_min=30.0, p90_min=46.0, in_time=3, judged=4),
        UrgencyWait(4, queued=2, answered=1, p50_min=240.0, p90_min=240.0, in_time=0, judged=1),
        UrgencyWait(6, queued=1, answered=1, p50_min=120.0, p90_min=120.0, in_time=1, judged=1),
    )
    assert report.waits[1].within_target_share == pytest.approx(0.75)


def test_waits_over_all_urgencies(report: KpiReport) -> None:
    # waits 5, 10, 30, 50, 120, 240: p50 between 30 and 50, p90 between 120 and 240
    assert report.all_waits == UrgencyWait(None, 8, 6, 40.0, 180.0, 5, 7)
    assert report.all_waits.within_target_share == pytest.approx(5 / 7)


def test_a_case_still_waiting_is_judged_only_after_its_deadline(
    conn: sqlite3.Connection,
) -> None:
    # Seen at 08:30 on day 2, c8 (deadline 09:00) is not late yet.
    early = kpis(conn, D1, D3, as_of_ms=D2 + 8 * H + 30 * MIN)
    u2 = next(w for w in early.waits if w.urgency == 2)
    assert (u2.in_time, u2.judged) == (3, 3)


def test_period_bounds_are_since_inclusive_until_exclusive(conn: sqlite3.Connection) -> None:
    day1 = kpis(conn, D1, D2)
    assert {d.day for d in day1.days} == {date(2024, 3, 4)}
    assert day1.totals.cases == 7
    assert kpis(conn, D3, D3 + 24 * H).totals == CaseCounts(1, 1, 0, 0, 0, 1, 1)
    empty = kpis(conn, D3 + 24 * H, D3 + 48 * H)
    assert empty.days == () and empty.waits == ()
    assert empty.totals.self_care_share is None
    assert empty.all_waits.p50_min is None and empty.all_waits.within_target_share is None
    with pytest.raises(ValueError, match="before"):
        kpis(conn, D2, D1)


def test_days_follow_the_requested_time_zone(conn: sqlite3.Connection) -> None:
    # c10 was created 23:30 Swedish time = 22:30 UTC; in Helsinki it is 00:30 the next day.
    helsinki = kpis(conn, D1, D3 + 24 * H, "Europe/Helsinki")
    days = {(d.day.isoformat(), d.entrance): d.counts.cases for d in helsinki.days}
    assert days[("2024-03-06", "seek_care")] == 2  # c10 and c11


def test_json(report: KpiReport) -> None:
    j = report.to_json()
    assert json.loads(json.dumps(j)) == j
    assert j["period"] == {
        "since": "2024-03-04T00:00:00+01:00",
        "until": "2024-03-06T00:00:00+01:00",
        "as_of": "2024-03-06T00:00:00+01:00",
        "tz": "Europe/Stockholm",
    }
    assert j["days"][0] == {
        "day": "2024-03-04",
        "entrance": "seek_care",
        "cases": 5,
        "self_care": 2,
        "self_care_share": 0.4,
        "referred_112": 1,
        "handoffs": 1,
        "returns_to_queue": 0,
        "ratings": 2,
        "rating_mean": 4.5,
    }
    assert j["totals"]["rating_distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert j["waits"][1] == {
        "urgency": "U2",
        "queued": 4,
        "answered": 3,
        "p50_min": 30.0,
        "p90_min": 46.0,
        "in_time": 3,
        "judged": 4,
        "within_target_share": 0.75,
    }
    assert j["waits"][-1]["urgency"] == "all"
    assert j["waits"][-1]["within_target_share"] == 0.7143


def test_markdown(report: KpiReport) -> None:
    md = report.to_markdown()
    assert md.startswith("# KPIs 2024-03-04 – 2024-03-05 (Europe/Stockholm)\n")
    lines = md.splitlines()
    assert "| 2024-03-04 | seek_care | 5 | 2 | 40.0 % | 1 | 1 | 0 | 2 | 4.50 |" in lines
    assert "| 2024-03-05 | seek_care | 3 | 0 | 0.0 % | 0 | 2 | 2 | 0 | – |" in lines
    assert "| **All** |  | 10 | 2 | 20.0 % | 1 | 3 | 3 | 3 | 4.00 |" in lines
    assert "| U2 | 4 | 3 | 30.0 | 46.0 | 3 of 4 | 75.0 % |" in lines
    assert "| **All** | 8 | 6 | 40.0 | 180.0 | 5 of 7 | 71.4 % |" in lines
    assert "| 0 | 0 | 1 | 1 | 1 |" in lines


def test_ratings_are_na_without_the_rating_column(tmp_path: Path) -> None:
    """A store from before migration 0003: no cases.rating, no messages.kind."""
    conn = fresh_db(tmp_path / "old.sqlite3", upto=2)
    assert not has_column(conn, "cases", "rating")
    conn.execute(
        "INSERT INTO cases (id, room, patient_id, actor_id, entrance, pool, state, urgency, "
        "complaint, created, enqueued, deadline) VALUES ('c1', 'c1', 'p', 'p', 'seek_care', "
        "'nurse_1177', 'active', 3, 'x', ?, ?, ?)",
        (D1 + H, D1 + H, D1 + 5 * H),
    )
    conn.execute(
        "INSERT INTO messages (room, seq, cid, sender, name, role, text, ts) "
        "VALUES ('c1', 1, 'm1', 's', 'S', 'staff', 'hej', ?)",
        (D1 + H + 12 * MIN,),
    )
    report = kpis(conn, D1, D2)
    conn.close()
    assert not report.ratings_available
    assert report.totals.rated is None and report.ratings_by_score is None
    assert report.waits == (UrgencyWait(3, 1, 1, 12.0, 12.0, 1, 1),)
    j = report.to_json()
    assert j["totals"]["ratings"] is None and j["totals"]["rating_distribution"] is None
    md = report.to_markdown()
    assert "| 2024-03-04 | seek_care | 1 | 0 | 0.0 % | 0 | 0 | 0 | n/a | n/a |" in md
    assert "## Ratings" not in md


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.9, 7.0),
        ([1.0, 2.0, 3.0, 4.0, 10.0], 0.5, 3.0),
        ([1.0, 2.0, 3.0, 4.0, 10.0], 0.9, 7.6),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([1.0, 2.0, 3.0, 4.0], 0.0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 1.0, 4.0),
    ],
)
def test_percentile_interpolates_between_closest_ranks(
    values: list[float], q: float, expected: float | None
) -> None:
    assert percentile(values, q) == (None if expected is None else pytest.approx(expected))


def test_percentile_refuses_q_outside_0_1() -> None:
    with pytest.raises(ValueError, match="within"):
        percentile([1.0], 1.5)
