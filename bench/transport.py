"""Price the server's transport stack against a bare baseline, interleaved.

Runs the bare websockets relay (``relay_bare``, the baseline) and the
starlette + uvicorn relay (``relay_uvicorn``) through the same measurements,
alternating between them so that drift on a shared machine hits both alike:

* ``idle``: server memory per idle, joined connection;
* ``saturate``: most probes per second passed, closed loop;
* ``rate``: latency at offered 2,000, 5,000 and 10,000 msgs/s, open loop.

Each round starts fresh servers (idle memory is measured first, on a fresh
process) and runs every measurement on each server in turn, the order
flipping every round. With two or more CPUs the servers are pinned to one
and the load generator to another. Prints one JSON line per measurement,
then a Markdown table of medians with ratios to the baseline.

    python -m bench.transport            # about 2.5 minutes
    python -m bench.transport --quick    # about 30 seconds
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from importlib.metadata import version

from bench.loadgen import LoadError, LoadSpec, Target, idle_connections, run_load
from bench.server_proc import Sample, ServerProc, read_cpus_busy_seconds, usage_between

# An RSS reading is taken as settled once two readings this far apart differ
# by less than this fraction (the server may still be handling joins).
_SETTLE_INTERVAL = 0.2
_SETTLE_FRACTION = 0.005
_SETTLE_TIMEOUT = 3.0

Row = dict[str, object]
Emit = Callable[[Row], None]


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """A server to measure: how to start it and which driver speaks to it."""

    name: str
    argv: tuple[str, ...]
    driver: str = "relay"
    path: str = "/"

    def target(self, port: int) -> Target:
        return Target(url=f"ws://127.0.0.1:{port}{self.path}", driver=self.driver)


def _module(name: str) -> tuple[str, ...]:
    return (sys.executable, "-m", name, "--port", "0")


# The first is the baseline every ratio is taken against.
SERVERS: tuple[ServerSpec, ...] = (
    ServerSpec("bare", _module("bench.relay_bare")),
    ServerSpec("uvicorn", _module("bench.relay_uvicorn")),
)


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


DEFAULT_PLAN = Plan()
QUICK_PLAN = Plan(rounds=2, duration=1.0, drain=1.0, idle_connections=500, idle_baseline=50)


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


def measure_load(server: ServerProc, load: LoadSpec, server_cpus: frozenset[int] | None) -> Row:
    """One load run plus what it cost the server, sampled over the run alone.

    ``server_core_busy`` and ``load_core_busy`` are the pinned cores' total
    busy time per second (anyone's): near 1.0 means that core was the limit.
    ``server_core_others`` is the part of the server's core not spent by the
    server (other tenants, interrupts): well above 0 means contention.
    """
    samples: list[Sample] = []
    busy: list[tuple[float, float]] = []

    def sample() -> None:
        samples.append(server.sample())
        busy.append(
            (
                read_cpus_busy_seconds(server_cpus or ()),
                read_cpus_busy_seconds(load.cpus or ()),
            )
        )

    result = run_load(load, on_start=sample, on_end=sample)
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
    return row


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
            procs = {
                spec.name: stack.enter_context(ServerProc(spec.argv, cpus=plan.server_cpus))
                for spec in order
            }
            for bench in _benches(plan):
                for spec in order:
                    row: Row = {"bench": bench.name, "target": spec.name, "round": round_no}
                    row.update(bench.fields)
                    try:
                        row.update(bench.run(procs[spec.name], spec))
                    except LoadError as exc:
                        row["error"] = str(exc)
                    rows.append(row)
                    emit(row)
    return rows


def environment(plan: Plan) -> Row:
    return {
        "bench": "env",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "server_cpus": sorted(plan.server_cpus) if plan.server_cpus else None,
        "load_cpus": sorted(plan.load_cpus) if plan.load_cpus else None,
        "loadavg": os.getloadavg()[0],
        "versions": {
            name: version(name) for name in ("websockets", "uvicorn", "starlette", "uvloop")
        },
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


def summary(rows: Sequence[Row], servers: Sequence[ServerSpec], plan: Plan) -> str:
    """A Markdown table of medians, with each server's ratio to the first."""
    lines_spec = list(_FIXED_ROWS)
    for rate in plan.rates:
        where: Row = {"offered": rate}
        label = f"{rate:,.0f} msgs/s"
        lines_spec += [
            (f"{label}: latency p50 (ms)", "rate", where, "p50_ms", 2),
            (f"{label}: latency p99 (ms)", "rate", where, "p99_ms", 2),
            (f"{label}: latency max (ms)", "rate", where, "max_ms", 1),
            (f"{label}: server CPU (% of a core)", "rate", where, "server_cpu_pct", 0),
        ]
    base = servers[0].name
    header = ["measure", *(spec.name for spec in servers)]
    header += [f"{spec.name} / {base}" for spec in servers[1:]]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, bench, where, key, digits in lines_spec:
        medians: list[float | None] = []
        for spec in servers:
            chosen = [
                _derived(row)
                for row in rows
                if row.get("bench") == bench
                and row.get("target") == spec.name
                and all(row.get(k) == v for k, v in where.items())
            ]
            medians.append(_median(chosen, key))
        cells = [label, *(_format(m, digits) for m in medians)]
        for value in medians[1:]:
            ratio = value / medians[0] if value is not None and medians[0] else None
            cells.append(_format(ratio, 2))
        out.append("| " + " | ".join(cells) + " |")
    lost = sum(int(v) for row in rows if isinstance(v := row.get("lost"), int))
    errors = sum(1 for row in rows if "error" in row)
    others = _median(rows, "server_core_others")
    out.append("")
    out.append(
        f"Medians of {plan.rounds} interleaved rounds; {plan.duration:g} s per load point; "
        f"probes lost in all runs: {lost}; failed measurements: {errors}; "
        f"server's core busy with others during load (median): {_format(others, 2)} cores."
    )
    return "\n".join(out)


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
        description="Bare websockets relay vs starlette + uvicorn relay, interleaved.",
    )
    parser.add_argument("--quick", action="store_true", help="short points (~30 s in all)")
    parser.add_argument("--rounds", type=int, help="rounds per server (at least 2)")
    parser.add_argument("--duration", type=float, help="seconds per load point")
    parser.add_argument("--idle", type=int, help="idle connections to open")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and load")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    plan = QUICK_PLAN if args.quick else DEFAULT_PLAN
    if args.rounds is not None:
        plan = replace(plan, rounds=max(2, args.rounds))
    if args.duration is not None:
        plan = replace(plan, duration=args.duration)
    if args.idle is not None:
        plan = replace(plan, idle_connections=args.idle)
    if not args.no_pin:
        server_cpus, load_cpus = default_pinning()
        plan = replace(plan, server_cpus=server_cpus, load_cpus=load_cpus)

    def emit(row: Row) -> None:
        print(json.dumps(row), flush=True)

    started = time.monotonic()
    emit(environment(plan))
    rows = run(plan, SERVERS, emit)
    print()
    print(summary(rows, SERVERS, plan))
    print(
        f"Run took {time.monotonic() - started:.0f} s; load average now {os.getloadavg()[0]:.2f}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
