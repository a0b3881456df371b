"""Tampering with the audit log, in every way we can think of, is detected.

The triggers stop casual changes; the tamperer here first drops them, as
someone with the database file and the sqlite3 shell could. What a hash chain
cannot see alone (a tail cut off or rewritten with recomputed hashes) is
caught with an anchor.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatserver.audit import FIELDS, AuditChain, AuditEntry, ChainHead, row_hash, verify
from tests.audit.schema import apply, fresh_db

T0 = 1_700_000_000_000
ROWS = 6


def entry(i: int) -> AuditEntry:
    return AuditEntry(
        at=T0 + 60_000 * i,
        user_id=f"u-{i % 3}",
        role="nurse",
        unit="nurse_1177",
        patient_id=f"p-{i % 2}",
        on_behalf_of=None,
        action="read",
        object=f"case:c{i}",
        basis="pool_member",
        allowed=True,
        client_addr="198.51.100.7",
    )


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = fresh_db(tmp_path / "chat.sqlite3")
    chain = AuditChain.load(c)
    apply(c, [chain.append(entry(i)) for i in range(ROWS)])
    yield c
    c.close()


def untrigger(conn: sqlite3.Connection) -> None:
    for name in ("audit_log_no_update", "audit_log_no_delete", "audit_log_append_in_order"):
        conn.execute(f"DROP TRIGGER {name}")


def row(conn: sqlite3.Connection, row_id: int) -> tuple[Any, ...]:
    cols = ", ".join((*FIELDS, "prev_hash", "hash"))
    found = conn.execute(f"SELECT {cols} FROM audit_log WHERE id = ?", (row_id,)).fetchone()
    assert found is not None
    return tuple(found)


def insert(conn: sqlite3.Connection, values: tuple[Any, ...]) -> None:
    cols = ", ".join((*FIELDS, "prev_hash", "hash"))
    conn.execute(f"INSERT INTO audit_log ({cols}) VALUES ({', '.join('?' * len(values))})", values)


def test_an_untouched_log_verifies(conn: sqlite3.Connection) -> None:
    result = verify(conn)
    assert (result.ok, result.rows, result.first_bad) == (True, ROWS, None)
    assert result.head == ChainHead(ROWS, row(conn, ROWS)[-1])


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    c = fresh_db(tmp_path / "empty.sqlite3")
    result = verify(c)
    assert (result.ok, result.rows, result.first_bad) == (True, 0, None)
    c.close()


def test_triggers_refuse_update_and_delete(conn: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only: UPDATE refused"):
        conn.execute("UPDATE audit_log SET allowed = 0 WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only: UPDATE refused"):
        conn.execute("UPDATE OR REPLACE audit_log SET id = 1 WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only: DELETE refused"):
        conn.execute("DELETE FROM audit_log WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only: DELETE refused"):
        conn.execute("DELETE FROM audit_log")
    # REPLACE deletes the old row without firing delete triggers; the insert
    # trigger shuts that door too.
    with pytest.raises(sqlite3.IntegrityError, match="next id"):
        conn.execute(
            "INSERT OR REPLACE INTO audit_log (id, at, user_id, role, unit, action, object, "
            "basis, allowed, prev_hash, hash) VALUES (2, 0, 'x', 'x', 'x', 'read', 'x', "
            "'none', 0, zeroblob(32), zeroblob(32))"
        )
    assert verify(conn).ok


def _changed(value: Any) -> Any:
    if value is None:
        return "forged"
    if isinstance(value, int):
        return 1 - value if value in (0, 1) else value + 1
    return value + "x"


@pytest.mark.parametrize("column", [f for f in FIELDS if f != "id"])
def test_a_changed_field_is_detected(conn: sqlite3.Connection, column: str) -> None:
    untrigger(conn)
    old = row(conn, 3)[FIELDS.index(column)]
    conn.execute(f"UPDATE audit_log SET {column} = ? WHERE id = 3", (_changed(old),))
    result = verify(conn)
    assert (result.ok, result.first_bad, result.rows) == (False, 3, 2)
    assert "content does not match its hash" in result.reason


def test_a_changed_type_is_detected(conn: sqlite3.Connection) -> None:
    untrigger(conn)
    conn.execute("UPDATE audit_log SET user_id = x'752d31' WHERE id = 4")  # b"u-1"
    result = verify(conn)
    assert (result.ok, result.first_bad) == (False, 4)
    assert "not bytes" in result.reason


@pytest.mark.parametrize("column", ["prev_hash", "hash"])
def test_a_changed_hash_is_detected(conn: sqlite3.Connection, column: str) -> None:
    untrigger(conn)
    conn.execute(f"UPDATE audit_log SET {column} = zeroblob(32) WHERE id = 2")
    result = verify(conn)
    assert (result.ok, result.first_bad) == (False, 2)


def test_a_changed_row_with_a_recomputed_hash_breaks_the_next_link(
    conn: sqlite3.Connection,
) -> None:
    untrigger(conn)
    values = list(row(conn, 3))
    values[FIELDS.index("allowed")] = 0
    new_hash = row_hash(values[-2], values[: len(FIELDS)])
    conn.execute("UPDATE audit_log SET allowed = 0, hash = ? WHERE id = 3", (new_hash,))
    result = verify(conn)
    assert (result.ok, result.first_bad) == (False, 4)
    assert "prev_hash does not match" in result.reason


@pytest.mark.parametrize("victim", [1, 3, ROWS - 1])
def test_a_deleted_row_is_detected(conn: sqlite3.Connection, victim: int) -> None:
    untrigger(conn)
    conn.execute("DELETE FROM audit_log WHERE id = ?", (victim,))
    result = verify(conn)
    assert (result.ok, result.first_bad, result.rows) == (False, victim, victim - 1)
    assert f"row {victim} is missing" in result.reason


def test_deleted_rows_are_named(conn: sqlite3.Connection) -> None:
    untrigger(conn)
    conn.execute("DELETE FROM audit_log WHERE id IN (2, 3, 4)")
    result = verify(conn)
    assert (result.ok, result.first_bad) == (False, 2)
    assert "rows 2-4 are missing" in result.reason


def test_a_forged_row_appended_with_a_bad_hash_is_detected(conn: sqlite3.Connection) -> None:
    untrigger(conn)
    forged = list(row(conn, ROWS))
    forged[0] = ROWS + 1
    insert(conn, tuple(forged))
    result = verify(conn)
    assert (result.ok, result.first_bad) == (False, ROWS + 1)


def test_a_forged_row_after_a_gap_is_detected(conn: sqlite3.Connection) -> None:
    untrigger(conn)
    forged = list(row(conn, ROWS))
    forged[0] = ROWS + 2
    insert(conn, tuple(forged))
    result = verify(conn)
    assert (result.ok, result.first_bad) == (False, ROWS + 1)
    assert "missing" in result.reason


def test_a_forged_row_inserted_in_the_middle_is_detected(conn: sqlite3.Connection) -> None:
    """Even with a correctly computed hash of its own: the row after it no longer links."""
    untrigger(conn)
    conn.execute("UPDATE audit_log SET id = id + 1000 WHERE id >= 3")
    conn.execute("UPDATE audit_log SET id = id - 999 WHERE id >= 1000")
    prev = row(conn, 2)[-1]
    values: tuple[Any, ...] = (3, T0 + 1, "u-1", "nurse", "nurse_1177", "p-1", None, "read")
    values += ("case:cx", "assigned", 1, None)
    insert(conn, (*values, prev, row_hash(prev, values)))
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == ROWS + 1
    result = verify(conn)
    assert (result.ok, result.first_bad) == (False, 4)
    assert "prev_hash does not match" in result.reason


def test_swapped_rows_are_detected(conn: sqlite3.Connection) -> None:
    untrigger(conn)
    conn.execute("UPDATE audit_log SET id = -1 WHERE id = 3")
    conn.execute("UPDATE audit_log SET id = 3 WHERE id = 4")
    conn.execute("UPDATE audit_log SET id = 4 WHERE id = -1")
    result = verify(conn)
    assert (result.ok, result.first_bad) == (False, 3)


def test_a_negative_or_zero_id_is_detected(conn: sqlite3.Connection) -> None:
    untrigger(conn)
    insert(conn, (0, *row(conn, 1)[1:]))
    result = verify(conn)
    assert (result.ok, result.first_bad) == (False, 0)


def test_a_cut_tail_needs_an_anchor(conn: sqlite3.Connection) -> None:
    anchor = verify(conn).head
    untrigger(conn)
    conn.execute("DELETE FROM audit_log WHERE id >= 5")
    assert verify(conn).ok  # a chain alone cannot know it was longer
    result = verify(conn, anchor=anchor)
    assert (result.ok, result.rows, result.first_bad) == (False, 4, 5)
    assert "cut off" in result.reason


def test_a_rewritten_tail_needs_an_anchor(conn: sqlite3.Connection) -> None:
    """Rows 4.. rewritten with every hash recomputed: only an anchor tells."""
    anchor = verify(conn).head
    untrigger(conn)
    prev = row(conn, 3)[-1]
    for row_id in range(4, ROWS + 1):
        values = list(row(conn, row_id)[: len(FIELDS)])
        values[FIELDS.index("user_id")] = "u-innocent"
        digest = row_hash(prev, values)
        conn.execute(
            "UPDATE audit_log SET user_id = ?, prev_hash = ?, hash = ? WHERE id = ?",
            ("u-innocent", prev, digest, row_id),
        )
        prev = digest
    assert verify(conn).ok
    result = verify(conn, anchor=anchor)
    assert (result.ok, result.first_bad) == (False, ROWS)
    assert "rewritten" in result.reason
    # An anchor on a row before the rewrite still holds.
    assert verify(conn, anchor=ChainHead(3, row(conn, 3)[-1])).ok
