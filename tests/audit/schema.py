"""Test databases: real SQLite files with the shipped schema, audit log included.

Until the integrator's migration 0003 lands, the shipped numbers have a gap
that ``migrate()`` refuses; then the files before the gap are applied in
order and 0004 (the audit log) is executed directly. Once 0003 is there,
``migrate()`` does it all and the fallback is dead code.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from chatserver.store import db
from chatserver.store.migrate import MigrationError, migrate
from chatserver.store.records import Op

AUDIT_MIGRATION = "0004_audit.sql"


def shipped() -> dict[int, tuple[str, str]]:
    """{number: (name, sql)} of the migration files in the package."""
    out = {}
    for entry in resources.files("chatserver.store").joinpath("migrations").iterdir():
        m = re.match(r"^(\d{4})_[a-z0-9_]+\.sql$", entry.name)
        if m:
            out[int(m.group(1))] = (entry.name, entry.read_text(encoding="utf-8"))
    return out


def fresh_db(path: Path, *, upto: int | None = None) -> sqlite3.Connection:
    """A connection to a new database at ``path`` with the schema applied.

    ``upto`` stops after that migration number (for tests of older schemas).
    """
    conn = db.connect(path)
    steps = shipped()
    if upto is None:
        try:
            migrate(conn)
            return conn
        except MigrationError:
            pass  # a gap before 0004: apply by hand below
    n = 1
    while n in steps and (upto is None or n <= upto):
        conn.executescript(steps[n][1])
        n += 1
    if upto is None and steps[n - 1][0] != AUDIT_MIGRATION:
        conn.executescript(next(sql for name, sql in steps.values() if name == AUDIT_MIGRATION))
    return conn


def apply(conn: sqlite3.Connection, ops: Iterable[Op]) -> None:
    """Apply store operations in one transaction, as the writer would."""
    conn.execute("BEGIN")
    for sql, params in ops:
        conn.execute(sql, params)
    conn.execute("COMMIT")
