"""`chatserver backup PATH` run as an operator runs it (a subprocess): where
it may write, and how. The copy holds patient data, so it is readable by its
owner only; an existing file is written over only with --force, and the live
database never, whatever the path looks like."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def chatserver(db_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatserver.cli", "--db", str(db_path), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def backup(db_path: Path, target: Path | str, *flags: str) -> subprocess.CompletedProcess[str]:
    return chatserver(db_path, "backup", str(target), *flags)


def staff(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = conn.execute("SELECT count(*) FROM users WHERE kind = 'staff'").fetchone()[0]
        assert isinstance(n, int)
        return n
    finally:
        conn.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def refused(done: subprocess.CompletedProcess[str], reason: str) -> None:
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], done.stderr


@pytest.fixture
def live(tmp_path: Path) -> Path:
    path = tmp_path / "var" / "chat.sqlite3"
    done = chatserver(path, "demo")
    assert done.returncode == 0, done.stderr
    return path


def test_a_new_backup_is_readable_by_its_owner_only(live: Path, tmp_path: Path) -> None:
    out = tmp_path / "backup.sqlite3"
    done = backup(live, out)
    assert done.returncode == 0, done.stderr
    assert "integrity ok" in done.stdout
    assert mode(out) == 0o600
    assert staff(out) == staff(live) > 0


def test_a_missing_directory_is_one_line_not_a_traceback(live: Path, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "dir" / "backup.sqlite3"
    refused(backup(live, out), "no directory")
    assert not out.parent.exists()


def test_an_existing_file_is_written_over_only_with_force(live: Path, tmp_path: Path) -> None:
    out = tmp_path / "backup.sqlite3"
    out.write_text("yesterday's notes\n")
    out.chmod(0o644)
    refused(backup(live, out), "--force")
    assert out.read_text() == "yesterday's notes\n"
    # --force writes over an older backup, and narrows its mode.
    older = tmp_path / "older.sqlite3"
    assert backup(live, older).returncode == 0
    older.chmod(0o644)
    conn = sqlite3.connect(live)
    with conn:
        conn.execute("UPDATE users SET name = 'Anna Ny' WHERE username = 'anna'")
    conn.close()
    refused(backup(live, older), "--force")
    done = backup(live, older, "--force")
    assert done.returncode == 0, done.stderr
    assert mode(older) == 0o600
    conn = sqlite3.connect(older)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM users WHERE username = 'anna'")]
    finally:
        conn.close()
    assert names == ["Anna Ny"]


def test_force_does_not_turn_a_file_that_is_no_database_into_a_traceback(
    live: Path, tmp_path: Path
) -> None:
    out = tmp_path / "notes.txt"
    out.write_text("x" * 4096)
    done = backup(live, out, "--force")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "failed" in done.stderr
    assert out.read_text() == "x" * 4096


@pytest.mark.parametrize("force", [(), ("--force",)])
def test_the_live_database_is_never_the_target(
    live: Path, tmp_path: Path, force: tuple[str, ...]
) -> None:
    before = staff(live)
    link = tmp_path / "link.sqlite3"
    link.symlink_to(live)
    hard = tmp_path / "hard.sqlite3"
    os.link(live, hard)
    for target in (
        live,
        live.parent / ".." / "var" / live.name,
        os.path.relpath(live),
        link,
        hard,
        Path(f"{live}-wal"),
    ):
        refused(backup(live, target, *force), "live database")
    assert staff(live) == before
