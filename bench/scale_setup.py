"""Bulk rows for the scale runs: patients with sessions, waiting cases, messages.

Logging in 100,000 patients over HTTP (identity provider, session commit)
would take longer than the measurement, so the scale benches write the rows a
login and a ``case_open`` would have written straight into the bench database
before the server starts, with the real schema (``chatserver.store.migrate``
via ``bench.chatserver_setup.prepare``) and the real row builders
(``chatserver.store.records``), in one transaction per table. The server then
finds them as it would after a restart: sessions are checked on ``hello``
(``Reader.session_user``), cases come back through recovery.

Tokens are derived from a seed and the patient's number, so client processes
can compute their own without a file: ``patient_token(seed, i)``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bench.chatserver_setup import ENTRANCE, POOL
from chatserver.service.auth import token_hash
from chatserver.store import records

# Rows per executemany call: bounds the Python lists built at once.
CHUNK = 20_000
SESSION_DAYS = 30
DAY_MS = 86_400_000
# Waiting cases are U5 (routine); their deadlines are spaced this far apart so
# the queue's order is the case number's (EDF: earliest deadline first).
URGENCY = 5
DEADLINE_STEP_MS = 10


def patient_id(index: int) -> str:
    return f"pscale{index:08d}"


def case_id(index: int) -> str:
    return f"cscale{index:08d}"


def patient_token(seed: str, index: int) -> str:
    """The session token of bench patient ``index`` (256 bits, like a real one)."""
    return hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()


def _chunks(rows: Iterable[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    chunk: list[tuple[object, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(conn: sqlite3.Connection, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
    for chunk in _chunks(rows):
        conn.executemany(sql, chunk)


def _params(op: records.Op) -> tuple[object, ...]:
    return tuple(op[1])


def add_patients(conn: sqlite3.Connection, count: int, *, seed: str, now: int) -> None:
    """``count`` patient users, each with one live session (token: ``patient_token``)."""
    expires = now + SESSION_DAYS * DAY_MS
    conn.execute("BEGIN IMMEDIATE")
    _insert(
        conn,
        records.USER_INSERT,
        (
            _params(
                records.user_insert(
                    id=patient_id(i), kind="patient", name=f"Scale Patient {i}", created=now
                )
            )
            for i in range(count)
        ),
    )
    _insert(
        conn,
        records.SESSION,
        (
            _params(
                records.session(
                    token_hash(patient_token(seed, i)), patient_id(i), now, expires, "127.0.0.1"
                )
            )
            for i in range(count)
        ),
    )
    conn.execute("COMMIT")


@dataclass(frozen=True, slots=True)
class QueuedCases:
    count: int
    first_deadline: int


def add_queued_cases(
    conn: sqlite3.Connection,
    count: int,
    *,
    patients: int,
    now: int,
    pool: str = POOL,
    first_deadline: int | None = None,
) -> QueuedCases:
    """``count`` cases waiting in ``pool``, case ``i`` at position ``i + 1``.

    Case ``i`` belongs to patient ``i % patients``. Every case has what
    ``case_open`` writes for a direct entrance: the case row, its ``enqueue``
    event and the patient as participant of the room (room id = case id).
    Deadlines start at ``first_deadline`` (default: a week ahead, as U5's)
    and are ``DEADLINE_STEP_MS`` apart; one already passed puts every bulk
    case ahead of anything opened later.
    """
    if first_deadline is None:
        first_deadline = now + 7 * DAY_MS
    conn.execute("BEGIN IMMEDIATE")

    def case_rows() -> Iterator[tuple[object, ...]]:
        for i in range(count):
            cid = case_id(i)
            enqueued = now - (count - i)
            yield _params(
                records.case_row(
                    id=cid,
                    room=cid,
                    patient_id=patient_id(i % patients),
                    actor_id=patient_id(i % patients),
                    entrance=ENTRANCE,
                    pool=pool,
                    state="queued",
                    urgency=URGENCY,
                    complaint="scale bench",
                    created=enqueued,
                    enqueued=enqueued,
                    deadline=first_deadline + i * DEADLINE_STEP_MS,
                    assignee=None,
                    closed=None,
                    outcome=None,
                )
            )

    _insert(conn, records.CASE_UPSERT, case_rows())
    _insert(
        conn,
        records.CASE_EVENT,
        (
            _params(
                records.case_event(
                    case_id(i),
                    now,
                    "enqueue",
                    patient_id(i % patients),
                    "queued",
                    pool,
                    URGENCY,
                    "",
                )
            )
            for i in range(count)
        ),
    )
    _insert(
        conn,
        records.PARTICIPANT,
        (
            _params(records.participant(case_id(i), patient_id(i % patients), "patient", now))
            for i in range(count)
        ),
    )
    conn.execute("COMMIT")
    return QueuedCases(count=count, first_deadline=first_deadline)


def add_messages(
    conn: sqlite3.Connection, per_room: int, *, cases: int, patients: int, now: int, text: str
) -> int:
    """``per_room`` patient messages in each of the first ``cases`` case rooms."""
    conn.execute("BEGIN IMMEDIATE")

    def rows() -> Iterator[tuple[object, ...]]:
        for i in range(cases):
            room = case_id(i)
            sender = patient_id(i % patients)
            for seq in range(1, per_room + 1):
                yield _params(
                    records.message(
                        room,
                        seq,
                        f"bulk-{seq}",
                        sender,
                        f"Scale Patient {i % patients}",
                        "patient",
                        text,
                        None,
                        now - (per_room - seq) * 1000,
                    )
                )

    _insert(conn, records.MESSAGE, rows())
    conn.execute("COMMIT")
    return per_room * cases
