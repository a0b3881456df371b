"""Reads that happen while serving (history pages, resume beyond memory,
attachments, sessions), on an aiosqlite connection beside the writer.

WAL gives this connection a consistent snapshot per statement without
blocking the writer. Only committed rows are ever visible here. Every query
runs to completion and closes its statement (``_all``): a statement left open
after ``fetchone`` would keep its read transaction, and with it an old
snapshot, alive for the next query on this shared connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from chatserver.store.db import PRAGMAS

MessageRow = tuple[str, int, str, str, str, str, str, int, str | None, str]  # ChatMessage order
_MSG_COLS = "room, seq, cid, sender, name, role, text, ts, att, kind"


@dataclass(frozen=True, slots=True)
class UserRow:
    id: str
    kind: str
    username: str | None
    pnr: str | None
    name: str
    roles: tuple[str, ...]
    pools: tuple[str, ...]
    pw_hash: str | None
    disabled: bool
    phone: str | None = None
    sms_consent: bool = False


USER_COLS = "id, kind, username, pnr, name, roles, pools, pw_hash, disabled, phone, sms_consent"


def user_row(r: Any) -> UserRow:
    return UserRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        tuple(x for x in r[5].split(",") if x),
        tuple(x for x in r[6].split(",") if x),
        r[7],
        bool(r[8]),
        r[9],
        bool(r[10]),
    )


class Reader:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    @classmethod
    async def open(cls, path: str | Path) -> Reader:
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        for pragma in PRAGMAS:
            if "journal_mode" not in pragma:
                await conn.execute(pragma)
        await conn.execute("PRAGMA query_only=1")
        return cls(conn)

    async def _all(self, sql: str, params: Any = ()) -> list[Any]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def close(self) -> None:
        await self._conn.close()

    async def messages_between(self, room: str, after: int, upto: int) -> list[MessageRow]:
        """Messages with after < seq <= upto, ascending."""
        rows = await self._all(
            f"SELECT {_MSG_COLS} FROM messages WHERE room = ? AND seq > ? AND seq <= ? "
            "ORDER BY seq",
            (room, after, upto),
        )
        return [tuple(r) for r in rows]

    async def messages_before(
        self, room: str, before: int, limit: int
    ) -> tuple[list[MessageRow], bool]:
        """Up to ``limit`` messages with seq < before, ascending, and whether older exist."""
        rows = await self._all(
            f"SELECT {_MSG_COLS} FROM messages WHERE room = ? AND seq < ? "
            "ORDER BY seq DESC LIMIT ?",
            (room, before, limit + 1),
        )
        rows = [tuple(r) for r in rows]
        more = len(rows) > limit
        rows = rows[:limit]
        rows.reverse()
        return rows, more

    async def cids(self, room: str) -> list[tuple[str, str, int, int]]:
        """(sender, cid, seq, ts) of every message in the room."""
        rows = await self._all("SELECT sender, cid, seq, ts FROM messages WHERE room = ?", (room,))
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def triage_rows(self, case_ids: list[str]) -> list[tuple[str, str, str]]:
        """(case_id, complaint, snapshot JSON) of triages still in progress."""
        rows = await self._for_cases(
            "SELECT case_id, complaint, snapshot FROM triage WHERE case_id IN ({})", case_ids
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def summaries(self, case_ids: list[str]) -> list[tuple[str, str]]:
        """(case_id, triage summary) of finished triages, for the staff's queue view."""
        rows = await self._for_cases(
            "SELECT case_id, summary FROM triage WHERE summary IS NOT NULL AND case_id IN ({})",
            case_ids,
        )
        return [(r[0], r[1]) for r in rows]

    async def _for_cases(self, sql: str, case_ids: list[str]) -> list[Any]:
        """Run ``sql`` for many case ids, 500 at a time (SQLite's variable limit)."""
        out: list[Any] = []
        for i in range(0, len(case_ids), 500):
            chunk = case_ids[i : i + 500]
            out += await self._all(sql.format(",".join("?" * len(chunk))), chunk)
        return out

    async def triage_record(self, case_id: str) -> dict[str, Any] | None:
        rows = await self._all(
            "SELECT complaint, urgency, disposition, pool, advice, summary, provenance, response "
            "FROM triage WHERE case_id = ?",
            (case_id,),
        )
        r = rows[0] if rows else None
        if r is None:
            return None
        keys = ("complaint", "urgency", "disposition", "pool", "advice", "summary")
        return {**dict(zip(keys, r[:6], strict=True)), "provenance": r[6], "response": r[7]}

    async def attachment(self, att_id: str) -> tuple[str, str, bytes] | None:
        """(room, mime, data) of an attachment."""
        rows = await self._all("SELECT room, mime, data FROM attachments WHERE id = ?", (att_id,))
        row = rows[0] if rows else None
        return None if row is None else (row[0], row[1], row[2])

    async def session_user(self, token_hash: bytes, now: int) -> tuple[UserRow, int] | None:
        """The user of a live session and when the session expires (ms)."""
        rows = await self._all(
            f"SELECT {', '.join('u.' + c.strip() for c in USER_COLS.split(','))}, s.expires "
            "FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.token_hash = ? AND s.revoked = 0 AND s.expires > ? AND u.disabled = 0",
            (token_hash, now),
        )
        row = rows[0] if rows else None
        return None if row is None else (user_row(row[:-1]), int(row[-1]))

    async def user_by(self, column: str, value: str) -> UserRow | None:
        if column not in ("id", "username", "pnr"):
            raise ValueError(column)
        rows = await self._all(f"SELECT {USER_COLS} FROM users WHERE {column} = ?", (value,))
        row = rows[0] if rows else None
        return None if row is None else user_row(row)

    async def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read-only ad-hoc query (reports); the connection refuses writes."""
        rows = await self._all(sql, params)
        return [tuple(r) for r in rows]
