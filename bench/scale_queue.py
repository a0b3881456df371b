"""Scale run 2: 100,000 waiting cases, staff claims, and the cost of position pushes.

Issue 7's targets: a claim answered within 1 ms (p99, server side) with
100,000 cases waiting; every waiting patient's shown position and estimate at
most 5 s stale; position traffic within 20% of one core.

Set-up: ``--cases`` waiting cases in the pool behind ``vc_nurse``, one patient
each, written into the bench database before the server starts
(``bench.scale_setup``) so recovery loads them, as after a restart. Their
deadlines have passed, so they stay ahead of every case opened during the run
and case ``i`` waits at place ``i + 1`` until claims move it up.

Live part (a real server on 127.0.0.1):

* ``--sample`` waiting patients connect (a separate client process on
  uvloop; patients spread evenly over the queue) and record every
  ``position`` frame with its arrival time;
* phase **A**, ``--duration`` s: ``--staff`` staff connections claim the next
  case of the pool (``claim`` with ``pool``) at ``--claim-rate`` claims/s in
  all and close each claimed case; one patient opens ``--arrival-rate`` new
  cases/s (``case_open``). Claim latency is measured by the client: ``claim``
  sent → its ``case`` answer received, i.e. including the group commit;
* phase **B**, the same load with the sample disconnected: the baseline.
  ``server CPU A − B`` is what pushing positions to the sample cost.

Staleness: claims take the head, and new cases queue behind all bulk ones, so
the true place of sample case ``i`` at time t is ``i + 1 −`` (claims answered
before t), and the true estimate is that place times the pool's seconds per
case as the server computes it (claims over the window). A shown value is
stale while ``chatserver.service.waiting.position_stale`` or ``wait_stale``
says it is (the server's own display tolerance: exact up to place 20, then
5%; estimates 10% or 60 s); its staleness is how long it has been so. Also
reported: how old the shown exact place is (no tolerance).

In process (no sockets), the server's own ``WaitingRoom.tick`` and
``State.claim`` run on a real ``State`` holding the same number of waiting
cases with **every** patient connected (fake peers that drop the bytes): the
tick's CPU and frames per tick with all 100,000 connected, and the claim's
server-side work (``State.claim`` and its store operations; the commit is in
the client's figure). 100,000 WebSocket patients cannot be held at once here
(20,000 descriptors per process) nor measured cheaply, so the estimate for
all connected is: frames from the in-process tick × the per-frame socket cost
measured live (``(CPU A − CPU B) / frames`` to the sample) + the tick's own
CPU.

Beside the claim figures, two floors measured in the same run: the disk's
(``bench.commit_floor``, one one-row commit alone) and the CPU's
(``bench.wake_floor``, the same small work hot and after an idle gap as long
as the claims'): a claim reaches an idle server.

    python -m bench.scale_queue                 # 100,000 cases, ~3 min
    python -m bench.scale_queue --cases 2000 --sample 50 --duration 3   # seconds
    python -m bench.scale_queue --dir /dev/shm  # database in memory: the server's own share

Prints JSON lines and a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import math
import multiprocessing
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import msgpack
import uvloop

from bench import commit_floor, wake_floor
from bench.chatserver_driver import _authenticated, _request
from bench.chatserver_setup import BENCH_PNR, ENTRANCE, POOL, STAFF_PASSWORD, prepare
from bench.chatserver_setup import staff_username as bench_staff
from bench.loadgen import percentile
from bench.scale_idle import raise_nofile
from bench.scale_setup import DAY_MS, add_patients, add_queued_cases, case_id, patient_token
from bench.scrape import COMMIT_SECONDS, Histogram, scrape_histograms
from bench.server_proc import ServerProc, read_cpu_seconds, read_rss_bytes, stop_on_sigterm
from bench.ws_client import LeanClient
from chatserver.config import Config
from chatserver.domain.cases import Case, CaseState
from chatserver.domain.clock import FakeClock
from chatserver.domain.deadlines import StaffedDeadlines
from chatserver.domain.principals import Principal
from chatserver.domain.state import State
from chatserver.domain.urgency import Urgency
from chatserver.service import persist
from chatserver.service.hub import Hub
from chatserver.service.waiting import WaitingRoom, position_stale, wait_stale
from chatserver.store import db
from clients.sdk.http import login_patient, login_staff

DEFAULTS: dict[str, int | float] = {
    "cases": 100_000,
    "sample": 2_000,
    "staff": 8,
    "claim_rate": 20.0,
    "arrival_rate": 5.0,
    "duration": 30.0,
}
MAX_CASES = 1_000_000
MAX_DURATION = 120.0
# Position pushes come every position_interval (2 s by default); the sample
# is given this long to receive its first frames before phase A.
SETTLE_S = 5.0
GRID_S = 0.1
TARGET_CLAIM_P99_MS = 1.0
TARGET_STALE_S = 5.0
TARGET_CORE_SHARE = 0.20
DEFAULT_SECONDS_PER_CASE = 360.0  # chatserver.config QueueConfig.default_minutes_per_case
SERVICE_WINDOW_MS = 60 * 60_000  # QueueConfig.service_window_min
POSITION_INTERVAL_S = 2.0  # QueueConfig.position_interval
# shared/TOOLING.md: sending one frame to each of 10,000 connections costs
# ~15 µs per recipient (frame, socket write); the in-process tick counts
# everything before the socket.
SOCKET_US_PER_FRAME = 15.0
LOOP_LAG = "chatserver_event_loop_lag_seconds"
WARM_CLAIMS = 5
CONNECT_CONCURRENCY = 64
_pack = msgpack.Packer(use_bin_type=True).pack
_ids = itertools.count(1)


# ---------------------------------------------------------------- sample patients


@dataclass(slots=True)
class SampleRecord:
    index: int  # bulk case number: initial place index + 1
    pushes: list[tuple[int, int, int]] = field(default_factory=list)  # (t_ns, position, wait_s)
    claimed_ns: int | None = None  # when its case push said it was taken


@dataclass(frozen=True, slots=True)
class SampleTotals:
    frames: int
    bytes: int
    position_frames: int
    position_bytes: int
    first_ns: int
    last_ns: int


def sample_main(conn: Connection, url: str, seed: str, indices: list[int]) -> None:
    """Client process: connect the sample, record pushes until told to stop."""
    raise_nofile(len(indices) + 100)
    uvloop.run(_sample(conn, url, seed, indices))


async def _sample(conn: Connection, url: str, seed: str, indices: list[int]) -> None:
    records = {case_id(i): SampleRecord(i) for i in indices}
    counts = [0, 0, 0, 0]  # frames, bytes, position frames, position bytes
    clients: list[LeanClient] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(index: int) -> None:
        async with gate, asyncio.timeout(30):
            ws = await LeanClient.open(url, max_size=2**20)
            hello = {"t": "hello", "v": 1, "token": patient_token(seed, index), "client": "bench"}
            await ws.send(_pack(hello))
            data = await ws.recv()
            frame = msgpack.unpackb(data, raw=False) if data is not None else None
            if not isinstance(frame, dict) or frame.get("t") != "welcome":
                raise RuntimeError(f"hello of sample patient {index}: {frame!r}")
        clients.append(ws)
        readers.append(asyncio.get_running_loop().create_task(read(ws)))

    async def read(ws: LeanClient) -> None:
        while (data := await ws.recv()) is not None:
            now = time.monotonic_ns()
            counts[0] += 1
            counts[1] += len(data)
            frame = msgpack.unpackb(data, raw=False)
            kind = frame.get("t") if isinstance(frame, dict) else None
            if kind == "position":
                counts[2] += 1
                counts[3] += len(data)
                record = records.get(frame["case"])
                if record is not None:
                    record.pushes.append((now, int(frame["position"]), int(frame["wait_s"])))
            elif kind == "case":
                info = frame.get("case", {})
                record = records.get(info.get("case"))
                if record is not None and info.get("state") != "queued":
                    record.claimed_ns = record.claimed_ns or now

    readers: list[asyncio.Task[None]] = []
    try:
        async with asyncio.TaskGroup() as group:
            for index in indices:
                group.create_task(one(index))
        first = time.monotonic_ns()
        conn.send(("ready", len(clients)))
        await asyncio.to_thread(conn.recv)  # "stop"
        last = time.monotonic_ns()
        totals = SampleTotals(counts[0], counts[1], counts[2], counts[3], first, last)
    finally:
        for task in readers:
            task.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):
                await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
    conn.send(("data", (totals, [asdict(r) for r in records.values()])))


# ---------------------------------------------------------------- claims and arrivals


@dataclass(slots=True)
class Load:
    claims_ns: list[int] = field(default_factory=list)  # answer received
    claim_rtt_ns: list[int] = field(default_factory=list)
    ping_rtt_ns: list[int] = field(default_factory=list)
    arrivals: int = 0
    errors: list[str] = field(default_factory=list)


async def _staff_loop(
    ws: LeanClient, offset: float, period: float, start: float, end: float, load: Load
) -> None:
    loop = asyncio.get_running_loop()
    k = 0
    while True:
        at = start + offset + k * period
        if at >= end:
            return
        await asyncio.sleep(max(0.0, at - loop.time()))
        k += 1
        t0 = time.monotonic_ns()
        try:
            answer = await _request(ws, {"t": "claim", "id": next(_ids), "pool": POOL})
        except Exception as exc:
            load.errors.append(f"claim: {exc}")
            continue
        t1 = time.monotonic_ns()
        load.claims_ns.append(t1)
        load.claim_rtt_ns.append(t1 - t0)
        case = answer["case"]["case"]
        try:
            await _request(
                ws, {"t": "case_close", "id": next(_ids), "case": case, "outcome": "advice"}
            )
        except Exception as exc:
            load.errors.append(f"close: {exc}")
        t0 = time.monotonic_ns()
        try:
            await _request(ws, {"t": "ping", "id": next(_ids)})
        except Exception as exc:
            load.errors.append(f"ping: {exc}")
            continue
        load.ping_rtt_ns.append(time.monotonic_ns() - t0)


async def _arrivals(ws: LeanClient, period: float, start: float, end: float, load: Load) -> None:
    loop = asyncio.get_running_loop()
    k = 0
    while True:
        at = start + k * period
        if at >= end:
            return
        await asyncio.sleep(max(0.0, at - loop.time()))
        k += 1
        try:
            await _request(
                ws, {"t": "case_open", "id": next(_ids), "entrance": ENTRANCE, "text": "scale"}
            )
            load.arrivals += 1
        except Exception as exc:
            load.errors.append(f"open: {exc}")


async def _phase(
    staff: Sequence[LeanClient],
    patient: LeanClient,
    *,
    claim_rate: float,
    arrival_rate: float,
    duration: float,
    load: Load,
) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    end = start + duration
    period = len(staff) / claim_rate
    async with asyncio.TaskGroup() as group:
        for j, ws in enumerate(staff):
            group.create_task(_staff_loop(ws, j / claim_rate, period, start, end, load))
        if arrival_rate > 0:
            group.create_task(_arrivals(patient, 1 / arrival_rate, start, end, load))


# ---------------------------------------------------------------- staleness


def _spc_at(claims: Sequence[int], t: int, first_claim: int | None) -> float:
    """Seconds per case the server computes at t from claims before t (window ignored:
    runs are far shorter than the 60-minute window)."""
    n = bisect.bisect_right(claims, t)
    if n < 3 or first_claim is None:
        return DEFAULT_SECONDS_PER_CASE
    return max(1.0, (t - first_claim) / 1e9 / n)


@dataclass(frozen=True, slots=True)
class Staleness:
    samples: int
    stale_share: float
    max_s: float
    p99_episode_s: float
    episodes: int
    exact_age_p50_s: float
    exact_age_p99_s: float
    never_told: int


def staleness(
    records: Sequence[dict[str, Any]], claims: Sequence[int], start: int, end: int
) -> Staleness:
    """Walk a 100 ms grid over [start, end) for every sample patient (see module doc)."""
    claims = sorted(claims)
    first_claim = claims[0] if claims else None
    grid = list(range(start, end, int(GRID_S * 1e9)))
    claims_before = [bisect.bisect_right(claims, t) for t in grid]
    spc = [_spc_at(claims, t, first_claim) for t in grid]
    stale_samples = total = never = 0
    worst = 0.0
    episodes: list[float] = []
    ages: list[float] = []
    for record in records:
        pushes: list[tuple[int, int, int]] = [(p[0], p[1], p[2]) for p in record["pushes"]]
        times = [p[0] for p in pushes]
        index = int(record["index"])
        claimed = record["claimed_ns"]
        bad_since: int | None = None
        exact_since: int | None = None  # when the truth last moved away from the shown place
        for g, t in enumerate(grid):
            if claimed is not None and t >= claimed:
                break
            true_pos = index + 1 - claims_before[g]
            if true_pos < 1:
                break
            k = bisect.bisect_right(times, t) - 1
            total += 1
            if k < 0:
                never += 1
                continue
            _, shown_pos, shown_wait = pushes[k]
            true_wait = int(true_pos * spc[g])
            bad = position_stale(shown_pos, true_pos) or wait_stale(shown_wait, true_wait)
            if bad:
                stale_samples += 1
                bad_since = t if bad_since is None else bad_since
                worst = max(worst, (t - bad_since) / 1e9)
            elif bad_since is not None:
                episodes.append((t - bad_since) / 1e9)
                bad_since = None
            if shown_pos != true_pos:
                exact_since = t if exact_since is None else exact_since
                ages.append((t - exact_since) / 1e9)
            else:
                exact_since = None
                ages.append(0.0)
        if bad_since is not None:
            episodes.append((grid[-1] - bad_since) / 1e9 if grid else 0.0)
    episodes.sort()
    ages.sort()
    return Staleness(
        samples=total,
        stale_share=round(stale_samples / total, 4) if total else 0.0,
        max_s=round(worst, 2),
        p99_episode_s=round(_pct(episodes, 99), 2),
        episodes=len(episodes),
        exact_age_p50_s=round(_pct(ages, 50), 2),
        exact_age_p99_s=round(_pct(ages, 99), 2),
        never_told=never,
    )


def _pct(ordered: Sequence[float], p: float) -> float:
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# ---------------------------------------------------------------- in process


class _DropPeer:
    """A peer that counts what it would send."""

    def __init__(self) -> None:
        self.frames = 0
        self.bytes = 0

    def push(self, data: bytes) -> None:
        self.frames += 1
        self.bytes += len(data)


@dataclass(frozen=True, slots=True)
class InProcess:
    cases: int
    connected: int
    first_tick_ms: float
    first_tick_frames: int
    tick_ms_mean: float
    tick_ms_max: float
    frames_per_tick: float
    bytes_per_frame: float
    ticks: int
    claims_per_tick: int
    claim_us_p50: float
    claim_us_p99: float
    claim_us_max: float


def in_process(
    cases: int, claims_per_tick: int, ticks: int, connected: Sequence[int] | None = None
) -> InProcess:
    """The server's WaitingRoom and State on ``cases`` waiting; the patients of
    ``connected`` (bulk case numbers; default all) connected to a peer that
    drops the bytes. Between ticks, ``claims_per_tick`` claims spread over the
    position interval on a fake clock, each closed at once."""
    online = set(range(cases)) if connected is None else set(connected)
    clock = FakeClock()
    deadlines = StaffedDeadlines({})
    state = State(clock, lambda: f"c{next(_ids)}", deadlines, max_cases_per_staff=8)
    hub = Hub()
    svc = SimpleNamespace(
        config=Config(),
        clock=clock,
        deadlines=deadlines,
        state=state,
        hub=hub,
        queue_watchers={},
    )
    waiting = WaitingRoom(cast(Any, svc))
    now = clock.now_ms()
    peer = _DropPeer()
    first_deadline = now - DAY_MS
    for i in range(cases):
        cid = case_id(i)
        uid = f"pscale{i:08d}"
        state.restore_case(
            Case(
                id=cid,
                room=cid,
                patient_id=uid,
                actor_id=uid,
                entrance=ENTRANCE,
                pool=POOL,
                state=CaseState.queued,
                urgency=Urgency.U5,
                complaint="scale bench",
                created=now - cases + i,
                enqueued=now - cases + i,
                deadline=first_deadline + i * 10,
            )
        )
        if i in online:
            hub.users[uid] = {i: cast(Any, SimpleNamespace(peer=peer))}
    # As many staff as the live run uses (a staff member's claims are counted
    # among their cases, so one member claiming everything would cost more).
    staff = [
        Principal(user_id=f"s-bench-{j}", kind="staff", name="Bench", pools=frozenset({POOL}))
        for j in range(int(DEFAULTS["staff"]))
    ]
    turns = itertools.cycle(staff)
    step = POSITION_INTERVAL_S / claims_per_tick

    def claim() -> int:
        clock.advance(step)
        who = next(turns)
        c0 = time.perf_counter_ns()
        case, events = state.claim(who, None, POOL)
        persist.ops_for(events)
        took = time.perf_counter_ns() - c0
        waiting.claimed(POOL, clock.now_ms())
        waiting.forget(case.id)
        state.close(who, case.id, "advice")
        return took

    # A server that has been claiming for a while: the pool's pace is known
    # (the first estimates are not the configured default).
    for _ in range(WARM_CLAIMS):
        claim()
    t0 = time.perf_counter()
    first_frames = waiting.tick()
    first_ms = (time.perf_counter() - t0) * 1000
    bytes_before = peer.bytes
    frames_before = peer.frames
    tick_ms: list[float] = []
    frames: list[int] = []
    claim_ns: list[int] = []
    for _ in range(ticks):
        for _ in range(claims_per_tick):
            claim_ns.append(claim())
        t0 = time.perf_counter()
        frames.append(waiting.tick())
        tick_ms.append((time.perf_counter() - t0) * 1000)
    claim_ns.sort()
    sent = peer.frames - frames_before
    return InProcess(
        cases=cases,
        connected=len(online),
        first_tick_ms=round(first_ms, 1),
        first_tick_frames=first_frames,
        tick_ms_mean=round(sum(tick_ms) / len(tick_ms), 1),
        tick_ms_max=round(max(tick_ms), 1),
        frames_per_tick=round(sum(frames) / len(frames), 1),
        bytes_per_frame=round((peer.bytes - bytes_before) / sent, 1) if sent else 0.0,
        ticks=ticks,
        claims_per_tick=claims_per_tick,
        claim_us_p50=round(percentile(claim_ns, 50) / 1000, 1),
        claim_us_p99=round(percentile(claim_ns, 99) / 1000, 1),
        claim_us_max=round(claim_ns[-1] / 1000, 1),
    )


# ---------------------------------------------------------------- the run


def _minus(after: dict[str, Histogram], before: dict[str, Histogram]) -> dict[str, Histogram]:
    return {k: v.minus(before[k]) for k, v in after.items() if k in before}


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    seconds: float
    server_cpu: float  # cores
    claims: int
    claim_rate: float
    arrivals: int
    claim_p50_ms: float
    claim_p99_ms: float
    claim_max_ms: float
    ping_p50_ms: float
    ping_p99_ms: float
    commit_ms_mean: float
    commit_ms_p99_le: float | None
    commit_ms_max_le: float | None
    loop_lag_ms_p99_le: float | None
    loop_lag_ms_max_le: float | None
    errors: int


def _ms_or_none(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)


def _phase_result(
    name: str, load: Load, seconds: float, cpu: float, hist: dict[str, Histogram]
) -> Phase:
    rtt = sorted(load.claim_rtt_ns)
    ping = sorted(load.ping_rtt_ns)
    commit = hist.get(COMMIT_SECONDS)
    lag = hist.get(LOOP_LAG)
    return Phase(
        name=name,
        seconds=round(seconds, 2),
        server_cpu=round(cpu / seconds, 4) if seconds else 0.0,
        claims=len(rtt),
        claim_rate=round(len(rtt) / seconds, 1) if seconds else 0.0,
        arrivals=load.arrivals,
        claim_p50_ms=round(percentile(rtt, 50) / 1e6, 3),
        claim_p99_ms=round(percentile(rtt, 99) / 1e6, 3),
        claim_max_ms=round(rtt[-1] / 1e6, 3) if rtt else 0.0,
        ping_p50_ms=round(percentile(ping, 50) / 1e6, 3),
        ping_p99_ms=round(percentile(ping, 99) / 1e6, 3),
        commit_ms_mean=_ms_or_none(commit.mean() if commit else None) or 0.0,
        commit_ms_p99_le=_ms_or_none(commit.quantile_bound(0.99) if commit else None),
        commit_ms_max_le=_ms_or_none(commit.top_bound() if commit else None),
        loop_lag_ms_p99_le=_ms_or_none(lag.quantile_bound(0.99) if lag else None),
        loop_lag_ms_max_le=_ms_or_none(lag.top_bound() if lag else None),
        errors=len(load.errors),
    )


def _prepare(folder: Path, cases: int, staff: int, seed: str) -> tuple[list[str], float]:
    t0 = time.monotonic()
    prepared = prepare(folder, staff=staff)
    conn = db.connect(prepared.db)
    try:
        now = int(time.time() * 1000)
        add_patients(conn, cases, seed=seed, now=now)
        add_queued_cases(conn, cases, patients=cases, now=now, first_deadline=now - DAY_MS)
    finally:
        conn.close()
    return list(prepared.argv()), time.monotonic() - t0


async def _measured(
    name: str,
    metrics: str,
    pid: int,
    staff: Sequence[LeanClient],
    patient: LeanClient,
    args: argparse.Namespace,
) -> tuple[Phase, Load]:
    """One phase of claims and arrivals, with the server's CPU and histograms."""
    load = Load()
    h0 = await asyncio.to_thread(scrape_histograms, metrics)
    c0, w0 = read_cpu_seconds(pid), time.monotonic()
    await _phase(
        staff,
        patient,
        claim_rate=args.claim_rate,
        arrival_rate=args.arrival_rate,
        duration=args.duration,
        load=load,
    )
    wall, cpu = time.monotonic() - w0, read_cpu_seconds(pid) - c0
    h1 = await asyncio.to_thread(scrape_histograms, metrics)
    return _phase_result(name, load, wall, cpu, _minus(h1, h0)), load


async def _live(
    port: int, pid: int, args: argparse.Namespace, seed: str, indices: list[int]
) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    url = f"ws://127.0.0.1:{port}/ws"
    metrics = f"{base}/metrics"
    staff: list[LeanClient] = []
    for j in range(args.staff):
        token = await login_staff(base, bench_staff(j), STAFF_PASSWORD)
        staff.append((await _authenticated(url, token, bench_staff(j)))[0])
    patient = (await _authenticated(url, await login_patient(base, BENCH_PNR), "patient"))[0]
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=sample_main, args=(child, url, seed, indices), daemon=True)
    proc.start()
    child.close()
    try:
        kind, connected = await asyncio.wait_for(asyncio.to_thread(parent.recv), 300)
        if kind != "ready":
            raise RuntimeError(f"sample process: {kind} {connected}")
        await asyncio.sleep(args.settle)
        c0, w0 = read_cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(min(3.0, args.settle))
        quiet_cpu = (read_cpu_seconds(pid) - c0) / (time.monotonic() - w0)
        a_start = time.monotonic_ns()
        a, load_a = await _measured("A", metrics, pid, staff, patient, args)
        a_end = time.monotonic_ns()
        parent.send(("stop", 0))
        kind, payload = await asyncio.wait_for(asyncio.to_thread(parent.recv), 120)
        totals, records = payload
        await asyncio.sleep(POSITION_INTERVAL_S + 0.5)  # the sample's disconnects settle
        b_start = time.monotonic_ns()
        b, load_b = await _measured("B", metrics, pid, staff, patient, args)
        b_end = time.monotonic_ns()
        rss = read_rss_bytes(pid)
    finally:
        proc.join(30)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
        for ws in [*staff, patient]:
            await ws.close()
    stale = staleness(records, load_a.claims_ns, a_start, a_end)
    # Frames the sample received during A only.
    in_a = [p for r in records for p in r["pushes"] if a_start <= p[0] < a_end]  # position frames
    return {
        "connected": connected,
        "windows": {"A": (a_start, a_end), "B": (b_start, b_end)},
        "quiet_cpu": round(quiet_cpu, 4),
        "a": a,
        "b": b,
        "totals": totals,
        "a_position_frames": len(in_a),
        "stale": stale,
        "rss_mib": round(rss / 2**20, 1),
        "errors": load_a.errors[:5] + load_b.errors[:5],
    }


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_queue", description=__doc__)
    parser.add_argument("--cases", type=int, default=DEFAULTS["cases"])
    parser.add_argument("--sample", type=int, default=DEFAULTS["sample"])
    parser.add_argument("--staff", type=int, default=DEFAULTS["staff"])
    parser.add_argument("--claim-rate", type=float, default=DEFAULTS["claim_rate"])
    parser.add_argument("--arrival-rate", type=float, default=DEFAULTS["arrival_rate"])
    parser.add_argument("--duration", type=float, default=DEFAULTS["duration"])
    parser.add_argument("--ticks", type=int, default=10, help="in-process ticks after the first")
    parser.add_argument(
        "--settle", type=float, default=SETTLE_S, help="seconds for the sample's first frames"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="folder for the database (default: the system's temporary folder); "
        "/dev/shm separates the server's own share of a claim from the disk's commit",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.cases <= MAX_CASES or not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--cases in [1, {MAX_CASES}], --duration in (0, {MAX_DURATION}]")
    if not 1 <= args.sample <= min(args.cases, 15_000) or args.staff < 1 or args.claim_rate <= 0:
        parser.error("--sample in [1, min(cases, 15000)], --staff ≥ 1, --claim-rate > 0")
    if not 0.5 <= args.settle <= 60:
        parser.error("--settle in [0.5, 60]")
    if args.dir is not None and not args.dir.is_dir():
        parser.error(f"--dir {args.dir} is not a folder")
    if args.claim_rate * args.duration * 2 >= args.cases:
        parser.error("more claims than waiting cases: lower --claim-rate or --duration")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    stop_on_sigterm()
    raise_nofile(args.sample + 1000)
    seed = uuid.uuid4().hex
    step = args.cases / args.sample
    indices = sorted({int(k * step) for k in range(args.sample)})
    claims_per_tick = max(1, round(args.claim_rate * POSITION_INTERVAL_S))
    every = in_process(args.cases, claims_per_tick, args.ticks)
    print(json.dumps({"bench": "scale_queue", "part": "in_process", **asdict(every)}), flush=True)
    sampled = in_process(args.cases, claims_per_tick, args.ticks, connected=indices)
    print(json.dumps({"bench": "scale_queue", "part": "in_process", **asdict(sampled)}), flush=True)

    with tempfile.TemporaryDirectory(prefix="scale-queue-", dir=args.dir) as tmp:
        server_argv, setup_s = _prepare(Path(tmp), args.cases, args.staff, seed)
        timings = Path(tmp) / "claims.jsonl"
        # The same server, started through bench.claim_timer: server-side claim times.
        timed_argv = [
            server_argv[0],
            "-m",
            "bench.claim_timer",
            str(timings),
            "--",
            *server_argv[3:],
        ]
        t0 = time.monotonic()
        with ServerProc(timed_argv, ready_timeout=300.0, stop_timeout=20.0) as server:
            ready_s = time.monotonic() - t0
            live = uvloop.run(_live(server.port, server.pid, args, seed, indices))
        server_side = _server_side(timings, live["windows"])
        # The disk's floor under the commit a claim waits for, in the same folder.
        floor = commit_floor.measure(Path(tmp))
    print(json.dumps({"bench": "commit_floor", **asdict(floor)}), flush=True)
    # The CPU's: the same small work hot and after an idle gap as long as the
    # claims' (a claim reaches an idle server).
    wake = wake_floor.measure(_wake_rounds(args), min(1.0, 1 / args.claim_rate))
    print(json.dumps({"bench": "wake_floor", **asdict(wake)}), flush=True)
    print(json.dumps({"bench": "scale_queue", "part": "server_side", **server_side}), flush=True)
    a: Phase = live["a"]
    b: Phase = live["b"]
    totals: SampleTotals = live["totals"]
    stale: Staleness = live["stale"]
    frames_per_s = live["a_position_frames"] / a.seconds if a.seconds else 0.0
    extra_cpu = a.server_cpu - b.server_cpu
    line = {
        "bench": "scale_queue",
        "part": "live",
        "cases": args.cases,
        "setup_seconds": round(setup_s, 2),
        "ready_seconds": round(ready_s, 2),
        "rss_mib": live["rss_mib"],
        "sample_connected": live["connected"],
        "quiet_cpu": live["quiet_cpu"],
        "phase_a": asdict(a),
        "phase_b": asdict(b),
        "sample_frames": totals.frames,
        "sample_position_frames_in_a": live["a_position_frames"],
        "position_frames_per_s_in_a": round(frames_per_s, 1),
        "position_bytes_per_frame": round(totals.position_bytes / totals.position_frames, 1)
        if totals.position_frames
        else 0.0,
        "position_cpu_a_minus_b": round(extra_cpu, 4),
        # The same model for the sample as for everyone: in-process tick + socket cost.
        "position_cpu_sample_model": round(_model_cpu(sampled, frames_per_s), 4),
        "staleness": asdict(stale),
        "all_connected_frames_per_s": round(every.frames_per_tick / POSITION_INTERVAL_S, 1),
        "all_connected_bytes_per_s": round(
            every.frames_per_tick / POSITION_INTERVAL_S * every.bytes_per_frame
        ),
        "all_connected_core_share": round(
            _model_cpu(every, every.frames_per_tick / POSITION_INTERVAL_S), 4
        ),
        "errors": live["errors"],
    }
    print(json.dumps(line), flush=True)
    print()
    line["server_side"] = server_side
    line["commit_floor"] = asdict(floor)
    line["wake_floor"] = asdict(wake)
    print(report(args, every, sampled, line, a, b, stale))
    return 0


def _wake_rounds(args: argparse.Namespace) -> int:
    """As many as a phase has claims, within [20, 200]."""
    return max(20, min(200, round(float(args.claim_rate) * float(args.duration))))


def _server_side(path: Path, windows: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """Claim times inside the server (bench.claim_timer), per phase, in ms."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    out: dict[str, Any] = {}
    for name, (start, end) in windows.items():
        mine = [r for r in rows if start <= r["in"] < end]
        total = sorted(r["out"] - r["in"] for r in mine)
        store = sorted(r["out"] - r["submit"] for r in mine)
        loop = sorted(r["submit"] - r["in"] for r in mine)
        stages = {
            # Service.commit's own work (rows, audit hash) and any commit in flight
            "queued": [r["take"] - r["submit"] for r in mine],
            "to_thread": [r["begin"] - r["take"] for r in mine],
            "transaction": [r["end"] - r["begin"] for r in mine],
            "to_loop": [r["publish"] - r["end"] for r in mine],
            "published": [r["out"] - r["publish"] for r in mine],
        }
        out[name] = {
            "claims": len(mine),
            "p50_ms": round(percentile(total, 50) / 1e6, 3),
            "p99_ms": round(percentile(total, 99) / 1e6, 3),
            "max_ms": round(total[-1] / 1e6, 3) if total else 0.0,
            "commit_p50_ms": round(percentile(store, 50) / 1e6, 3),
            "commit_p99_ms": round(percentile(store, 99) / 1e6, 3),
            "handler_p50_us": round(percentile(loop, 50) / 1e3, 1),
            "handler_p99_us": round(percentile(loop, 99) / 1e3, 1),
            "stages_p50_p99_us": {
                k: [round(percentile(sorted(v), q) / 1e3) for q in (50, 99)]
                for k, v in stages.items()
            },
        }
    return out


def _model_cpu(run: InProcess, frames_per_s: float) -> float:
    """Cores: the tick's own CPU per interval plus the socket cost of its frames."""
    return run.tick_ms_mean / 1000 / POSITION_INTERVAL_S + frames_per_s * SOCKET_US_PER_FRAME / 1e6


def report(
    args: argparse.Namespace,
    every: InProcess,
    sampled: InProcess,
    line: dict[str, Any],
    a: Phase,
    b: Phase,
    stale: Staleness,
) -> str:
    def trio(x: float, y: float, z: float) -> str:
        return f"{x:.3f} / {y:.3f} / {z:.3f}"

    sa, sb = line["server_side"]["A"], line["server_side"]["B"]

    rows = [
        ("waiting cases at start", f"{args.cases:,}"),
        ("server start (process start → ready line) (s)", f"{line['ready_seconds']:.2f}"),
        ("server RSS (MiB)", f"{line['rss_mib']:,.1f}"),
        ("sample patients connected", f"{line['sample_connected']:,}"),
        ("claims / arrivals per s offered", f"{args.claim_rate:g} / {args.arrival_rate:g}"),
        (
            "A (sample connected): claim round trip p50 / p99 / max (ms)",
            trio(a.claim_p50_ms, a.claim_p99_ms, a.claim_max_ms),
        ),
        (
            "B (baseline): claim round trip p50 / p99 / max (ms)",
            trio(b.claim_p50_ms, b.claim_p99_ms, b.claim_max_ms),
        ),
        (
            "A (sample connected): claim in the server p50 / p99 / max (ms)",
            trio(sa["p50_ms"], sa["p99_ms"], sa["max_ms"]),
        ),
        (
            "B (baseline): claim in the server p50 / p99 / max (ms)",
            trio(sb["p50_ms"], sb["p99_ms"], sb["max_ms"]),
        ),
        (
            "B: of which handler / commit until answered, p50; p99",
            f"{sb['handler_p50_us']:.0f} µs / {sb['commit_p50_ms']:.3f} ms; "
            f"{sb['handler_p99_us']:.0f} µs / {sb['commit_p99_ms']:.3f} ms",
        ),
        (
            "B: the commit's stages p50 / p99 (µs): rows, audit hash and any commit in flight; "
            "hop to the writer's thread; transaction; hop back; publishing before the answer",
            "; ".join(f"{p50} / {p99}" for p50, p99 in sb["stages_p50_p99_us"].values()),
        ),
        (
            "disk floor: one-row commit alone p50 / p99 / max (ms)",
            trio(
                line["commit_floor"]["p50_ms"],
                line["commit_floor"]["p99_ms"],
                line["commit_floor"]["max_ms"],
            ),
        ),
        (
            "CPU floor: the same small work hot / after an idle gap like the claims' p50; p99 (µs)",
            f"{line['wake_floor']['hot_p50_us']:.1f} / {line['wake_floor']['woken_p50_us']:.1f}; "
            f"{line['wake_floor']['hot_p99_us']:.1f} / {line['wake_floor']['woken_p99_us']:.1f} "
            f"({line['wake_floor']['woken_over_hot_p50']:.1f}× at p50)",
        ),
        ("A / B: ping round trip p50 (ms)", f"{a.ping_p50_ms:.3f} / {b.ping_p50_ms:.3f}"),
        (
            "A / B: group commit mean; max ≤ (ms)",
            f"{a.commit_ms_mean:.3f} / {b.commit_ms_mean:.3f}; "
            f"{a.commit_ms_max_le} / {b.commit_ms_max_le}",
        ),
        (
            "A / B: event-loop lag p99 ≤ / max ≤ (ms)",
            f"{a.loop_lag_ms_p99_le} / {a.loop_lag_ms_max_le} ; "
            f"{b.loop_lag_ms_p99_le} / {b.loop_lag_ms_max_le}",
        ),
        (
            "claim handling in the loop p50 / p99 / max (µs, in process)",
            f"{every.claim_us_p50:.1f} / {every.claim_us_p99:.1f} / {every.claim_us_max:.1f}",
        ),
        ("A / B: server CPU (cores)", f"{a.server_cpu} / {b.server_cpu}"),
        ("position frames to the sample per s (A)", f"{line['position_frames_per_s_in_a']:,.1f}"),
        ("bytes per position frame", f"{line['position_bytes_per_frame']:.1f}"),
        (
            "sample's position cost: measured A − B / model (cores)",
            f"{line['position_cpu_a_minus_b']:.4f} / {line['position_cpu_sample_model']:.4f}",
        ),
        (
            "stale shown position or estimate: max / p99 episode (s)",
            f"{stale.max_s:.2f} / {stale.p99_episode_s:.2f}",
        ),
        ("share of sample-time stale", f"{stale.stale_share:.2%}"),
        (
            "age of the shown exact place p50 / p99 (s)",
            f"{stale.exact_age_p50_s:.2f} / {stale.exact_age_p99_s:.2f}",
        ),
        (
            f"tick every {POSITION_INTERVAL_S:g} s, all {every.cases:,} connected: "
            "mean / max (ms, in process)",
            f"{every.tick_ms_mean:.1f} / {every.tick_ms_max:.1f}",
        ),
        (
            "telling everyone at once (first tick, or a change of pace): ms / frames",
            f"{every.first_tick_ms:.1f} / {every.first_tick_frames:,}",
        ),
        (
            f"tick, {sampled.connected:,} of them connected: mean / max (ms, in process)",
            f"{sampled.tick_ms_mean:.1f} / {sampled.tick_ms_max:.1f}",
        ),
        (
            "all connected: frames / bytes per s (model)",
            f"{line['all_connected_frames_per_s']:,.1f} / {line['all_connected_bytes_per_s']:,}",
        ),
        (
            "all connected: position traffic, share of a core (model)",
            f"{line['all_connected_core_share']:.1%}",
        ),
    ]
    out = ["| measure | value |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in rows]
    server_p99 = max(sa["p99_ms"], sb["p99_ms"])
    checks = [
        (
            "claim p99 ≤ 1 ms (server side)",
            f"in the server p99 {sa['p99_ms']:.2f} ms (A), {sb['p99_ms']:.2f} ms (B), of "
            f"which waiting for the group commit p99 {sb['commit_p99_ms']:.2f} ms (B); client "
            f"round trip p99 {a.claim_p99_ms:.2f} / {b.claim_p99_ms:.2f} ms; disk floor (one "
            f"one-row commit alone) p99 {line['commit_floor']['p99_ms']:.2f} ms; woken CPU "
            f"{line['wake_floor']['woken_over_hot_p50']:.1f}× slower than hot",
            server_p99 <= TARGET_CLAIM_P99_MS,
        ),
        (
            "shown position and estimate ≤ 5 s stale",
            f"max {stale.max_s:.2f} s",
            stale.max_s <= TARGET_STALE_S,
        ),
        (
            "position traffic ≤ 20% of one core",
            f"all connected ~{line['all_connected_core_share']:.1%} (model)",
            line["all_connected_core_share"] <= TARGET_CORE_SHARE,
        ),
    ]
    out += ["", "| target | measured | |", "|---|---|---|"]
    out += [f"| {t} | {m} | **{'met' if ok else 'missed'}** |" for t, m, ok in checks]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
