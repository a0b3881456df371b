"""Profile the chatserver under load, and try GC settings without changing the server.

One load point (``--rate R`` msgs/s offered, or ``--saturate``) against a
chatserver on a fresh bench database (``bench.chatserver_setup``), server on
one CPU and the load generator on another as in ``bench.transport``.
Reports per thread the CPU the server spent during the load (from
``/proc/PID/task``), and with ``--py-spy FILE`` samples the server with py-spy
(``pip install py-spy``) and prints the functions and lines that the event
loop's thread and the store's writer thread spend their samples in.

``--gc`` runs the same point, interleaved, on the server as it is and on the
server started through a small wrapper that only tunes Python's cyclic
garbage collector before the server's code runs: ``gc.collect(); gc.freeze()``
after the imports and a gen-0 threshold of ``--gc-threshold`` (default 100,000
instead of 700). The wrapper counts collections and their time per
generation with ``gc.callbacks`` in both variants and writes them to a file,
so the table shows what the collector costs and what tuning it would buy.

    python -m bench.profile_chatserver --rate 10000 --py-spy /tmp/prof.txt
    python -m bench.profile_chatserver --saturate --gc --rounds 4
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.chatserver_setup import prepare
from bench.loadgen import LoadError, LoadSpec, Target
from bench.server_proc import ServerProc, stop_on_sigterm
from bench.transport import default_pinning, measure_load

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# py-spy samples per second, and how long it records (from 1 s into the load).
SPY_RATE = 200
SPY_DELAY = 1.0

# Runs the chatserver CLI after installing GC counters (and, when tuned,
# freezing what the imports made and raising the gen-0 threshold). Writes the
# counters as JSON to $BENCH_GC_STATS on SIGUSR1.
_GC_WRAPPER = """
import gc, json, os, signal, sys, time
tuned = os.environ.get("BENCH_GC_TUNED") == "1"
out = os.environ["BENCH_GC_STATS"]
stats = {g: [0, 0.0] for g in range(3)}
started = [0.0]
def count(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        entry = stats[info["generation"]]
        entry[0] += 1
        entry[1] += time.perf_counter() - started[0]
gc.callbacks.append(count)
def dump(*_):
    with open(out, "w") as f:
        json.dump({str(g): {"n": n, "seconds": s} for g, (n, s) in stats.items()}, f)
signal.signal(signal.SIGUSR1, dump)
import chatserver.cli
if tuned:
    import chatserver.service.core, chatserver.transport.run
    gc.collect()
    gc.freeze()
    gc.set_threshold(int(os.environ["BENCH_GC_THRESHOLD"]), 10, 10)
sys.exit(chatserver.cli.main(sys.argv[1:]))
"""


@dataclass(frozen=True, slots=True)
class Point:
    pairs: int
    rate: float | None
    window: int
    duration: float
    drain: float


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of every thread of a process, with its name."""
    out: dict[int, tuple[str, float]] = {}
    for name in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{name}/comm", encoding="utf-8") as comm:
                label = comm.read().strip()
            with open(f"/proc/{pid}/task/{name}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        out[int(name)] = (label, (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS)
    return out


def _gc_argv(argv: Sequence[str]) -> list[str]:
    """The server's command through the GC wrapper (argv[3:] are the CLI's arguments)."""
    return [sys.executable, "-c", _GC_WRAPPER, *argv[3:]]


def run_point(
    point: Point,
    server_cpus: frozenset[int] | None,
    load_cpus: frozenset[int] | None,
    *,
    gc_variant: str | None = None,
    gc_threshold: int = 100_000,
    spy_out: str | None = None,
) -> dict[str, object]:
    """One load point on a fresh server; returns the load row plus thread CPU and GC time."""
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
        argv: Sequence[str] = prepare(Path(folder)).argv()
        env: dict[str, str] | None = None
        stats_file: Path | None = None
        if gc_variant is not None:
            argv = _gc_argv(argv)
            stats_file = Path(folder) / "gc.json"
            env = {
                **os.environ,
                "BENCH_GC_STATS": str(stats_file),
                "BENCH_GC_TUNED": "1" if gc_variant == "tuned" else "0",
                "BENCH_GC_THRESHOLD": str(gc_threshold),
            }
        with ServerProc(argv, cpus=server_cpus, ready_timeout=30.0, env=env) as server:
            return _measure(server, point, server_cpus, load_cpus, stats_file, spy_out)


def _gc_snapshot(server: ServerProc, stats_file: Path) -> dict[str, dict[str, float]]:
    stats_file.unlink(missing_ok=True)
    os.kill(server.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            loaded: dict[str, dict[str, float]] = json.loads(stats_file.read_text())
            return loaded
        except (FileNotFoundError, ValueError):
            time.sleep(0.02)
    return {}


def _measure(
    server: ServerProc,
    point: Point,
    server_cpus: frozenset[int] | None,
    load_cpus: frozenset[int] | None,
    stats_file: Path | None,
    spy_out: str | None,
) -> dict[str, object]:
    gc_before = _gc_snapshot(server, stats_file) if stats_file is not None else {}
    cpu_before = thread_cpu(server.pid)
    started = time.monotonic()
    spy: list[subprocess.Popen[bytes]] = []

    def start_spy() -> None:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        seconds = max(1, int(point.duration - SPY_DELAY - 0.5))
        command = [py_spy, "record", "-p", str(server.pid), "-d", str(seconds)]
        command += ["-r", str(SPY_RATE), "--threads", "--nonblocking", "-f", "raw", "-o"]
        command += [str(spy_out)]
        if load_cpus:
            command = ["taskset", "-c", ",".join(map(str, sorted(load_cpus))), *command]
        spy.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def at_start() -> None:
        if spy_out is not None:
            threading.Timer(SPY_DELAY, start_spy).start()

    load = LoadSpec(
        target=Target(url=f"ws://127.0.0.1:{server.port}/ws", driver="chatserver"),
        pairs=point.pairs,
        rate=point.rate,
        window=point.window,
        duration=point.duration,
        drain=point.drain,
        cpus=load_cpus,
    )
    row = measure_load(server, load, server_cpus, at_start=at_start)
    wall = time.monotonic() - started
    cpu_after = thread_cpu(server.pid)
    gc_after = _gc_snapshot(server, stats_file) if stats_file is not None else {}
    for proc in spy:
        proc.wait(60)
    threads: dict[str, float] = collections.defaultdict(float)
    for tid, (label, seconds) in cpu_after.items():
        spent = seconds - cpu_before.get(tid, (label, 0.0))[1]
        kind = "event loop" if tid == server.pid else label
        threads[kind] += spent / wall
    busy = {k: v for k, v in threads.items() if v >= 0.005}
    row["thread_cores"] = {k: round(v, 3) for k, v in busy.items()}
    # Thread CPU is taken over the whole run (set-up and drain too): per
    # message, divide by what was received, not by the load's rate.
    received = row.get("received")
    if isinstance(received, int) and received:
        row["thread_us_per_msg"] = {k: round(v * wall / received * 1e6, 2) for k, v in busy.items()}
    if gc_after:
        for gen in ("0", "1", "2"):
            n = gc_after[gen]["n"] - gc_before.get(gen, {}).get("n", 0)
            secs = gc_after[gen]["seconds"] - gc_before.get(gen, {}).get("seconds", 0.0)
            row[f"gc{gen}_collections"] = int(n)
            row[f"gc{gen}_ms_total"] = round(secs * 1e3, 1)
            row[f"gc{gen}_ms_mean"] = round(secs * 1e3 / n, 2) if n else None
        received = row.get("received")
        total = sum(float(v) for g in "012" if isinstance(v := row.get(f"gc{g}_ms_total"), float))
        if isinstance(received, int) and received:
            row["gc_us_per_msg"] = round(total * 1e3 / received, 2)
    return row


def summarize_spy(path: str, top: int = 25) -> str:
    """Self and inclusive shares of the event-loop and writer threads' samples."""
    self_lines: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    per_thread: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = stack.split(";")
            thread = frames[0]
            if "MainThread" not in thread and "sqlite-writer" not in thread:
                continue  # idle pool threads (argon2, aiosqlite) are sampled too
            n = int(count)
            total += n
            per_thread["event loop" if "MainThread" in thread else "store writer"] += n
            self_lines[frames[-1]] += n
            seen: set[str] = set()
            for frame in frames[1:]:
                key = re.sub(r":\d+\)$", ")", frame)
                if key not in seen:
                    seen.add(key)
                    inclusive[key] += n
    if not total:
        return "no samples"
    out = [f"{total} samples: " + ", ".join(f"{k} {v / total:.0%}" for k, v in per_thread.items())]
    out.append("self (line):")
    out += [f"  {v / total:6.1%}  {k}" for k, v in self_lines.most_common(top)]
    out.append("inclusive (function):")
    out += [f"  {v / total:6.1%}  {k}" for k, v in inclusive.most_common(top * 2)]
    return "\n".join(out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile_chatserver", description=__doc__.splitlines()[0]
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--rate", type=float, help="offered msgs/s over all pairs")
    which.add_argument("--saturate", action="store_true", help="closed loop, window per pair")
    parser.add_argument("--pairs", type=int, help="default 50 at a rate, 16 saturated")
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load")
    parser.add_argument("--py-spy", dest="spy", help="record py-spy samples to this file")
    parser.add_argument("--gc", action="store_true", help="A/B: default vs tuned GC")
    parser.add_argument("--gc-threshold", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (with --gc)")
    parser.add_argument("--no-pin", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stop_on_sigterm()
    pairs = args.pairs or (16 if args.saturate else 50)
    point = Point(
        pairs=pairs,
        rate=None if args.saturate else args.rate,
        window=args.window,
        duration=min(120.0, max(2.0, args.duration)),
        drain=2.0,
    )
    server_cpus, load_cpus = (None, None) if args.no_pin else default_pinning()
    if not args.gc:
        try:
            row = run_point(point, server_cpus, load_cpus, spy_out=args.spy)
        except LoadError as exc:
            print(json.dumps({"error": str(exc)}))
            return 1
        print(json.dumps(row), flush=True)
        if args.spy:
            print(summarize_spy(args.spy))
        return 0
    rows: list[dict[str, object]] = []
    for round_no in range(max(1, args.rounds)):
        order = ["default", "tuned"] if round_no % 2 == 0 else ["tuned", "default"]
        for variant in order:
            row = run_point(
                point, server_cpus, load_cpus, gc_variant=variant, gc_threshold=args.gc_threshold
            )
            row.update({"gc_variant": variant, "round": round_no})
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(gc_table(rows))
    return 0


def gc_table(rows: Sequence[dict[str, object]]) -> str:
    fields = (
        ("throughput (msgs/s)", "achieved_rate", 0),
        ("latency p50 (ms)", "p50_ms", 2),
        ("latency p99 (ms)", "p99_ms", 2),
        ("latency max (ms)", "max_ms", 1),
        ("server CPU per msg (µs)", "server_cpu_us_per_msg", 1),
        ("GC time per msg (µs)", "gc_us_per_msg", 1),
        ("gen-2 collections", "gc2_collections", 0),
        ("gen-2 collection, mean (ms)", "gc2_ms_mean", 1),
        ("server's core busy with others (cores)", "server_core_others", 2),
    )
    out = ["| measure | GC as is | GC tuned | tuned / as is |", "|---|---|---|---|"]
    for label, key, digits in fields:
        values = []
        for variant in ("default", "tuned"):
            found = [
                float(v)
                for row in rows
                if row.get("gc_variant") == variant and isinstance(v := row.get(key), int | float)
            ]
            values.append(statistics.median(found) if found else None)
        a, b = values
        cells = ["–" if v is None else f"{v:,.{digits}f}" for v in values]
        ratio = f"{b / a:.2f}" if a and b is not None else "–"
        out.append(f"| {label} | {cells[0]} | {cells[1]} | {ratio} |")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
