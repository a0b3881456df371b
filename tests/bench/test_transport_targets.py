"""bench.transport's target lines: the ratio of medians, and beside it the
ratio within each round, where both servers met the same machine."""

from __future__ import annotations

from bench.transport import ServerSpec, targets

BARE = ServerSpec("bare")
CHAT = ServerSpec("chatserver", metrics_path="/metrics")


def _saturated(target: str, number: int, rate: float, us: float) -> dict[str, object]:
    return {
        "bench": "saturate",
        "target": target,
        "round": number,
        "achieved_rate": rate,
        "server_cpu_us_per_msg": us,
    }


def _p99(number: int, ms: float) -> dict[str, object]:
    return {"bench": "rate", "target": "chatserver", "round": number, "offered": 10000.0,
            "p99_ms": ms}  # fmt: skip


def test_per_round_ratios_pair_each_round_and_the_median_ratio_stays() -> None:
    rows = [
        # Round 0: a slow machine for the baseline only. The medians pair
        # the baseline's round 1 with the chatserver's round 2.
        _saturated("bare", 0, 40_000, 25.0),
        _saturated("chatserver", 0, 30_000, 33.0),
        _saturated("bare", 1, 60_000, 16.0),
        _saturated("chatserver", 1, 24_000, 40.0),
        _saturated("bare", 2, 64_000, 15.0),
        _saturated("chatserver", 2, 25_000, 39.0),
        _p99(0, 33.6),
        _p99(1, 16.04),
        _p99(2, 15.5),
    ]
    lines = targets(rows, [BARE, CHAT])
    assert lines[0] == "Targets for chatserver (issue 7):"
    assert lines[1] == (
        "- saturated throughput: 0.42× bare (per round 0.75 / 0.40 / 0.39) (target ≥ 0.6×): MISSED"
    )
    assert lines[2] == (
        "- msgs/s per core of server CPU: 0.41× bare (per round 0.76 / 0.40 / 0.38) "
        "(target ≥ 0.6×): MISSED"
    )
    assert lines[3] == (
        "- p99 send→delivered at 10,000 msgs/s offered: 16.04 ms "
        "(per round 33.6 / 16.0 / 15.5) (target ≤ 20 ms): met"
    )


def test_one_round_shows_no_per_round_figures() -> None:
    rows = [_saturated("bare", 0, 60_000, 16.0), _saturated("chatserver", 0, 36_000, 27.0)]
    assert targets(rows, [BARE, CHAT])[1] == (
        "- saturated throughput: 0.60× bare (target ≥ 0.6×): met"
    )
