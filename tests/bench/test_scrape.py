"""Histogram deltas and bucket bounds from a Prometheus text exposition."""

from __future__ import annotations

from bench.scrape import Histogram, parse_histograms

EXPOSITION = """\
# HELP chatserver_store_batch_operations Operations per committed batch
# TYPE chatserver_store_batch_operations histogram
chatserver_store_batch_operations_bucket{le="1.0"} 2.0
chatserver_store_batch_operations_bucket{le="2.0"} 3.0
chatserver_store_batch_operations_bucket{le="5.0"} 10.0
chatserver_store_batch_operations_bucket{le="+Inf"} 10.0
chatserver_store_batch_operations_count 10.0
chatserver_store_batch_operations_sum 31.0
# HELP chatserver_messages_total Chat messages committed
# TYPE chatserver_messages_total counter
chatserver_messages_total{role="patient"} 7.0
"""


def test_parse_histograms() -> None:
    hist = parse_histograms(EXPOSITION)["chatserver_store_batch_operations"]
    assert hist.count == 10
    assert hist.total == 31
    assert hist.buckets[0] == (1.0, 2.0)
    assert hist.mean() == 3.1
    assert hist.quantile_bound(0.2) == 1.0
    assert hist.quantile_bound(0.3) == 2.0
    assert hist.quantile_bound(0.99) == 5.0
    assert hist.top_bound() == 5.0


def test_minus_gives_the_observations_in_between() -> None:
    before = Histogram(((1.0, 2.0), (5.0, 2.0), (float("inf"), 2.0)), 2.0, 2.0)
    after = Histogram(((1.0, 2.0), (5.0, 4.0), (float("inf"), 5.0)), 5.0, 30.0)
    delta = after.minus(before)
    assert delta.count == 3
    assert delta.total == 28
    assert delta.quantile_bound(0.5) == 5.0
    assert delta.quantile_bound(1.0) is None  # above the last finite bucket
    assert delta.top_bound() == float("inf")
    assert Histogram((), 0.0, 0.0).mean() is None
