"""Numbered schema migrations, applied in order at start-up.

Files ``migrations/NNNN_name.sql`` run once each, inside a transaction,
and ``PRAGMA user_version`` records the last one applied. A database newer
than this code refuses to start rather than guess.
"""

from __future__ import annotations

import re
import sqlite3
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(Exception):
    pass


def available() -> list[tuple[int, str, str]]:
    """(number, file name, SQL) of every migration shipped, in order."""
    out = []
    for entry in resources.files("chatserver.store").joinpath("migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            out.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    out.sort()
    for i, (n, name, _) in enumerate(out, start=1):
        if n != i:
            raise MigrationError(f"migration numbers must run 1, 2, 3 ...; found {name}")
    return out


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    steps = available()
    if current > len(steps):
        raise MigrationError(
            f"database schema version {current} is newer than this server ({len(steps)})"
        )
    applied = []
    for n, name, sql in steps[current:]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {n}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (sqlite3 runs one at a time in a transaction)."""
    out, buf = [], []
    for line in sql.splitlines():
        stripped = line.split("--", 1)[0].rstrip()
        if not stripped:
            continue
        buf.append(stripped)
        if stripped.endswith(";") and sqlite3.complete_statement("\n".join(buf)):
            out.append("\n".join(buf))
            buf = []
    if buf:
        out.append("\n".join(buf))
    return out
