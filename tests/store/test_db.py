"""Every connection the project opens has its pragmas: WAL, full sync, and
the checkpoint interval the writer was measured with (decision 0008)."""

from __future__ import annotations

from pathlib import Path

from chatserver.store import db


def test_a_connection_has_the_projects_pragmas(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.sqlite3")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (db.CHECKPOINT_PAGES,)
        assert db.CHECKPOINT_PAGES == 10_000
    finally:
        conn.close()
