"""The compressed-day bench runs end to end on a tiny day: patients triaged,
queued, claimed, chatted with, handed over and closed through the real
server, then the bare relay at the same rate. No timing is asserted."""

from __future__ import annotations

import json
import random
import subprocess
import sys

from bench.day import arrivals, synthetic_pnr
from chatserver.domain.personnummer import PersonalNumber


def test_synthetic_patients_have_valid_distinct_numbers() -> None:
    numbers = [synthetic_pnr(i) for i in range(5000)]
    assert len(set(numbers)) == len(numbers)
    for n in numbers:
        assert PersonalNumber(n).digits == n


def test_arrivals_follow_the_day_within_its_length() -> None:
    times = arrivals(2000, 240.0, random.Random(3))
    assert times == sorted(times) and times[0] >= 0 and times[-1] < 240.0
    night = sum(1 for t in times if t < 60)  # 00-06
    morning = sum(1 for t in times if 80 <= t < 100)  # 08-10
    assert morning > night


def test_a_tiny_day_end_to_end() -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench.day", "--patients=30", "--minutes=0.25"),
            *("--nurses=3", "--physicians=1", "--grace=15", "--baseline-seconds=1", "--procs=1"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    day, base = rows
    assert day["bench"] == "day" and base["bench"] == "day_baseline"
    counts = day["counts"]
    assert not [k for k in counts if k.startswith(("error", "staff_error"))], counts
    assert day["workers_unfinished"] == 0
    assert sum(v for k, v in counts.items() if k.startswith("outcome_")) == 30
    assert counts["claims"] > 0 and counts["staff_msgs"] > 0
    assert day["messages_delivered"] > 0 and day["latency_p50_ms"] > 0
    assert day["server_rss_peak_mib"] > 0
    assert base["lost"] == 0
    assert "| send→delivered p99 (ms) |" in done.stdout
