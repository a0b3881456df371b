"""Schema migrations: each file once, in order, recorded in user_version."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from chatserver.store import db, migrate
from chatserver.store.migrate import MigrationError

SHIPPED = sorted(
    entry.name
    for entry in resources.files("chatserver.store").joinpath("migrations").iterdir()
    if entry.name.endswith(".sql")
)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = db.connect(tmp_path / "chat.sqlite3")
    yield c
    c.close()


def user_version(conn: sqlite3.Connection) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert isinstance(version, int)
    return version


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_shipped_migrations_are_numbered_from_one() -> None:
    assert SHIPPED
    steps = migrate.available()
    assert [name for _, name, _ in steps] == SHIPPED
    assert [n for n, _, _ in steps] == list(range(1, len(SHIPPED) + 1))


def test_fresh_database_gets_every_migration_once(conn: sqlite3.Connection) -> None:
    assert user_version(conn) == 0
    assert migrate.migrate(conn) == SHIPPED
    assert user_version(conn) == len(SHIPPED)
    assert {"users", "sessions", "cases", "messages", "triage", "notifications"} <= tables(conn)
    assert migrate.migrate(conn) == []
    assert user_version(conn) == len(SHIPPED)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_reopened_database_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    first = db.connect(path)
    migrate.migrate(first)
    first.close()
    again = db.connect(path)
    try:
        assert migrate.migrate(again) == []
        assert user_version(again) == len(SHIPPED)
    finally:
        again.close()


def test_partly_migrated_database_gets_the_rest(conn: sqlite3.Connection) -> None:
    n, _, sql = migrate.available()[0]
    for statement in migrate._statements(sql):
        conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {n}")
    assert migrate.migrate(conn) == SHIPPED[1:]
    assert user_version(conn) == len(SHIPPED)


def test_newer_database_is_refused(conn: sqlite3.Connection) -> None:
    migrate.migrate(conn)
    conn.execute(f"PRAGMA user_version = {len(SHIPPED) + 1}")
    with pytest.raises(MigrationError, match="newer than this server"):
        migrate.migrate(conn)
    assert user_version(conn) == len(SHIPPED) + 1


def test_failing_migration_rolls_back_and_stops(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = [
        (1, "0001_a.sql", "CREATE TABLE a (x INTEGER);\n"),
        (2, "0002_b.sql", "CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);\n"),
        (3, "0003_c.sql", "CREATE TABLE c (x INTEGER);\n"),
    ]
    monkeypatch.setattr(migrate, "available", lambda: steps)
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        migrate.migrate(conn)
    assert user_version(conn) == 1
    assert tables(conn) == {"a"}
    assert not conn.in_transaction


def test_gap_in_numbers_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (x);\n")
    (folder / "0003_c.sql").write_text("CREATE TABLE c (x);\n")
    (folder / "README.md").write_text("not a migration\n")

    class Package:
        def joinpath(self, name: str) -> Path:
            return tmp_path / name

    monkeypatch.setattr(resources, "files", lambda _: Package())
    with pytest.raises(MigrationError, match=r"0003_c\.sql"):
        migrate.available()


def test_statements_split_on_complete_statements() -> None:
    sql = """
    -- a comment line
    CREATE TABLE t (x TEXT);  -- trailing comment
    CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN
        UPDATE t SET x = 'a' WHERE x IS NULL;
    END;
    INSERT INTO t VALUES ('b');
    """
    statements = migrate._statements(sql)
    assert len(statements) == 3
    assert statements[1].strip().startswith("CREATE TRIGGER")
    assert statements[1].rstrip().endswith("END;")


def _migrate_to(conn: sqlite3.Connection, last: int) -> None:
    for n, _, sql in migrate.available()[:last]:
        for statement in migrate._statements(sql):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {n}")


def test_messages_keep_every_row_when_the_table_becomes_append_only(
    conn: sqlite3.Connection,
) -> None:
    _migrate_to(conn, 6)  # messages as WITHOUT ROWID, before 0007
    rows = [
        (f"r{r}", seq, f"c{r}-{seq}", "u1", "Ann", "patient", f"text {r}.{seq}", None, seq, kind)
        for r in range(3)
        for seq, kind in ((1, "text"), (2, "note"), (3, "text"))
    ]
    conn.executemany(
        "INSERT INTO messages (room, seq, cid, sender, name, role, text, att, ts, kind) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    assert migrate.migrate(conn) == SHIPPED[6:]
    cols = "room, seq, cid, sender, name, role, text, att, ts, kind"
    assert conn.execute(f"SELECT {cols} FROM messages ORDER BY room, seq").fetchall() == rows
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT max(seq) FROM messages WHERE room = 'r1'")
    assert "messages_room_seq" in " ".join(str(r) for r in plan)
    # The room's numbering stays unique in the database: a second row 2 is refused.
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute(
            f"INSERT INTO messages ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("r1", 2, "x", "u", "A", "p", "t", None, 9, "text"),
        )
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
