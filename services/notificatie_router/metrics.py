"""The router's Prometheus metrics, per subscription (served at ``/metrics`` with the kit's):
attempts, deliveries, retries scheduled, dead deliveries, delivery latency, disabled
subscriptions, deliveries waiting in the schedule, consumer lag. Counted once per log flush,
not per delivery, so they cost nothing measurable on the hot path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import ClassVar

from prometheus_client import REGISTRY, CollectorRegistry, Gauge, Histogram
from prometheus_client import Counter as PromCounter

__all__ = ["RouterMetrics"]


class RouterMetrics:
    _shared: ClassVar[RouterMetrics | None] = None

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.attempts_total = PromCounter(
            "keten_router_attempts_total",
            "Delivery attempts per subscription and outcome (delivered, failed).",
            ["abonnement", "outcome"],
            registry=registry,
        )
        self.deliveries_total = PromCounter(
            "keten_router_deliveries_total",
            "Deliveries per subscription by their state once logged (afgeleverd, wacht, dood).",
            ["abonnement", "status"],
            registry=registry,
        )
        self.latency_seconds = Histogram(
            "keten_router_delivery_latency_seconds",
            "Duration of successful delivery attempts (request sent to answer received).",
            ["abonnement"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.dead = Gauge(
            "keten_router_dead_deliveries",
            "Dead deliveries per subscription (waiting for a resend).",
            ["abonnement"],
            registry=registry,
        )
        self.waiting = Gauge(
            "keten_router_waiting_deliveries",
            "Deliveries per subscription in the retry schedule.",
            ["abonnement"],
            registry=registry,
        )
        self.in_memory = Gauge(
            "keten_router_pending_deliveries",
            "Deliveries per subscription on the fast path, not yet attempted or answered"
            " (with keten_router_waiting_deliveries: the subscription's lag).",
            ["abonnement"],
            registry=registry,
        )
        self.disabled = Gauge(
            "keten_router_subscription_disabled",
            "1 when the subscription is disabled (410 Gone, failing for days, or by its owner).",
            ["abonnement"],
            registry=registry,
        )
        self.stage_seconds = PromCounter(
            "keten_router_stage_seconds_total",
            "Time spent per stage of the delivery path: kafka (append to consumed), consume,"
            " match, queue (placed on a chain to sent), sign, send, log.",
            ["stage"],
            registry=registry,
        )
        self.stage_items = PromCounter(
            "keten_router_stage_items_total",
            "Items through each stage (events for consume and match, deliveries for sign and"
            " send, rows for log).",
            ["stage"],
            registry=registry,
        )
        # Accumulated in plain floats on the hot path, added to the counters per flush.
        self._stages: dict[str, list[float]] = {
            stage: [0.0, 0.0]
            for stage in ("kafka", "consume", "match", "queue", "sign", "send", "produce", "log")
        }
        self.lag = Gauge(
            "keten_router_consumer_lag_records",
            "Records on the domain topics not yet consumed by the router, per partition.",
            ["topic", "partition"],
            registry=registry,
        )

    def stage(self, name: str, seconds: float, items: int = 1) -> None:
        acc = self._stages[name]
        acc[0] += seconds
        acc[1] += items

    def publish_stages(self) -> None:
        for name, acc in self._stages.items():
            if acc[1]:
                self.stage_seconds.labels(name).inc(acc[0])
                self.stage_items.labels(name).inc(acc[1])
                acc[0] = acc[1] = 0.0

    @classmethod
    def shared(cls) -> RouterMetrics:
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def gelogd(self, rijen: Iterable[tuple[str, str, int, float | None]]) -> None:
        """One flush's rows: (subscription, status, attempts in the row, latency ms)."""
        states: Counter[tuple[str, str]] = Counter()
        attempts: Counter[tuple[str, str]] = Counter()
        for abonnement, status, pogingen, ms in rijen:
            states[(abonnement, status)] += 1
            if pogingen:
                attempts[(abonnement, "delivered" if ms is not None else "failed")] += 1
            if ms is not None:
                self.latency_seconds.labels(abonnement).observe(ms / 1000)
        for (abonnement, status), n in states.items():
            self.deliveries_total.labels(abonnement, status).inc(n)
        for (abonnement, outcome), n in attempts.items():
            self.attempts_total.labels(abonnement, outcome).inc(n)

    def kafka_afgeleverd(self, abonnement: str, ms: list[float]) -> None:
        """A Kafka sink's acknowledged deliveries of one flush (one attempt each)."""
        self.deliveries_total.labels(abonnement, "afgeleverd").inc(len(ms))
        self.attempts_total.labels(abonnement, "delivered").inc(len(ms))
        histogram = self.latency_seconds.labels(abonnement)
        for waarde in ms:
            histogram.observe(waarde / 1000)

    def poging(self, abonnement: str, gelukt: bool, ms: float) -> None:
        """One scheduled attempt (the retry path counts each)."""
        self.attempts_total.labels(abonnement, "delivered" if gelukt else "failed").inc()
        if gelukt:
            self.latency_seconds.labels(abonnement).observe(ms / 1000)
