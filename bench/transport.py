"""Price the server's transport stack and durable path against a bare baseline, interleaved.

Runs the bare websockets relay (``relay_bare``, the baseline), the
starlette + uvicorn relay (``relay_uvicorn``) and the chat server itself
(``chatserver``: the real protocol, every message committed to SQLite before
it is acked or delivered) through the same measurements, alternating between
them so that drift on a shared machine hits all alike:

* ``idle``: server memory per idle connection (joined to a room on the
  relays; authenticated, ``hello`` answered by ``welcome``, on the chatserver);
* ``saturate``: most probes per second passed, closed loop;
* ``rate``: latency at offered 2,000, 5,000 and 10,000 msgs/s, open loop.

For servers with a ``/metrics`` endpoint (the chatserver) every load run
also reports the store's group commits during that run (batch sizes and
commit times, from ``chatserver_store_batch_operations`` and
``chatserver_store_commit_seconds``), and the driver's ack counts.

Each round starts fresh servers (the chatserver on a fresh SQLite file made
by ``bench.chatserver_setup``; idle memory is measured first, on a fresh
process) and runs every measurement on each server in turn, the order
flipping every round. With two or more CPUs the servers are pinned to one
and the load generator to another. Prints one JSON line per measurement,
then a Markdown table of medians with ratios to the baseline.

    python -m bench.transport            # about 7 minutes
    python -m bench.transport --quick    # about 1 minute
    python -m bench.transport --servers bare,chatserver
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path

from bench.chatserver_setup import server_argv as chatserver_argv
from bench.chatserver_setup import unpaced_server_argv
from bench.loadgen import LoadError, LoadSpec, Target, idle_connections, run_load
from bench.scrape import BATCH_OPERATIONS, COMMIT_SECONDS, Histogram, scrape_histograms
from bench.server_proc import (
    Sample,
    ServerProc,
    read_cpus_busy_seconds,
    stop_on_sigterm,
    usage_between,
)

# An RSS reading is taken as settled once two readings this far apart differ
# by less than this fraction (the server may still be handling joins).
_SETTLE_INTERVAL = 0.2
_SETTLE_FRACTION = 0.005
_SETTLE_TIMEOUT = 3.0

Row = dict[str, object]
Emit = Callable[[Row], None]


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """A server to measure: how to start it and which driver speaks to it.

    ``prepare``, if given, is called with a fresh empty folder at the start
    of every round (removed after the server stops) and returns the command
    to run instead of ``argv``: the chatserver gets a new database that way.
    ``metrics_path`` names a Prometheus endpoint to scrape around load runs.
    """

    name: str
    argv: tuple[str, ...] = ()
    driver: str = "relay"
    path: str = "/"
    params: tuple[tuple[str, str], ...] = ()
    prepare: Callable[[Path], Sequence[str]] | None = None
    metrics_path: str | None = None

    def target(self, port: int) -> Target:
        return Target(
            url=f"ws://127.0.0.1:{port}{self.path}", driver=self.driver, params=self.params
        )

    def command(self, stack: ExitStack) -> Sequence[str]:
        if self.prepare is None:
            return self.argv
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bench-{self.name}-"))
        return self.prepare(Path(folder))

    def metrics_url(self, port: int) -> str | None:
        if self.metrics_path is None:
            return None
        return f"http://127.0.0.1:{port}{self.metrics_path}"


def _module(name: str) -> tuple[str, ...]:
    return (sys.executable, "-m", name, "--port", "0")


# The first is the baseline every ratio is taken against.
SERVERS: tuple[ServerSpec, ...] = (
    ServerSpec("bare", _module("bench.relay_bare")),
    ServerSpec("uvicorn", _module("bench.relay_uvicorn")),
    ServerSpec(
        "chatserver",
        driver="chatserver",
        path="/ws",
        prepare=chatserver_argv,
        metrics_path="/metrics",
    ),
)
# Named with --servers only: the chatserver with its store's pacing turned off
# (docs/decisions/0006-messages-append-only.md has the A/B).
EXTRA_SERVERS: tuple[ServerSpec, ...] = (
    ServerSpec(
        "chatserver_unpaced",
        driver="chatserver",
        path="/ws",
        prepare=unpaced_server_argv,
        metrics_path="/metrics",
    ),
)
# Seconds between attempts at a contended measurement (let the server settle).
RETRY_PAUSE = 1.0
# What issue 7 asks of the durable path, against the baseline in the same run.
TARGET_THROUGHPUT_RATIO = 0.6
TARGET_P99_MS = 20.0
TARGET_P99_RATE = 10000.0


@dataclass(frozen=True, slots=True)
class Plan:
    rounds: int = 3
    duration: float = 5.0
    drain: float = 2.0
    rates: tuple[float, ...] = (2000.0, 5000.0, 10000.0)
    latency_pairs: int = 50
    saturate_pairs: int = 16
    window: int = 16
    idle_connections: int = 2000
    # Connections held open while the "before" reading is taken, so that
    # one-off costs of a first connection are not charged to the idle ones.
    idle_baseline: int = 200
    server_cpus: frozenset[int] | None = None
    load_cpus: frozenset[int] | None = None
    # A load measurement during which the server's core was busy with other
    # processes for more than max_others cores is repeated, at most retries
    # times, and the least contended attempt is kept (shared machines).
    max_others: float = 0.1
    retries: int = 2


DEFAULT_PLAN = Plan()
QUICK_PLAN = Plan(rounds=2, duration=1.0, drain=1.0, idle_connections=500, idle_baseline=50)
SMOKE_PLAN = Plan(
    rounds=1,
    duration=0.5,
    drain=1.0,
    rates=(200.0,),
    latency_pairs=4,
    saturate_pairs=2,
    window=4,
    idle_connections=20,
    idle_baseline=5,
)


def default_pinning() -> tuple[frozenset[int] | None, frozenset[int] | None]:
    """Servers on one CPU, load on another, when this process may use two."""
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None, None
    return frozenset({allowed[0]}), frozenset({allowed[1]})


def _settled_rss(server: ServerProc) -> int:
    last = server.sample().rss_bytes
    deadline = time.monotonic() + _SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        time.sleep(_SETTLE_INTERVAL)
        now = server.sample().rss_bytes
        if abs(now - last) <= _SETTLE_FRACTION * last:
            return now
        last = now
    return last


def measure_idle(server: ServerProc, spec: ServerSpec, plan: Plan) -> Row:
    target = spec.target(server.port)
    with idle_connections(target, plan.idle_baseline, cpus=plan.load_cpus) as baseline:
        before = _settled_rss(server)
        with idle_connections(target, plan.idle_connections, cpus=plan.load_cpus) as opened:
            after = _settled_rss(server)
    return {
        "connections": opened,
        "baseline_connections": baseline,
        "rss_before_mib": round(before / 2**20, 2),
        "rss_after_mib": round(after / 2**20, 2),
        "kib_per_conn": round((after - before) / max(1, opened) / 1024, 2),
    }


def measure_load(
    server: ServerProc,
    load: LoadSpec,
    server_cpus: frozenset[int] | None,
    metrics_url: str | None = None,
    at_start: Callable[[], object] | None = None,
) -> Row:
    """One load run plus what it cost the server, sampled over the run alone.

    ``server_core_busy`` and ``load_core_busy`` are the pinned cores' total
    busy time per second (anyone's): near 1.0 means that core was the limit.
    ``server_core_others`` is the part of the server's core not spent by the
    server (other tenants, interrupts): well above 0 means contention.
    With ``metrics_url`` the store's histograms are scraped just before the
    first sample and just after the last, so the scrape's own cost is not
    charged to the run (``store_fields``). ``at_start`` is called right after
    the first sample (a profiler can attach there).
    """
    samples: list[Sample] = []
    busy: list[tuple[float, float]] = []
    scrapes: list[dict[str, Histogram]] = []

    def sample() -> None:
        samples.append(server.sample())
        busy.append(
            (
                read_cpus_busy_seconds(server_cpus or ()),
                read_cpus_busy_seconds(load.cpus or ()),
            )
        )

    def scrape() -> None:
        if metrics_url is not None:
            try:
                scrapes.append(scrape_histograms(metrics_url))
            except (OSError, urllib.error.URLError, ValueError):
                scrapes.append({})

    def on_start() -> None:
        scrape()
        sample()
        if at_start is not None:
            at_start()

    def on_end() -> None:
        sample()
        scrape()

    result = run_load(load, on_start=on_start, on_end=on_end)
    usage = usage_between(samples[0], samples[1])
    wall = usage.wall_seconds
    row: Row = dict(result.as_dict())
    row["server_cpu"] = round(usage.cpu_share, 3)
    row["server_cpu_us_per_msg"] = (
        round(usage.cpu_seconds / result.received * 1e6, 2) if result.received else None
    )
    if wall > 0 and server_cpus:
        server_busy = busy[1][0] - busy[0][0]
        row["server_core_busy"] = round(server_busy / wall, 3)
        row["server_core_others"] = round(max(0.0, server_busy - usage.cpu_seconds) / wall, 3)
    if wall > 0 and load.cpus:
        row["load_core_busy"] = round((busy[1][1] - busy[0][1]) / wall, 3)
    if len(scrapes) == 2:
        row.update(store_fields(scrapes[0], scrapes[1], wall))
    counters = result.counters
    if "acked" in counters:
        row["acked"] = counters["acked"]
        row["unacked"] = max(0, result.sent - counters["acked"])
    if "hello_retries" in counters:
        row["hello_retries"] = counters["hello_retries"]
    return row


def store_fields(before: dict[str, Histogram], after: dict[str, Histogram], wall: float) -> Row:
    """Group commits between two scrapes: how many, how big, how long."""
    row: Row = {}
    ops_now, ops_then = after.get(BATCH_OPERATIONS), before.get(BATCH_OPERATIONS)
    if ops_now is not None and ops_then is not None:
        ops = ops_now.minus(ops_then)
        row["commits"] = int(ops.count)
        row["commits_per_s"] = round(ops.count / wall, 1) if wall > 0 else None
        row["batch_mean"] = _rounded(ops.mean(), 2)
        row["batch_p50_le"] = ops.quantile_bound(0.5)
        row["batch_p99_le"] = ops.quantile_bound(0.99)
        row["batch_max_le"] = ops.top_bound()
    secs_now, secs_then = after.get(COMMIT_SECONDS), before.get(COMMIT_SECONDS)
    if secs_now is not None and secs_then is not None:
        secs = secs_now.minus(secs_then)
        mean, p99 = secs.mean(), secs.quantile_bound(0.99)
        row["commit_ms_mean"] = _rounded(mean * 1e3 if mean is not None else None, 3)
        row["commit_ms_p99_le"] = _rounded(p99 * 1e3 if p99 is not None else None, 2)
    return row


def _rounded(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None


@dataclass(frozen=True, slots=True)
class _Bench:
    name: str
    run: Callable[[ServerProc, ServerSpec], Row]
    fields: Row


def _benches(plan: Plan) -> list[_Bench]:
    def load(pairs: int, rate: float | None) -> Callable[[ServerProc, ServerSpec], Row]:
        def measure(server: ServerProc, spec: ServerSpec) -> Row:
            return measure_load(
                server,
                LoadSpec(
                    target=spec.target(server.port),
                    pairs=pairs,
                    rate=rate,
                    window=plan.window,
                    duration=plan.duration,
                    drain=plan.drain,
                    cpus=plan.load_cpus,
                ),
                plan.server_cpus,
                spec.metrics_url(server.port),
            )

        return measure

    benches = [
        _Bench("idle", lambda server, spec: measure_idle(server, spec, plan), {}),
        _Bench("saturate", load(plan.saturate_pairs, None), {}),
    ]
    benches += [
        _Bench("rate", load(plan.latency_pairs, rate), {"offered": rate}) for rate in plan.rates
    ]
    return benches


def run(plan: Plan, servers: Sequence[ServerSpec], emit: Emit) -> list[Row]:
    """Every measurement on every server, interleaved; returns the rows emitted."""
    rows: list[Row] = []
    for round_no in range(plan.rounds):
        order = list(servers) if round_no % 2 == 0 else list(reversed(servers))
        with ExitStack() as stack:
            # A server's folder is entered before it, so it is removed after it stops.
            procs = {
                spec.name: stack.enter_context(
                    ServerProc(spec.command(stack), cpus=plan.server_cpus)
                )
                for spec in order
            }
            for bench in _benches(plan):
                for spec in order:
                    row: Row = {"bench": bench.name, "target": spec.name, "round": round_no}
                    row.update(bench.fields)
                    row.update(_least_contended(bench, procs[spec.name], spec, plan))
                    rows.append(row)
                    emit(row)
    return rows


def _least_contended(bench: _Bench, server: ServerProc, spec: ServerSpec, plan: Plan) -> Row:
    """Run a measurement, again while others crowded the server's core; keep the calmest."""
    attempts: list[Row] = []
    for attempt in range(1 + (plan.retries if bench.name != "idle" else 0)):
        if attempt:
            time.sleep(RETRY_PAUSE)
        try:
            result = bench.run(server, spec)
        except LoadError as exc:
            result = {"error": str(exc)}
        attempts.append(result)
        others = result.get("server_core_others")
        if "error" not in result and (
            not isinstance(others, int | float) or others <= plan.max_others
        ):
            break

    def crowding(result: Row) -> tuple[bool, float]:
        others = result.get("server_core_others")
        return "error" in result, float(others) if isinstance(others, int | float) else 0.0

    calmest: Row = min(attempts, key=crowding)
    best: Row = dict(calmest)
    best["attempts"] = len(attempts)
    return best


def environment(plan: Plan, servers: Sequence[ServerSpec]) -> Row:
    return {
        "bench": "env",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": platform.python_version(),
        "interpreter": interpreter(),
        "cpus": os.cpu_count(),
        "server_cpus": sorted(plan.server_cpus) if plan.server_cpus else None,
        "load_cpus": sorted(plan.load_cpus) if plan.load_cpus else None,
        "loadavg": os.getloadavg()[0],
        "servers": [spec.name for spec in servers],
        "git": git_state(),
        "versions": {
            name: version(name)
            for name in ("websockets", "uvicorn", "starlette", "uvloop", "msgpack", "aiosqlite")
        },
        "sqlite": sqlite_version(),
        "plan": {
            "rounds": plan.rounds,
            "duration": plan.duration,
            "rates": list(plan.rates),
            "latency_pairs": plan.latency_pairs,
            "saturate_pairs": plan.saturate_pairs,
            "window": plan.window,
            "idle_connections": plan.idle_connections,
        },
    }


def interpreter() -> Row:
    """Which build of Python ran the servers and the load: the same code runs
    6-11% slower on a build without PGO and with libpython as a shared
    library (docs/decisions/0012-an-optimized-interpreter.md)."""
    try:  # a build's config may say shared while its binary has libpython linked in
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        maps = ""
    return {
        "executable": getattr(sys, "_base_executable", sys.executable),
        "build": " ".join(platform.python_build()),
        "libpython_shared": "libpython" in maps,
    }


def git_state() -> Row:
    """The commit measured and how many files differ from it (others edit the tree)."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = [line[3:] for line in git("status", "--porcelain").splitlines() if line]
    return {
        "head": git("rev-parse", "--short", "HEAD") or None,
        "changed_files": len(changed),
        "changed_server_files": sum(
            1 for path in changed if path.startswith(("chatserver/", "protocol/"))
        ),
    }


def sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _median(rows: Iterable[Row], key: str) -> float | None:
    values = [float(v) for row in rows if isinstance(v := row.get(key), int | float)]
    return statistics.median(values) if values else None


def _format(value: float | None, digits: int) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


# (label, bench, where, key, digits) rows of the summary table.
_TableRow = tuple[str, str, Row, str, int]
_FIXED_ROWS: tuple[_TableRow, ...] = (
    ("idle connection: server RSS (KiB)", "idle", {}, "kib_per_conn", 1),
    ("saturated: throughput (msgs/s)", "saturate", {}, "achieved_rate", 0),
    ("saturated: latency p50 (ms)", "saturate", {}, "p50_ms", 2),
    ("saturated: latency p99 (ms)", "saturate", {}, "p99_ms", 2),
    ("saturated: server CPU per msg (µs)", "saturate", {}, "server_cpu_us_per_msg", 1),
    ("saturated: 1 core / CPU per msg (msgs/s)", "saturate", {}, "one_core_capacity", 0),
    ("saturated: server CPU (cores)", "saturate", {}, "server_cpu", 2),
    ("saturated: server's core busy (cores)", "saturate", {}, "server_core_busy", 2),
    ("saturated: generator CPU (cores)", "saturate", {}, "loadgen_cpu", 2),
    ("saturated: generator's core busy (cores)", "saturate", {}, "load_core_busy", 2),
)


def _table_rows(plan: Plan) -> list[_TableRow]:
    lines_spec = list(_FIXED_ROWS)
    for rate in plan.rates:
        where: Row = {"offered": rate}
        label = f"{rate:,.0f} msgs/s"
        lines_spec += [
            (f"{label}: latency p50 (ms)", "rate", where, "p50_ms", 2),
            (f"{label}: latency p99 (ms)", "rate", where, "p99_ms", 2),
            (f"{label}: latency max (ms)", "rate", where, "max_ms", 1),
            (f"{label}: server CPU (% of a core)", "rate", where, "server_cpu_pct", 0),
            (f"{label}: server CPU per msg (µs)", "rate", where, "server_cpu_us_per_msg", 1),
        ]
    return lines_spec


def _store_rows(plan: Plan) -> list[_TableRow]:
    points: list[tuple[str, str, Row]] = [("saturated", "saturate", {})]
    points += [(f"{rate:,.0f} msgs/s", "rate", {"offered": rate}) for rate in plan.rates]
    out: list[_TableRow] = []
    for label, bench, where in points:
        out += [
            (f"{label}: commits per second", bench, where, "commits_per_s", 0),
            (f"{label}: messages per commit, mean", bench, where, "batch_mean", 1),
            (f"{label}: messages per commit, p50 ≤", bench, where, "batch_p50_le", 0),
            (f"{label}: messages per commit, p99 ≤", bench, where, "batch_p99_le", 0),
            (f"{label}: messages per commit, max ≤", bench, where, "batch_max_le", 0),
            (f"{label}: commit time, mean (ms)", bench, where, "commit_ms_mean", 2),
            (f"{label}: commit time, p99 ≤ (ms)", bench, where, "commit_ms_p99_le", 1),
        ]
    return out


def _chosen(rows: Sequence[Row], spec: ServerSpec, bench: str, where: Row) -> list[Row]:
    """The rows (with derived figures) of one measurement of one server."""
    return [
        _derived(row)
        for row in rows
        if row.get("bench") == bench
        and row.get("target") == spec.name
        and all(row.get(k) == v for k, v in where.items())
    ]


def medians(
    rows: Sequence[Row], spec: ServerSpec, bench: str, where: Row, key: str
) -> float | None:
    """The median of ``key`` over the rounds of one measurement of one server."""
    return _median(_chosen(rows, spec, bench, where), key)


def by_round(
    rows: Sequence[Row], spec: ServerSpec, bench: str, where: Row, key: str
) -> dict[int, float]:
    """``key`` of one measurement of one server, by round."""
    out: dict[int, float] = {}
    for row in _chosen(rows, spec, bench, where):
        value, number = row.get(key), row.get("round")
        if isinstance(value, int | float) and isinstance(number, int):
            out[number] = float(value)
    return out


def _rounds(values: Sequence[float], digits: int) -> str:
    """The values as " (per round a / b / c)", or "" for fewer than two."""
    if len(values) < 2:
        return ""
    return " (per round " + " / ".join(f"{v:.{digits}f}" for v in values) + ")"


def summary(rows: Sequence[Row], servers: Sequence[ServerSpec], plan: Plan) -> str:
    """Markdown tables of medians with each server's ratio to the first, and the targets."""
    base = servers[0].name
    header = ["measure", *(spec.name for spec in servers)]
    header += [f"{spec.name} / {base}" for spec in servers[1:]]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, bench, where, key, digits in _table_rows(plan):
        values = [medians(rows, spec, bench, where, key) for spec in servers]
        cells = [label, *(_format(m, digits) for m in values)]
        for value in values[1:]:
            ratio = value / values[0] if value is not None and values[0] else None
            cells.append(_format(ratio, 2))
        out.append("| " + " | ".join(cells) + " |")
    lost = sum(int(v) for row in rows if isinstance(v := row.get("lost"), int))
    errors = sum(1 for row in rows if "error" in row)
    others = _median(rows, "server_core_others")
    loads = [row for row in rows if "server_core_others" in row]
    crowded = sum(
        1
        for row in loads
        if isinstance(v := row.get("server_core_others"), int | float) and v > plan.max_others
    )
    repeated = sum(1 for row in loads if isinstance(v := row.get("attempts"), int) and v > 1)
    out.append("")
    out.append(
        f"Medians of {plan.rounds} interleaved rounds; {plan.duration:g} s per load point; "
        f"probes lost in all runs: {lost}; failed measurements: {errors}; "
        f"server's core busy with others during load (median): {_format(others, 2)} cores; "
        f"load points repeated because others crowded the server's core: {repeated}, "
        f"still above {plan.max_others:g} cores after {plan.retries} repeats: "
        f"{crowded} of {len(loads)}."
    )
    durable = [spec for spec in servers if spec.metrics_path is not None]
    for spec in durable:
        out += ["", f"Group commits of {spec.name} during the load runs (medians):", ""]
        out += ["| measure | " + spec.name + " |", "|---|---|"]
        for label, bench, where, key, digits in _store_rows(plan):
            value = medians(rows, spec, bench, where, key)
            out.append(f"| {label} | {_format(value, digits)} |")
        mine = [row for row in rows if row.get("target") == spec.name and "sent" in row]
        sent = sum(int(v) for row in mine if isinstance(v := row.get("sent"), int))
        acked = sum(int(v) for row in mine if isinstance(v := row.get("acked"), int))
        retries = sum(int(v) for row in mine if isinstance(v := row.get("hello_retries"), int))
        out += [
            "",
            f"{spec.name}: {sent:,} messages sent in all load runs, {acked:,} acked; "
            f"hello retried after auth_failed for a fresh token: {retries} times.",
        ]
    out += ["", *targets(rows, servers)]
    return "\n".join(out)


def targets(rows: Sequence[Row], servers: Sequence[ServerSpec]) -> list[str]:
    """Issue 7's targets for each durable server, against the baseline."""
    base = servers[0]
    lines: list[str] = []
    for spec in servers[1:]:
        if spec.metrics_path is None:
            continue
        lines.append(f"Targets for {spec.name} (issue 7):")
        for key, what in (
            ("achieved_rate", "saturated throughput"),
            ("one_core_capacity", "msgs/s per core of server CPU"),
        ):
            mine = medians(rows, spec, "saturate", {}, key)
            theirs = medians(rows, base, "saturate", {}, key)
            ratio = mine / theirs if mine is not None and theirs else None
            verdict = _verdict(ratio, ratio is not None and ratio >= TARGET_THROUGHPUT_RATIO)
            # The same ratio within each round: both servers met the same
            # machine there, which the medians of each do not guarantee.
            ours = by_round(rows, spec, "saturate", {}, key)
            base_rounds = by_round(rows, base, "saturate", {}, key)
            paired = [ours[r] / base_rounds[r] for r in sorted(ours) if base_rounds.get(r)]
            lines.append(
                f"- {what}: {_format(ratio, 2)}× {base.name}{_rounds(paired, 2)} "
                f"(target ≥ {TARGET_THROUGHPUT_RATIO}×): {verdict}"
            )
        where: Row = {"offered": TARGET_P99_RATE}
        p99 = medians(rows, spec, "rate", where, "p99_ms")
        if p99 is not None or any(row.get("offered") == TARGET_P99_RATE for row in rows):
            verdict = _verdict(p99, p99 is not None and p99 <= TARGET_P99_MS)
            each = by_round(rows, spec, "rate", where, "p99_ms")
            lines.append(
                f"- p99 send→delivered at {TARGET_P99_RATE:,.0f} msgs/s offered: "
                f"{_format(p99, 2)} ms{_rounds([each[r] for r in sorted(each)], 1)} "
                f"(target ≤ {TARGET_P99_MS:g} ms): {verdict}"
            )
    return lines


def _verdict(value: float | None, ok: bool) -> str:
    if value is None:
        return "not measured"
    return "met" if ok else "MISSED"


def _derived(row: Row) -> Row:
    """Figures computed from a row for the table only."""
    extra: Row = {}
    share = row.get("server_cpu")
    if isinstance(share, int | float):
        extra["server_cpu_pct"] = share * 100
    per_msg = row.get("server_cpu_us_per_msg")
    if isinstance(per_msg, int | float) and per_msg > 0:
        extra["one_core_capacity"] = 1e6 / per_msg
    return {**row, **extra}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.transport",
        description="Bare websockets relay vs starlette + uvicorn relay vs chatserver, "
        "interleaved.",
    )
    plan = parser.add_mutually_exclusive_group()
    plan.add_argument("--quick", action="store_true", help="short points (~1 min in all)")
    plan.add_argument("--smoke", action="store_true", help="tiny points, one round (tests)")
    parser.add_argument("--rounds", type=int, help="rounds per server (at least 2)")
    parser.add_argument("--duration", type=float, help="seconds per load point")
    parser.add_argument("--idle", type=int, help="idle connections to open")
    parser.add_argument(
        "--rates",
        help="comma-separated offered rates in msgs/s (default 2000,5000,10000; "
        "more points give a fuller latency curve, bench/plot_latency.py)",
    )
    parser.add_argument(
        "--servers",
        help=f"comma-separated subset of {','.join(s.name for s in SERVERS + EXTRA_SERVERS)} "
        "(the first named is the baseline)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and load")
    parser.add_argument(
        "--retries",
        type=int,
        help="repeats of a load point while others crowd the server's core (default 2)",
    )
    return parser


def choose_servers(names: str | None) -> tuple[ServerSpec, ...]:
    if not names:
        return SERVERS
    known = {spec.name: spec for spec in SERVERS + EXTRA_SERVERS}
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in known]
    if unknown or not wanted:
        raise SystemExit(f"unknown server(s) {unknown}; choose from {sorted(known)}")
    return tuple(known[name] for name in wanted)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    plan = QUICK_PLAN if args.quick else SMOKE_PLAN if args.smoke else DEFAULT_PLAN
    if args.rounds is not None:
        plan = replace(plan, rounds=max(2, args.rounds))
    if args.duration is not None:
        plan = replace(plan, duration=args.duration)
    if args.idle is not None:
        plan = replace(plan, idle_connections=args.idle)
    if args.retries is not None:
        plan = replace(plan, retries=max(0, args.retries))
    if args.rates:
        rates = tuple(float(r) for r in args.rates.split(",") if r.strip())
        plan = replace(plan, rates=tuple(sorted(set(rates))))
    if not args.no_pin:
        server_cpus, load_cpus = default_pinning()
        plan = replace(plan, server_cpus=server_cpus, load_cpus=load_cpus)
    servers = choose_servers(args.servers)

    def emit(row: Row) -> None:
        print(json.dumps(row), flush=True)

    stop_on_sigterm()
    started = time.monotonic()
    emit(environment(plan, servers))
    rows = run(plan, servers, emit)
    print()
    print(summary(rows, servers, plan))
    print(
        f"Run took {time.monotonic() - started:.0f} s; load average now {os.getloadavg()[0]:.2f}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
