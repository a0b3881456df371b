"""bench.wake_floor: the CPU's floor under a sparse request."""

from __future__ import annotations

import json

import pytest

from bench import wake_floor


def test_times_each_unit_hot_and_woken() -> None:
    floor = wake_floor.measure(rounds=5, interval=0.001)
    assert floor.rounds == 5 and floor.interval_s == 0.001
    assert 0 < floor.hot_p50_us <= floor.hot_p99_us
    assert 0 < floor.woken_p50_us <= floor.woken_p99_us
    # The ratio is taken before the figures are rounded.
    assert abs(floor.woken_over_hot_p50 - floor.woken_p50_us / floor.hot_p50_us) < 0.05


@pytest.mark.parametrize(("rounds", "interval"), [(0, 0.01), (10_001, 0.01), (5, 0.0), (5, 2.0)])
def test_refuses_unbounded_runs(rounds: int, interval: float) -> None:
    with pytest.raises(ValueError, match="rounds in"):
        wake_floor.measure(rounds=rounds, interval=interval)


def test_prints_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert wake_floor.main(["--rounds=3", "--interval=0.001"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    row = json.loads(line)
    assert row["bench"] == "wake_floor" and row["rounds"] == 3
    assert set(row) == {"bench", *wake_floor.WakeFloor.__slots__}
