"""Scale run 1: many idle authenticated patient connections, server RSS per connection.

Issue 7's target: 100,000 idle patient connections with server RSS ≤ 3 GiB.
Each connection is a different patient with a session of their own (rows
written before the server starts, ``bench.scale_setup``: logging 100,000
patients in over HTTP would take longer than the run), authenticated with
``hello`` and answered ``welcome``, then quiet. The baseline is the bare
``websockets`` relay (``bench.relay_bare``) holding the same number of
connections, each joined to a room of its own, measured in the same run.

Client side: ``--procs`` load-worker processes on uvloop
(``bench.load_worker``), each connection bound to one of ``--sources``
loopback addresses 127.0.0.2, 127.0.0.3, … (one address has only ~28,000
ephemeral ports towards one server port). The open-file limit is raised for
this process and everything it starts. Where the hard limit cannot be
raised (no CAP_SYS_RESOURCE: this machine's containers stop at 20,000
descriptors per process), the count is capped just below it, said so in a
JSON line, and RSS at 100,000 is extrapolated from RSS per connection.

    python -m bench.scale_idle                     # 100,000 connections, ~3-4 min
    python -m bench.scale_idle --count 2000 --procs 1 --sources 1   # seconds

Prints one JSON line per server and a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import msgpack

from bench.chatserver_setup import prepare
from bench.driver import DriverOptions, Idle, Receiver, Sender
from bench.load_worker import IdleJob, Target
from bench.loadgen import LoadError, _split, _Workers
from bench.scale_setup import add_patients, patient_token
from bench.server_proc import ServerProc, read_cpu_seconds, read_rss_bytes, stop_on_sigterm
from bench.ws_client import LeanClient
from chatserver.store import db

DEFAULT_COUNT = 100_000
MAX_COUNT = 200_000
# Descriptors a server needs besides its connections.
NOFILE_MARGIN = 1_000
# Connections per loopback source address (ephemeral ports: 32768-60999).
PER_SOURCE = 25_000
TARGET_RSS_BYTES = 3 * 2**30
OPEN_TIMEOUT = 30.0
# Seconds for all workers to open their connections (bounded run).
CONNECT_TIMEOUT = 420.0
# RSS is read until it moves less than this share in SETTLE_STEP seconds.
SETTLE_SHARE = 0.005
SETTLE_STEP = 1.0
SETTLE_MAX = 15.0
# Seconds the connections are held idle while the server's CPU is sampled.
IDLE_SAMPLE = 5.0
MAX_SERVER_FRAME_BYTES = 2**20
_pack = msgpack.Packer(use_bin_type=True).pack


class _Quiet:
    def __init__(self, ws: LeanClient) -> None:
        self._ws = ws

    async def close(self) -> None:
        await self._ws.close()


class ScaleIdleDriver:
    """Idle connections only. Params: ``kind`` (``chatserver`` or ``relay``),
    ``seed`` (chatserver: tokens are ``patient_token(seed, i)``), ``sources``
    (comma-separated local addresses, connection i uses ``i % len``)."""

    def __init__(self, options: DriverOptions) -> None:
        params = options.params
        self._url = options.url
        self._kind = params.get("kind", "chatserver")
        self._seed = params.get("seed", "")
        self._sources = [s for s in params.get("sources", "").split(",") if s]

    async def connect_pair(self, room: str) -> tuple[Sender, Receiver]:
        raise NotImplementedError("scale_idle holds idle connections only")

    async def connect_idle(self, room: str) -> Idle:
        index = int(room.rsplit("-", 1)[-1])
        local = (self._sources[index % len(self._sources)], 0) if self._sources else None
        async with asyncio.timeout(OPEN_TIMEOUT):
            ws = await LeanClient.open(self._url, max_size=MAX_SERVER_FRAME_BYTES, local_addr=local)
            try:
                if self._kind == "relay":
                    await ws.send(_pack({"join": room}))
                else:
                    token = patient_token(self._seed, index)
                    await ws.send(_pack({"t": "hello", "v": 1, "token": token, "client": "bench"}))
                    data = await ws.recv()
                    frame = msgpack.unpackb(data, raw=False) if data is not None else None
                    if not isinstance(frame, dict) or frame.get("t") != "welcome":
                        raise RuntimeError(f"hello of patient {index} answered {frame!r}")
            except BaseException:
                await ws.close()
                raise
        return _Quiet(ws)


@dataclass(frozen=True, slots=True)
class IdleResult:
    bench: str
    server: str
    connections: int
    rss_before_mib: float
    rss_after_mib: float
    kib_per_conn: float
    connect_seconds: float
    connects_per_s: float
    server_cpu_connect_s: float
    server_cpu_idle: float
    setup_seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def raise_nofile(needed: int) -> int:
    """Raise RLIMIT_NOFILE towards ``needed``; returns the connections one process may hold.

    Root may raise the hard limit only with CAP_SYS_RESOURCE; where that is
    missing (this machine: hard limit 20,000), the soft limit goes to the hard
    one and the count is capped below it (the server needs a few descriptors
    of its own: database, listening socket, pipes).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed + NOFILE_MARGIN
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return needed
        except (ValueError, OSError):
            pass
    else:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
        return needed
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return max(1, hard - NOFILE_MARGIN)


def settled_rss(pid: int) -> int:
    """RSS once it stops moving (bounded by SETTLE_MAX seconds)."""
    deadline = time.monotonic() + SETTLE_MAX
    last = read_rss_bytes(pid)
    while time.monotonic() < deadline:
        time.sleep(SETTLE_STEP)
        now = read_rss_bytes(pid)
        if abs(now - last) <= SETTLE_SHARE * last:
            return now
        last = now
    return last


def sources(count: int) -> list[str]:
    return [f"127.0.0.{2 + i}" for i in range(count)]


def measure(
    server: str,
    argv: Sequence[str],
    url_path: str,
    count: int,
    *,
    procs: int,
    source_addrs: Sequence[str],
    seed: str,
    setup_seconds: float,
    idle_seconds: float = IDLE_SAMPLE,
) -> IdleResult:
    with ServerProc(argv, ready_timeout=120.0, stop_timeout=20.0) as proc:
        time.sleep(0.5)
        before = settled_rss(proc.pid)
        target = Target(
            url=f"ws://127.0.0.1:{proc.port}{url_path}",
            driver="bench.scale_idle:ScaleIdleDriver",
            params=(
                ("kind", "relay" if server == "bare" else "chatserver"),
                ("seed", seed),
                ("sources", ",".join(source_addrs)),
            ),
        )
        run_id = uuid.uuid4().hex[:8]
        jobs = [
            IdleJob(target=target, run_id=run_id, first=first, count=share, cpus=None)
            for first, share in _split(count, procs)
        ]
        cpu0 = read_cpu_seconds(proc.pid)
        t0 = time.monotonic()
        with _Workers(jobs) as workers:
            opened = sum(
                n for n in workers.expect_all("ready", CONNECT_TIMEOUT) if isinstance(n, int)
            )
            connect_s = time.monotonic() - t0
            cpu1 = read_cpu_seconds(proc.pid)
            after = settled_rss(proc.pid)
            c0, w0 = read_cpu_seconds(proc.pid), time.monotonic()
            time.sleep(idle_seconds)
            idle_cpu = (read_cpu_seconds(proc.pid) - c0) / (time.monotonic() - w0)
            workers.send_all(("close", 0))
            workers.expect_all("closed", CONNECT_TIMEOUT)
    return IdleResult(
        bench="scale_idle",
        server=server,
        connections=opened,
        rss_before_mib=round(before / 2**20, 1),
        rss_after_mib=round(after / 2**20, 1),
        kib_per_conn=round((after - before) / 1024 / max(1, opened), 2),
        connect_seconds=round(connect_s, 2),
        connects_per_s=round(opened / connect_s, 1) if connect_s > 0 else 0.0,
        server_cpu_connect_s=round(cpu1 - cpu0, 2),
        server_cpu_idle=round(idle_cpu, 4),
        setup_seconds=round(setup_seconds, 2),
    )


def bare_argv() -> list[str]:
    return [sys.executable, "-m", "bench.relay_bare", "--port", "0"]


def prepare_chatserver(folder: Path, count: int, seed: str) -> tuple[list[str], float]:
    t0 = time.monotonic()
    prepared = prepare(folder, staff=1)
    conn = db.connect(prepared.db)
    try:
        add_patients(conn, count, seed=seed, now=int(time.time() * 1000))
    finally:
        conn.close()
    return list(prepared.argv()), time.monotonic() - t0


def table(results: Sequence[IdleResult]) -> str:
    base = results[0]
    lines = [
        "| measure | " + " | ".join(r.server for r in results) + f" | ratio to {base.server} |",
        "|---|" + "---|" * len(results) + "---|",
    ]
    rows: list[tuple[str, str]] = [
        ("connections held", "connections"),
        ("server RSS before (MiB)", "rss_before_mib"),
        ("server RSS with all open (MiB)", "rss_after_mib"),
        ("server RSS per connection (KiB)", "kib_per_conn"),
        ("time to open all (s)", "connect_seconds"),
        ("connections opened per s", "connects_per_s"),
        ("server CPU while opening (s)", "server_cpu_connect_s"),
        ("server CPU while idle (cores)", "server_cpu_idle"),
    ]
    for label, name in rows:
        values = [getattr(r, name) for r in results]
        first = values[0]
        ratio = f"{values[-1] / first:.2f}" if len(values) > 1 and first else "–"
        cells = " | ".join(f"{v:,}" if isinstance(v, int) else f"{v:,.2f}" for v in values)
        lines.append(f"| {label} | {cells} | {ratio} |")
    return "\n".join(lines)


def targets(results: Sequence[IdleResult]) -> str:
    chat = [r for r in results if r.server == "chatserver"]
    if not chat:
        return ""
    r = chat[-1]
    met = r.rss_after_mib * 2**20 <= TARGET_RSS_BYTES
    per_100k = r.kib_per_conn * 100_000 / 2**20 + r.rss_before_mib / 1024
    return (
        f"\nTarget: 100,000 idle patient connections with server RSS ≤ 3 GiB: "
        f"{r.connections:,} held, RSS {r.rss_after_mib / 1024:.2f} GiB "
        f"(at 100,000: ~{per_100k:.2f} GiB) — **{'met' if met else 'missed'}**"
        + (
            ""
            if r.connections >= 100_000
            else f" (measured at {r.connections:,}; 100,000 extrapolated from RSS per connection)"
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_idle", description=__doc__)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--sources", type=int, default=0, help="source addresses (0: auto)")
    parser.add_argument("--servers", default="bare,chatserver", help="first is the baseline")
    parser.add_argument(
        "--idle-seconds", type=float, default=IDLE_SAMPLE, help="idle CPU sampled this long"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.count <= MAX_COUNT:
        parser.error(f"--count must be in [1, {MAX_COUNT}]")
    stop_on_sigterm()
    count = raise_nofile(args.count)
    if count < args.count:
        print(
            json.dumps(
                {
                    "bench": "scale_idle",
                    "note": "RLIMIT_NOFILE's hard limit cannot be raised here; count capped",
                    "requested": args.count,
                    "count": count,
                    "nofile_hard": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
                }
            ),
            flush=True,
        )
    n_sources = args.sources or max(1, math.ceil(count / PER_SOURCE))
    addrs = sources(n_sources)
    seed = uuid.uuid4().hex
    results: list[IdleResult] = []
    with tempfile.TemporaryDirectory(prefix="scale-idle-") as tmp:
        for server in args.servers.split(","):
            if server == "bare":
                server_argv, path, setup_s = bare_argv(), "/", 0.0
            elif server == "chatserver":
                server_argv, setup_s = prepare_chatserver(Path(tmp), count, seed)
                path = "/ws"
            else:
                parser.error(f"unknown server {server!r}")
            try:
                result = measure(
                    server,
                    server_argv,
                    path,
                    count,
                    procs=args.procs,
                    source_addrs=addrs,
                    seed=seed,
                    setup_seconds=setup_s,
                    idle_seconds=max(0.1, min(args.idle_seconds, 60.0)),
                )
            except LoadError as exc:
                print(json.dumps({"bench": "scale_idle", "server": server, "error": str(exc)}))
                return 1
            results.append(result)
            print(json.dumps(result.as_dict()), flush=True)
    print()
    print(table(results))
    print(targets(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
