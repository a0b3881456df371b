"""The store's group-commit writer against two simpler ways of writing, interleaved.

Every variant writes chat-message rows (``chatserver.store.records.message``,
the real schema from the migrations, the project's pragmas: WAL,
``synchronous=FULL``) into a fresh SQLite file, and every row is "done" only
once its transaction has committed, as a chat message must be before it is
acked:

* ``writer``: ``chatserver.store.writer.Writer``, the server's own: it drains
  whatever has queued (up to 2,000 operations) and applies it in one
  transaction on its own thread, one thread hop per batch, ``executemany``
  for runs of equal SQL;
* ``aiosqlite_batch``: the same group commit (drain the queue, one
  transaction per batch), but through aiosqlite, one ``execute`` (one thread
  hop) per statement;
* ``per_row``: aiosqlite, one commit per row (autocommit, one hop per row).

Load, open loop, at offered rates (rows/s, submitted on a fixed schedule
whatever the store does) and saturated (``--clients`` tasks each keeping one
row in flight). Per point: rows committed per second, commit latency (from
submit until the row's commit is confirmed on the event loop: what an ack
waits for) p50 / p99 / max, rows per commit and CPU per row (the whole
process: event loop plus writer threads). An open-loop point whose backlog
passes one second of rows stops offering and is marked ``overloaded``: that
variant cannot sustain the rate.

Every point runs twice: on an otherwise idle event loop, and with the loop
kept ``--busy`` (default 50 %) by a task that burns CPU in 1 ms slices, as a
server's loop is while it also serves connections. A busy loop is where
thread hops cost: each hop's result waits for the loop and for the GIL. The
burner's own CPU is not counted in CPU per row.

Each round runs every point on each variant in turn, the order flipping every
round; the process is pinned to one CPU (as the server is in
``bench.transport``) unless ``--no-pin``.

    python -m bench.store_writer            # about 5 minutes
    python -m bench.store_writer --quick    # about 30 seconds
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol

import aiosqlite
import uvloop

from bench.server_proc import stop_on_sigterm
from chatserver.store import db, migrate, records
from chatserver.store.writer import Writer

Op = tuple[str, Sequence[Any]]
Row = dict[str, object]

# Rows are spread over this many rooms (a room numbers its messages 1, 2, 3 ...).
ROOMS = 50
TEXT = "x" * 150
# An open-loop point stops offering once this many seconds of rows wait.
BACKLOG_SECONDS = 1.0
MIN_BACKLOG = 2000
# Largest batch, as in the server's writer.
MAX_BATCH = 2000
# Seconds to wait for rows still in flight once offering stops.
DRAIN_TIMEOUT = 15.0
# Hard bounds on one point, whatever the command line says.
MAX_DURATION = 60.0
MAX_ROWS = 2_000_000


class Store(Protocol):
    """A way of writing rows: ``submit`` returns a future resolved after COMMIT."""

    name: str

    async def start(self, path: Path) -> None: ...

    def submit(self, op: Op) -> asyncio.Future[None]: ...

    def commits(self) -> int: ...

    async def close(self) -> None: ...


class WriterStore:
    """The server's ``Writer``."""

    name = "writer"

    def __init__(self) -> None:
        self._writer: Writer | None = None
        self._conn: sqlite3.Connection | None = None

    async def start(self, path: Path) -> None:
        self._conn = db.connect(path)
        self._writer = Writer(self._conn, max_batch=MAX_BATCH, max_pending=MAX_ROWS)
        self._writer.start()

    def submit(self, op: Op) -> asyncio.Future[None]:
        assert self._writer is not None
        return self._writer.submit([op])

    def commits(self) -> int:
        return self._writer.stats.commits if self._writer is not None else 0

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
        if self._conn is not None:
            self._conn.close()


@dataclass(slots=True)
class _Job:
    op: Op
    future: asyncio.Future[None]


@dataclass(slots=True)
class _Queue:
    jobs: deque[_Job] = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    closing: bool = False


async def _open_aiosqlite(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    for pragma in db.PRAGMAS:
        await conn.execute(pragma)
    return conn


class _AiosqliteStore:
    """A queue drained by one task into an aiosqlite connection; subclasses say
    how many jobs one round takes and how they are written."""

    name = ""

    def __init__(self) -> None:
        self._conn: aiosqlite.Connection | None = None
        self._queue = _Queue()
        self._task: asyncio.Task[None] | None = None
        self._commits = 0

    async def start(self, path: Path) -> None:
        self._conn = await _open_aiosqlite(path)
        self._task = asyncio.get_running_loop().create_task(self._run())

    def submit(self, op: Op) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.jobs.append(_Job(op, future))
        self._queue.wakeup.set()
        return future

    def commits(self) -> int:
        return self._commits

    async def _run(self) -> None:
        conn = self._conn
        assert conn is not None
        queue = self._queue
        while True:
            if not queue.jobs:
                if queue.closing:
                    return
                queue.wakeup.clear()
                await queue.wakeup.wait()
                continue
            jobs = [queue.jobs.popleft() for _ in range(min(self._round, len(queue.jobs)))]
            await self._write(conn, jobs)
            for job in jobs:
                if not job.future.done():
                    job.future.set_result(None)

    _round = 1

    async def _write(self, conn: aiosqlite.Connection, jobs: list[_Job]) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        self._queue.closing = True
        self._queue.wakeup.set()
        if self._task is not None:
            await self._task
        if self._conn is not None:
            await self._conn.close()


class AiosqliteBatchStore(_AiosqliteStore):
    """Group commit through aiosqlite: one transaction per batch, one hop per statement."""

    name = "aiosqlite_batch"
    _round = MAX_BATCH

    async def _write(self, conn: aiosqlite.Connection, jobs: list[_Job]) -> None:
        await conn.execute("BEGIN IMMEDIATE")
        for job in jobs:
            await conn.execute(job.op[0], job.op[1])
        await conn.execute("COMMIT")
        self._commits += 1


class PerRowStore(_AiosqliteStore):
    """aiosqlite, one commit per row: each INSERT its own (autocommit) transaction."""

    name = "per_row"

    async def _write(self, conn: aiosqlite.Connection, jobs: list[_Job]) -> None:
        for job in jobs:
            await conn.execute(job.op[0], job.op[1])
            self._commits += 1


VARIANTS: dict[str, Callable[[], Store]] = {
    "writer": WriterStore,
    "aiosqlite_batch": AiosqliteBatchStore,
    "per_row": PerRowStore,
}


class _Rows:
    """Chat-message rows, numbered per room, each with a unique cid."""

    def __init__(self) -> None:
        self._heads = [0] * ROOMS
        self._n = 0

    def next(self) -> Op:
        room = self._n % ROOMS
        self._n += 1
        self._heads[room] += 1
        return records.message(
            f"room{room:03d}",
            self._heads[room],
            f"cid{self._n}",
            "p-bench",
            "Bench Patient",
            "patient",
            TEXT,
            None,
            int(time.time() * 1000),
        )


@dataclass(slots=True)
class _Tally:
    submitted: int = 0
    done: int = 0
    failed: int = 0
    last_done_ns: int = 0
    latencies: array[int] = field(default_factory=lambda: array("q"))
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def track(self, future: asyncio.Future[None]) -> None:
        started = time.monotonic_ns()
        self.submitted += 1
        self.idle.clear()

        def finished(f: asyncio.Future[None]) -> None:
            now = time.monotonic_ns()
            if f.cancelled() or f.exception() is not None:
                self.failed += 1
            else:
                self.done += 1
                self.latencies.append(now - started)
                self.last_done_ns = now
            if self.done + self.failed >= self.submitted:
                self.idle.set()

        future.add_done_callback(finished)

    @property
    def pending(self) -> int:
        return self.submitted - self.done - self.failed


async def _offer(store: Store, tally: _Tally, rate: float, duration: float) -> bool:
    """Submit ``rate`` rows/s for ``duration`` s; False if the backlog grew too large."""
    rows = _Rows()
    cap = max(MIN_BACKLOG, int(rate * BACKLOG_SECONDS))
    limit = min(MAX_ROWS, int(rate * duration))
    t0 = time.monotonic_ns()
    end = t0 + int(duration * 1e9)
    while tally.submitted < limit:
        now = time.monotonic_ns()
        if now >= end:
            break
        due = min(limit, int((now - t0) * rate / 1e9) + 1)
        while tally.submitted < due:
            tally.track(store.submit(rows.next()))
        if tally.pending > cap:
            return False
        await asyncio.sleep(0.001)
    return True


async def _saturate(store: Store, tally: _Tally, clients: int, duration: float) -> None:
    """``clients`` tasks, each waiting for its row's commit before the next."""
    rows = _Rows()
    end = time.monotonic_ns() + int(duration * 1e9)

    async def client() -> None:
        for _ in range(MAX_ROWS // clients):
            if time.monotonic_ns() >= end:
                return
            future = store.submit(rows.next())
            tally.track(future)
            with contextlib.suppress(Exception):
                await future

    await asyncio.gather(*(client() for _ in range(clients)))


# The busy loop's burner works in slices this long (busy share of each spent spinning).
BURN_PERIOD = 0.001


@dataclass(frozen=True, slots=True)
class Plan:
    rounds: int = 3
    duration: float = 3.0
    rates: tuple[float, ...] = (2000.0, 5000.0, 20000.0)
    clients: int = 256
    busy: tuple[float, ...] = (0.0, 0.5)
    cpu: int | None = None


DEFAULT_PLAN = Plan()
QUICK_PLAN = Plan(rounds=2, duration=1.0)
SMOKE_PLAN = Plan(rounds=1, duration=0.3, rates=(500.0,), clients=8, busy=(0.0, 0.5))


async def _burn(fraction: float, stop: asyncio.Event, burned: list[float]) -> None:
    """Keep the event loop busy ``fraction`` of the time, in short slices."""
    spin, rest = BURN_PERIOD * fraction, BURN_PERIOD * (1 - fraction)
    while not stop.is_set():
        started = time.process_time()
        end = time.perf_counter() + spin
        while time.perf_counter() < end:
            pass
        burned[0] += time.process_time() - started
        await asyncio.sleep(rest)


def percentile(ordered: Sequence[int], p: float) -> int:
    if not ordered:
        return 0
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[min(int(rank), len(ordered)) - 1]


async def measure(variant: str, rate: float | None, busy: float, plan: Plan, folder: Path) -> Row:
    """One point on one variant, on a fresh database in ``folder``."""
    path = folder / f"{variant}.sqlite3"
    conn = db.connect(path)
    migrate.migrate(conn)
    conn.close()
    store = VARIANTS[variant]()
    await store.start(path)
    tally = _Tally()
    stop = asyncio.Event()
    burned = [0.0]
    burner = asyncio.get_running_loop().create_task(_burn(busy, stop, burned)) if busy else None
    cpu0 = time.process_time()
    t0 = time.monotonic_ns()
    sustained = True
    try:
        if rate is None:
            await _saturate(store, tally, plan.clients, plan.duration)
        else:
            sustained = await _offer(store, tally, rate, plan.duration)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tally.idle.wait(), DRAIN_TIMEOUT)
    finally:
        stop.set()
        if burner is not None:
            await burner
        cpu = time.process_time() - cpu0 - burned[0]
        commits = store.commits()
        await store.close()
    stored = _count(path)
    seconds = max(1e-9, (tally.last_done_ns - t0) / 1e9)
    ordered = sorted(tally.latencies)
    return {
        "bench": "store",
        "variant": variant,
        "mode": "saturate" if rate is None else "rate",
        "offered": rate,
        "busy": busy,
        "clients": plan.clients if rate is None else None,
        "overloaded": not sustained,
        "submitted": tally.submitted,
        "committed": tally.done,
        "failed": tally.failed,
        "stored": stored,
        "seconds": round(seconds, 3),
        "rows_per_s": round(tally.done / seconds, 1),
        "commits": commits,
        "rows_per_commit": round(tally.done / commits, 2) if commits else None,
        "p50_ms": round(percentile(ordered, 50) / 1e6, 3),
        "p99_ms": round(percentile(ordered, 99) / 1e6, 3),
        "max_ms": round((ordered[-1] if ordered else 0) / 1e6, 3),
        "cpu_us_per_row": round(cpu / tally.done * 1e6, 2) if tally.done else None,
    }


def _count(path: Path) -> int:
    conn = sqlite3.connect(str(path))
    try:
        (count,) = conn.execute("SELECT count(*) FROM messages").fetchone()
    finally:
        conn.close()
    return int(count)


async def run(plan: Plan, variants: Sequence[str], emit: Callable[[Row], None]) -> list[Row]:
    points: list[tuple[float | None, float]] = [
        (rate, busy) for busy in plan.busy for rate in [*plan.rates, None]
    ]
    rows: list[Row] = []
    for round_no in range(plan.rounds):
        order = list(variants) if round_no % 2 == 0 else list(reversed(variants))
        for rate, busy in points:
            for variant in order:
                with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
                    row = await measure(variant, rate, busy, plan, Path(folder))
                row["round"] = round_no
                rows.append(row)
                emit(row)
    return rows


def _median(rows: Sequence[Row], key: str) -> float | None:
    values = [float(v) for row in rows if isinstance(v := row.get(key), int | float)]
    return statistics.median(values) if values else None


def _format(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def summary(rows: Sequence[Row], variants: Sequence[str], plan: Plan) -> str:
    base = variants[0]
    header = ["measure", *variants, *(f"{v} / {base}" for v in variants[1:])]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    points: list[tuple[str, float | None, float]] = []
    for busy in plan.busy:
        loop = f"loop {busy:.0%} busy" if busy else "idle loop"
        points += [(f"{loop}, {r:,.0f} rows/s", r, busy) for r in plan.rates]
        points.append((f"{loop}, saturated ({plan.clients} clients)", None, busy))
    fields = (
        ("rows/s", "rows_per_s", 0),
        ("commit latency p50 (ms)", "p50_ms", 2),
        ("commit latency p99 (ms)", "p99_ms", 2),
        ("commit latency max (ms)", "max_ms", 1),
        ("rows per commit", "rows_per_commit", 1),
        ("CPU per row (µs)", "cpu_us_per_row", 1),
    )
    for label, offered, busy in points:
        for name, key, digits in fields:
            values = []
            for variant in variants:
                chosen = [
                    row
                    for row in rows
                    if row.get("variant") == variant
                    and row.get("offered") == offered
                    and row.get("busy") == busy
                ]
                value = _median(chosen, key)
                if chosen and all(row.get("overloaded") for row in chosen) and key == "p99_ms":
                    value = None  # the rate was not sustained: no latency at that rate
                values.append(value)
            cells = [f"{label}: {name}", *(_format(v, digits) for v in values)]
            for value in values[1:]:
                ratio = value / values[0] if value is not None and values[0] else None
                cells.append(_format(ratio, 2))
            out.append("| " + " | ".join(cells) + " |")
    overloaded = sorted(
        {
            f"{row['variant']} at {row['offered']:,.0f} rows/s"
            + (f" (loop {row['busy']:.0%} busy)" if row.get("busy") else "")
            for row in rows
            if row.get("overloaded") and isinstance(row.get("offered"), float)
        }
    )
    lost = sum(1 for row in rows if row.get("stored") != row.get("committed") or row.get("failed"))
    out.append("")
    out.append(
        f"Medians of {plan.rounds} interleaved rounds, {plan.duration:g} s per point. "
        f"Not sustained (backlog over {BACKLOG_SECONDS:g} s of rows; p99 shown as –): "
        f"{', '.join(overloaded) or 'none'}. "
        f"Points where rows stored ≠ rows confirmed, or a row failed: {lost}."
    )
    return "\n".join(out)


def environment(plan: Plan) -> Row:
    return {
        "bench": "env",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "aiosqlite": version("aiosqlite"),
        "cpu": plan.cpu,
        "loadavg": os.getloadavg()[0],
        "pragmas": list(db.PRAGMAS),
        "switch_interval": sys.getswitchinterval(),
        "plan": {
            "rounds": plan.rounds,
            "duration": plan.duration,
            "rates": list(plan.rates),
            "clients": plan.clients,
            "busy": list(plan.busy),
        },
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.store_writer",
        description="Group-commit Writer vs aiosqlite batches vs one commit per row.",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--quick", action="store_true", help="short points (~30 s)")
    which.add_argument("--smoke", action="store_true", help="tiny points (tests)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds")
    parser.add_argument("--duration", type=float, help="seconds per point")
    parser.add_argument("--rates", help="offered rows/s, comma-separated")
    parser.add_argument("--clients", type=int, help="in-flight rows when saturated")
    parser.add_argument(
        "--busy", help="event-loop busy shares to run, comma-separated (default 0,0.5)"
    )
    parser.add_argument("--variants", help=f"subset of {','.join(VARIANTS)} (first = baseline)")
    parser.add_argument(
        "--switch-interval",
        type=float,
        help="sys.setswitchinterval in seconds (Python's default 0.005): how long a "
        "thread waiting for the GIL may wait",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    plan = QUICK_PLAN if args.quick else SMOKE_PLAN if args.smoke else DEFAULT_PLAN
    if args.rounds is not None:
        plan = replace(plan, rounds=max(1, args.rounds))
    if args.duration is not None:
        plan = replace(plan, duration=min(MAX_DURATION, max(0.1, args.duration)))
    if args.rates:
        plan = replace(plan, rates=tuple(float(r) for r in args.rates.split(",") if r))
    if args.clients is not None:
        plan = replace(plan, clients=max(1, args.clients))
    if args.busy:
        shares = tuple(min(0.9, max(0.0, float(b))) for b in args.busy.split(",") if b)
        plan = replace(plan, busy=shares or (0.0,))
    variants = [v.strip() for v in (args.variants or ",".join(VARIANTS)).split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise SystemExit(f"unknown variant(s) {unknown}; choose from {list(VARIANTS)}")
    if args.switch_interval is not None:
        sys.setswitchinterval(min(0.1, max(1e-6, args.switch_interval)))
    allowed = sorted(os.sched_getaffinity(0))
    if not args.no_pin and len(allowed) >= 2:
        # Before any thread starts, so the writer threads inherit the pin.
        os.sched_setaffinity(0, {allowed[0]})
        plan = replace(plan, cpu=allowed[0])

    def emit(row: Row) -> None:
        print(json.dumps(row), flush=True)

    stop_on_sigterm()
    started = time.monotonic()
    emit(environment(plan))
    rows = uvloop.run(run(plan, variants, emit))
    print()
    print(summary(rows, variants, plan))
    print(f"Run took {time.monotonic() - started:.0f} s; load average {os.getloadavg()[0]:.2f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
