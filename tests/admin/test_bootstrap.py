"""``chatserver create-admin``: the first administrator, from the host's shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from clients.sdk import login_staff
from tests.support.server import running_server


def _create(db: Path, *args: str, password: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CHATSERVER_NEW_PASSWORD"}
    if password is not None:
        env["CHATSERVER_NEW_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "chatserver.cli", "--db", str(db), "create-admin", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_first_administrator_logs_in_and_no_second_of_that_name(tmp_path: Path) -> None:
    db = tmp_path / "region.sqlite3"
    made = _create(db, "ops", "--name", "Olga Drift", password="ett långt lösenord")
    assert made.returncode == 0, made.stderr
    assert "administrator 'ops' created" in made.stdout
    again = _create(db, "ops", "--name", "Olga Drift", password="ett annat långt lösenord")
    assert again.returncode == 1 and "already exists" in again.stderr
    short = _create(db, "ops2", "--name", "X", password="kort")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    none = _create(db, "ops3", "--name", "X", password=None)
    assert none.returncode == 1 and "CHATSERVER_NEW_PASSWORD" in none.stderr
    async with running_server(db) as srv:
        token = await login_staff(srv.base, "ops", "ett långt lösenord")
        assert token
        users = srv.service.reader
        assert (await users.user_by("username", "ops2")) is None
