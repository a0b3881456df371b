"""Scale run 3: restart with 1,000,000 messages and 100,000 open cases.

Issue 7's target: serving again within 5 s of the process starting.

Set-up: a bench database (real schema, ``bench.chatserver_setup.prepare``)
with ``--cases`` waiting cases, one patient with a session each, and
``--messages`` chat messages spread evenly over the cases' rooms
(``bench.scale_setup``, one transaction per table). Then, ``--rounds`` times
on that database and, interleaved, on a fresh empty one (the baseline):

* the server process is started (``python -m chatserver.cli serve``);
* **ready**: its ready line (it listens);
* **health**: ``GET /health`` answers ``ok``;
* **resumed**: a real client, patient 0, connects, says ``hello``, resumes its
  case room with ``sub`` after the first half of the room's messages, and has
  received the rest (``msg`` frames up to the room's head);
* RSS once resumed; then SIGTERM (stopped by its own pid).

All times are from just before the process is spawned (interpreter start and
imports included), wall clock.

    python -m bench.scale_restart                   # 1M messages, 100k cases, ~2-3 min
    python -m bench.scale_restart --cases 1000 --messages 10000 --rounds 1   # seconds

Prints one JSON line per start and a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import msgpack

from bench.chatserver_setup import prepare
from bench.scale_setup import add_messages, add_patients, add_queued_cases, case_id, patient_token
from bench.server_proc import ServerProc, read_rss_bytes, stop_on_sigterm
from bench.ws_client import LeanClient
from chatserver.store import db

DEFAULT_CASES = 100_000
DEFAULT_MESSAGES = 1_000_000
MAX_MESSAGES = 5_000_000
TARGET_S = 5.0
HEALTH_POLL_S = 0.02
STEP_TIMEOUT = 120.0
TEXT = "Jag har haft ont i halsen i tre dagar och feber sedan i går kväll."
_pack = msgpack.Packer(use_bin_type=True).pack


@dataclass(frozen=True, slots=True)
class Start:
    bench: str
    database: str
    round: int
    ready_s: float
    health_s: float
    resumed_s: float
    resumed_messages: int
    rss_mib: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Built:
    argv: list[str]
    seconds: float
    cases: int
    messages: int
    per_room: int
    db_mib: float


def build(folder: Path, *, cases: int, messages: int, seed: str) -> Built:
    t0 = time.monotonic()
    prepared = prepare(folder, staff=1)
    per_room = messages // cases if cases else 0
    if cases:
        conn = db.connect(prepared.db)
        try:
            now = int(time.time() * 1000)
            add_patients(conn, cases, seed=seed, now=now)
            add_queued_cases(conn, cases, patients=cases, now=now)
            if per_room:
                add_messages(conn, per_room, cases=cases, patients=cases, now=now, text=TEXT)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    size = sum(p.stat().st_size for p in folder.glob("bench.sqlite3*"))
    return Built(
        argv=list(prepared.argv()),
        seconds=round(time.monotonic() - t0, 2),
        cases=cases,
        messages=per_room * cases,
        per_room=per_room,
        db_mib=round(size / 2**20, 1),
    )


async def _health(base: str, deadline: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=5.0) as client:
        while True:
            try:
                res = await client.get("/health")
                if res.status_code == 200 and res.json().get("ok") is True:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("health never answered ok")
            await asyncio.sleep(HEALTH_POLL_S)


async def _resume(url: str, token: str, room: str, after: int, head: int) -> int:
    """hello, then ``sub`` after ``after``; returns how many messages came (up to head)."""
    async with asyncio.timeout(STEP_TIMEOUT):
        ws = await LeanClient.open(url, max_size=2**20)
        try:
            await ws.send(_pack({"t": "hello", "v": 1, "token": token, "client": "bench"}))
            got = 0
            last = after
            await ws.send(_pack({"t": "sub", "id": 1, "room": room, "after": after}))
            while last < head:
                data = await ws.recv()
                if data is None:
                    raise ConnectionError("closed while resuming")
                frame = msgpack.unpackb(data, raw=False)
                if not isinstance(frame, dict):
                    continue
                if frame.get("t") == "error":
                    raise RuntimeError(f"refused: {frame}")
                if frame.get("t") == "msg" and frame.get("room") == room:
                    got += 1
                    last = int(frame["seq"])
            return got
        finally:
            await ws.close()


def one_start(built: Built, name: str, round_no: int, seed: str) -> Start:
    t0 = time.monotonic()
    with ServerProc(built.argv, ready_timeout=STEP_TIMEOUT, stop_timeout=20.0) as proc:
        ready = time.monotonic() - t0
        base = f"http://127.0.0.1:{proc.port}"
        asyncio.run(_health(base, time.monotonic() + STEP_TIMEOUT))
        health = time.monotonic() - t0
        got = 0
        if built.cases:
            half = built.per_room // 2
            got = asyncio.run(
                _resume(
                    f"ws://127.0.0.1:{proc.port}/ws",
                    patient_token(seed, 0),
                    case_id(0),
                    half,
                    built.per_room,
                )
            )
        resumed = time.monotonic() - t0
        rss = read_rss_bytes(proc.pid)
    return Start(
        bench="scale_restart",
        database=name,
        round=round_no,
        ready_s=round(ready, 3),
        health_s=round(health, 3),
        resumed_s=round(resumed, 3),
        resumed_messages=got,
        rss_mib=round(rss / 2**20, 1),
    )


def table(built: dict[str, Built], starts: list[Start]) -> str:
    names = list(built)
    lines = [
        "| measure | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]

    def med(name: str, field: str) -> float:
        return float(statistics.median(getattr(s, field) for s in starts if s.database == name))

    lines.append("| open cases | " + " | ".join(f"{built[n].cases:,}" for n in names) + " |")
    lines.append("| messages | " + " | ".join(f"{built[n].messages:,}" for n in names) + " |")
    lines.append(
        "| database size (MiB) | " + " | ".join(f"{built[n].db_mib:,}" for n in names) + " |"
    )
    lines.append("| build time (s) | " + " | ".join(f"{built[n].seconds:,}" for n in names) + " |")
    for label, field in (
        ("process start → ready line (s)", "ready_s"),
        ("process start → health ok (s)", "health_s"),
        ("process start → room resumed (s)", "resumed_s"),
        ("RSS once resumed (MiB)", "rss_mib"),
    ):
        lines.append(f"| {label} | " + " | ".join(f"{med(n, field):,.2f}" for n in names) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_restart", description=__doc__)
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES)
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if not 1 <= args.cases <= 1_000_000 or not 0 <= args.messages <= MAX_MESSAGES:
        parser.error(f"--cases in [1, 1000000], --messages in [0, {MAX_MESSAGES}]")
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds in [1, 10]")
    stop_on_sigterm()
    seed = uuid.uuid4().hex
    starts: list[Start] = []
    with tempfile.TemporaryDirectory(prefix="scale-restart-") as tmp:
        built = {
            "empty": build(Path(tmp) / "empty", cases=0, messages=0, seed=seed),
            "full": build(Path(tmp) / "full", cases=args.cases, messages=args.messages, seed=seed),
        }
        for name, b in built.items():
            print(json.dumps({"bench": "scale_restart", "built": name, **asdict(b)}), flush=True)
        for round_no in range(args.rounds):
            order = ["empty", "full"] if round_no % 2 == 0 else ["full", "empty"]
            for name in order:
                start = one_start(built[name], name, round_no, seed)
                starts.append(start)
                print(json.dumps(start.as_dict()), flush=True)
    print()
    print(table(built, starts))
    full = [s.resumed_s for s in starts if s.database == "full"]
    worst = max(full)
    print(
        f"\nTarget: serving again (a client resumed its room) within {TARGET_S:g} s of process "
        f"start with {built['full'].messages:,} messages and {built['full'].cases:,} open cases: "
        f"median {statistics.median(full):.2f} s, worst {worst:.2f} s — "
        f"**{'met' if worst <= TARGET_S else 'missed'}**"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
