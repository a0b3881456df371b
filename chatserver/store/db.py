"""Opening the SQLite file the same way everywhere.

WAL lets readers run beside the one writer. synchronous=FULL costs nothing
measurable over NORMAL for a group-committing writer on this machine
(~40-48k rows/s either way, shared/TOOLING.md) and keeps the last commits
across a power loss, not only across a process crash.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=OFF",
    "PRAGMA busy_timeout=5000",
    "PRAGMA temp_store=MEMORY",
)


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A plain sqlite3 connection with the project's pragmas (writer thread, CLI, tests)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    if readonly:
        conn.execute("PRAGMA query_only=1")
    return conn
