"""CPU per chat-message row for a few shapes of the ``messages`` table.

Inserts batches of chat-message rows (``executemany`` in one transaction, as
the store's writer does) into a table shaped like migration 0001's
``messages`` and into variants of it, on a plain thread with no event loop,
and reports CPU and wall time per row once the table holds a few tens of
thousands of rows. It prices the schema alone, apart from the server.

    python -m bench.store_schema
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from chatserver.store import db

_COLUMNS = """room TEXT NOT NULL, seq INTEGER NOT NULL, cid TEXT NOT NULL, sender TEXT NOT NULL,
    name TEXT NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL, att TEXT, ts INTEGER NOT NULL"""
SCHEMAS: dict[str, tuple[str, ...]] = {
    # As in chatserver/store/migrations/0001_core.sql (until 0007).
    "without_rowid_pk+cid_index": (
        f"CREATE TABLE m ({_COLUMNS}, PRIMARY KEY (room, seq)) WITHOUT ROWID",
        "CREATE UNIQUE INDEX m_cid ON m(room, sender, cid)",
    ),
    "without_rowid_pk": (f"CREATE TABLE m ({_COLUMNS}, PRIMARY KEY (room, seq)) WITHOUT ROWID",),
    "rowid+seq_index+cid_index": (
        f"CREATE TABLE m ({_COLUMNS})",
        "CREATE UNIQUE INDEX m_seq ON m(room, seq)",
        "CREATE UNIQUE INDEX m_cid ON m(room, sender, cid)",
    ),
    # As since migration 0007 (docs/decisions/0006-messages-append-only.md).
    "rowid+seq_index": (
        f"CREATE TABLE m ({_COLUMNS})",
        "CREATE UNIQUE INDEX m_seq ON m(room, seq)",
    ),
}
ROOMS = 50
TEXT = "x" * 150


def measure(ddl: tuple[str, ...], batches: int, batch: int, warm: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-schema-") as folder:
        conn = db.connect(Path(folder) / "schema.sqlite3")
        for statement in ddl:
            conn.execute(statement)
        heads = [0] * ROOMS
        n = 0
        cpu: list[float] = []
        wall: list[float] = []
        for index in range(batches):
            params = []
            for _ in range(batch):
                room = n % ROOMS
                n += 1
                heads[room] += 1
                cid = f"{n}.{1_795_327_966_663_000_000 + n}"
                params.append(
                    (f"c{room:012x}", heads[room], cid, "p1fd812aaf713", "Bench Patient",
                     "patient", TEXT, None, 1_795_327_966_663)
                )  # fmt: skip
            started, cpu_started = time.perf_counter(), time.process_time()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", params)
            conn.execute("COMMIT")
            if index >= warm:
                wall.append((time.perf_counter() - started) / batch * 1e6)
                cpu.append((time.process_time() - cpu_started) / batch * 1e6)
        conn.close()
    return {"cpu_us_per_row": statistics.median(cpu), "wall_us_per_row": statistics.median(wall)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.store_schema", description=__doc__)
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--batch", type=int, default=340, help="rows per transaction")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args(argv)
    allowed = sorted(os.sched_getaffinity(0))
    if not args.no_pin and len(allowed) >= 2:
        os.sched_setaffinity(0, {allowed[0]})
    batches = min(1000, max(10, args.batches))
    warm = batches * 2 // 3
    results: dict[str, list[dict[str, float]]] = {name: [] for name in SCHEMAS}
    for round_no in range(max(1, args.rounds)):
        names = list(SCHEMAS) if round_no % 2 == 0 else list(reversed(SCHEMAS))
        for name in names:
            row = measure(SCHEMAS[name], batches, max(1, args.batch), warm)
            results[name].append(row)
            print(json.dumps({"schema": name, "round": round_no, **row}), flush=True)
    base = statistics.median(r["cpu_us_per_row"] for r in results[next(iter(SCHEMAS))])
    print()
    print("| messages table | CPU per row (µs) | wall per row (µs) | CPU / first |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        cpu = statistics.median(r["cpu_us_per_row"] for r in rows)
        wall = statistics.median(r["wall_us_per_row"] for r in rows)
        print(f"| {name} | {cpu:.1f} | {wall:.1f} | {cpu / base:.2f} |")
    print(
        f"\nMedians of {args.rounds} interleaved rounds; {args.batch} rows per transaction; "
        f"measured over batches {warm}..{batches} (table holding "
        f"{warm * args.batch:,}+ rows)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
