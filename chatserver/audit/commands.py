"""`chatserver audit verify | extract | user`: the log for auditors and patients' requests.

Exit codes: 0 done (verify: chain intact), 1 verify found tampering,
2 nothing to check (no database, no audit table, bad arguments, no such
patient or user). ``--patient`` takes a personnummer or an internal id,
``--user`` a username or an internal id: an operator has the personnummer
on the patient's request and the username of the staff member, and a key
that names nobody must say so rather than list zero rows.
All reads go through a read-only connection, safe while the server runs.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from chatserver.audit.chain import HASH_SIZE, ChainHead
from chatserver.audit.queries import patient_extract, patient_id_of, user_id_of, user_listing
from chatserver.audit.verify import verify
from chatserver.reports.period import DEFAULT_TZ, parse_day, window_ms, zone
from chatserver.store import db

T = TypeVar("T")
Resolve = Callable[[sqlite3.Connection], str | None]
Fetch = Callable[[sqlite3.Connection, str, int | None, int | None], list[T]]
EXIT_OK, EXIT_TAMPERED, EXIT_UNUSABLE = 0, 1, 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``audit`` and its sub-commands; dispatch through ``args.run``."""
    audit = sub.add_parser("audit", help="verify the audit log, patient extract, user listing")
    commands = audit.add_subparsers(dest="audit_command", required=True)
    v = commands.add_parser("verify", help="re-walk the hash chain (exit 1 if tampered)")
    v.add_argument(
        "--anchor",
        type=_anchor,
        help="ID:HEX of a row recorded earlier (as printed by verify): catches a rewritten tail",
    )
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.set_defaults(run=_verify)
    e = commands.add_parser("extract", help="a patient's log extract: which unit, when")
    e.add_argument(
        "--patient",
        required=True,
        help="personnummer (YYYYMMDD-NNNC, YYMMDD-NNNC, with or without '-') or internal id",
    )
    e.set_defaults(run=_extract)
    u = commands.add_parser("user", help="everything a user did, for controls")
    u.add_argument("--user", required=True, help="username or internal id")
    u.set_defaults(run=_user)
    for p in (e, u):
        p.add_argument("--since", type=parse_day, help="first day, YYYY-MM-DD (Swedish time)")
        p.add_argument("--until", type=parse_day, help="last day, YYYY-MM-DD, included")
        p.add_argument("--json", action="store_true", help="machine-readable output")
    for p in (v, e, u):
        # Accept --config/--db after the sub-command, as the other commands do.
        p.add_argument("--config", dest="config_sub", help=argparse.SUPPRESS)
        p.add_argument("--db", dest="db_sub", help=argparse.SUPPRESS)


def _anchor(text: str) -> ChainHead:
    row_id, sep, digest = text.partition(":")
    try:
        head = ChainHead(int(row_id), bytes.fromhex(digest))
    except ValueError:
        head = None
    if not sep or head is None or head.id < 1 or len(head.hash) != HASH_SIZE:
        raise argparse.ArgumentTypeError(f"expected ID:HEX with a {HASH_SIZE}-byte hash")
    return head


def _open(db_path: str) -> sqlite3.Connection | None:
    if not Path(db_path).exists():
        print(f"no database at {db_path}", file=sys.stderr)
        return None
    conn = db.connect(db_path, readonly=True)
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'"
    ).fetchone()
    if found is None:
        print(f"{db_path} has no audit log; run `chatserver migrate`", file=sys.stderr)
        conn.close()
        return None
    return conn


def _verify(args: argparse.Namespace, db_path: str) -> int:
    conn = _open(db_path)
    if conn is None:
        return EXIT_UNUSABLE
    try:
        result = verify(conn, anchor=args.anchor)
    finally:
        conn.close()
    head = f"{result.head.id}:{result.head.hash.hex()}"
    if args.json:
        print(
            json.dumps(
                {
                    "ok": result.ok,
                    "rows": result.rows,
                    "first_bad": result.first_bad,
                    "reason": result.reason,
                    "head": head,
                }
            )
        )
    elif result.ok:
        print(f"audit log {db_path}: {result.rows} rows, chain intact")
        print(f"head {head}  (keep it elsewhere; pass it back with --anchor)")
    else:
        print(f"audit log {db_path}: TAMPERED at row {result.first_bad}: {result.reason}")
        print(f"{result.rows} rows verified before it")
    return EXIT_OK if result.ok else EXIT_TAMPERED


def _window(args: argparse.Namespace) -> tuple[int | None, int | None]:
    return window_ms(args.since, args.until, zone(DEFAULT_TZ))


def _rows(
    args: argparse.Namespace, db_path: str, resolve: Resolve, unknown: str, fetch: Fetch[T]
) -> tuple[str, list[T]] | None:
    """The subject's id and the rows ``fetch`` reads for it in the requested
    window, or None (already reported: bad window, no database, ``unknown``
    when ``resolve`` finds nobody)."""
    try:
        since, until = _window(args)
    except ValueError as e:
        print(e, file=sys.stderr)
        return None
    conn = _open(db_path)
    if conn is None:
        return None
    try:
        subject = _subject(conn, resolve, unknown)
        return None if subject is None else (subject, fetch(conn, subject, since, until))
    finally:
        conn.close()


def _subject(conn: sqlite3.Connection, resolve: Resolve, unknown: str) -> str | None:
    """``resolve``'s answer, or None with the reason on stderr."""
    try:
        subject = resolve(conn)
    except ValueError as e:  # a mistyped personnummer
        print(e, file=sys.stderr)
        return None
    if subject is None:
        print(unknown, file=sys.stderr)
    return subject


def _named(key: str, subject: str) -> str:
    """How the output names the subject: as given, with the id when it differs."""
    return key if key == subject else f"{key} ({subject})"


def _extract(args: argparse.Namespace, db_path: str) -> int:
    today = datetime.now(zone(DEFAULT_TZ)).date()
    found = _rows(
        args,
        db_path,
        lambda c: patient_id_of(c, args.patient, today=today),
        "no such patient: no patient has that personnummer or id",
        patient_extract,
    )
    if found is None:
        return EXIT_UNUSABLE
    patient, entries = found
    if args.json:
        print(json.dumps([e.to_json() for e in entries], ensure_ascii=False))
        return EXIT_OK
    print(f"Access to the data of patient {_named(args.patient, patient)}: {len(entries)} entries")
    for entry in entries:
        j = entry.to_json()
        print(f"{j['time']}  {entry.unit:<16} {entry.action:<10} {entry.object}")
    return EXIT_OK


def _user(args: argparse.Namespace, db_path: str) -> int:
    found = _rows(
        args,
        db_path,
        lambda c: user_id_of(c, args.user),
        "no such user: no user has that username or id",
        user_listing,
    )
    if found is None:
        return EXIT_UNUSABLE
    user, rows = found
    if args.json:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False))
        return EXIT_OK
    print(f"Actions of user {_named(args.user, user)}: {len(rows)} rows")
    for r in rows:
        j = r.to_json()
        verdict = "allowed" if r.allowed else "DENIED"
        print(
            f"#{r.id} {j['time']}  {r.role}@{r.unit}  {r.action} {r.object}  "
            f"patient={r.patient_id or '-'}  basis={r.basis}  {verdict}  "
            f"from {r.client_addr or '-'}"
        )
    return EXIT_OK
