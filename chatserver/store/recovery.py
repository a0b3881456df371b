"""Start-up recovery: read what memory must hold back from the database.

Memory holds open cases (and those closed within the reopen window), their
rooms' participants, heads and read marks. No message is read here: a room's
cids are loaded at its first post, and resume reads from disk until the room
has recent messages in memory again. That keeps restart time independent of
how many messages are stored.
Reads run on a plain connection before the server serves anyone.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from chatserver.store.reader import USER_COLS, UserRow, user_row

STAFF_ROOM_SUFFIX = "~staff"  # chatserver.domain.cases; the store may not import the domain

CASE_COLS = (
    "id, room, patient_id, actor_id, entrance, pool, state, urgency, complaint, created, "
    "enqueued, deadline, assignee, closed, outcome, assigned, first_reply, rating"
)


# States after which a case takes no more part unless continued; they carry a
# closed time and are loaded only within the reopen window.
ENDED = "('closed', 'self_care', 'referred_112')"
# The cases recovery loads (one parameter: closed since).
LIVE = f"(state NOT IN {ENDED} OR (state IN {ENDED} AND closed >= ?))"


@dataclass(slots=True)
class Snapshot:
    users: list[UserRow] = field(default_factory=list)
    cases: list[tuple[Any, ...]] = field(default_factory=list)  # CASE_COLS order
    participants: list[tuple[str, str, str]] = field(default_factory=list)
    heads: dict[str, int] = field(default_factory=dict)
    receipts: list[tuple[str, str, int]] = field(default_factory=list)
    consults: list[tuple[str, str]] = field(default_factory=list)
    phrases: list[tuple[str, str, str, str]] = field(default_factory=list)


def load(conn: sqlite3.Connection, *, closed_since: int) -> Snapshot:
    snap = Snapshot()
    snap.users = [user_row(r) for r in conn.execute(f"SELECT {USER_COLS} FROM users")]
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS live_rooms (room TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM live_rooms")
    snap.cases = list(
        conn.execute(
            f"SELECT {CASE_COLS} FROM cases WHERE state NOT IN {ENDED} "
            f"UNION ALL SELECT {CASE_COLS} FROM cases WHERE state IN {ENDED} AND closed >= ?",
            (closed_since,),
        )
    )
    # The live rooms (each case's room and its staff thread) by SQL alone: one
    # statement instead of a Python row per room (0.8 s → 0.2 s for 100,000 cases).
    conn.execute(
        f"INSERT OR IGNORE INTO live_rooms SELECT room FROM cases WHERE {LIVE} "
        f"UNION ALL SELECT room || '{STAFF_ROOM_SUFFIX}' FROM cases WHERE {LIVE}",
        (closed_since, closed_since),
    )
    snap.participants = list(
        conn.execute(
            "SELECT p.room, p.user_id, p.role FROM participants p JOIN live_rooms l USING (room)"
        )
    )
    snap.heads = dict(
        conn.execute(
            "SELECT l.room, (SELECT max(seq) FROM messages m WHERE m.room = l.room) "
            "FROM live_rooms l"
        )
    )
    snap.heads = {k: v or 0 for k, v in snap.heads.items()}
    snap.consults = list(
        conn.execute(
            "SELECT c.case_id, c.invitee FROM consults c JOIN live_rooms l ON l.room = c.case_id"
        )
    )
    snap.phrases = list(conn.execute("SELECT scope, owner, key, text FROM phrases"))
    snap.receipts = list(
        conn.execute(
            "SELECT r.room, r.user_id, r.seq FROM receipts r JOIN live_rooms l USING (room)"
        )
    )
    return snap
