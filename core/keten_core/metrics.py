"""Prometheus metrics of the service kit, served at ``/metrics``: consumer lag; consumed,
handled, skipped, retried and dead-lettered events per type; relay backlog, age of the oldest
unpublished outbox row, parked rows, publish latency. Counters are incremented per batch (one
call per type, not per event), so metrics cost nothing measurable on the hot path.

Names follow Prometheus conventions (``keten_`` prefix, ``_total`` for counters, base units).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Protocol

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from aiokafka import TopicPartition

__all__ = ["ConsumerMetrics", "RelayMetrics", "metrics_router"]


class _HasType(Protocol):
    @property
    def type(self) -> str: ...


class ConsumerMetrics:
    """The consumer's counters and lag gauge, labelled by consumer group."""

    _shared: ClassVar[ConsumerMetrics | None] = None

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.consumed_total = Counter(
            "keten_consumer_events_consumed_total",
            "Events whose batch handler completed (handled, skipped or repeats alike).",
            ["group", "type"],
            registry=registry,
        )
        self.handled_total = Counter(
            "keten_consumer_events_handled_total",
            "Events an event router gave to its handlers (a repeat the inbox dropped included).",
            ["group", "type"],
            registry=registry,
        )
        self.skipped_total = Counter(
            "keten_consumer_events_skipped_total",
            "Events of a type this consumer has no handler for (or does not know).",
            ["group", "type"],
            registry=registry,
        )
        self.dead_lettered_total = Counter(
            "keten_consumer_events_dead_lettered_total",
            "Records sent to the dead-letter topic.",
            ["group", "type", "reason"],
            registry=registry,
        )
        self.retries_total = Counter(
            "keten_consumer_retries_total",
            "Times a partition was paused to retry a record later (transient faults, bugs).",
            ["group", "topic"],
            registry=registry,
        )
        self.lag_records = Gauge(
            "keten_consumer_lag_records",
            "Records between the consumer's position and the partition's high watermark.",
            ["group", "topic", "partition"],
            registry=registry,
        )

    @classmethod
    def shared(cls) -> ConsumerMetrics:
        """The process's instance on the default registry (metrics register once)."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def consumed(self, group: str, events: Iterable[_HasType]) -> None:
        for event_type, count in Tally(e.type for e in events).items():
            self.consumed_total.labels(group, event_type).inc(count)

    def handled(self, group: str, events: Iterable[_HasType]) -> None:
        for event_type, count in Tally(e.type for e in events).items():
            self.handled_total.labels(group, event_type).inc(count)

    def skipped(self, group: str, events: Iterable[_HasType]) -> None:
        for event_type, count in Tally(e.type for e in events).items():
            self.skipped_total.labels(group, event_type).inc(count)

    def dead_lettered(self, group: str, event_type: str, reason: str) -> None:
        self.dead_lettered_total.labels(group, event_type, reason).inc()

    def retried(self, group: str, topic: str) -> None:
        self.retries_total.labels(group, topic).inc()

    def set_lag(self, group: str, tp: TopicPartition, records: int) -> None:
        self.lag_records.labels(group, tp.topic, str(tp.partition)).set(records)


class RelayMetrics:
    """The outbox relay: backlog, oldest unpublished row, publish latency, parked rows."""

    _shared: ClassVar[RelayMetrics | None] = None

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.published_total = Counter(
            "keten_outbox_published_total",
            "Outbox rows published and acknowledged by the broker.",
            ["service"],
            registry=registry,
        )
        self.backlog = Gauge(
            "keten_outbox_backlog_rows",
            "Unpublished outbox rows (parked rows included).",
            ["service"],
            registry=registry,
        )
        self.oldest_age = Gauge(
            "keten_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest unpublished outbox row; 0 when none.",
            ["service"],
            registry=registry,
        )
        self.parked = Gauge(
            "keten_outbox_parked_rows",
            "Outbox rows that cannot be published and wait for an operator.",
            ["service"],
            registry=registry,
        )
        self.active = Gauge(
            "keten_outbox_relay_active",
            "1 while this process holds the relay lock of its database, else 0.",
            ["service"],
            registry=registry,
        )
        self.publish_seconds = Histogram(
            "keten_outbox_publish_seconds",
            "Time from handing a relay batch to the producer to the last acknowledgement.",
            ["service"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )

    @classmethod
    def shared(cls) -> RelayMetrics:
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared


def metrics_router(registry: CollectorRegistry = REGISTRY) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
