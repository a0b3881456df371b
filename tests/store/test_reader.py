"""The serving-time reader sees every committed row, whatever it (or another
coroutine on the same connection) read before: a login's session is found by
the hello that follows it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatserver.store import db, records
from chatserver.store.migrate import migrate
from chatserver.store.reader import Reader


@pytest.fixture
def writer(tmp_path: Path) -> sqlite3.Connection:
    conn = db.connect(tmp_path / "chat.sqlite3")
    migrate(conn)
    return conn


@pytest.fixture
async def reader(tmp_path: Path, writer: sqlite3.Connection) -> AsyncIterator[Reader]:
    r = await Reader.open(tmp_path / "chat.sqlite3")
    yield r
    await r.close()
    writer.close()


def commit(conn: sqlite3.Connection, *ops: records.Op) -> None:
    with conn:
        for sql, params in ops:
            conn.execute(sql, params)


async def test_a_session_committed_after_earlier_reads_is_seen(
    writer: sqlite3.Connection, reader: Reader
) -> None:
    for i in range(3):
        commit(
            writer,
            records.user_insert(
                id=f"u{i}", kind="staff", name=f"U {i}", created=0, username=f"u{i}"
            ),
        )
    # Single-row reads over a table with more rows than they return.
    assert (await reader.user_by("username", "u0")) is not None
    assert (await reader.session_user(b"t" * 32, now=1)) is None

    commit(writer, records.session(b"t" * 32, "u1", 0, 10, None))

    live = await reader.session_user(b"t" * 32, now=1)
    assert live is not None and live[0].id == "u1" and live[1] == 10  # and when it expires
    assert (await reader.session_user(b"t" * 32, now=10)) is None  # expired
    commit(writer, records.user_insert(id="u9", kind="staff", name="U 9", created=0, username="u9"))
    found = await reader.user_by("username", "u9")
    assert found is not None and found.name == "U 9"


async def test_reads_interleaved_with_other_reads_see_every_commit(
    writer: sqlite3.Connection, reader: Reader
) -> None:
    """Other coroutines' reads on the shared connection never pin an old snapshot."""
    commit(writer, records.user_insert(id="u", kind="staff", name="U", created=0, username="u"))
    done = False

    async def busy() -> None:
        while not done:
            await reader.user_by("username", "u")
            await reader.messages_before("room", 100, 10)

    others = [asyncio.create_task(busy()) for _ in range(3)]
    try:
        for i in range(200):
            token = i.to_bytes(32, "big")
            commit(writer, records.session(token, "u", 0, 10, None))
            assert await reader.session_user(token, now=1) is not None, i
    finally:
        done = True
        await asyncio.gather(*others)
