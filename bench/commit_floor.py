"""The disk's floor under any durable answer: one tiny SQLite commit, timed.

Every answer the server gives after a write (an ack, a claim) waits for a
group commit, and with WAL and ``synchronous=FULL`` a commit ends in an fsync
of the WAL file. How long that takes is a property of the disk, not of the
server: this measures it with the server's own pragmas (``chatserver.store.db.
connect``), one one-row transaction at a time, spaced so the disk is not
kept busy, in the folder the benchmark's database lives in. Benchmarks that
report a latency including a commit report this beside it, as the ceiling a
compiled server with the same durability would also meet.

    python -m bench.commit_floor [--commits 200] [--interval 0.05] [FOLDER]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.loadgen import percentile
from chatserver.store import db

MAX_COMMITS = 10_000


@dataclass(frozen=True, slots=True)
class CommitFloor:
    commits: int
    interval_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float


def measure(folder: Path, commits: int = 200, interval: float = 0.05) -> CommitFloor:
    """``commits`` one-row transactions in a scratch database under ``folder``."""
    if not 1 <= commits <= MAX_COMMITS or not 0 <= interval <= 1:
        raise ValueError(f"commits in [1, {MAX_COMMITS}], interval in [0, 1] s")
    path = folder / "commit-floor.sqlite"
    conn = db.connect(path)
    took: list[int] = []
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, at INTEGER)")
        for i in range(commits):
            t0 = time.perf_counter_ns()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO floor (at) VALUES (?)", (i,))
            conn.execute("COMMIT")
            took.append(time.perf_counter_ns() - t0)
            time.sleep(interval)
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    took.sort()
    return CommitFloor(
        commits=commits,
        interval_s=interval,
        p50_ms=round(percentile(took, 50) / 1e6, 3),
        p99_ms=round(percentile(took, 99) / 1e6, 3),
        max_ms=round(took[-1] / 1e6, 3),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.commit_floor", description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=None)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args(argv)
    try:
        if args.folder is None:
            with tempfile.TemporaryDirectory(prefix="commit-floor-") as tmp:
                floor = measure(Path(tmp), args.commits, args.interval)
        else:
            floor = measure(args.folder, args.commits, args.interval)
    except ValueError as exc:
        parser.error(str(exc))
    print(json.dumps({"bench": "commit_floor", **asdict(floor)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
