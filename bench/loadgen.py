"""Load generator: pairs of clients sending probes through a server.

Each pair is a sender and a receiver in one room. Probes carry their send
time; the receiver's clock (CLOCK_MONOTONIC, system-wide on Linux) gives the
latency. Two modes:

* offered rate (``--rate R``): open loop, R msgs/s over all pairs on a fixed
  schedule, whatever the server does; shows latency at a given load.
* saturation (``--saturate --window W``): closed loop, each pair keeps W
  probes in flight; shows the most the server passes.

The pairs are spread over ``--procs`` worker processes (``bench.load_worker``),
each on uvloop, all starting at one shared instant. A run is bounded by
``--duration`` seconds and ``--max-messages`` probes, then waits up to
``--drain`` seconds for probes still in flight; what never arrived is lost.

    python -m bench.loadgen --url ws://127.0.0.1:PORT/ --pairs 50 --rate 2000 --duration 5

prints one JSON line (fields: ``LoadResult``).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import sys
import time
import uuid
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext, SpawnProcess

from bench.load_worker import (
    SEND_GRACE,
    IdleJob,
    LoadJob,
    Message,
    Target,
    WorkerResult,
    worker_main,
)

# Workers start sending this long after the last one is ready, so that the
# "start" message reaches all of them first.
START_DELAY = 0.2
# Seconds allowed for workers to start and open their connections.
CONNECT_TIMEOUT = 60.0
# Seconds a worker gets past its send and drain windows to report.
REPORT_GRACE = 15.0
# After SIGTERM a worker that has not exited in this many seconds is killed.
STOP_TIMEOUT = 3.0
# Hard upper bounds on one run, whatever the command line says.
MAX_DURATION = 600.0
MAX_MESSAGES = 100_000_000
# Probes stay well under the relays' 64 KiB frame limit.
MAX_PAD_BYTES = 32 * 1024

__all__ = ["LoadError", "LoadResult", "LoadSpec", "Target", "idle_connections", "run_load"]


class LoadError(RuntimeError):
    """A worker failed or did not answer in time."""


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """One load run. ``rate`` None means saturation with ``window`` in flight per pair."""

    target: Target
    pairs: int = 50
    rate: float | None = 1000.0
    window: int = 16
    duration: float = 5.0
    max_messages: int = 2_000_000
    drain: float = 2.0
    procs: int = 1
    cpus: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.pairs < 1 or self.procs < 1 or self.window < 1:
            raise ValueError("pairs, procs and window must be at least 1")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be positive")
        if not 0 < self.duration <= MAX_DURATION:
            raise ValueError(f"duration must be in (0, {MAX_DURATION}] s")
        if not 1 <= self.max_messages <= MAX_MESSAGES:
            raise ValueError(f"max_messages must be in [1, {MAX_MESSAGES}]")
        if not 0 <= self.drain <= MAX_DURATION:
            raise ValueError(f"drain must be in [0, {MAX_DURATION}] s")
        if not 0 <= self.target.pad_bytes <= MAX_PAD_BYTES:
            raise ValueError(f"pad must be in [0, {MAX_PAD_BYTES}] bytes")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one run measured. Times in ms, rates in msgs/s.

    ``achieved_rate`` is probes received per second from the shared start to
    the last delivery. ``lag_p99_ms`` is how late paced senders were against
    their schedule (large means the generator, not the server, fell behind).
    ``loadgen_cpu`` is the generator's CPU seconds per wall second, summed
    over its processes: near 1.0 per pinned core means the generator was the
    bottleneck.
    """

    mode: str
    pairs: int
    offered_rate: float | None
    window: int | None
    sent: int
    received: int
    lost: int
    errors: int
    seconds: float
    achieved_rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    lag_p99_ms: float
    loadgen_cpu: float
    # Driver counts summed over all pairs (chatserver: acked, refused, ...).
    counters: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def percentile(ordered: Sequence[int], p: float) -> int:
    """Nearest-rank percentile of an ascending sequence (0 when empty)."""
    if not ordered:
        return 0
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _ms(ns: int) -> float:
    return round(ns / 1e6, 3)


def _split(total: int, parts: int) -> list[tuple[int, int]]:
    """(first, count) for ``parts`` near-equal shares of ``total`` (none empty)."""
    parts = max(1, min(parts, total))
    base, extra = divmod(total, parts)
    shares = []
    first = 0
    for index in range(parts):
        count = base + (1 if index < extra else 0)
        shares.append((first, count))
        first += count
    return shares


class _Workers:
    """Worker processes and their pipes; every one is stopped on exit."""

    def __init__(self, jobs: Sequence[LoadJob | IdleJob]) -> None:
        self._ctx: SpawnContext = multiprocessing.get_context("spawn")
        self._jobs = list(jobs)
        self._procs: list[SpawnProcess] = []
        self._conns: list[Connection] = []

    def __enter__(self) -> _Workers:
        for job in self._jobs:
            parent, child = self._ctx.Pipe()
            proc = self._ctx.Process(target=worker_main, args=(child, job), daemon=True)
            proc.start()
            child.close()
            self._procs.append(proc)
            self._conns.append(parent)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for conn in self._conns:
            conn.close()
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc in self._procs:
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(STOP_TIMEOUT)
            if proc.is_alive():
                proc.kill()
                proc.join(STOP_TIMEOUT)

    def send_all(self, message: Message) -> None:
        for index, conn in enumerate(self._conns):
            try:
                conn.send(message)
            except OSError as exc:
                raise LoadError(f"worker {index} is gone ({exc})") from None

    def expect_all(self, kind: str, timeout: float) -> list[object]:
        """One ``kind`` message from every worker, in worker order."""
        deadline = time.monotonic() + timeout
        answers: dict[int, object] = {}
        pending = {id(conn): index for index, conn in enumerate(self._conns)}
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LoadError(f"{len(pending)} worker(s) sent no {kind!r} in {timeout:.0f} s")
            waiting = [conn for conn in self._conns if id(conn) in pending]
            for conn in wait(waiting, remaining):
                assert isinstance(conn, Connection)
                index = pending.pop(id(conn))
                try:
                    got, payload = conn.recv()
                except EOFError:
                    raise LoadError(f"worker {index} exited without a {kind!r}") from None
                if got == "error":
                    raise LoadError(str(payload))
                if got != kind:
                    raise LoadError(f"worker {index} sent {got!r}, expected {kind!r}")
                answers[index] = payload
        return [answers[index] for index in range(len(self._conns))]


def run_load(
    spec: LoadSpec,
    *,
    on_start: Callable[[], object] | None = None,
    on_end: Callable[[], object] | None = None,
) -> LoadResult:
    """Run one load and gather its figures (blocking; call from sync code).

    ``on_start`` is called at the shared start instant, every connection
    open; ``on_end`` once every worker has reported, before any connection
    closes. Sampling a server in them prices the load alone,
    without connection set-up or tear-down.
    """
    run_id = uuid.uuid4().hex[:8]
    per_pair = max(1, spec.max_messages // spec.pairs)
    jobs = [
        LoadJob(
            target=spec.target,
            run_id=run_id,
            first_pair=first,
            pairs=count,
            total_pairs=spec.pairs,
            rate=spec.rate,
            window=spec.window,
            duration=spec.duration,
            max_per_pair=per_pair,
            drain=spec.drain,
            cpus=spec.cpus,
        )
        for first, count in _split(spec.pairs, spec.procs)
    ]
    with _Workers(jobs) as workers:
        workers.expect_all("ready", CONNECT_TIMEOUT)
        t0 = time.monotonic_ns() + int(START_DELAY * 1e9)
        workers.send_all(("start", t0))
        time.sleep(max(0.0, (t0 - time.monotonic_ns()) / 1e9))
        if on_start is not None:
            on_start()
        answers = workers.expect_all(
            "result", START_DELAY + spec.duration + SEND_GRACE + spec.drain + REPORT_GRACE
        )
        if on_end is not None:
            on_end()
        workers.expect_all("closed", CONNECT_TIMEOUT)
    results = [answer for answer in answers if isinstance(answer, WorkerResult)]
    return _combine(spec, t0, results)


def _combine(spec: LoadSpec, t0: int, results: Sequence[WorkerResult]) -> LoadResult:
    latencies: array[int] = array("q")
    lags: array[int] = array("q")
    for result in results:
        latencies.frombytes(result.latencies_ns)
        lags.frombytes(result.lags_ns)
    ordered = sorted(latencies)
    sent = sum(result.sent for result in results)
    received = sum(result.received for result in results)
    last = max((result.last_recv_ns for result in results), default=0)
    seconds = max(0.0, (last - t0) / 1e9)
    return LoadResult(
        mode="rate" if spec.rate is not None else "saturate",
        pairs=spec.pairs,
        offered_rate=spec.rate,
        window=spec.window if spec.rate is None else None,
        sent=sent,
        received=received,
        lost=max(0, sent - received),
        errors=sum(result.errors for result in results),
        seconds=round(seconds, 3),
        achieved_rate=round(received / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=_ms(percentile(ordered, 50)),
        p90_ms=_ms(percentile(ordered, 90)),
        p99_ms=_ms(percentile(ordered, 99)),
        max_ms=_ms(ordered[-1] if ordered else 0),
        lag_p99_ms=_ms(percentile(sorted(lags), 99)),
        loadgen_cpu=round(sum(r.cpu_seconds for r in results) / seconds, 3) if seconds else 0.0,
        counters=_sum_counters(results),
    )


def _sum_counters(results: Sequence[WorkerResult]) -> dict[str, int]:
    total: dict[str, int] = {}
    for result in results:
        for key, value in result.counters.items():
            total[key] = total.get(key, 0) + value
    return total


@contextmanager
def idle_connections(
    target: Target, count: int, *, procs: int = 1, cpus: frozenset[int] | None = None
) -> Iterator[int]:
    """Hold ``count`` joined, quiet connections open for the ``with`` body.

    Yields how many are open; they are closed (and the workers stopped) when
    the body ends, even on error.
    """
    run_id = uuid.uuid4().hex[:8]
    jobs = [
        IdleJob(target=target, run_id=run_id, first=first, count=share, cpus=cpus)
        for first, share in _split(count, procs)
    ]
    with _Workers(jobs) as workers:
        opened = workers.expect_all("ready", CONNECT_TIMEOUT)
        body_failed = True
        try:
            yield sum(n for n in opened if isinstance(n, int))
            body_failed = False
        finally:
            try:
                workers.send_all(("close", 0))
                workers.expect_all("closed", CONNECT_TIMEOUT)
            except LoadError:
                # Do not hide the body's own error behind a worker's.
                if not body_failed:
                    raise


def _parse_cpus(text: str) -> frozenset[int]:
    return frozenset(int(part) for part in text.split(",") if part)


def _parse_param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.loadgen", description="Pairs of clients sending timed probes."
    )
    parser.add_argument("--url", required=True, help="e.g. ws://127.0.0.1:8765/")
    parser.add_argument(
        "--driver", default="relay", help="a name in bench.driver.DRIVERS or module:Factory"
    )
    parser.add_argument(
        "--driver-opt",
        action="append",
        type=_parse_param,
        default=[],
        metavar="KEY=VALUE",
        help="driver setting (repeatable)",
    )
    parser.add_argument("--pairs", type=int, default=50)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--rate", type=float, default=1000.0, help="offered msgs/s over all pairs")
    mode.add_argument("--saturate", action="store_true", help="closed loop instead of a rate")
    parser.add_argument(
        "--window", type=int, default=16, help="in-flight probes per pair (saturate)"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of sending")
    parser.add_argument("--max-messages", type=int, default=2_000_000)
    parser.add_argument("--drain", type=float, default=2.0, help="seconds to wait for stragglers")
    parser.add_argument("--pad", type=int, default=150, help="padding bytes per probe")
    parser.add_argument("--procs", type=int, default=1, help="worker processes")
    parser.add_argument("--cpus", type=_parse_cpus, default=None, help="pin workers, e.g. 1 or 0,1")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    spec = LoadSpec(
        target=Target(
            url=args.url, driver=args.driver, pad_bytes=args.pad, params=tuple(args.driver_opt)
        ),
        pairs=args.pairs,
        rate=None if args.saturate else args.rate,
        window=args.window,
        duration=args.duration,
        max_messages=args.max_messages,
        drain=args.drain,
        procs=args.procs,
        cpus=args.cpus,
    )
    try:
        result = run_load(spec)
    except LoadError as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        return 1
    print(json.dumps(result.as_dict()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
