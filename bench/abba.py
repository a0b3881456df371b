"""Two versions of the server measured at the same moments: A B B A.

This machine's speed drifts by ±20% within minutes (docs/BENCHMARKS.md), so
one run of each version cannot show a change of a few per cent. This runs
``bench.profile_chatserver`` (one load point, saturated unless ``--rate``)
on version A, then B, B and A again, ``--cycles`` times: a drift that is
steady over a cycle weighs on both alike. Decisions 0009 and 0010 compared
their changes this way.

A version is a directory holding a checkout (``.`` for the working tree with
its uncommitted changes) or a git revision, checked out into a temporary
worktree that is removed afterwards. Each run is started with the checkout as
its working directory, which Python puts first on the import path, so both
the load point and the server it starts run that version's code (with this
interpreter and its installed packages, or with the one ``--python-a`` or
``--python-b`` names: two builds of Python are compared the same way,
docs/decisions/0012-an-optimized-interpreter.md).

Prints one JSON line per run, one JSON line of summary (the medians of each
version, B's change against A per cycle, and in how many cycles B was
ahead), then a Markdown table.

    python -m bench.abba 66ad2ff HEAD                 # 4 cycles, ~4.5 min
    python -m bench.abba HEAD . --cycles 6 --rate 10000
    python -m bench.abba HEAD HEAD --python-a /tmp/venv-other/bin/python
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

MAX_CYCLES = 20
# What each run reports, and whether more is better.
FIELDS: dict[str, bool] = {
    "achieved_rate": True,
    "server_cpu_us_per_msg": False,
    "loop_us_per_msg": False,
    "others_us_per_msg": False,
    "server_core_busy": True,
    "p50_ms": False,
    "p99_ms": False,
}
# The fields whose per-cycle change the summary reports.
COMPARED = ("server_cpu_us_per_msg", "loop_us_per_msg", "achieved_rate")

Row = dict[str, Any]


def order(cycles: int) -> list[tuple[int, str]]:
    """(cycle, variant) of every run: A B B A per cycle."""
    return [(c, v) for c in range(cycles) for v in ("A", "B", "B", "A")]


def per_thread(row: Row) -> Row:
    """The run's fields, with its threads' CPU per message split into the
    event loop's and the other threads' (the store's writer)."""
    out = {key: row.get(key) for key in FIELDS}
    threads = row.get("thread_us_per_msg")
    if threads:
        out["loop_us_per_msg"] = threads.get("event loop")
        out["others_us_per_msg"] = round(sum(v for k, v in threads.items() if k != "event loop"), 2)
    return out


def summarize(runs: Sequence[Row]) -> Row:
    """Medians per variant, and per cycle B's change against A in per cent
    (the mean of its two runs against the mean of A's two)."""
    medians: dict[str, Row] = {}
    for variant in ("A", "B"):
        mine = [r for r in runs if r["variant"] == variant]
        medians[variant] = {
            key: round(statistics.median(values), 3)
            if (values := [r[key] for r in mine if isinstance(r.get(key), int | float)])
            else None
            for key in FIELDS
        }
    changes: dict[str, list[float]] = {key: [] for key in COMPARED}
    ahead: dict[str, int] = dict.fromkeys(COMPARED, 0)
    for cycle in sorted({r["cycle"] for r in runs}):
        for key in COMPARED:
            a = [r[key] for r in runs if r["cycle"] == cycle and r["variant"] == "A"]
            b = [r[key] for r in runs if r["cycle"] == cycle and r["variant"] == "B"]
            if not a or not b or None in a or None in b:
                continue
            mean_a, mean_b = statistics.fmean(a), statistics.fmean(b)
            if not mean_a:
                continue
            changes[key].append(round((mean_b / mean_a - 1) * 100, 1))
            if (mean_b > mean_a) == FIELDS[key] and mean_b != mean_a:
                ahead[key] += 1
    return {
        "bench": "abba_summary",
        "medians": medians,
        "change_per_cycle_pct": changes,
        "b_ahead_in_cycles": ahead,
        "cycles": len({r["cycle"] for r in runs}),
    }


def table(summary: Row, names: tuple[str, str]) -> str:
    """The summary as a Markdown table."""
    a, b = summary["medians"]["A"], summary["medians"]["B"]
    lines = [
        f"| median of each version's runs | A: {names[0]} | B: {names[1]} | B / A |",
        "|---|---|---|---|",
    ]
    for key in FIELDS:
        ratio = f"{b[key] / a[key]:.3f}" if a[key] and b[key] is not None else "–"
        lines.append(f"| {key} | {_cell(a[key])} | {_cell(b[key])} | {ratio} |")
    lines.append("")
    n = summary["cycles"]
    for key in COMPARED:
        changes = " / ".join(f"{c:+.1f}%" for c in summary["change_per_cycle_pct"][key])
        ahead = summary["b_ahead_in_cycles"][key]
        lines.append(f"- {key}, B against A per cycle: {changes or '–'}; B ahead in {ahead} of {n}")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


@contextlib.contextmanager
def checkout(version: str, scratch: Path, repo: Path | None = None) -> Iterator[Path]:
    """The directory of ``version``: itself if it is one, else a temporary
    git worktree of that revision of ``repo`` (default: the current
    directory's), removed on the way out."""
    path = Path(version)
    if path.is_dir():
        yield path.resolve()
        return
    where = scratch / f"wt-{len(list(scratch.iterdir()))}"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(where), version],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    try:
        yield where
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(where)],
            cwd=repo,
            check=False,
            capture_output=True,
        )


def measure(directory: Path, point: Sequence[str], python: str = sys.executable) -> Row:
    """One ``bench.profile_chatserver`` run of the code in ``directory`` on
    the interpreter ``python`` (which runs the server and the load too)."""
    done = subprocess.run(
        [python, "-m", "bench.profile_chatserver", *point],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            row: Row = json.loads(line)
            if "error" in row:
                raise RuntimeError(f"{directory}: {row['error']}")
            return row
    raise RuntimeError(f"{directory}: no result (exit {done.returncode}): {done.stderr[-500:]}")


def run(
    versions: tuple[Path, Path],
    point: Sequence[str],
    cycles: int,
    emit: Callable[[str], object] = print,
    pythons: tuple[str, str] = (sys.executable, sys.executable),
) -> list[Row]:
    runs: list[Row] = []
    for cycle, variant in order(cycles):
        i = 0 if variant == "A" else 1
        row = {"bench": "abba", "cycle": cycle, "variant": variant}
        row.update(per_thread(measure(versions[i], point, pythons[i])))
        emit(json.dumps(row))
        runs.append(row)
    return runs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.abba", description=__doc__.splitlines()[0]
    )
    parser.add_argument("a", help="version A: a directory or a git revision")
    parser.add_argument("b", help="version B: a directory or a git revision")
    parser.add_argument("--cycles", type=int, default=4, help=f"A B B A cycles (≤ {MAX_CYCLES})")
    parser.add_argument("--duration", type=float, default=6.0, help="seconds of load per run")
    parser.add_argument("--rate", type=float, help="offered msgs/s instead of saturating")
    for v in ("a", "b"):
        parser.add_argument(
            f"--python-{v}",
            default=sys.executable,
            help=f"the interpreter of version {v.upper()} (a venv's python with the "
            "project's packages; default: this one)",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 1 <= args.cycles <= MAX_CYCLES:
        print(f"--cycles must be 1..{MAX_CYCLES}", file=sys.stderr)
        return 2
    point = ["--duration", f"{args.duration:g}"]
    point += ["--saturate"] if args.rate is None else ["--rate", f"{args.rate:g}"]
    with tempfile.TemporaryDirectory(prefix="abba-") as folder:
        scratch = Path(folder)
        with checkout(args.a, scratch) as a, checkout(args.b, scratch) as b:
            runs = run((a, b), point, args.cycles, pythons=(args.python_a, args.python_b))
    summary = summarize(runs)
    print(json.dumps(summary))
    print()
    names = [
        name if python == sys.executable else f"{name} on {python}"
        for name, python in ((args.a, args.python_a), (args.b, args.python_b))
    ]
    print(table(summary, (names[0], names[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
