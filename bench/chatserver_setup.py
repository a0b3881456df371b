"""Prepare a chatserver for the bench: a fresh SQLite file, staff users, a TOML config.

What the ``chatserver`` driver (``bench.chatserver_driver``) expects to find:

* one patient identity (the dev identity provider's test personnummer
  ``BENCH_PNR``): every patient connection logs in as this one user, so one
  HTTP login serves all of them;
* ``staff`` staff users ``bench-staff-00``, ``bench-staff-01`` … in the pool
  behind the direct entrance ``vc_nurse``, all with the password
  ``STAFF_PASSWORD``. The server lets one staff member hold at most 8 open
  cases (``State.max_cases_per_staff``) and every pair is one claimed case, so
  the driver spreads pairs over staff users, 8 to each. Hashing a password
  with argon2 costs ~0.1 s, so it is hashed once and the same hash string is
  stored for every user (it is only a column);
* limits fit for load: a command rate and burst per connection far above what
  one pair sends, and an idle timeout longer than any bench run.

    python -m bench.chatserver_setup --dir /tmp/chatbench --staff 16

prints one JSON line naming the database, the config and the command that
serves them (``--port 0`` and ``--ready-line``, as ``bench.server_proc``
expects).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from chatserver import config as config_mod
from chatserver.service.accounts import staff_user_op
from chatserver.service.auth import new_id
from chatserver.store import db, migrate, records

# The dev identity provider's test personnummer (Skatteverket's open test
# data, never given to a real person), logged in as by every patient connection.
BENCH_PNR = "198501012382"
BENCH_PATIENT = "Bench Patient"
STAFF_PREFIX = "bench-staff-"
STAFF_PASSWORD = "bench-password"
ENTRANCE = "vc_nurse"
POOL = "vc_nurse"
# State.max_cases_per_staff in chatserver/domain/state.py: open cases one
# staff member may hold. Not configurable at the time of writing.
CASES_PER_STAFF = 8
# Open cases the one bench patient may have at once (scale_queue opens 5/s).
BENCH_OPEN_CASES = 1_000_000
# Enough staff users for 128 pairs at once (the transport bench uses 50).
DEFAULT_STAFF = 16
# Commands per second and burst per connection: far above the ~1,000 msgs/s
# one pair sends when saturated, so the bench measures the server, not the
# limiter (the token bucket still runs on every frame, as in production).
BENCH_RATE = 1_000_000
BENCH_BURST = 1_000_000
# Seconds: longer than any bench run, so the sweeper never closes a quiet
# receiver or idle connection (the protocol allows at most 3,600).
BENCH_IDLE_TIMEOUT = 3600


@dataclass(frozen=True, slots=True)
class Prepared:
    """A database and config ready to serve."""

    db: Path
    config: Path
    staff: int

    def argv(self, port: int = 0) -> tuple[str, ...]:
        return (
            sys.executable,
            "-m",
            "chatserver.cli",
            "--config",
            str(self.config),
            "--db",
            str(self.db),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ready-line",
        )


def staff_username(index: int) -> str:
    return f"{STAFF_PREFIX}{index:02d}"


def staff_needed(pairs: int) -> int:
    """Staff users needed for ``pairs`` open cases at once."""
    return max(1, -(-pairs // CASES_PER_STAFF))


def config_text(
    *, rate: int = BENCH_RATE, burst: int = BENCH_BURST, commit_interval_ms: float | None = None
) -> str:
    """The bench region: default pools and entrances, one test identity, high
    limits; ``commit_interval_ms`` (store pacing) as the server's default if None."""
    lines = [
        "# Written by bench/chatserver_setup.py for benchmarks only.",
        "[server]",
        'host = "127.0.0.1"',
        "shutdown_grace = 2.0",
        "",
        "[limits]",
        f"rate = {rate}",
        f"burst = {burst}",
        f"heartbeat = {BENCH_IDLE_TIMEOUT // 3}",
        f"idle_timeout = {BENCH_IDLE_TIMEOUT}",
        "",
    ]
    # Newer servers make the per-staff cap configurable; older ones reject
    # unknown keys, so only set it where the config knows it.
    queue = _section_fields("queue")
    settings = []
    if "max_cases_per_staff" in queue:
        settings.append(f"max_cases_per_staff = {CASES_PER_STAFF}")
    if "max_open_cases_per_patient" in queue:
        # Every bench connection is the one test patient: all cases are hers.
        settings.append(f"max_open_cases_per_patient = {BENCH_OPEN_CASES}")
    if settings:
        lines += ["[queue]", *settings, ""]
    if commit_interval_ms is not None:
        lines += ["[store]", f"commit_interval_ms = {commit_interval_ms}", ""]
    lines += [
        "[[identity.test_identities]]",
        f'pnr = "{BENCH_PNR}"',
        f'name = "{BENCH_PATIENT}"',
        "",
    ]
    return "\n".join(lines)


def _section_fields(section: str) -> set[str]:
    """Field names of a section of chatserver.config.Config (empty if none)."""
    for f in dataclasses.fields(config_mod.Config):
        if f.name == section and f.default_factory is not dataclasses.MISSING:
            return {g.name for g in dataclasses.fields(f.default_factory())}
    return set()


def prepare(
    directory: str | Path,
    *,
    staff: int = DEFAULT_STAFF,
    rate: int = BENCH_RATE,
    burst: int = BENCH_BURST,
    commit_interval_ms: float | None = None,
) -> Prepared:
    """Write a fresh ``bench.sqlite3`` and ``bench.toml`` into ``directory``."""
    if staff < 1:
        raise ValueError("at least one staff user")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "bench.sqlite3"
    for stale in (db_path, folder / "bench.sqlite3-wal", folder / "bench.sqlite3-shm"):
        stale.unlink(missing_ok=True)
    config_path = folder / "bench.toml"
    text = config_text(rate=rate, burst=burst, commit_interval_ms=commit_interval_ms)
    config_path.write_text(text, encoding="utf-8")
    # Fail here, with the key named, rather than in the server's start-up.
    config_mod.load(config_path)

    conn = db.connect(db_path)
    try:
        migrate.migrate(conn)
        now = int(time.time() * 1000)
        first_sql, first_params = staff_user_op(
            username=staff_username(0),
            name="Bench Staff 00",
            password=STAFF_PASSWORD,
            roles=("nurse",),
            pools=(POOL,),
            now=now,
        )
        # users columns: id, kind, username, pnr, name, roles, pools, pw_hash, created
        pw_hash = first_params[7]
        ops = [(first_sql, first_params)]
        for index in range(1, staff):
            ops.append(
                records.user_insert(
                    id=new_id("s"),
                    kind="staff",
                    name=f"Bench Staff {index:02d}",
                    username=staff_username(index),
                    roles=("nurse",),
                    pools=(POOL,),
                    pw_hash=pw_hash,
                    created=now,
                )
            )
        conn.execute("BEGIN IMMEDIATE")
        for sql, params in ops:
            conn.execute(sql, params)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return Prepared(db=db_path, config=config_path, staff=staff)


def server_argv(directory: Path) -> tuple[str, ...]:
    """``ServerSpec.prepare`` hook for ``bench.transport``: prepare, then serve."""
    return prepare(directory).argv()


def unpaced_server_argv(directory: Path) -> tuple[str, ...]:
    """The same, with the store's pacing under load turned off
    (``commit_interval_ms = 0``: every commit starts as soon as it can)."""
    return prepare(directory, commit_interval_ms=0).argv()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chatserver_setup",
        description="Fresh SQLite file, staff users and a TOML config for benchmarking.",
    )
    parser.add_argument("--dir", required=True, help="folder for bench.sqlite3 and bench.toml")
    parser.add_argument(
        "--staff", type=int, default=DEFAULT_STAFF, help="staff users (8 pairs each)"
    )
    parser.add_argument("--rate", type=int, default=BENCH_RATE, help="limits.rate")
    parser.add_argument("--burst", type=int, default=BENCH_BURST, help="limits.burst")
    args = parser.parse_args(argv)
    started = time.monotonic()
    prepared = prepare(args.dir, staff=args.staff, rate=args.rate, burst=args.burst)
    print(
        json.dumps(
            {
                "db": str(prepared.db),
                "config": str(prepared.config),
                "staff": prepared.staff,
                "seconds": round(time.monotonic() - started, 3),
                "argv": list(prepared.argv()),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
