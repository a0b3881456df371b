"""Prometheus metrics of one server process (names: chatserver_ prefix,
base units, _total for counters — Prometheus naming conventions).

Each server owns its registry, so several servers can live in one test
process. Gauges that mirror in-memory state are computed at scrape time
by a collector rather than updated on every change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
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
        self.frames_in = Counter(
            "chatserver_frames_received_total", "Frames received, by type", ["type"], registry=r
        )
        self.frames_rejected = Counter(
            "chatserver_frames_rejected_total",
            "Frames or requests rejected, by error code",
            ["code"],
            registry=r,
        )
        self.messages = Counter(
            "chatserver_messages_total",
            "Chat messages committed, by sender role",
            ["role"],
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


class _FuncCollector(Collector):
    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        return self._collect()

    def describe(self) -> Iterable[Metric]:
        return []  # computed at scrape time; nothing to check at registration


def gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)
