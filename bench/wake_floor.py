"""The CPU's floor under a sparse request: the same small work, hot and woken.

A claim at 20 a second reaches a server that was idle for ~50 ms. On this
machine (a virtual one whose idle CPU halts, `haltpoll.guest_halt_poll_ns=0`)
the first microseconds after such a pause run far slower than the same code
back to back: caches and branch predictors are cold. In the 100,000-case
benchmark the claim handler took ~150 µs in the server and ~16 µs in a hot
loop in process, with no one function to blame (docs/decisions/
0009-what-did-not-pay.md). This measures the effect without the server:
a fixed piece of the claim's kind of work (hash a 300-byte row with SHA-256,
bisect a sorted list of 100,000, build a small dict, twenty times) timed back
to back, then each time after the thread slept ``interval``. Benchmarks that
report a sparse request's latency report this beside it, as
``bench.commit_floor`` reports the disk's.

    python -m bench.wake_floor [--rounds 200] [--interval 0.05]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import time
from dataclasses import asdict, dataclass

from bench.loadgen import percentile

MAX_ROUNDS = 10_000
# Rounds run back to back first, not timed, so the hot figure is hot.
WARM_UP = 1_000
_ROW = b"x" * 300
_SORTED = list(range(0, 200_000, 2))
_REPEAT = 20


@dataclass(frozen=True, slots=True)
class WakeFloor:
    rounds: int
    interval_s: float
    hot_p50_us: float
    hot_p99_us: float
    woken_p50_us: float
    woken_p99_us: float
    woken_over_hot_p50: float


def _work(salt: int) -> int:
    """One unit of work, timed: its ns."""
    t0 = time.perf_counter_ns()
    found = 0
    for i in range(_REPEAT):
        digest = hashlib.sha256(_ROW).digest()
        found += bisect.bisect_left(_SORTED, 12_345 + salt + i)
        row = {"at": i, "hash": digest, "found": found}
        found += len(row)
    return time.perf_counter_ns() - t0


def measure(rounds: int = 200, interval: float = 0.05) -> WakeFloor:
    """``rounds`` units hot (after a warm-up), then ``rounds`` each after a sleep."""
    if not 1 <= rounds <= MAX_ROUNDS or not 0 < interval <= 1:
        raise ValueError(f"rounds in [1, {MAX_ROUNDS}], interval in (0, 1] s")
    for i in range(WARM_UP):
        _work(i)
    hot = sorted(_work(i) for i in range(rounds))
    woken: list[int] = []
    for i in range(rounds):
        time.sleep(interval)
        woken.append(_work(i))
    woken.sort()
    hot_p50 = percentile(hot, 50) / 1e3
    woken_p50 = percentile(woken, 50) / 1e3
    return WakeFloor(
        rounds=rounds,
        interval_s=interval,
        hot_p50_us=round(hot_p50, 1),
        hot_p99_us=round(percentile(hot, 99) / 1e3, 1),
        woken_p50_us=round(woken_p50, 1),
        woken_p99_us=round(percentile(woken, 99) / 1e3, 1),
        woken_over_hot_p50=round(woken_p50 / hot_p50, 2) if hot_p50 else 0.0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wake_floor", description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args(argv)
    try:
        floor = measure(args.rounds, args.interval)
    except ValueError as exc:
        parser.error(str(exc))
    print(json.dumps({"bench": "wake_floor", **asdict(floor)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
