"""``chatserver create-admin USERNAME``: the first administrator of a region.

Every other account is made through the admin API by an administrator (and
audited there). The first one cannot be: this command writes it straight
into the database from the host's shell, which only the region's operators
reach. The password comes from CHATSERVER_NEW_PASSWORD or a prompt, with the
admin API's own minimum length; an existing username is refused. ``chatserver
demo`` is for trying the product only: its accounts share the password "demo".
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time

from chatserver.admin_commands import NoPassword, ask_password
from chatserver.service.accounts import staff_user_op
from chatserver.service.auth import MIN_PASSWORD
from chatserver.store import db, migrate


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "create-admin",
        help="the first administrator (password from CHATSERVER_NEW_PASSWORD or a prompt)",
    )
    p.add_argument("username")
    p.add_argument("--name", required=True, help="the administrator's full name")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, db_path: str) -> int:
    try:
        password = ask_password("password for the new administrator: ", "CHATSERVER_NEW_PASSWORD")
    except NoPassword as e:
        print(e, file=sys.stderr)
        return 1
    if len(password) < MIN_PASSWORD:
        print(f"the password must have at least {MIN_PASSWORD} characters", file=sys.stderr)
        return 1
    conn = db.connect(db_path)
    try:
        migrate.migrate(conn)
        op = staff_user_op(
            username=args.username,
            name=args.name,
            password=password,
            roles=("admin",),
            pools=(),
            now=int(time.time() * 1000),
        )
        try:
            conn.execute(*op)
        except sqlite3.IntegrityError:
            print(f"a user named {args.username!r} already exists", file=sys.stderr)
            return 1
    finally:
        conn.close()
    print(f"administrator {args.username!r} created in {db_path}")
    return 0
