"""Prometheus metrics of one server process (names: chatserver_ prefix,
base units, _total for counters — Prometheus naming conventions).

Each server owns its registry, so several servers can live in one test
process. Gauges that mirror in-memory state are computed at scrape time
by a collector rather than updated on every change, and the two counters
bumped for every frame and every chat message are ``Tally``s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Waits for a first staff reply: minutes to days (targets 15 min, 1 h, 4 h, the staffed day).
WAIT_BUCKETS = (60, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200, 604800)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.connections = Gauge(
            "chatserver_open_connections", "Open client connections", ["client"], registry=r
        )
        self.connections_total = Counter(
            "chatserver_connections_total", "Connections accepted", ["client"], registry=r
        )
        self.disconnects = Counter(
            "chatserver_disconnects_total",
            "Connections closed, by close code",
            ["code"],
            registry=r,
        )
        self.frames_in = Tally(
            "chatserver_frames_received_total", "Frames received, by type", "type", registry=r
        )
        self.frames_rejected = Counter(
            "chatserver_frames_rejected_total",
            "Frames or requests rejected, by error code",
            ["code"],
            registry=r,
        )
        self.messages = Tally(
            "chatserver_messages_total",
            "Chat messages committed, by sender role",
            "role",
            registry=r,
        )
        self.commit_seconds = Histogram(
            "chatserver_store_commit_seconds",
            "Time to commit one batch",
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.batch_ops = Histogram(
            "chatserver_store_batch_operations",
            "Operations per committed batch",
            registry=r,
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
        )
        self.store_failed = Gauge(
            "chatserver_store_failed", "1 if the store failed and writes are refused", registry=r
        )
        self.loop_lag = Histogram(
            "chatserver_event_loop_lag_seconds",
            "Event-loop lag sampled every 0.5 s",
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.slow_consumers = Counter(
            "chatserver_slow_consumer_disconnects_total",
            "Connections closed because their outbox overflowed",
            registry=r,
        )
        self.cases = Counter(
            "chatserver_case_transitions_total",
            "Case transitions, by action",
            ["action"],
            registry=r,
        )

        self.triage = Counter(
            "chatserver_triage_outcomes_total",
            "Triage outcomes, by disposition and urgency",
            ["disposition", "urgency"],
            registry=r,
        )
        self.admission_refused = Counter(
            "chatserver_admission_refused_total",
            "Low-urgency cases offered a booking because the pool's queue would run late",
            ["pool"],
            registry=r,
        )

        self.sms = Counter(
            "chatserver_sms_total",
            "SMS send attempts, by result (sent, retry, failed)",
            ["result"],
            registry=r,
        )

        self.first_reply_wait = Histogram(
            "chatserver_first_reply_wait_seconds",
            "Wait from entering the queue to the first staff reply, by pool and urgency",
            ["pool", "urgency"],
            registry=r,
            buckets=WAIT_BUCKETS,
        )
        self.first_reply_within_target = Counter(
            "chatserver_first_reply_within_target_total",
            "First staff replies given by the case's deadline, by pool and urgency",
            ["pool", "urgency"],
            registry=r,
        )
        self.cases_closed = Counter(
            "chatserver_cases_closed_total",
            "Cases ended, by pool and outcome (close outcome codes, 'redirected')",
            ["pool", "outcome"],
            registry=r,
        )

        self.claims_returned = Counter(
            "chatserver_claims_returned_total",
            "Claimed cases returned to the queue for want of a staff reply in time",
            registry=r,
        )

    def add_collector(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self.registry.register(_FuncCollector(collect))


class Tally(Collector):
    """A counter with one label, for the hot path: counted in a plain dict by
    the event loop's thread, the only one that counts, and read as a counter
    family at scrape time. prometheus_client's ``Counter.inc`` takes a lock
    and checks its arguments on every call (1-2% of the loop's time at
    saturation when it counted every frame and message, docs/BENCHMARKS.md
    section 3); ``inc`` here is one dict update. It has no ``_created``
    sample."""

    def __init__(self, name: str, doc: str, label: str, registry: CollectorRegistry) -> None:
        self.name, self.doc, self.label = name, doc, label
        self.counts: dict[str, int] = {}
        registry.register(self)

    def inc(self, value: str) -> None:
        counts = self.counts
        counts[value] = counts.get(value, 0) + 1

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(self.name, self.doc, labels=[self.label])
        for value, n in list(self.counts.items()):
            family.add_metric([value], n)
        return [family]

    def describe(self) -> Iterable[Metric]:
        return [CounterMetricFamily(self.name, self.doc, labels=[self.label])]


class _FuncCollector(Collector):
    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        return self._collect()

    def describe(self) -> Iterable[Metric]:
        return []  # computed at scrape time; nothing to check at registration


def gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)
