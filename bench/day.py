"""A compressed day at the digital entrance, against the real server, with a
bare relay carrying the same message rate in the same run as the baseline.

Patients arrive at random (a Poisson process whose rate follows a working
day's curve: a morning peak, a dip at lunch, a smaller afternoon peak, a quiet
evening), log in, choose "seek care", pick a complaint and answer the triage
questions as the plugin sends them. Self-care advice ends most of those
journeys (some ask to talk to a person anyway), "call 112" ends some, the rest
queue. Nurses in the 1177 pool claim by urgency (head of the queue), greet,
chat, and close with advice, or hand the case to a physician, who claims it
from their own pool. Patients answer in real time, or (a share) leave while
waiting and come back later to catch up ("async"), and rate the contact.
Every message carries its send time: the other party's clock gives the
send→delivered latency (one machine, one CLOCK_REALTIME).

Everything runs in separate processes on uvloop: the server (``chatserver
serve`` on a fresh SQLite file), patient workers and one staff worker, each
with the Python SDK (real frames, validated). Patients and their sessions are
written into the bench database before the server starts (an e-ID login per
patient would measure the bench, not the server); their personnummer are
synthetic ones born 140 years ago, valid in form.

Then the bare ``websockets`` relay (bench/relay_bare.py) carries the day's
mean message rate, over as many pairs as the day had conversations at once,
for the ratio of latencies.

    python -m bench.day --patients 3000 --minutes 3 --nurses 12 --physicians 3

prints JSON lines (``{"bench": "day", ...}``) and a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import multiprocessing
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench import scrape
from bench.load_worker import Target
from bench.loadgen import LoadSpec, run_load
from bench.server_proc import ServerProc, raise_nofile_limit, read_cpu_seconds, read_rss_bytes

# Hard bounds, whatever the command line says.
MAX_PATIENTS = 100_000
MAX_MINUTES = 30.0
# The working day compressed into --minutes: relative arrival intensity per
# hour 00..23 (a 1177-like curve: peak 08-10, lunch dip, 13-15, calm night).
DAY_CURVE = (
    0.1, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 1.8, 1.5, 1.2,
    0.9, 1.2, 1.3, 1.1, 0.9, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15,
)  # fmt: skip
STAFF_PASSWORD = "bench-day-password"
SEED_TOKEN = "bench-day"
# Shares of behaviour (documented assumptions, not measurements).
ASK_PERSON_ANYWAY = 0.25  # after self-care advice
ASYNC_PATIENTS = 0.3  # leave while waiting, come back later
HANDOFF_SHARE = 0.12  # nurse hands to a physician
RATE_SHARE = 0.5  # patients who rate after close
RED_FLAG_YES = 0.03  # chance a yes/no question is answered "yes"
ROUNDS = (1, 4)  # staff messages per conversation (inclusive range)
NO_ANSWER_S = 30.0  # a staff member gives up waiting for a reply
SEND_TIMEOUT_S = 30.0
# Staff keep claiming this long after the last arrival; patients wait 30 s more.
GRACE_S = 60.0


def patient_token(i: int) -> str:
    return hashlib.sha256(f"{SEED_TOKEN}:{i}".encode()).hexdigest()


def synthetic_pnr(i: int) -> str:
    """12 digits, valid in form (Luhn, calendar), born 140 years ago: anyone who
    ever had such a number died long ago, and these never leave the bench's
    own database. (Age stays within the protocol's 0..150.)"""
    year = time.gmtime().tm_year - 140
    day = 1 + i % 28
    month = 1 + (i // 28) % 12
    serial = 1 + (i // 336) % 999
    nine = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    total = 0
    for k, c in enumerate(nine):
        v = int(c) * (2 if k % 2 == 0 else 1)
        total += v // 10 + v % 10
    return f"{year // 100}{nine}{(10 - total % 10) % 10}"


# ------------------------------------------------------------------ set-up


def prepare(
    folder: Path,
    patients: int,
    nurses: int,
    physicians: int,
    commit_interval_ms: float | None = None,
) -> tuple[Path, Path]:
    """A fresh database (staff, patients with sessions) and config; the
    store's pacing as the server's default unless ``commit_interval_ms``."""
    from chatserver import config as config_mod
    from chatserver.service.accounts import staff_user_op
    from chatserver.service.auth import token_hash
    from chatserver.store import db, migrate, records

    if patients > 335_664:
        raise ValueError("synthetic numbers run out at 335,664 patients")
    cfg = folder / "day.toml"
    cfg.write_text(
        "\n".join(
            [
                "# Written by bench/day.py.",
                "[server]",
                "shutdown_grace = 2.0",
                "[limits]",
                "rate = 200",
                "burst = 400",
                "[queue]",
                "max_cases_per_staff = 8",
                "claim_timeout_min = 60",
                *(
                    ["[store]", f"commit_interval_ms = {commit_interval_ms}"]
                    if commit_interval_ms is not None
                    else []
                ),
                "",
            ]
        ),
        encoding="utf-8",
    )
    config_mod.load(cfg)
    db_path = folder / "day.sqlite3"
    conn = db.connect(db_path)
    try:
        migrate.migrate(conn)
        now = int(time.time() * 1000)
        sql, params = staff_user_op(
            username="n00",
            name="Nurse 00",
            password=STAFF_PASSWORD,
            roles=("nurse",),
            pools=("nurse_1177",),
            now=now,
        )
        pw_hash = params[7]
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql, params)
        staff = [(f"n{k:02d}", "nurse", "nurse_1177") for k in range(1, nurses)]
        staff += [(f"d{k:02d}", "physician", "physician") for k in range(physicians)]
        for username, role, pool in staff:
            conn.execute(
                *records.user_insert(
                    id=f"s-{username}",
                    kind="staff",
                    name=username,
                    username=username,
                    roles=(role,),
                    pools=(pool,),
                    pw_hash=pw_hash,
                    created=now,
                )
            )
        expires = now + 86_400_000
        for i in range(patients):
            conn.execute(
                *records.user_insert(
                    id=f"pday{i:06d}",
                    kind="patient",
                    name=f"Patient {i}",
                    pnr=synthetic_pnr(i),
                    created=now,
                )
            )
            conn.execute(
                *records.session(token_hash(patient_token(i)), f"pday{i:06d}", now, expires, None)
            )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return db_path, cfg


def arrivals(patients: int, seconds: float, rng: random.Random) -> list[float]:
    """Arrival offsets (s) of ``patients`` over ``seconds``, following DAY_CURVE."""
    weights = [w / sum(DAY_CURVE) for w in DAY_CURVE]
    hour_s = seconds / 24
    out = []
    for _ in range(patients):
        hour = rng.choices(range(24), weights)[0]
        out.append(hour * hour_s + rng.random() * hour_s)
    return sorted(out)


# ------------------------------------------------------------------ workers


@dataclass
class Stats:
    """What one worker saw; merged by the coordinator."""

    latency_us: list[int] = field(default_factory=list)  # send -> delivered, live
    to_staff_us: list[int] = field(default_factory=list)  # the patient -> staff share of it
    claim_us: list[int] = field(default_factory=list)
    first_reply_ms: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # The generator's own health, by worker kind: event-loop lag samples and
    # CPU seconds (a late receiver inflates the latencies it measures).
    lag_us: dict[str, list[int]] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def merge(self, other: Stats) -> None:
        self.latency_us += other.latency_us
        self.to_staff_us += other.to_staff_us
        self.claim_us += other.claim_us
        self.first_reply_ms += other.first_reply_ms
        for k, v in other.counts.items():
            self.count(k, v)
        for k, lags in other.lag_us.items():
            self.lag_us.setdefault(k, []).extend(lags)
        for k, cpu in other.cpu_s.items():
            self.cpu_s[k] = self.cpu_s.get(k, 0.0) + cpu


async def _watch_lag(into: list[int], period: float = 0.05) -> None:
    while True:
        t = time.perf_counter()
        await asyncio.sleep(period)
        into.append(int((time.perf_counter() - t - period) * 1e6))


def _stamp(text: str) -> str:
    return f"{time.time_ns()} {text}"


def _latency(stats: Stats, text: str, live_since_ns: int, to_staff: bool = False) -> None:
    """Send→delivered of a live message; one sent before the receiver (re)connected
    is counted as caught up on return instead (asynchronous chat)."""
    head = text.split(" ", 1)[0]
    if head.isdigit():
        sent = int(head)
        if sent < live_since_ns:
            stats.count("caught_up_on_return")
        else:
            stats.latency_us.append((time.time_ns() - sent) // 1000)
            if to_staff:
                stats.to_staff_us.append(stats.latency_us[-1])


def _patient_client(url: str, i: int, st: Stats) -> Any:
    """An SDK client for patient ``i`` that times staff messages as they arrive
    (not when the scripted patient gets round to reading them)."""
    from clients.sdk import Client
    from protocol.frames import Message

    live = time.time_ns()

    def arrived(frame: Any) -> None:
        if isinstance(frame, Message) and frame.role != "patient":
            _latency(st, frame.text, live)

    return Client(url, patient_token(i), kind="bench", on_frame=arrived)


async def _next(client: Any, kinds: tuple[type, ...], wait_s: float) -> Any:
    """The next event of one of ``kinds``."""
    deadline = time.monotonic() + wait_s
    while True:
        frame = await asyncio.wait_for(client.events.get(), max(0.01, deadline - time.monotonic()))
        if isinstance(frame, kinds):
            return frame


def _answer(q: Any, rng: random.Random) -> Any:
    if q.type == "boolean":
        return rng.random() < RED_FLAG_YES
    if q.type == "choice":
        return rng.choice(q.options).code
    if q.type in ("integer", "decimal"):
        lo = int(q.min or 0)
        hi = int(q.max) if q.max is not None else lo + 5
        return rng.randint(lo, max(lo, min(hi, lo + 5)))
    return "ont sedan i går"


async def _triage(client: Any, rng: random.Random, st: Stats) -> tuple[str, str, bool]:
    """Seek care, pick a complaint, answer until the outcome: (case, room, to a person?)."""
    from protocol.frames import (
        Answer,
        AskPerson,
        CaseUpdate,
        HomeC,
        HomeS,
        OpenCase,
        OutcomeS,
        Questions,
    )

    home = await client.request(HomeC(id=0))
    assert isinstance(home, HomeS)
    seek = next(e for e in home.entrances if e.triage)
    complaints = [c.code for c in seek.complaints if c.code != "fever_child"]
    opened = await client.request(
        OpenCase(id=0, entrance=seek.key, text="", subject="self", complaint=rng.choice(complaints))
    )
    assert isinstance(opened, CaseUpdate)
    case, room = opened.case.case, opened.case.room
    page: Any = await _next(client, (Questions,), 30)
    while not isinstance(page, OutcomeS):
        page = await client.request(
            Answer(id=0, case=case, answers={q.id: _answer(q, rng) for q in page.items})
        )
    st.count(f"outcome_{page.disposition}")
    if page.disposition == "self_care" and rng.random() < ASK_PERSON_ANYWAY:
        await client.request(AskPerson(id=0, case=case))
        st.count("ask_person")
        return case, room, True
    return case, room, page.disposition == "queue"


async def _patient(
    url: str, i: int, at: float, t0: float, until: float, rng: random.Random, st: Stats
) -> None:
    from clients.sdk import ServerError
    from protocol.frames import CaseUpdate, Message, Rate

    await asyncio.sleep(max(0.0, t0 + at - time.time()))
    client = _patient_client(url, i, st)
    await client.start()
    try:
        case, room, queued = await _triage(client, rng, st)
        if not queued:
            return
        st.count("queued")
        await client.subscribe(room)
        if rng.random() < ASYNC_PATIENTS:
            st.count("async")
            await client.close()
            await asyncio.sleep(rng.uniform(5, 20))
            client = _patient_client(url, i, st)
            await client.start()
            await client.subscribe(room)  # catches up from the start of the room
        while True:
            try:
                frame = await _next(client, (Message, CaseUpdate), until - time.time())
            except TimeoutError:
                st.count("gave_up_waiting")  # the day ended before staff got to it
                return
            if isinstance(frame, CaseUpdate) and frame.case.case == case:
                if frame.case.state == "closed":
                    st.count("closed_seen")
                    if rng.random() < RATE_SHARE:
                        await client.request(Rate(id=0, case=case, score=rng.randint(3, 5)))
                        st.count("rated")
                    return
            elif isinstance(frame, Message) and frame.room == room and frame.role != "patient":
                await asyncio.sleep(rng.uniform(0.2, 2.0))
                try:
                    await asyncio.wait_for(
                        client.send(room, _stamp("tack, det låter bra")), SEND_TIMEOUT_S
                    )
                    st.count("patient_msgs")
                except ServerError as e:  # staff closed while the patient typed
                    st.count(f"patient_msg_refused_{e.code}")
    finally:
        await client.close()


class _StaffMember:
    """One staff connection: claims from its pool's head, up to 3 cases at once."""

    def __init__(self, username: str, pool: str, rng: random.Random, st: Stats) -> None:
        self.username, self.pool, self.rng, self.st = username, pool, rng, st
        self.inboxes: dict[str, asyncio.Queue[Any]] = {}
        self.pushed = asyncio.Event()
        self.active: set[asyncio.Task[None]] = set()
        self.live_since = time.time_ns()
        self.joined: dict[str, int] = {}

    def route(self, frame: Any) -> None:
        from protocol.frames import Message

        if isinstance(frame, Message):
            if frame.role == "patient":
                # A room joined mid-case (a handoff) replays what came before.
                since = self.joined.get(frame.room, self.live_since)
                _latency(self.st, frame.text, since, to_staff=True)
                inbox = self.inboxes.get(frame.room)
                if inbox is not None:
                    inbox.put_nowait(frame)
        else:
            self.pushed.set()  # a queue push: the head may have changed

    async def shift(self, url: str, base: str, until: float) -> None:
        from clients.sdk import Client, login_staff
        from protocol.frames import QueueSub

        token = await login_staff(base, self.username, STAFF_PASSWORD)
        client = Client(url, token, kind="bench", on_frame=self.route)
        await client.start()
        try:
            await client.request(QueueSub(id=0, pools=(self.pool,)))
            while time.time() < until or self.active:
                if time.time() >= until or len(self.active) >= 3:
                    await asyncio.sleep(0.1)
                else:
                    await self._claim(client)
        finally:
            for task in self.active:
                task.cancel()
            await client.close()

    async def _claim(self, client: Any) -> None:
        from clients.sdk import ServerError
        from protocol.frames import CaseUpdate, Claim

        t = time.perf_counter_ns()
        try:
            got = await client.request(Claim(id=0, case=None, pool=self.pool))
        except ServerError:  # nothing waiting: wait for a queue push
            self.pushed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.pushed.wait(), 0.5)
            return
        self.st.claim_us.append((time.perf_counter_ns() - t) // 1000)
        assert isinstance(got, CaseUpdate)
        self.st.count("claims")
        task = asyncio.ensure_future(
            self._conversation(client, got.case.case, got.case.room, got.case.created)
        )
        self.active.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.active.discard(task)
        if not task.cancelled() and (e := task.exception()) is not None:
            self.st.count(f"staff_error {type(e).__name__}: {str(e)[:60]}")

    async def _conversation(self, client: Any, case: str, room: str, since_ms: int) -> None:
        from protocol.frames import CloseCase, Transfer

        inbox = self.inboxes[room] = asyncio.Queue()
        self.joined[room] = time.time_ns()
        await client.subscribe(room)
        outcome = "advice"
        for k in range(self.rng.randint(*ROUNDS)):
            await asyncio.wait_for(client.send(room, _stamp(f"fråga {k}")), SEND_TIMEOUT_S)
            self.st.count("staff_msgs")
            if k == 0:
                self.st.first_reply_ms.append(int(time.time() * 1000) - since_ms)
            try:
                await asyncio.wait_for(inbox.get(), NO_ANSWER_S)
            except TimeoutError:
                outcome = "no_answer"
                break
        self.inboxes.pop(room, None)
        self.joined.pop(room, None)
        await client.unsubscribe(room)  # a shift's cases outnumber max_subs
        if outcome == "advice" and self.pool == "nurse_1177" and self.rng.random() < HANDOFF_SHARE:
            await client.request(Transfer(id=0, case=case, pool="physician", note="bedömning"))
            self.st.count("handoffs")
        else:
            await client.request(CloseCase(id=0, case=case, outcome=outcome, note=""))
            self.st.count(f"closed_{outcome}")


@dataclass(frozen=True)
class Job:
    kind: str  # "patients" or "staff"
    url: str
    base: str
    t0: float
    until: float
    seed: int
    patients: tuple[tuple[int, float], ...] = ()
    staff: tuple[tuple[str, str], ...] = ()
    grace: float = GRACE_S


def _worker(job: Job, conn: Connection) -> None:
    import uvloop

    async def main() -> Stats:
        st = Stats()
        rng = random.Random(job.seed)
        lag = asyncio.ensure_future(_watch_lag(st.lag_us.setdefault(job.kind, [])))
        if job.kind == "patients":
            tasks = [
                _patient(
                    job.url,
                    i,
                    at,
                    job.t0,
                    job.until + job.grace + 30,
                    random.Random(rng.random()),
                    st,
                )
                for i, at in job.patients
            ]
        else:
            tasks = [
                _StaffMember(u, pool, random.Random(rng.random()), st).shift(
                    job.url, job.base, job.until
                )
                for u, pool in job.staff
            ]
        results = await asyncio.gather(
            *(asyncio.wait_for(t, job.until - time.time() + 120) for t in tasks),
            return_exceptions=True,
        )
        for r in results:
            if isinstance(r, BaseException):
                st.count(f"error {type(r).__name__}: {str(r)[:100]}")
        lag.cancel()
        st.cpu_s[job.kind] = time.process_time()
        return st

    conn.send(asdict(uvloop.run(main())))
    conn.close()


# ------------------------------------------------------------------ coordinator


def _pct(values: Sequence[int], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))])


def run_day(
    patients: int,
    minutes: float,
    nurses: int,
    physicians: int,
    procs: int,
    seed: int,
    grace: float = GRACE_S,
    commit_interval_ms: float | None = None,
) -> dict[str, Any]:
    raise_nofile_limit()
    rng = random.Random(seed)
    seconds = minutes * 60
    with tempfile.TemporaryDirectory(prefix="bench-day-") as tmp:
        db_path, cfg = prepare(Path(tmp), patients, nurses, physicians, commit_interval_ms)
        argv = [sys.executable, "-m", "chatserver.cli", "--config", str(cfg), "--db", str(db_path)]
        argv += ["serve", "--host", "127.0.0.1", "--port", "0", "--ready-line"]
        with ServerProc(argv, ready_timeout=60) as server:
            port = server.port
            base, url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws"
            t0 = time.time() + 3.0
            until = t0 + seconds
            times = arrivals(patients, seconds, rng)
            shares: list[list[tuple[int, float]]] = [[] for _ in range(procs)]
            for i, at in enumerate(times):
                shares[i % procs].append((i, at))
            staff = [(f"n{k:02d}", "nurse_1177") for k in range(nurses)]
            staff += [(f"d{k:02d}", "physician") for k in range(physicians)]
            jobs = [
                Job("patients", url, base, t0, until, rng.randrange(2**31), tuple(s), grace=grace)
                for s in shares
            ]
            jobs.append(
                Job(
                    "staff",
                    url,
                    base,
                    t0,
                    until + grace,
                    rng.randrange(2**31),
                    staff=tuple(staff),
                )
            )
            ctx = multiprocessing.get_context("spawn")
            pipes, workers = [], []
            for job in jobs:
                parent, child = ctx.Pipe(duplex=False)
                p = ctx.Process(target=_worker, args=(job, child), daemon=True)
                p.start()
                pipes.append(parent)
                workers.append(p)
            metrics_url = f"{base}/metrics"
            before = scrape.scrape_histograms(metrics_url)
            cpu0, wall0 = read_cpu_seconds(server.pid), time.monotonic()
            rss_peak = 0
            total = Stats()
            deadline = until + 240
            pending = list(pipes)
            while pending and time.time() < deadline:
                rss_peak = max(rss_peak, read_rss_bytes(server.pid))
                for pipe in list(pending):
                    if pipe.poll(0.5):
                        total.merge(Stats(**pipe.recv()))
                        pending.remove(pipe)
            wall = time.monotonic() - wall0
            cpu = read_cpu_seconds(server.pid) - cpu0
            after = scrape.scrape_histograms(metrics_url)
            for p in workers:
                p.join(5)
                if p.is_alive():
                    p.terminate()
            moved = {k: after[k].minus(before[k]) for k in after.keys() & before.keys()}
            batches = moved.get("chatserver_store_batch_operations")
            commits = moved.get("chatserver_store_commit_seconds")
            loop_lag = moved.get("chatserver_event_loop_lag_seconds")
    msgs = len(total.latency_us)
    row: dict[str, Any] = {
        "bench": "day",
        "patients": patients,
        "minutes": minutes,
        "nurses": nurses,
        "physicians": physicians,
        "workers_unfinished": len(pending),
        "wall_s": round(wall, 1),
        "messages_delivered": msgs,
        "msgs_per_s": round(msgs / seconds, 1),
        "latency_p50_ms": _pct(total.latency_us, 50) / 1000,
        "latency_p99_ms": _pct(total.latency_us, 99) / 1000,
        "latency_max_ms": _pct(total.latency_us, 100) / 1000,
        "to_staff_p50_ms": _pct(total.to_staff_us, 50) / 1000,
        "to_staff_p99_ms": _pct(total.to_staff_us, 99) / 1000,
        "claim_p50_ms": _pct(total.claim_us, 50) / 1000,
        "claim_p99_ms": _pct(total.claim_us, 99) / 1000,
        "claim_max_ms": _pct(total.claim_us, 100) / 1000,
        "first_reply_p50_s": _pct(total.first_reply_ms, 50) / 1000,
        "first_reply_p90_s": _pct(total.first_reply_ms, 90) / 1000,
        "server_cpu_cores": round(cpu / wall, 3),
        "generator_cpu_cores": {k: round(v / wall, 3) for k, v in total.cpu_s.items()},
        "generator_lag_p99_ms": {k: _pct(v, 99) / 1000 for k, v in total.lag_us.items()},
        "server_rss_peak_mib": round(rss_peak / 2**20, 1),
        "batch_mean": None if batches is None else _round(batches.mean()),
        # Bucket bounds from the server's own histograms (not estimates).
        "commit_p99_ms_bound": _bound_ms(commits, 0.99),
        "commit_max_ms_bound": None if commits is None else _ms(commits.top_bound()),
        "server_loop_lag_p99_ms_bound": _bound_ms(loop_lag, 0.99),
        "server_loop_lag_max_ms_bound": None if loop_lag is None else _ms(loop_lag.top_bound()),
        "counts": dict(sorted(total.counts.items())),
    }
    return row


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _bound_ms(h: scrape.Histogram | None, q: float) -> float | None:
    return None if h is None else _ms(h.quantile_bound(q))


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def baseline(rate: float, pairs: int, seconds: float) -> dict[str, Any]:
    """The bare relay at the day's mean message rate, same number of pairs."""
    argv = [sys.executable, "-m", "bench.relay_bare", "--port", "0"]
    with ServerProc(argv) as relay:
        spec = LoadSpec(
            target=Target(url=f"ws://127.0.0.1:{relay.port}/"),
            pairs=max(1, pairs),
            rate=max(1.0, rate),
            duration=seconds,
            max_messages=max(100, int(rate * seconds) + 100),
        )
        res = run_load(spec)
    return {
        "bench": "day_baseline",
        "server": "bare",
        "offered_rate": round(rate, 1),
        "pairs": pairs,
        "latency_p50_ms": res.p50_ms,
        "latency_p99_ms": res.p99_ms,
        "latency_max_ms": res.max_ms,
        "lost": res.lost,
    }


def _kv(d: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in sorted(d.items()))


def table(day: dict[str, Any], base: dict[str, Any]) -> str:
    def ratio(key: str) -> str:
        b = base[key]
        return f"{day[key] / b:.1f}×" if b else "–"

    c = day["counts"]
    lines = [
        f"Compressed day: {day['patients']:,} patients in {day['minutes']} min, "
        f"{day['nurses']} nurses, {day['physicians']} physicians.",
        "",
        "| | chatserver (day) | bare relay, same rate | ratio |",
        "|---|---|---|---|",
        f"| messages/s (mean) | {day['msgs_per_s']} | {base['offered_rate']} | |",
    ]
    for k, name in (("p50", "p50"), ("p99", "p99"), ("max", "max")):
        key = f"latency_{k}_ms"
        lines.append(
            f"| send→delivered {name} (ms) | {day[key]:.2f} | {base[key]:.2f} | {ratio(key)} |"
        )
    lines += [
        f"| claim p50 / p99 / max (ms) | {day['claim_p50_ms']:.2f} / {day['claim_p99_ms']:.2f} / "
        f"{day['claim_max_ms']:.2f} | | |",
        f"| wait to first staff reply p50 / p90 (s) | {day['first_reply_p50_s']:.1f} / "
        f"{day['first_reply_p90_s']:.1f} | | |",
        f"| server CPU (cores) / peak RSS (MiB) | {day['server_cpu_cores']} / "
        f"{day['server_rss_peak_mib']} | | |",
        f"| commit batch mean (operations) | {day['batch_mean']} | | |",
        f"| commit p99 / max, bucket bound (ms) | {day['commit_p99_ms_bound']} / "
        f"{day['commit_max_ms_bound']} | | |",
        f"| server event-loop lag p99 / max, bucket bound (ms) | "
        f"{day['server_loop_lag_p99_ms_bound']} / {day['server_loop_lag_max_ms_bound']} | | |",
        f"| patient → staff p50 / p99 (ms) | {day['to_staff_p50_ms']:.2f} / "
        f"{day['to_staff_p99_ms']:.2f} | | |",
        f"| generator CPU (cores) | {_kv(day['generator_cpu_cores'])} | | |",
        f"| generator event-loop lag p99 (ms) | {_kv(day['generator_lag_p99_ms'])} | | |",
        "",
        "Journeys: " + ", ".join(f"{k} {v:,}" for k, v in c.items()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.day", description=__doc__.split("\n")[0])
    ap.add_argument("--patients", type=int, default=3000)
    ap.add_argument("--minutes", type=float, default=3.0, help="length of the compressed day")
    ap.add_argument("--nurses", type=int, default=12)
    ap.add_argument("--physicians", type=int, default=3)
    ap.add_argument("--procs", type=int, default=2, help="patient worker processes")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--baseline-seconds", type=float, default=10.0)
    ap.add_argument("--grace", type=float, default=GRACE_S, help="staff work on after the day")
    ap.add_argument(
        "--commit-interval-ms",
        type=float,
        default=None,
        help="the store's pacing under load ([store] commit_interval_ms; 0 = off)",
    )
    args = ap.parse_args(argv)
    if not 1 <= args.patients <= MAX_PATIENTS or not 0 < args.minutes <= MAX_MINUTES:
        ap.error(f"1..{MAX_PATIENTS} patients over (0, {MAX_MINUTES}] minutes")
    day = run_day(
        args.patients,
        args.minutes,
        args.nurses,
        args.physicians,
        args.procs,
        args.seed,
        args.grace,
        args.commit_interval_ms,
    )
    print(json.dumps(day), flush=True)
    pairs = max(1, (args.nurses + args.physicians) * 3)
    base = baseline(max(1.0, day["msgs_per_s"]), pairs, args.baseline_seconds)
    print(json.dumps(base), flush=True)
    print(table(day, base))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
