"""bench.abba: two versions measured A B B A."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import abba

ROOT = Path(__file__).resolve().parents[2]


def _row(cycle: int, variant: str, cpu: float, rate: float) -> dict[str, Any]:
    return {
        "cycle": cycle,
        "variant": variant,
        "achieved_rate": rate,
        "server_cpu_us_per_msg": cpu,
        "loop_us_per_msg": cpu * 0.75,
        "others_us_per_msg": cpu * 0.25,
        "server_core_busy": 0.9,
        "p50_ms": 6.0,
        "p99_ms": 12.0,
    }


def test_order_is_a_b_b_a_per_cycle() -> None:
    assert [v for _, v in abba.order(2)] == list("ABBAABBA")
    assert [c for c, _ in abba.order(2)] == [0, 0, 0, 0, 1, 1, 1, 1]


def test_threads_split_into_the_loop_and_the_others() -> None:
    row = {"thread_us_per_msg": {"event loop": 21.5, "python": 5.25, "other": 0.5}}
    out = abba.per_thread(row)
    assert out["loop_us_per_msg"] == 21.5
    assert out["others_us_per_msg"] == 5.75


def test_summary_compares_within_each_cycle() -> None:
    # Cycle 0: the machine fast, B 10% cheaper; cycle 1: the machine twice as
    # slow, B 10% dearer. Medians mix the two; per cycle they do not.
    runs = [
        _row(0, "A", 20.0, 40_000),
        _row(0, "B", 18.0, 44_000),
        _row(0, "B", 18.0, 44_000),
        _row(0, "A", 20.0, 40_000),
        _row(1, "A", 40.0, 20_000),
        _row(1, "B", 44.0, 18_000),
        _row(1, "B", 44.0, 18_000),
        _row(1, "A", 40.0, 20_000),
    ]
    summary = abba.summarize(runs)
    assert summary["cycles"] == 2
    assert summary["medians"]["A"]["server_cpu_us_per_msg"] == 30.0
    assert summary["medians"]["B"]["server_cpu_us_per_msg"] == 31.0
    assert summary["change_per_cycle_pct"]["server_cpu_us_per_msg"] == [-10.0, 10.0]
    assert summary["change_per_cycle_pct"]["achieved_rate"] == [10.0, -10.0]
    # Less CPU and more messages are better: B is ahead in the first cycle only.
    assert summary["b_ahead_in_cycles"] == {
        "server_cpu_us_per_msg": 1,
        "loop_us_per_msg": 1,
        "achieved_rate": 1,
    }
    text = abba.table(summary, ("old", "new"))
    assert "| server_cpu_us_per_msg | 30.00 | 31.00 | 1.033 |" in text
    assert "B against A per cycle: -10.0% / +10.0%; B ahead in 1 of 2" in text


def test_a_revision_is_a_worktree_removed_afterwards(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    (repo / "marker.txt").write_text("first\n")
    git("add", "marker.txt")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "first")
    (repo / "marker.txt").write_text("changed, not committed\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with abba.checkout("HEAD", scratch, repo) as tree:
        assert tree != repo
        assert (tree / "marker.txt").read_text() == "first\n"
    assert not tree.exists()
    with abba.checkout(str(repo), scratch, repo) as same:
        assert same == repo.resolve()  # a directory is used as it is


def test_refuses_too_many_cycles(capsys: pytest.CaptureFixture[str]) -> None:
    assert abba.main([".", ".", "--cycles", "21"]) == 2
    assert "--cycles" in capsys.readouterr().err


def test_one_cycle_against_the_server() -> None:
    """Four real runs of bench.profile_chatserver on this checkout, 2 s each."""
    runs = abba.run((ROOT, ROOT), ["--duration", "2", "--saturate"], cycles=1, emit=lambda _: None)
    assert [r["variant"] for r in runs] == list("ABBA")
    for r in runs:
        assert r["achieved_rate"] > 0
        assert r["server_cpu_us_per_msg"] > 0
        assert r["loop_us_per_msg"] > 0
    summary = abba.summarize(runs)
    assert len(summary["change_per_cycle_pct"]["server_cpu_us_per_msg"]) == 1
    json.dumps(summary)  # machine-readable as printed


def test_a_version_runs_on_the_interpreter_it_names(tmp_path: Path) -> None:
    """``--python-b`` (here a wrapper that logs and hands over to this
    interpreter) is what runs the load point, with the version's code."""
    log = tmp_path / "calls.txt"
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/sh\necho "$PWD $*" >> {log}\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    row = abba.measure(ROOT, ["--duration", "1", "--saturate"], python=str(wrapper))
    assert row["achieved_rate"] > 0
    assert log.read_text().split() == [str(ROOT), "-m", "bench.profile_chatserver",
                                       "--duration", "1", "--saturate"]  # fmt: skip
    parsed = abba.build_parser().parse_args(["A", "B", "--python-b", str(wrapper)])
    assert (parsed.python_a, parsed.python_b) == (sys.executable, str(wrapper))
