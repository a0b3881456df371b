"""Opening the SQLite file the same way everywhere.

WAL lets readers run beside the one writer. synchronous=FULL costs nothing
measurable over NORMAL for a group-committing writer on this machine
(~40-48k rows/s either way, shared/TOOLING.md) and keeps the last commits
across a power loss, not only across a process crash.

The WAL is checkpointed into the database file every ``CHECKPOINT_PAGES``
pages instead of SQLite's 1,000: a checkpoint runs inside the commit that
crosses the mark and copies each page once however many commits rewrote it
(a busy room's index page is rewritten by every commit), so rarer
checkpoints copy fewer pages per message. Saturated, three paired runs gave
3-9% less CPU per message (docs/decisions/0008-writer-thread.md); the WAL
file grows to ~40 MiB between checkpoints, and shutdown still truncates it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

CHECKPOINT_PAGES = 10_000

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=OFF",
    "PRAGMA busy_timeout=5000",
    "PRAGMA temp_store=MEMORY",
    f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}",
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
