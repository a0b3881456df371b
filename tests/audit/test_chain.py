"""The audit chain: entries become linked INSERTs, on a real SQLite file.

The canonical form is tested against an independent implementation of the
recipe in chatserver/audit/chain.py, the one an auditor would write.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chatserver.audit import (
    AUDIT_INSERT,
    GENESIS,
    AuditChain,
    AuditEntry,
    AuditError,
    ChainHead,
    canonical,
    row_hash,
    verify,
)
from chatserver.store.writer import StoreBusy, Writer
from tests.audit.schema import apply, fresh_db

T0 = 1_700_000_000_000

READ = AuditEntry(
    at=T0,
    user_id="u-anna",
    role="nurse",
    unit="vc_nurse",
    patient_id="p-child",
    on_behalf_of="p-parent",
    action="read",
    object="case:c1",
    basis="pool_member",
    allowed=True,
    client_addr="192.0.2.10",
)


def entry(i: int, **changes: Any) -> AuditEntry:
    return replace(READ, at=T0 + i, **changes)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = fresh_db(tmp_path / "chat.sqlite3")
    yield c
    c.close()


def auditor_verify(conn: sqlite3.Connection) -> int:
    """The recipe from the chain module's docstring, written out independently."""

    def enc(v: Any) -> bytes:
        if v is None:
            return b"\xff\xff\xff\xff"
        b = str(v).encode("utf-8")
        return len(b).to_bytes(4, "big") + b

    prev, expected_id = bytes(32), 1
    for row in conn.execute(
        "SELECT id, at, user_id, role, unit, patient_id, on_behalf_of, action,"
        " object, basis, allowed, client_addr, prev_hash, hash"
        " FROM audit_log ORDER BY id"
    ):
        assert row[0] == expected_id and row[12] == prev, row[0]
        prev = hashlib.sha256(prev + b"".join(enc(v) for v in row[:12])).digest()
        assert row[13] == prev, row[0]
        expected_id += 1
    return expected_id - 1


def test_canonical_form_is_length_prefixed_utf8_with_a_null_marker() -> None:
    assert canonical([1, None, "å", "", True, False]) == (
        b"\x00\x00\x00\x011"
        + b"\xff\xff\xff\xff"
        + b"\x00\x00\x00\x02\xc3\xa5"
        + b"\x00\x00\x00\x00"
        + b"\x00\x00\x00\x011"
        + b"\x00\x00\x00\x010"
    )
    # Boundaries cannot shift between fields, and NULL is not the empty string.
    assert canonical(["ab", "c"]) != canonical(["a", "bc"])
    assert canonical([None]) != canonical([""])
    with pytest.raises(TypeError):
        canonical([1.5])


def test_row_hash_is_sha256_of_prev_and_canonical_fields() -> None:
    values = (1, T0, "u", "nurse", "vc", None, None, "read", "case:c1", "assigned", 1, None)
    assert row_hash(GENESIS, values) == hashlib.sha256(GENESIS + canonical(values)).digest()
    with pytest.raises(ValueError, match="12 hashed fields"):
        row_hash(GENESIS, values[:-1])


def test_first_row_links_to_zeros_and_each_row_to_the_one_before(
    conn: sqlite3.Connection,
) -> None:
    chain = AuditChain.load(conn)
    assert chain.head == ChainHead(0, bytes(32))
    ops = [chain.append(entry(i)) for i in range(5)]
    assert all(sql is AUDIT_INSERT for sql, _ in ops)
    apply(conn, ops)
    rows = conn.execute("SELECT id, prev_hash, hash FROM audit_log ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0][1] == bytes(32)
    for before, after in itertools.pairwise(rows):
        assert after[1] == before[2]
    assert chain.head == ChainHead(5, rows[-1][2])
    assert auditor_verify(conn) == 5
    assert verify(conn).ok


def test_stored_row_holds_the_entry(conn: sqlite3.Connection) -> None:
    apply(conn, [AuditChain.load(conn).append(READ)])
    row = conn.execute(
        "SELECT at, user_id, role, unit, patient_id, on_behalf_of, action, object, basis,"
        " allowed, client_addr FROM audit_log"
    ).fetchone()
    assert row == (
        T0,
        "u-anna",
        "nurse",
        "vc_nurse",
        "p-child",
        "p-parent",
        "read",
        "case:c1",
        "pool_member",
        1,
        "192.0.2.10",
    )


def test_load_continues_an_existing_log(conn: sqlite3.Connection) -> None:
    first = AuditChain.load(conn)
    apply(conn, [first.append(entry(i)) for i in range(3)])
    again = AuditChain.load(conn)
    assert again.head == first.head
    apply(conn, [again.append(entry(i, action="update", allowed=False)) for i in range(3, 6)])
    assert verify(conn).rows == 6
    assert auditor_verify(conn) == 6


def test_unicode_nulls_and_denials_verify(conn: sqlite3.Connection) -> None:
    chain = AuditChain.load(conn)
    apply(
        conn,
        [
            chain.append(entry(0, unit="Vårdcentral Östermalm", object="room:c1~staff")),
            chain.append(
                entry(
                    1,
                    patient_id=None,
                    on_behalf_of=None,
                    client_addr=None,
                    action="admin",
                    object="user:u-ny",
                    basis="admin",
                )
            ),
            chain.append(entry(2, basis="none", allowed=False, user_id="u-snoop")),
        ],
    )
    assert auditor_verify(conn) == 3
    assert verify(conn).ok


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"action": "peek"}, "unknown audit action"),
        ({"basis": "curious"}, "unknown basis"),
        ({"allowed": 1}, "allowed must be a bool"),
        ({"at": -1}, "at must be"),
        ({"at": True}, "at must be"),
        ({"user_id": ""}, "needs the user"),
    ],
)
def test_entries_are_validated(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(AuditError, match=message):
        replace(READ, **changes)


def test_the_table_refuses_a_row_out_of_order(conn: sqlite3.Connection) -> None:
    """A drifted in-memory head (a lost rewind, a second writer) fails the commit."""
    stale = AuditChain.load(conn)
    live = AuditChain.load(conn)
    apply(conn, [live.append(entry(0))])
    with pytest.raises(sqlite3.IntegrityError, match="next id"):
        apply(conn, [stale.append(entry(1))])
    conn.execute("ROLLBACK")
    # Right id, wrong link.
    forged = AuditChain(ChainHead(1, b"\x01" * 32))
    with pytest.raises(sqlite3.IntegrityError, match="linked to the last hash"):
        apply(conn, [forged.append(entry(2))])
    conn.execute("ROLLBACK")
    assert verify(conn).rows == 1


def test_rewind_restores_a_head_taken_before(conn: sqlite3.Connection) -> None:
    chain = AuditChain.load(conn)
    apply(conn, [chain.append(entry(0))])
    before = chain.head
    chain.append(entry(1))  # the writer refused this one
    chain.rewind(before)
    apply(conn, [chain.append(entry(2))])
    assert verify(conn).ok
    with pytest.raises(AuditError, match="rewind forward"):
        chain.rewind(ChainHead(5, GENESIS))


def test_load_refuses_a_head_without_a_hash(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "bare.sqlite3")
    conn.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, hash BLOB)")
    conn.execute("INSERT INTO audit_log VALUES (1, 'not a hash')")
    with pytest.raises(AuditError, match="no valid hash"):
        AuditChain.load(conn)
    conn.close()


async def test_group_commit_writer_keeps_the_chain(tmp_path: Path) -> None:
    """The integrator's path: append on the loop, submit with the change, one
    transaction per batch; a refused submit is rewound."""
    conn = fresh_db(tmp_path / "chat.sqlite3")
    chain = AuditChain.load(conn)
    writer = Writer(conn, max_pending=10)
    writer.start()
    futures = [writer.submit([chain.append(entry(i))]) for i in range(8)]
    head = chain.head
    too_many = [chain.append(entry(100 + i)) for i in range(3)]
    with pytest.raises(StoreBusy):
        writer.submit(too_many)
    chain.rewind(head)
    await asyncio.gather(*futures)
    await writer.write([chain.append(entry(9))])
    await writer.close()
    assert writer.failed is None
    assert verify(conn).rows == 9
    assert auditor_verify(conn) == 9
    conn.close()
