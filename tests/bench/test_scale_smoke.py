"""The scale runs (bench.scale_idle, scale_queue, scale_restart) with tiny counts.

Each runs as its own command, as it would be run by hand, and must print its
JSON lines and its Markdown table. No timing is asserted (the machine is
shared and noisy); only the output's shape and that figures are sane.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def _run(*argv: str) -> tuple[list[dict[str, Any]], str]:
    done = subprocess.run(
        [sys.executable, "-m", *argv],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return lines, done.stdout


def test_scale_idle_tiny() -> None:
    lines, out = _run(
        "bench.scale_idle", "--count=60", "--procs=1", "--sources=2", "--idle-seconds=0.5"
    )
    results = [line for line in lines if "server" in line]
    assert [r["server"] for r in results] == ["bare", "chatserver"]
    for r in results:
        assert r["connections"] == 60
        assert r["rss_after_mib"] > 0 and r["rss_before_mib"] > 0
        assert r["connect_seconds"] > 0 and r["connects_per_s"] > 0
        assert r["server_cpu_idle"] >= 0
    assert "| server RSS per connection (KiB) |" in out
    assert "Target: 100,000 idle patient connections" in out


def test_scale_queue_tiny(tmp_path: Path) -> None:
    lines, out = _run(
        "bench.scale_queue",
        "--cases=400",
        "--sample=20",
        "--staff=2",
        "--claim-rate=10",
        "--arrival-rate=2",
        "--duration=2",
        "--ticks=2",
        "--settle=2.5",
        f"--dir={tmp_path}",
    )
    in_process = [line for line in lines if line.get("part") == "in_process"]
    assert [p["connected"] for p in in_process] == [400, 20]
    for p in in_process:
        assert 0 < p["first_tick_frames"] <= p["connected"]
        assert p["tick_ms_mean"] > 0 and p["claim_us_p50"] > 0
        assert 0 < p["bytes_per_frame"] < 200
    (live,) = [line for line in lines if line.get("part") == "live"]
    assert live["sample_connected"] == 20
    assert live["errors"] == []
    for phase in (live["phase_a"], live["phase_b"]):
        assert phase["claims"] > 0 and phase["errors"] == 0
        assert 0 < phase["claim_p50_ms"] <= phase["claim_p99_ms"] <= phase["claim_max_ms"]
        assert phase["ping_p50_ms"] > 0 and phase["commit_ms_mean"] > 0
        assert phase["server_cpu"] > 0
    assert live["sample_position_frames_in_a"] > 0
    stale = live["staleness"]
    assert stale["samples"] > 0 and stale["max_s"] >= 0 and 0 <= stale["stale_share"] <= 1
    assert live["all_connected_frames_per_s"] > 0 and live["all_connected_core_share"] > 0
    assert "| target | measured | |" in out
    assert "claim p99 ≤ 1 ms" in out
    (floor,) = [line for line in lines if line.get("bench") == "commit_floor"]
    assert floor["commits"] == 200
    assert 0 < floor["p50_ms"] <= floor["p99_ms"] <= floor["max_ms"]
    assert "disk floor" in out
    (wake,) = [line for line in lines if line.get("bench") == "wake_floor"]
    assert wake["rounds"] == 20 and wake["interval_s"] == 0.1  # 10 claims/s for 2 s
    assert 0 < wake["hot_p50_us"] <= wake["hot_p99_us"]
    assert 0 < wake["woken_p50_us"] <= wake["woken_p99_us"]
    assert "CPU floor" in out
    (server_side,) = [line for line in lines if line.get("part") == "server_side"]
    stages = ["queued", "to_thread", "transaction", "to_loop", "published"]
    for phase in ("A", "B"):
        split = server_side[phase]["stages_p50_p99_us"]
        assert list(split) == stages
        assert all(0 <= p50 <= p99 for p50, p99 in split.values())
    assert "the commit's stages" in out
    assert list(tmp_path.iterdir()) == []  # its folder was made there and removed


def test_scale_restart_tiny() -> None:
    lines, out = _run("bench.scale_restart", "--cases=50", "--messages=500", "--rounds=1")
    built = {line["built"]: line for line in lines if "built" in line}
    assert built["full"]["messages"] == 500 and built["full"]["cases"] == 50
    starts = [line for line in lines if "database" in line]
    assert sorted(s["database"] for s in starts) == ["empty", "full"]
    for s in starts:
        assert 0 < s["ready_s"] <= s["health_s"] <= s["resumed_s"]
        assert s["rss_mib"] > 0
    (full,) = [s for s in starts if s["database"] == "full"]
    assert full["resumed_messages"] == 5  # the second half of a 10-message room
    assert "| process start → room resumed (s) |" in out
