"""Kafka sinks: a subscription delivered to a topic of its own on the chain's cluster, for vendors
who consume Kafka.

At creation the router makes the topic, a SCRAM user for the subscription and ACLs that let only
that user read the topic (and use consumer groups named after it); the credentials are shown to
the owner once, as the webhook secret is. Every delivery is the event as the chain has it on its
own topics (binary content mode, key = ``partitionkey``), produced by the router's idempotent
producer over the SASL listener: per-key order holds on the partition, and a record the broker
did not acknowledge is handed to the retry schedule like a failed webhook.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder

from keten_core.envelope import KafkaRecord
from keten_core.kafka_acl import ensure_private_topic, ensure_scram_user, sasl_client_options
from notificatie_router.bezorging import Gebeurtenis, Poging, Taak
from notificatie_router.domain import Ontvanger, RetrySchema
from notificatie_router.metrics import RouterMetrics
from notificatie_router.settings import RouterSettings

if TYPE_CHECKING:
    from notificatie_router.logboek import Logboek

__all__ = ["PRODUCER_OPTIES", "KafkaSink", "KafkaToegang", "maak_kafka_sink"]


# Idempotent with acks=all: per-key order holds when the producer retries. aiokafka's idempotent
# producer has one request in flight per broker, so throughput is batch size over round trip:
# 16 KB batches (the default) held a sink to a fifth of raw aiokafka.
PRODUCER_OPTIES: Final[dict[str, Any]] = {
    "enable_idempotence": True,
    "acks": "all",
    "linger_ms": 5,
    "max_batch_size": 512 * 1024,
}

# What the owner needs to read its topic (shown once): bootstrapServers, topic, saslMechanism,
# gebruiker, wachtwoord, consumerGroupPrefix.
KafkaToegang = dict[str, str]


def _credentials(settings: RouterSettings) -> dict[str, str]:
    if not settings.router_kafka_bootstrap or settings.router_kafka_wachtwoord is None:
        raise RuntimeError("Kafka sinks need KETEN_ROUTER_KAFKA_BOOTSTRAP and its credentials")
    return sasl_client_options(
        settings.router_kafka_gebruiker, settings.router_kafka_wachtwoord.get_secret_value()
    )


async def maak_kafka_sink(settings: RouterSettings, abonnement_id: str) -> KafkaToegang:
    """Topic, SCRAM user and ACLs for one subscription; returns the owner's access."""
    options = _credentials(settings)
    gebruiker = f"abonnee-{abonnement_id}"
    wachtwoord = secrets.token_urlsafe(24)
    topic = f"{settings.topic_prefix}abonnement.{abonnement_id}"
    await ensure_scram_user(settings.router_kafka_bootstrap or "", gebruiker, wachtwoord, **options)
    await ensure_private_topic(
        settings.router_kafka_bootstrap or "",
        topic,
        reader_principal=f"User:{gebruiker}",
        partitions=settings.kafka_partitions,
        replication_factor=settings.kafka_replication_factor,
        **options,
    )
    return {
        "bootstrapServers": settings.router_kafka_bootstrap or "",
        "topic": topic,
        "saslMechanism": "SCRAM-SHA-256",
        "gebruiker": gebruiker,
        "wachtwoord": wachtwoord,
        "consumerGroupPrefix": gebruiker,
    }


class KafkaSink:
    """Produces Kafka-sink deliveries; outcomes go to the delivery log like webhooks'."""

    def __init__(
        self,
        settings: RouterSettings,
        logboek: Logboek,
        schema: RetrySchema,
        bij_fout: Callable[[Taak], None],
    ) -> None:
        self._settings = settings
        self._logboek = logboek
        self._schema = schema
        self._bij_fout = bij_fout  # the chain waits in the schedule now (Bezorger.geblokkeerd)
        self._metrics = RouterMetrics.shared()
        self._producer: AIOKafkaProducer | None = None
        self._start_lock = asyncio.Lock()
        self._wachtrij: deque[Taak] = deque()
        self._wakker = asyncio.Event()
        self.open_taken = 0
        # The producer's default: murmur2 of the key over the topic's partitions.
        self._partitioner = DefaultPartitioner()

    async def producer(self) -> AIOKafkaProducer:
        async with self._start_lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._settings.router_kafka_bootstrap,
                    **PRODUCER_OPTIES,
                    request_timeout_ms=int(self._settings.router_timeout_s * 1000),
                    **_credentials(self._settings),
                )
                await producer.start()
                self._producer = producer
        return self._producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def stuur(self, ontvanger: Ontvanger, gebeurtenis: Gebeurtenis) -> Poging:
        """One record, acknowledged or not (the retry schedule's sender)."""
        nu = datetime.now(UTC)
        start = time.perf_counter()
        try:
            producer = await self.producer()
            record = gebeurtenis.kafka_record()
            await producer.send_and_wait(
                ontvanger.sink, record.value, key=record.key, headers=record.headers
            )
        except Exception as exc:
            return Poging(nu, (time.perf_counter() - start) * 1000, fout=f"kafka: {exc!r}"[:300])
        return Poging(nu, (time.perf_counter() - start) * 1000, status=200)

    def plaats(self, taak: Taak) -> None:
        """The fast path: queued for the one pump task, which hands records to the producer in
        order (one key, one partition, idempotent producer: per-key order holds); each
        outcome is logged when the broker answers. No task per delivery."""
        taak.gebeurtenis.open += 1
        self.open_taken += 1
        self._wachtrij.append(taak)
        self._wakker.set()

    async def run(self) -> None:
        while True:
            await self._wakker.wait()
            self._wakker.clear()
            while self._wachtrij:
                taken = list(self._wachtrij)
                self._wachtrij.clear()
                nu = datetime.now(UTC)
                try:
                    producer = await self.producer()
                    groepen = await self._per_partitie(producer, taken)
                except Exception as exc:
                    for taak in taken:
                        self._uitkomst(taak, Poging(nu, 0.0, fout=f"kafka: {exc!r}"[:300]))
                    continue
                for (topic, partitie), eigen in groepen.items():
                    await self._verstuur(producer, topic, partitie, eigen)

    async def _per_partitie(
        self, producer: AIOKafkaProducer, taken: list[Taak]
    ) -> dict[tuple[str, int], list[tuple[Taak, KafkaRecord]]]:
        """The deliveries per partition of their sink, in order: the partition the producer's
        own ``send`` picks for the key (the retry path sends that way), so a key keeps one
        partition whichever path delivers it."""
        groepen: dict[tuple[str, int], list[tuple[Taak, KafkaRecord]]] = {}
        partities: dict[str, list[int]] = {}
        for taak in taken:
            topic = taak.ontvanger.sink
            alle = partities.get(topic)
            if alle is None:
                alle = partities[topic] = list(await producer.partitions_for(topic))
            record = taak.gebeurtenis.kafka_record()
            partitie = self._partitioner(record.key, alle, alle)
            groepen.setdefault((topic, partitie), []).append((taak, record))
        return groepen

    async def _verstuur(
        self,
        producer: AIOKafkaProducer,
        topic: str,
        partitie: int,
        taken: list[tuple[Taak, KafkaRecord]],
    ) -> None:
        """Whole batches to the producer (``send`` per record cost a third of the sink's CPU);
        the broker acknowledges a batch as one, so its deliveries share one outcome."""
        batch, erin = producer.create_batch(), []
        for taak, record in taken:
            while (
                batch.append(
                    timestamp=None, key=record.key, value=record.value, headers=record.headers
                )
                is None
            ):  # full (the first record always fits)
                await self._batch_weg(producer, batch, topic, partitie, erin)
                batch, erin = producer.create_batch(), []
            erin.append(taak)
        if erin:
            await self._batch_weg(producer, batch, topic, partitie, erin)

    async def _batch_weg(
        self,
        producer: AIOKafkaProducer,
        batch: BatchBuilder,
        topic: str,
        partitie: int,
        taken: list[Taak],
    ) -> None:
        nu = datetime.now(UTC)
        start = time.perf_counter()
        try:
            future = await producer.send_batch(batch, topic, partition=partitie)
        except Exception as exc:
            for taak in taken:
                self._uitkomst(taak, Poging(nu, 0.0, fout=f"kafka: {exc!r}"[:300]))
            return
        future.add_done_callback(lambda f: self._beantwoord(f, taken, nu, start))

    def _beantwoord(
        self, future: asyncio.Future[object], taken: list[Taak], nu: datetime, start: float
    ) -> None:
        ms = (time.perf_counter() - start) * 1000
        self._metrics.stage("produce", ms / 1000 * len(taken), len(taken))
        if future.cancelled() or future.exception() is not None:
            error = "cancelled" if future.cancelled() else repr(future.exception())
            poging = Poging(nu, ms, fout=f"kafka: {error}"[:300])
        else:
            poging = Poging(nu, ms, status=200)
        for taak in taken:
            self._uitkomst(taak, poging)

    def _uitkomst(self, taak: Taak, poging: Poging) -> None:
        self.open_taken -= 1
        if poging.gelukt:
            self._logboek.afgeleverd(taak, poging)
            return
        volgende = self._schema.volgende(1, poging.op)
        if volgende is None:
            self._logboek.dood(taak, [poging], 1, "no retry stages configured")
            return
        self._bij_fout(taak)
        self._logboek.wacht(taak, [poging], 1, volgende)
