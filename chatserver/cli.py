"""The ``chatserver`` command: serve, migrate, backup, demo, audit, report, admin."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path

from chatserver import config as config_mod
from chatserver.demo import load_demo
from chatserver.store import db, migrate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chatserver", description=__doc__)
    parser.add_argument("--config", help="region TOML file (defaults built in)")
    parser.add_argument("--db", help="SQLite file (overrides [server].db)")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the server")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--ready-line", action="store_true", help="print a JSON line when ready")
    sub.add_parser("migrate", help="apply schema migrations and exit")
    b = sub.add_parser("backup", help="online backup to PATH (safe while serving)")
    b.add_argument("path")
    b.add_argument("--force", action="store_true", help="write over an existing file at PATH")
    sub.add_parser("demo", help="load demo staff accounts (idempotent)")
    for p in (s, b, *(sub.choices[n] for n in ("migrate", "demo"))):
        # Accept --config/--db after the sub-command too.
        p.add_argument("--config", dest="config_sub", help=argparse.SUPPRESS)
        p.add_argument("--db", dest="db_sub", help=argparse.SUPPRESS)
    # --- audit log and KPI reports (issue 4): parsers and code live in their packages;
    # each sets args.run(args, db_path) -> exit code, dispatched below.
    from chatserver.admin_commands import add_parser as add_admin_parser
    from chatserver.audit.commands import add_parser as add_audit_parser
    from chatserver.bootstrap import add_parser as add_bootstrap_parser
    from chatserver.reports.commands import add_parser as add_report_parser

    add_audit_parser(sub)
    add_report_parser(sub)
    add_admin_parser(sub)
    add_bootstrap_parser(sub)
    # --- end audit/report
    args = parser.parse_args(argv)
    args.config = getattr(args, "config_sub", None) or args.config
    args.db = getattr(args, "db_sub", None) or args.db
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        cfg = config_mod.load(args.config)
    except config_mod.ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    db_path = args.db or cfg.server.db
    if args.command == "admin":  # over HTTP to the running server
        return int(args.run(args, f"http://{cfg.server.host}:{cfg.server.port}"))
    if args.command in ("audit", "report", "create-admin"):  # their own packages
        return int(args.run(args, db_path))
    if args.command == "serve":
        from chatserver.service.core import Service

        if not Path(db_path).exists():
            logging.getLogger("chatserver").warning(
                "%s does not exist: starting a NEW, EMPTY database (no staff accounts: "
                "see `chatserver create-admin`); check --db / [server].db if you meant another",
                db_path,
            )
        from chatserver.transport.run import serve

        serve(
            Service(cfg, db_path),
            args.host or cfg.server.host,
            args.port if args.port is not None else cfg.server.port,
            ready_line=args.ready_line,
        )
        return 0
    if args.command == "migrate":
        conn = db.connect(db_path)
        applied = migrate.migrate(conn)
        print(f"{db_path}: applied {applied or 'nothing'}")
        return 0
    if args.command == "backup":
        return backup(db_path, args.path, force=args.force)
    if args.command == "demo":
        conn = db.connect(db_path)
        migrate.migrate(conn)
        for line in load_demo(conn, int(time.time() * 1000)):
            print(line)
        return 0
    return 2


def backup(db_path: str, target: str, *, force: bool = False) -> int:
    """SQLite's online backup API copies a consistent snapshot while the
    server keeps writing (https://www.sqlite.org/backup.html).

    The copy holds patient data, so it is created readable by its owner
    only, and an existing file is written over only with ``force``; the live
    database (or its WAL) never. Exit 1 with a one-line reason on failure.
    """
    if not Path(db_path).exists():
        print(f"no database at {db_path}", file=sys.stderr)
        return 1
    refused = _backup_refusal(db_path, target, force)
    if refused is not None:
        print(f"backup refused: {refused}", file=sys.stderr)
        return 1
    try:
        check = _copy(db_path, target, force)
    except (OSError, sqlite3.Error) as e:
        print(f"backup to {target} failed: {e}", file=sys.stderr)
        return 1
    print(f"backup of {db_path} written to {target}: integrity {check}")
    return 0 if check == "ok" else 1


def _backup_refusal(db_path: str, target: str, force: bool) -> str | None:
    """Why ``target`` must not be written, or None."""
    dest = Path(target)
    live = Path(db_path).resolve()
    if dest.resolve() in {live, *(Path(f"{live}{s}") for s in ("-wal", "-shm", "-journal"))}:
        return f"{target} is the live database"
    if dest.exists() and os.path.samefile(dest, live):  # a hard link to it
        return f"{target} is the live database"
    if not dest.parent.is_dir():
        return f"no directory {dest.parent}"
    if dest.is_dir():
        return f"{target} is a directory"
    if dest.exists() and not force:
        return f"{target} exists; pass --force to write over it"
    return None


def _copy(db_path: str, target: str, force: bool) -> str:
    """Back up into ``target`` (mode 0600) and return its integrity check.

    A new file is created exclusively (nothing that appeared at ``target``
    meanwhile is written over) and removed again if the copy fails. An
    existing one (``force``) is written through SQLite, which refuses a file
    that is not a database and rolls a failed copy back.
    """
    flags = os.O_WRONLY | os.O_CREAT | (0 if force else os.O_EXCL)
    created = not Path(target).exists()
    os.close(os.open(target, flags, 0o600))
    try:
        os.chmod(target, 0o600)  # an older file's mode, or a umask, must not widen it
        _online_backup(db_path, target)
        conn = sqlite3.connect(target)
        try:
            check: str = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except BaseException:
        if created:
            Path(target).unlink(missing_ok=True)
        raise
    return check


def _online_backup(db_path: str, target: str) -> None:
    src = db.connect(db_path)
    dst = sqlite3.connect(target)
    try:
        with dst:
            # One step: a stepwise backup restarts whenever another connection
            # commits between steps and may never finish on a busy server; a
            # single step reads one consistent WAL snapshot without blocking writers.
            src.backup(dst)
    finally:
        dst.close()
        src.close()


if __name__ == "__main__":
    sys.exit(main())
