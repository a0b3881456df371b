"""Plot p50 and p99 latency against offered load from ``bench.transport`` JSON lines.

Each input is ``[LABEL=]PATH[@TARGET,TARGET...]``: a file of JSON lines as
``python -m bench.transport`` prints them (other lines are skipped), an
optional label added to its series' names (such series are drawn dashed: another
run, for comparison), and optionally the servers to take
from it. Every ``rate`` row is one point; the figure is the median over the
rounds of a server at an offered rate, and the saturated run is drawn as one
more point at the rate it achieved (hollow marker). Two panels, p50 and p99,
both axes log-scaled, with the issue-7 target (p99 ≤ 20 ms at 10,000 msgs/s) marked.

Needs matplotlib (``pip install -e '.[bench]'``); nothing else in the project does.

    python -m bench.plot_latency docs/decisions/results/2026-12-02-transport-after.txt \\
        before=docs/decisions/results/2026-12-02-transport-before.txt@chatserver \\
        --out docs/plots/latency.png
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.transport import TARGET_P99_MS, TARGET_P99_RATE

XTICKS = (1000, 2000, 5000, 10000, 20000, 50000)
STYLE = {
    "bare": "tab:green",
    "uvicorn": "tab:blue",
    "chatserver": "tab:red",
    "chatserver_unpaced": "tab:orange",
}


@dataclass(frozen=True, slots=True)
class Source:
    path: Path
    label: str
    targets: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    target: str
    label: str
    # (offered msgs/s, p50 ms, p99 ms), medians over rounds, by offered rate
    points: tuple[tuple[float, float, float], ...]
    # (achieved msgs/s, p50 ms, p99 ms) of the saturated run, medians
    saturated: tuple[float, float, float] | None


def parse_source(spec: str) -> Source:
    label, _, rest = spec.rpartition("=") if "=" in spec else ("", "", spec)
    path, _, names = rest.partition("@")
    targets = frozenset(n.strip() for n in names.split(",") if n.strip()) or None
    return Source(Path(path), label, targets)


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("{"):
            continue
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def collect(source: Source, rows: Iterable[dict[str, Any]]) -> list[Series]:
    rates: dict[str, dict[float, list[tuple[float, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    sat: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    order: list[str] = []
    for row in rows:
        target = row.get("target")
        if not isinstance(target, str) or row.get("lost", 0):
            continue
        if source.targets is not None and target not in source.targets:
            continue
        if target not in order:
            order.append(target)
        p50, p99 = row.get("p50_ms"), row.get("p99_ms")
        if not isinstance(p50, int | float) or not isinstance(p99, int | float):
            continue
        if row.get("bench") == "rate":
            rates[target][float(row["offered_rate"])].append((p50, p99))
        elif row.get("bench") == "saturate":
            sat[target].append((float(row["achieved_rate"]), p50, p99))
    out = []
    for target in order:
        points = tuple(
            (
                rate,
                statistics.median(p[0] for p in values),
                statistics.median(p[1] for p in values),
            )
            for rate, values in sorted(rates[target].items())
        )
        s = sat.get(target)
        saturated = (
            (
                statistics.median(x[0] for x in s),
                statistics.median(x[1] for x in s),
                statistics.median(x[2] for x in s),
            )
            if s
            else None
        )
        name = f"{target} ({source.label})" if source.label else target
        out.append(Series(name, target, source.label, points, saturated))
    return out


def plot(series: Sequence[Series], out: Path, title: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import ticker
    except ImportError:
        raise SystemExit("matplotlib is needed: pip install -e '.[bench]'") from None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), sharey=False)
    for ax, index, which in ((axes[0], 1, "p50"), (axes[1], 2, "p99")):
        for s in series:
            color = STYLE.get(s.target)
            dashed = bool(s.label)  # another run, for comparison
            xs = [p[0] for p in s.points]
            ys = [p[index] for p in s.points]
            ax.plot(
                xs,
                ys,
                marker="o",
                linestyle="--" if dashed else "-",
                color=color,
                alpha=0.6 if dashed else 1.0,
                label=s.name,
            )
            if s.saturated is not None:
                ax.plot(
                    [s.saturated[0]],
                    [s.saturated[index]],
                    marker="s",
                    markerfacecolor="none",
                    linestyle="none",
                    color=color,
                    alpha=0.6 if dashed else 1.0,
                )
        if which == "p99":
            ax.axhline(TARGET_P99_MS, color="grey", linewidth=0.8, linestyle=":")
            ax.axvline(TARGET_P99_RATE, color="grey", linewidth=0.8, linestyle=":")
            ax.annotate(
                f"target: p99 ≤ {TARGET_P99_MS:g} ms\nat {TARGET_P99_RATE:,.0f} msgs/s",
                (TARGET_P99_RATE, TARGET_P99_MS),
                textcoords="offset points",
                xytext=(4, 4),
                horizontalalignment="left",
                fontsize=8,
                color="grey",
            )
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_xticks(XTICKS)
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xlabel("offered load (msgs/s); hollow square: saturated, at achieved rate")
        ax.set_ylabel(f"{which} send → delivered (ms)")
        ax.set_title(f"{which} latency")
        ax.grid(True, which="both", linewidth=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plot_latency", description=__doc__)
    parser.add_argument("inputs", nargs="+", help="[LABEL=]PATH[@TARGET,...]")
    parser.add_argument("--out", default="docs/plots/latency.png", help="PNG to write")
    parser.add_argument("--title", default="bench.transport: latency against offered load")
    args = parser.parse_args(argv)
    series: list[Series] = []
    for spec in args.inputs:
        source = parse_source(spec)
        series += collect(source, read_rows(source.path))
    if not series:
        print("no rate rows found", file=sys.stderr)
        return 1
    plot(series, Path(args.out), args.title)
    for s in series:
        pts = ", ".join(f"{r:,.0f}: {p50:.2f}/{p99:.2f}" for r, p50, p99 in s.points)
        print(f"{s.name}: p50/p99 ms by offered msgs/s: {pts}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
