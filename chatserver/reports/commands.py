"""`chatserver report`: the follow-up KPIs as a Markdown table or JSON.

Exit codes: 0 printed, 2 no database or bad arguments. Reads through a
read-only connection, safe while the server runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from chatserver.reports.kpi import kpis
from chatserver.reports.period import DEFAULT_TZ, parse_day, report_window, zone
from chatserver.store import db


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``report``; dispatch through ``args.run``."""
    p = sub.add_parser("report", help="KPIs: cases, self-care, waits, targets, handoffs, ratings")
    p.add_argument("--since", type=parse_day, help="first day, YYYY-MM-DD (default: a week ago)")
    p.add_argument("--until", type=parse_day, help="last day, included (default: today)")
    p.add_argument("--tz", default=DEFAULT_TZ, help=f"time zone of the days (default {DEFAULT_TZ})")
    p.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    p.add_argument("--config", dest="config_sub", help=argparse.SUPPRESS)
    p.add_argument("--db", dest="db_sub", help=argparse.SUPPRESS)
    p.set_defaults(run=_report)


def _report(args: argparse.Namespace, db_path: str) -> int:
    now_ms = int(time.time() * 1000)
    try:
        since_ms, until_ms = report_window(args.since, args.until, zone(args.tz), now_ms=now_ms)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    if not Path(db_path).exists():
        print(f"no database at {db_path}", file=sys.stderr)
        return 2
    conn = db.connect(db_path, readonly=True)
    try:
        report = kpis(conn, since_ms, until_ms, args.tz, as_of_ms=min(until_ms, now_ms))
    finally:
        conn.close()
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(report.to_markdown())
    return 0
