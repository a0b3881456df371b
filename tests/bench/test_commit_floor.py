"""bench.commit_floor: the disk's floor under a durable answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import commit_floor


def test_measures_each_commit_and_leaves_nothing(tmp_path: Path) -> None:
    floor = commit_floor.measure(tmp_path, commits=5, interval=0.0)
    assert floor.commits == 5
    assert 0 < floor.p50_ms <= floor.p99_ms <= floor.max_ms
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("commits", "interval"), [(0, 0.0), (10_001, 0.0), (5, 2.0)])
def test_refuses_unbounded_runs(tmp_path: Path, commits: int, interval: float) -> None:
    with pytest.raises(ValueError, match="commits in"):
        commit_floor.measure(tmp_path, commits=commits, interval=interval)
