"""Histograms from a server's Prometheus ``/metrics``, and what changed between two scrapes.

The chatserver exports its store's group commits as histograms
(``chatserver_store_batch_operations``: operations per committed batch;
``chatserver_store_commit_seconds``: time to commit one batch). Scraping
before and after a load run and subtracting gives the batches of that run
alone. Quantiles are given as the upper bound of the bucket that holds them
(``quantile_bound``), so they are only as fine as the buckets; the mean
(sum / count) is exact.
"""

from __future__ import annotations

import math
import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

BATCH_OPERATIONS = "chatserver_store_batch_operations"
COMMIT_SECONDS = "chatserver_store_commit_seconds"
SCRAPE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Histogram:
    """Cumulative bucket counts ``(upper bound, count)``, ascending, with count and sum."""

    buckets: tuple[tuple[float, float], ...]
    count: float
    total: float

    def minus(self, earlier: Histogram) -> Histogram:
        """What was observed since ``earlier`` (same buckets)."""
        before = dict(earlier.buckets)
        return Histogram(
            buckets=tuple((le, n - before.get(le, 0.0)) for le, n in self.buckets),
            count=self.count - earlier.count,
            total=self.total - earlier.total,
        )

    def mean(self) -> float | None:
        return self.total / self.count if self.count > 0 else None

    def quantile_bound(self, q: float) -> float | None:
        """Upper bound of the bucket holding the q-quantile (0..1).

        A bound, not an estimate: batch sizes are whole numbers and the buckets
        are coarse (1, 2, 5, 10, 20, ...), so interpolating inside a bucket, as
        Prometheus' ``histogram_quantile`` does, would invent values such as
        "0.5 operations". None above the last finite bucket or when empty.
        """
        if self.count <= 0:
            return None
        rank = q * self.count
        for upper, cumulative in self.buckets:
            if cumulative >= rank:
                return None if math.isinf(upper) else upper
        return None

    def top_bound(self) -> float | None:
        """Upper bound of the highest bucket with an observation (the max, bucketed)."""
        previous = 0.0
        top: float | None = None
        for upper, cumulative in self.buckets:
            if cumulative > previous:
                top = upper
            previous = cumulative
        return top


def parse_histograms(text: str) -> dict[str, Histogram]:
    """Every unlabelled histogram in a Prometheus text exposition."""
    out: dict[str, Histogram] = {}
    for family in text_string_to_metric_families(text):
        if family.type != "histogram":
            continue
        buckets: list[tuple[float, float]] = []
        count = total = 0.0
        for sample in family.samples:
            labels = {k: v for k, v in sample.labels.items() if k != "le"}
            if labels:
                continue
            if sample.name.endswith("_bucket"):
                buckets.append((float(sample.labels["le"]), float(sample.value)))
            elif sample.name.endswith("_count"):
                count = float(sample.value)
            elif sample.name.endswith("_sum"):
                total = float(sample.value)
        buckets.sort()
        out[family.name] = Histogram(tuple(buckets), count, total)
    return out


def scrape_histograms(url: str) -> dict[str, Histogram]:
    """GET ``url`` (a ``/metrics`` endpoint on 127.0.0.1) and parse its histograms."""
    with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT) as response:
        text = response.read().decode("utf-8")
    return parse_histograms(text)
