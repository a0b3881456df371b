"""``chatserver admin`` as an operator runs it, against a real server: it
goes through the HTTP API (so its changes are audited there) and fails with a
clear message and exit code 1."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path

from chatserver.audit.verify import verify
from clients.sdk import login_staff
from tests.support.server import Running, running_server


async def admin_cli(srv: Running, *args: str, password: str = "demo") -> tuple[int, str, str]:
    return await run_cli("--url", srv.base, *args, password=password)


async def run_cli(*args: str, password: str = "demo") -> tuple[int, str, str]:
    env = {
        **os.environ,
        "CHATSERVER_ADMIN_PASSWORD": password,
        "CHATSERVER_NEW_PASSWORD": "ett-långt-lösenord",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatserver.cli",
        "admin",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_an_operator_sets_up_a_unit_from_the_command_line(tmp_path: Path) -> None:
    async with running_server(tmp_path / "chat.sqlite3") as srv:
        code, out, err = await admin_cli(
            srv,
            "users",
            "add",
            "eva",
            "--name",
            "Eva Ek",
            "--roles",
            "nurse",
            "--pools",
            "nurse_1177,vc_nurse",
        )
        assert code == 0, err
        assert json.loads(out)["pools"] == ["nurse_1177", "vc_nurse"]
        assert await login_staff(srv.base, "eva", "ett-långt-lösenord")

        code, out, _ = await admin_cli(srv, "users", "list")
        assert code == 0 and any(
            line.startswith("id=") and "username=eva" in line and "roles=nurse" in line
            for line in out.splitlines()
        )
        code, out, _ = await admin_cli(srv, "users", "set", "eva", "--disable")
        assert code == 0 and json.loads(out)["disabled"] is True

        # Only the given fields change: the name stays when the hours change.
        code, out, err = await admin_cli(
            srv, "pools", "set", "vc_nurse", "--hours", "mon-fri=08:00-16:00;sat=10:00-12:00"
        )
        assert code == 0, err
        pool = json.loads(out)
        assert pool["name"] == "Vårdcentralens sjuksköterskor"
        assert pool["hours"] == {"mon-fri": "08:00-16:00", "sat": "10:00-12:00"}
        code, out, _ = await admin_cli(
            srv, "pools", "set", "vc_nurse", "--handover-to", "nurse_1177"
        )
        assert json.loads(out)["hours"] == pool["hours"]

        code, out, err = await admin_cli(
            srv, "entrances", "set", "vc_nurse", "--listing-check", "yes", "--unit", "vc_centrum"
        )
        assert code == 0, err
        entrance = json.loads(out)
        assert entrance["listing_check"] is True and entrance["pool"] == "vc_nurse"

        code, _, err = await admin_cli(srv, "phrases", "set", "vc_nurse", "hej", "Hej {patient}!")
        assert code == 0, err
        code, out, _ = await admin_cli(srv, "--json", "phrases", "list", "--scope", "vc_nurse")
        assert json.loads(out) == [{"scope": "vc_nurse", "key": "hej", "text": "Hej {patient}!"}]

        # Clear refusals, exit code 1, nothing changed.
        code, _, err = await admin_cli(srv, "users", "set", "eva", "--roles", "king")
        assert code == 1 and "bad_request" in err and "/roles/0" in err
        code, _, err = await admin_cli(srv, "roles", password="wrong")
        assert code == 1 and "auth_failed" in err
        code, _, err = await admin_cli(srv, "pools", "show", "mars")
        assert code == 1 and "not_found" in err

    conn = sqlite3.connect(srv.db_path)
    try:
        assert verify(conn).ok
        objects = [
            r[0].split(":{")[0]
            for r in conn.execute("SELECT object FROM audit_log WHERE action = 'admin'")
        ]
    finally:
        conn.close()
    assert objects == [
        "user:eva:create:roles=nurse,pools=nurse_1177+vc_nurse",
        "user:eva:update:disabled=true",
        "pool:vc_nurse:put",
        "pool:vc_nurse:put",
        "entrance:vc_nurse:put",
        "phrase:vc_nurse/hej:put:Hej {patient}!",
    ]


async def test_an_unreachable_server_is_named() -> None:
    code, _, err = await run_cli("--url", "http://127.0.0.1:9", "--token", "x", "roles")
    assert code == 1 and "cannot reach http://127.0.0.1:9" in err
