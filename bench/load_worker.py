"""One load-generator process: its share of the pairs, on its own uvloop.

``bench.loadgen`` starts these with multiprocessing and talks to each over a
pipe, so that a start time can be shared (CLOCK_MONOTONIC is system-wide) and
results gathered. The conversation, worker side:

    -> ("ready", connections)        once every pair / idle connection is open
    <- ("start", t0_ns)              load: send from t0_ns on
    <- ("close", 0)                  idle: close the connections
    -> ("result", WorkerResult)      load: counts and raw latencies
    -> ("closed", connections)       all closed (load: after the result)
    -> ("error", text)               anything failed; the worker then exits

Every loop here is bounded both in count and in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from array import array
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Literal, TypeVar

import uvloop

from bench.driver import Counted, DriverOptions, Idle, Receiver, Sender, Settling, load_driver
from bench.server_proc import raise_nofile_limit

# At most this many connections are being opened at once (the servers'
# listen backlog is 1,024; this keeps well under it).
CONNECT_CONCURRENCY = 64
# Seconds allowed for closing every connection at the end.
CLOSE_TIMEOUT = 10.0
# Senders stuck on a full window or a blocked socket get this long past the
# end of the send window before they are cancelled.
SEND_GRACE = 1.0

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Target:
    """What to connect to, and with which driver."""

    url: str
    driver: str = "relay"
    pad_bytes: int = 150
    params: tuple[tuple[str, str], ...] = ()

    def options(self) -> DriverOptions:
        return DriverOptions(url=self.url, pad_bytes=self.pad_bytes, params=dict(self.params))


@dataclass(frozen=True, slots=True)
class LoadJob:
    """One worker's share of a load run.

    Pairs ``first_pair .. first_pair + pairs - 1`` of ``total_pairs``. With a
    ``rate`` (msgs/s over all pairs) each pair sends every ``total_pairs /
    rate`` s, pair g offset by ``g / rate`` s so the total is evenly spread;
    without one each pair keeps ``window`` probes in flight (saturation).
    """

    target: Target
    run_id: str
    first_pair: int
    pairs: int
    total_pairs: int
    rate: float | None
    window: int
    duration: float
    max_per_pair: int
    drain: float
    cpus: frozenset[int] | None


@dataclass(frozen=True, slots=True)
class IdleJob:
    target: Target
    run_id: str
    first: int
    count: int
    cpus: frozenset[int] | None


@dataclass(frozen=True, slots=True)
class WorkerResult:
    """Counts and raw samples from one worker (nanoseconds, ``array('q')`` bytes)."""

    sent: int
    received: int
    latencies_ns: bytes
    lags_ns: bytes
    last_recv_ns: int
    cpu_seconds: float
    errors: int
    # Driver counts (``Counted.counters()``) summed over this worker's pairs.
    counters: dict[str, int] = field(default_factory=dict)


Message = tuple[Literal["ready", "start", "close", "result", "closed", "error"], object]


@dataclass(slots=True)
class _Totals:
    sent: int = 0
    received: int = 0
    last_recv_ns: int = 0
    errors: int = 0
    senders_done: bool = False
    counters: dict[str, int] = field(default_factory=dict)
    latencies: array[int] = field(default_factory=lambda: array("q"))
    lags: array[int] = field(default_factory=lambda: array("q"))
    drained: asyncio.Event = field(default_factory=asyncio.Event)

    def check_drained(self) -> None:
        if self.senders_done and self.received >= self.sent:
            self.drained.set()


def worker_main(conn: Connection, job: LoadJob | IdleJob) -> None:
    """Process entry point (must be importable for the spawn start method)."""
    if job.cpus is not None:
        os.sched_setaffinity(0, job.cpus)
    raise_nofile_limit()
    try:
        if isinstance(job, LoadJob):
            uvloop.run(_load(conn, job))
        else:
            uvloop.run(_idle(conn, job))
    except Exception as exc:
        # The parent may be gone (it closed the pipe); then nobody is listening.
        with contextlib.suppress(OSError):
            conn.send(("error", f"worker {os.getpid()}: {describe(exc)}"))
    finally:
        conn.close()


def describe(exc: BaseException) -> str:
    """One line naming an error, or the distinct errors inside a group."""
    if isinstance(exc, BaseExceptionGroup):
        leaves = sorted({describe(inner) for inner in exc.exceptions})
        return "; ".join(leaves)
    return f"{type(exc).__name__}: {exc}"


async def _bounded_map(
    items: Sequence[T], opener: Callable[[T], Awaitable[object]], concurrency: int
) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(item: T) -> None:
        async with gate:
            await opener(item)

    async with asyncio.TaskGroup() as group:
        for item in items:
            group.create_task(one(item))


async def _close_all(closers: Sequence[Callable[[], Awaitable[None]]]) -> None:
    if not closers:
        return
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await asyncio.gather(*(close() for close in closers), return_exceptions=True)
    except TimeoutError:
        return


async def _recv_message(conn: Connection) -> Message:
    # The parent either answers or terminates this process; a dead parent
    # closes the pipe, which raises EOFError here.
    message: Message = await asyncio.to_thread(conn.recv)
    return message


async def _load(conn: Connection, job: LoadJob) -> None:
    driver = load_driver(job.target.driver, job.target.options())
    pairs: dict[int, tuple[Sender, Receiver]] = {}

    async def open_pair(index: int) -> None:
        pairs[index] = await driver.connect_pair(f"{job.run_id}-{index}")

    try:
        await _bounded_map(
            range(job.first_pair, job.first_pair + job.pairs), open_pair, CONNECT_CONCURRENCY
        )
        conn.send(("ready", len(pairs)))
        kind, payload = await _recv_message(conn)
        if kind != "start" or not isinstance(payload, int):
            raise RuntimeError(f"expected start, got {kind!r}")
        cpu_before = time.process_time()
        totals = await _drive(job, pairs, payload)
        cpu = time.process_time() - cpu_before
        conn.send(
            (
                "result",
                WorkerResult(
                    sent=totals.sent,
                    received=totals.received,
                    latencies_ns=totals.latencies.tobytes(),
                    lags_ns=totals.lags.tobytes(),
                    last_recv_ns=totals.last_recv_ns,
                    cpu_seconds=cpu,
                    errors=totals.errors,
                    counters=totals.counters,
                ),
            )
        )
    finally:
        # Closing comes after the result so that a caller sampling the server
        # between "result" and "closed" sees the load alone.
        await _close_all([end.close for pair in pairs.values() for end in pair])
    conn.send(("closed", len(pairs)))


async def _drive(job: LoadJob, pairs: dict[int, tuple[Sender, Receiver]], t0_ns: int) -> _Totals:
    totals = _Totals()
    end_ns = t0_ns + int(job.duration * 1e9)
    # Every worker starts at the shared instant t0, in either mode.
    await asyncio.sleep(max(0.0, (t0_ns - time.monotonic_ns()) / 1e9))
    windows = {index: asyncio.Semaphore(job.window) for index in pairs}
    receivers = [
        asyncio.create_task(
            _receive(totals, receiver, windows[index] if job.rate is None else None)
        )
        for index, (_, receiver) in pairs.items()
    ]
    senders: list[asyncio.Task[None]] = []
    for index, (sender, _) in pairs.items():
        if job.rate is None:
            senders.append(
                asyncio.create_task(
                    _saturate(totals, sender, windows[index], end_ns, job.max_per_pair)
                )
            )
        else:
            interval_ns = int(job.total_pairs / job.rate * 1e9)
            first_ns = t0_ns + int(index / job.rate * 1e9)
            senders.append(
                asyncio.create_task(
                    _paced(
                        totals,
                        sender,
                        first_ns=first_ns,
                        interval_ns=interval_ns,
                        end_ns=end_ns,
                        cap=job.max_per_pair,
                    )
                )
            )
    try:
        delay = max(0.0, (end_ns - time.monotonic_ns()) / 1e9) + SEND_GRACE
        _, late = await asyncio.wait(senders, timeout=delay)
        for task in late:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        totals.errors += sum(
            1 for task in senders if not task.cancelled() and task.exception() is not None
        )
        totals.senders_done = True
        totals.check_drained()
        drain_end = time.monotonic() + job.drain
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(totals.drained.wait(), job.drain)
        await _settle(pairs, drain_end)
    finally:
        for task in receivers:
            task.cancel()
        outcomes = await asyncio.gather(*receivers, return_exceptions=True)
        totals.errors += sum(
            1
            for outcome in outcomes
            if isinstance(outcome, BaseException)
            and not isinstance(outcome, asyncio.CancelledError)
        )
    totals.counters = _counters(end for pair in pairs.values() for end in pair)
    return totals


async def _settle(pairs: dict[int, tuple[Sender, Receiver]], deadline: float) -> None:
    """Let settling senders wait for the server's answers, until ``deadline``."""
    settling = [sender for sender, _ in pairs.values() if isinstance(sender, Settling)]
    remaining = deadline - time.monotonic()
    if settling and remaining > 0:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(remaining):
                await asyncio.gather(*(sender.settle() for sender in settling))


def _counters(ends: Iterable[object]) -> dict[str, int]:
    total: dict[str, int] = {}
    for end in ends:
        if isinstance(end, Counted):
            for key, value in end.counters().items():
                total[key] = total.get(key, 0) + value
    return total


async def _paced(
    totals: _Totals, sender: Sender, *, first_ns: int, interval_ns: int, end_ns: int, cap: int
) -> None:
    """Send on a fixed schedule (open loop): a slow server does not slow it.

    Each probe carries the time it was actually handed to the driver; how
    late that was against the schedule is kept as lag, so a generator that
    falls behind shows up as lag rather than hiding in the latency.
    """
    due = first_ns
    for n in range(cap):
        if due >= end_ns:
            return
        now = time.monotonic_ns()
        if due > now:
            await asyncio.sleep((due - now) / 1e9)
            now = time.monotonic_ns()
        if now >= end_ns:
            return
        totals.lags.append(now - due)
        await sender.send(n, now)
        totals.sent += 1
        due += interval_ns


async def _saturate(
    totals: _Totals, sender: Sender, window: asyncio.Semaphore, end_ns: int, cap: int
) -> None:
    """Send as fast as replies allow, at most ``window`` probes in flight."""
    for n in range(cap):
        await window.acquire()
        now = time.monotonic_ns()
        if now >= end_ns:
            return
        await sender.send(n, now)
        totals.sent += 1


async def _receive(totals: _Totals, receiver: Receiver, window: asyncio.Semaphore | None) -> None:
    latencies = totals.latencies
    while True:
        delivery = await receiver.recv()
        now = time.monotonic_ns()
        if delivery is None:
            return
        latencies.append(now - delivery.ts_ns)
        totals.received += 1
        totals.last_recv_ns = now
        if window is not None:
            window.release()
        if totals.senders_done:
            totals.check_drained()


async def _idle(conn: Connection, job: IdleJob) -> None:
    driver = load_driver(job.target.driver, job.target.options())
    idles: list[Idle] = []

    async def open_one(index: int) -> None:
        idles.append(await driver.connect_idle(f"{job.run_id}-idle-{index}"))

    try:
        await _bounded_map(range(job.first, job.first + job.count), open_one, CONNECT_CONCURRENCY)
        conn.send(("ready", len(idles)))
        kind, _ = await _recv_message(conn)
        if kind != "close":
            raise RuntimeError(f"expected close, got {kind!r}")
    finally:
        await _close_all([idle.close for idle in idles])
    conn.send(("closed", len(idles)))
