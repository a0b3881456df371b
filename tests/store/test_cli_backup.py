"""`chatserver demo` and `chatserver backup`: an online backup that opens clean.

The backup must be consistent while the server keeps writing (SQLite's online
backup API, https://www.sqlite.org/backup.html).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chatserver import cli
from chatserver.demo import STAFF
from chatserver.store import db, records
from chatserver.store.migrate import migrate
from chatserver.store.writer import Writer

DEMO_USERS = sorted(username for username, *_ in STAFF)


def open_backup(out: Path) -> tuple[str, list[str]]:
    conn = sqlite3.connect(out)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        users = [r[0] for r in conn.execute("SELECT username FROM users ORDER BY username")]
        return check, users
    finally:
        conn.close()


def count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert isinstance(n, int)
        return n
    finally:
        conn.close()


def test_demo_then_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, out = tmp_path / "chat.sqlite3", tmp_path / "backup.sqlite3"
    assert cli.main(["--db", str(path), "demo"]) == 0
    assert "demo staff: anna / demo" in capsys.readouterr().out
    assert cli.main(["--db", str(path), "demo"]) == 0  # idempotent
    assert "already loaded" in capsys.readouterr().out
    assert cli.main(["--db", str(path), "backup", str(out)]) == 0
    assert "integrity ok" in capsys.readouterr().out
    check, users = open_backup(out)
    assert check == "ok"
    assert users == DEMO_USERS


def test_db_option_after_the_subcommand(tmp_path: Path) -> None:
    path, out = tmp_path / "chat.sqlite3", tmp_path / "backup.sqlite3"
    assert cli.main(["demo", "--db", str(path)]) == 0
    assert cli.main(["backup", str(out), "--db", str(path)]) == 0
    assert open_backup(out)[1] == DEMO_USERS


def test_backup_of_a_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, out = tmp_path / "none.sqlite3", tmp_path / "backup.sqlite3"
    assert cli.main(["--db", str(path), "backup", str(out)]) == 1
    assert "no database" in capsys.readouterr().err
    assert not out.exists()


async def test_backup_while_a_writer_keeps_inserting(tmp_path: Path) -> None:
    path, out = tmp_path / "chat.sqlite3", tmp_path / "backup.sqlite3"
    assert cli.main(["--db", str(path), "demo"]) == 0
    conn = db.connect(path)
    writer = Writer(conn)
    writer.start()
    stop = asyncio.Event()
    warmed_up = asyncio.Event()  # the writer is busy before the backup starts
    written = 0

    async def keep_inserting() -> None:
        nonlocal written
        while not stop.is_set():
            seq = written + 1
            await writer.write(
                [records.message("r1", seq, f"c{seq}", "pat", "Pia", "patient", "x" * 200, None, 0)]
            )
            written = seq
            if written == 20:
                warmed_up.set()

    inserting = asyncio.create_task(keep_inserting())
    try:
        await warmed_up.wait()
        before = written
        rc = await asyncio.to_thread(cli.main, ["--db", str(path), "backup", str(out)])
    finally:
        stop.set()
        await inserting
        await writer.close()
        conn.close()
    assert rc == 0
    check, users = open_backup(out)
    assert check == "ok"
    assert users == DEMO_USERS
    # A consistent snapshot: a prefix of the messages, numbered without gaps.
    backup = sqlite3.connect(out)
    try:
        seqs = [r[0] for r in backup.execute("SELECT seq FROM messages ORDER BY seq")]
    finally:
        backup.close()
    assert before <= len(seqs) <= written
    assert seqs == list(range(1, len(seqs) + 1))


class WritesBetweenSteps:
    """A source connection for cli.backup whose database another connection
    writes to between every two backup steps, as a busy server's group commits
    do (one every few ms under load; a step plus its sleep takes longer)."""

    MAX_STEPS = 50

    def __init__(self, real: sqlite3.Connection, other: sqlite3.Connection) -> None:
        self.real = real
        self.other = other
        self.steps = 0

    def backup(
        self,
        target: sqlite3.Connection,
        *,
        pages: int = -1,
        progress: Callable[[int, int, int], object] | None = None,
        name: str = "main",
        sleep: float = 0.25,
    ) -> None:
        def step(status: int, remaining: int, total: int) -> None:
            self.steps += 1
            if self.steps > self.MAX_STEPS:
                raise RuntimeError(f"backup restarted {self.steps} times: {remaining}/{total} left")
            self.other.execute(*records.case_event("c1", 0, "assign", "n", "assigned", "p", 3, ""))
            if progress is not None:
                progress(status, remaining, total)

        self.real.backup(target, pages=pages, progress=step, name=name, sleep=0)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.real, attr)


def test_backup_of_a_large_busy_database_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, out = tmp_path / "chat.sqlite3", tmp_path / "backup.sqlite3"
    writer = db.connect(path)
    migrate(writer)
    for i in range(6):  # ~6 MB: more than one step of 1024 pages
        sql, params = records.attachment(
            f"a{i}", "r1", "pat", "image/jpeg", "0" * 64, 0, os.urandom(1_000_000)
        )
        writer.execute(sql, params)
    real_connect = db.connect
    sources: list[WritesBetweenSteps] = []

    def connect(p: str | Path, *, readonly: bool = False) -> WritesBetweenSteps:
        source = WritesBetweenSteps(real_connect(p, readonly=readonly), writer)
        sources.append(source)
        return source

    monkeypatch.setattr(db, "connect", connect)
    try:
        assert cli.backup(str(path), str(out)) == 0
    finally:
        writer.close()
    [source] = sources
    assert source.steps <= 10
    assert open_backup(out)[0] == "ok"
    assert count(out, "attachments") == 6
