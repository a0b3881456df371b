"""A patient's log extract and a user's listing for controls."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import aiosqlite
import pytest

from chatserver.audit import (
    AuditChain,
    AuditEntry,
    ExtractEntry,
    audit_rows,
    extract_entries,
    patient_extract,
    patient_extract_query,
    user_listing,
    user_listing_query,
)
from tests.audit.schema import apply, fresh_db

T0 = 1_700_000_000_000  # 2023-11-14 23:13:20 Europe/Stockholm
MIN = 60_000

BASE = AuditEntry(
    at=T0,
    user_id="u-anna",
    role="nurse",
    unit="vc_nurse",
    patient_id="p-1",
    action="read",
    object="case:c1",
    basis="pool_member",
    allowed=True,
    client_addr="192.0.2.1",
)

HISTORY = [
    BASE,
    replace(BASE, at=T0 + 1 * MIN, action="message", object="room:c1"),
    # The patient's own action and a guardian's are not accesses by care staff.
    replace(BASE, at=T0 + 2 * MIN, user_id="p-1", role="patient", basis="own_case"),
    replace(
        BASE, at=T0 + 3 * MIN, user_id="p-parent", role="guardian", basis="guardian",
        patient_id="p-1", on_behalf_of="p-parent",
    ),
    # Denied: no access happened, but the control sees it.
    replace(
        BASE, at=T0 + 4 * MIN, user_id="u-anna", unit="bvc", basis="none", allowed=False,
        patient_id="p-2", object="case:c2",
    ),
    replace(
        BASE, at=T0 + 5 * MIN, user_id="u-lars", role="physician", unit="physician",
        basis="consulted", object="room:c1~staff", action="consult",
    ),
    replace(
        BASE, at=T0 + 6 * MIN, user_id="u-admin", role="admin", unit="admin",
        patient_id=None, basis="admin", action="admin", object="user:u-anna",
    ),
    replace(BASE, at=T0 + 7 * MIN, action="close"),
]  # fmt: skip


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "chat.sqlite3"


@pytest.fixture
def conn(path: Path) -> Iterator[sqlite3.Connection]:
    c = fresh_db(path)
    chain = AuditChain.load(c)
    apply(c, [chain.append(e) for e in HISTORY])
    yield c
    c.close()


def test_extract_shows_units_times_and_actions_of_staff_access(conn: sqlite3.Connection) -> None:
    assert patient_extract(conn, "p-1") == [
        ExtractEntry(T0, "vc_nurse", "read", "case:c1"),
        ExtractEntry(T0 + 1 * MIN, "vc_nurse", "message", "room:c1"),
        ExtractEntry(T0 + 5 * MIN, "physician", "consult", "room:c1~staff"),
        ExtractEntry(T0 + 7 * MIN, "vc_nurse", "close", "case:c1"),
    ]


def test_extract_names_no_staff(conn: sqlite3.Connection) -> None:
    for e in patient_extract(conn, "p-1"):
        assert set(e.to_json()) == {"at", "time", "unit", "action", "object"}
        assert "u-" not in str(e.to_json())


def test_extract_has_no_denied_attempts(conn: sqlite3.Connection) -> None:
    assert patient_extract(conn, "p-2") == []


def test_extract_window_is_since_inclusive_until_exclusive(conn: sqlite3.Connection) -> None:
    got = patient_extract(conn, "p-1", since_ms=T0 + 1 * MIN, until_ms=T0 + 7 * MIN)
    assert [e.at for e in got] == [T0 + 1 * MIN, T0 + 5 * MIN]


def test_extract_times_are_swedish(conn: sqlite3.Connection) -> None:
    assert patient_extract(conn, "p-1")[0].to_json()["time"] == "2023-11-14T23:13:20+01:00"


def test_user_listing_has_everything_the_user_did(conn: sqlite3.Connection) -> None:
    rows = user_listing(conn, "u-anna")
    assert [r.id for r in rows] == [1, 2, 5, 8]
    denied = rows[2]
    assert (denied.allowed, denied.basis, denied.patient_id, denied.unit) == (
        False,
        "none",
        "p-2",
        "bvc",
    )
    assert rows[0].to_json()["client_addr"] == "192.0.2.1"
    assert rows[0].to_json()["role"] == "nurse"


def test_user_listing_window(conn: sqlite3.Connection) -> None:
    rows = user_listing(conn, "u-anna", T0 + 1 * MIN, T0 + 5 * MIN)
    assert [r.id for r in rows] == [2, 5]
    assert user_listing(conn, "u-anna", since_ms=T0 + 6 * MIN) == user_listing(conn, "u-anna")[3:]
    assert user_listing(conn, "u-nobody") == []


async def test_queries_run_on_the_services_aiosqlite_reader(
    conn: sqlite3.Connection, path: Path
) -> None:
    async with aiosqlite.connect(path) as reader:
        cur = await reader.execute(*patient_extract_query("p-1"))
        assert extract_entries(await cur.fetchall()) == patient_extract(conn, "p-1")
        cur = await reader.execute(*user_listing_query("u-anna", T0, T0 + MIN))
        assert audit_rows(await cur.fetchall()) == user_listing(conn, "u-anna", T0, T0 + MIN)
