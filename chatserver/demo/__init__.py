"""Demo data for `make run`: staff accounts a developer can log in with.

Patients log in through the dev identity provider with Skatteverket's test
personnummer listed in the default configuration; nobody real.
"""

from __future__ import annotations

import sqlite3

from chatserver.service.accounts import staff_user_op

DEMO_PASSWORD = "demo"

STAFF = (
    ("anna", "Anna Andersson", ("nurse",), ("nurse_1177", "vc_nurse")),
    ("sara", "Sara Sekreterare", ("secretary",), ("secretary",)),
    ("lars", "Lars Läkare", ("physician",), ("physician",)),
    ("admin", "Ada Admin", ("admin",), ()),
)


def load_demo(conn: sqlite3.Connection, now: int) -> list[str]:
    out = []
    for username, name, roles, pools in STAFF:
        exists = conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone()
        if exists:
            continue
        sql, params = staff_user_op(
            username=username, name=name, password=DEMO_PASSWORD, roles=roles, pools=pools, now=now
        )
        conn.execute(sql, params)
        out.append(f"demo staff: {username} / {DEMO_PASSWORD} ({', '.join(roles)})")
    return out or ["demo data already loaded"]
