"""``chatserver admin`` and the sessions it opens, against a real server: a
command that logged in itself logs out again, whether it succeeded or not,
so no administrator's token outlives it; a ``--token`` stays the caller's.
Without a terminal and without CHATSERVER_ADMIN_PASSWORD it says what to do
instead of failing at the end of stdin."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from chatserver.admin_commands import Api
from clients.sdk import login_staff
from tests.support.server import running_server

SECRETS = ("CHATSERVER_ADMIN_PASSWORD", "CHATSERVER_ADMIN_TOKEN", "CHATSERVER_NEW_PASSWORD")


async def admin_cli(*args: str, **env: str) -> tuple[int, str, str]:
    """The CLI in a subprocess of its own session: no controlling terminal,
    stdin at its end, only the given secrets in the environment."""
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatserver.cli",
        "admin",
        *args,
        stdin=subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**clean, **env},
        start_new_session=True,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def admin_sessions(db_path: str) -> tuple[int, int]:
    """(all, unrevoked and unexpired) sessions of the user ``admin``."""
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute(
            "SELECT count(*), coalesce(sum(s.revoked = 0 AND s.expires > ?), 0) "
            "FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'admin'",
            (int(time.time() * 1000),),
        ).fetchone()
    finally:
        conn.close()
    return int(row[0]), int(row[1])


async def test_a_command_that_logged_in_logs_out_also_on_error(tmp_path: Path) -> None:
    async with running_server(tmp_path / "chat.sqlite3") as srv:
        total, live = admin_sessions(srv.db_path)
        password = {"CHATSERVER_ADMIN_PASSWORD": "demo"}
        code, out, err = await admin_cli("--url", srv.base, "users", "list", **password)
        assert code == 0 and "username=anna" in out, err
        code, _, err = await admin_cli("--url", srv.base, "pools", "show", "mars", **password)
        assert code == 1 and "not_found" in err
        # Logged in, then no new password to give: refused after the login.
        code, _, err = await admin_cli("--url", srv.base, "users", "password", "anna", **password)
        assert code == 1 and "CHATSERVER_NEW_PASSWORD" in err and "Traceback" not in err
        assert admin_sessions(srv.db_path) == (total + 3, live)


async def test_a_given_token_is_left_to_its_owner(tmp_path: Path) -> None:
    async with running_server(tmp_path / "chat.sqlite3") as srv:
        token = await login_staff(srv.base, "admin", "demo")
        before = admin_sessions(srv.db_path)
        code, _, err = await admin_cli("--url", srv.base, "--token", token, "roles")
        assert code == 0, err
        assert admin_sessions(srv.db_path) == before
        roles = await asyncio.to_thread(Api(srv.base, token).call, "GET", "/api/admin/roles")
        assert any(r["role"] == "nurse" for r in roles)


async def test_without_a_terminal_or_password_it_says_what_to_set(tmp_path: Path) -> None:
    async with running_server(tmp_path / "chat.sqlite3") as srv:
        before = admin_sessions(srv.db_path)
        code, out, err = await admin_cli("--url", srv.base, "roles")
        assert code != 0
        assert out == ""
        assert "Traceback" not in err and "EOFError" not in err
        assert "CHATSERVER_ADMIN_PASSWORD" in err and "--token" in err
        assert len(err.strip().splitlines()) == 1
        assert admin_sessions(srv.db_path) == before  # never logged in
