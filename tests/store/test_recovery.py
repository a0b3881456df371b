"""Start-up recovery: rows written through records.* come back as memory needs them.

Memory holds open cases and those closed since the cutoff (the reopen
window), with their rooms' participants, heads and read marks; nothing of
cases closed before the cutoff.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from chatserver.store import db, records, recovery
from chatserver.store.migrate import migrate
from chatserver.store.reader import UserRow

CUTOFF = 1_000_000
DAY = 86_400_000


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = db.connect(tmp_path / "chat.sqlite3")
    migrate(c)
    yield c
    c.close()


def apply(conn: sqlite3.Connection, ops: Sequence[records.Op]) -> None:
    conn.execute("BEGIN")
    for sql, params in ops:
        conn.execute(sql, params)
    conn.execute("COMMIT")


def case(
    case_id: str,
    state: str,
    *,
    closed: int | None = None,
    assignee: str | None = None,
    pool: str = "vc_nurse",
    created: int = CUTOFF - 10 * DAY,
) -> records.Op:
    return records.case_row(
        id=case_id,
        room=f"room-{case_id}",
        patient_id="pat",
        actor_id="pat",
        entrance="direct",
        pool=pool,
        state=state,
        urgency=3,
        complaint="ont",
        created=created,
        enqueued=created + 1,
        deadline=created + 2,
        assignee=assignee,
        closed=closed,
        outcome=None if closed is None else "advice",
    )


def messages(case_id: str, n: int) -> list[records.Op]:
    room = f"room-{case_id}"
    return [
        records.message(room, seq, f"cid{seq}", "pat", "Pia", "patient", "hej", None, seq)
        for seq in range(1, n + 1)
    ]


@pytest.fixture
def written(conn: sqlite3.Connection) -> sqlite3.Connection:
    apply(
        conn,
        [
            records.user_insert(
                id="pat", kind="patient", name="Pia Patient", created=1, pnr="191212121212"
            ),
            records.user_insert(
                id="nurse",
                kind="staff",
                name="Nina Nurse",
                created=1,
                username="nina",
                roles=("nurse",),
                pools=("nurse_1177", "vc_nurse"),
                pw_hash="$argon2id$x",
            ),
            records.user_contact("pat", "+46701234567", consent=True),
            # Written queued first, then upserted to its current state.
            case("queued", "queued"),
            case("active", "queued"),
            case("active", "active", assignee="nurse"),
            case("recent", "closed", closed=CUTOFF + 1, assignee="nurse"),
            case("edge", "closed", closed=CUTOFF),
            case("old", "closed", closed=CUTOFF - 1),
            *messages("queued", 3),
            *messages("recent", 2),
            *messages("old", 5),
            records.participant("room-queued", "pat", "patient", 1),
            records.participant("room-active", "pat", "patient", 1),
            records.participant("room-active", "nurse", "staff", 2),
            records.participant("room-active", "nurse", "staff", 3),  # upsert, one row
            records.participant("room-recent", "pat", "patient", 1),
            records.participant("room-old", "pat", "patient", 1),
            records.receipt("room-queued", "pat", 2),
            records.receipt("room-queued", "nurse", 3),
            records.receipt("room-queued", "nurse", 1),  # read marks never go back
            records.receipt("room-old", "pat", 5),
            records.case_event("active", 5, "assign", "nurse", "assigned", "vc_nurse", 3, ""),
        ],
    )
    return conn


def test_open_and_recently_closed_cases(written: sqlite3.Connection) -> None:
    snap = recovery.load(written, closed_since=CUTOFF)
    ids = [c[0] for c in snap.cases]
    assert sorted(ids) == ["active", "edge", "queued", "recent"]
    assert len(ids) == len(set(ids))
    by_id = {c[0]: c for c in snap.cases}
    created = CUTOFF - 10 * DAY
    assert by_id["active"] == (
        "active",
        "room-active",
        "pat",
        "pat",
        "direct",
        "vc_nurse",
        "active",
        3,
        "ont",
        created,
        created + 1,
        created + 2,
        "nurse",
        None,
        None,
        None,  # assigned
        None,  # first_reply
        None,  # rating
    )
    assert by_id["recent"][6] == "closed"
    assert by_id["recent"][13:15] == (CUTOFF + 1, "advice")


def test_participants_heads_and_receipts_of_live_rooms(written: sqlite3.Connection) -> None:
    snap = recovery.load(written, closed_since=CUTOFF)
    assert sorted(snap.participants) == [
        ("room-active", "nurse", "staff"),
        ("room-active", "pat", "patient"),
        ("room-queued", "pat", "patient"),
        ("room-recent", "pat", "patient"),
    ]
    heads = {k: v for k, v in snap.heads.items() if not k.endswith("~staff")}
    assert heads == {"room-queued": 3, "room-active": 0, "room-recent": 2, "room-edge": 0}
    # Each live case's staff thread is looked at too (empty here).
    assert {k: v for k, v in snap.heads.items() if k.endswith("~staff")} == {
        f"{room}~staff": 0 for room in heads
    }
    assert sorted(snap.receipts) == [("room-queued", "nurse", 3), ("room-queued", "pat", 2)]


def test_users(written: sqlite3.Connection) -> None:
    snap = recovery.load(written, closed_since=CUTOFF)
    users = {u.id: u for u in snap.users}
    assert users["pat"] == UserRow(
        "pat",
        "patient",
        None,
        "191212121212",
        "Pia Patient",
        (),
        (),
        None,
        False,
        "+46701234567",
        True,
    )
    assert users["nurse"].pools == ("nurse_1177", "vc_nurse")
    assert users["nurse"].roles == ("nurse",)
    assert users["nurse"].username == "nina"


def test_a_later_cutoff_drops_cases_closed_before_it(written: sqlite3.Connection) -> None:
    first = recovery.load(written, closed_since=CUTOFF)
    later = recovery.load(written, closed_since=CUTOFF + 2)  # same connection, twice
    assert sorted(c[0] for c in later.cases) == ["active", "queued"]
    assert {k for k in later.heads if not k.endswith("~staff")} == {"room-queued", "room-active"}
    assert ("room-recent", "pat", "patient") not in later.participants
    assert sorted(c[0] for c in first.cases) == ["active", "edge", "queued", "recent"]


def test_empty_database(conn: sqlite3.Connection) -> None:
    snap = recovery.load(conn, closed_since=0)
    assert (snap.users, snap.cases, snap.participants, snap.heads, snap.receipts) == (
        [],
        [],
        [],
        {},
        [],
    )


def test_recovery_reads_no_messages(written: sqlite3.Connection) -> None:
    """Restart time must not depend on how many messages are stored."""
    statements: list[str] = []
    written.set_trace_callback(statements.append)
    try:
        recovery.load(written, closed_since=CUTOFF)
    finally:
        written.set_trace_callback(None)
    touching_messages = [s for s in statements if "messages" in s]
    assert touching_messages
    assert all("max(seq)" in s for s in touching_messages)


def test_old_triage_outcomes_are_not_loaded(conn: sqlite3.Connection) -> None:
    long_ago = CUTOFF - 365 * DAY
    apply(
        conn,
        [
            case("advice", "self_care", created=long_ago, pool="nurse_1177"),
            case("told_112", "referred_112", created=long_ago, pool="nurse_1177"),
        ],
    )
    snap = recovery.load(conn, closed_since=CUTOFF)
    assert [c[0] for c in snap.cases] == []
