"""The router's delivery engine as one supervised worker of the service: it consumes the
domain topics, matches every event against the subscriptions and the policy, hands the
deliveries to the fast path (``bezorging``), writes the log (``logboek``) and commits offsets,
and runs the retry scheduler (``herhaling``).

Nothing is lost: an event's offset is committed only once the event and the first outcome of
each of its deliveries are written to PostgreSQL (delivered, waiting for a retry, or dead).
A router killed at any moment re-reads from the last commit and delivers again, with the same
``webhook-id``; a subscriber sees a copy at most, never a gap.

An event of a type the router does not know (a newer contracts release) and a record that is
not a valid event go to the dead-letter topic with the reason (``unknown-type``,
``invalid-event``), to be replayed after a contracts upgrade with ``keten dlq replay``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from keten_contracts.events.catalogue import TOPICS
from keten_core.dlq import park, retry_topic_for
from keten_core.envelope import (
    InvalidEvent,
    decode_binary_attributes,
    find_event_type,
    is_sampled,
    trace_context_of,
)
from keten_core.http import API_BASE
from keten_core.telemetry import event_span_attributes
from notificatie_router.abonnementen import AbonnementenCache, uitschakelen
from notificatie_router.bezorging import Bezorger, Gebeurtenis, Taak, WebhookZender
from notificatie_router.domain import Ontvanger, RetrySchema
from notificatie_router.geheimen import Kluis
from notificatie_router.herhaling import Herhaler, transactie
from notificatie_router.kafka_sink import KafkaSink
from notificatie_router.logboek import Logboek
from notificatie_router.metrics import RouterMetrics
from notificatie_router.settings import RouterSettings

if TYPE_CHECKING:
    from keten_core.service import ServiceRuntime

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("notificatie_router.stroom")

__all__ = ["Stroom"]

# Deliveries in memory (on chains) above which fetching pauses until the workers catch up.
MAX_OPEN_TAKEN = 20_000
MAX_LOGRIJEN = 50_000

_GEBLOKKEERD = """
SELECT DISTINCT abonnement_id, partitionkey FROM router_aflevering WHERE status = 'wacht'
"""
_NOG_GEBLOKKEERD = """
SELECT DISTINCT abonnement_id, partitionkey FROM router_aflevering
WHERE status = 'wacht' AND abonnement_id = ANY($1::uuid[])
"""


class _Geparkeerd:
    """A record sent to the dead-letter topic: settled once the send succeeded."""

    __slots__ = ("open", "positie")

    def __init__(self, positie: int) -> None:
        self.positie = positie
        self.open = 1


def groep(settings: RouterSettings) -> str:
    """The router's consumer group: every replica shares it."""
    return settings.topic_prefix + settings.service_name


def domeintopics(settings: RouterSettings) -> list[str]:
    return sorted(settings.topic_prefix + topic for topic in TOPICS.values())


async def groepsachterstand(settings: RouterSettings) -> int:
    """Records on the domain topics that the router's consumer group has not committed yet, all
    replicas together, as the cluster knows it (a replica's own lag gauge covers only the
    partitions assigned to it). A partition without a commit counts from its beginning, where
    the group would start (``auto_offset_reset="earliest"``)."""
    options = settings.kafka_client_options()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, **options)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False, **options
    )
    await admin.start()
    try:
        await consumer.start()
        try:
            committed = await admin.list_consumer_group_offsets(groep(settings))
            partities = [
                TopicPartition(t["topic"], p["partition"])
                for t in await admin.describe_topics(domeintopics(settings))
                if t["error_code"] == 0  # a domain topic nobody created yet holds nothing
                for p in t["partitions"]
            ]
            einde = await consumer.end_offsets(partities)
            begin = await consumer.beginning_offsets(partities)
        finally:
            await consumer.stop()
    finally:
        await admin.close()
    return sum(
        max(0, einde[tp] - (committed[tp].offset if tp in committed else begin[tp]))
        for tp in partities
    )


class Stroom:
    """The ``ServiceWorker`` that delivers (see the module docstring)."""

    name = "bezorging"

    def __init__(self, settings: RouterSettings, kluis: Kluis) -> None:
        self.settings = settings
        self.kluis = kluis
        self.metrics = RouterMetrics.shared()
        self.schema = RetrySchema(tuple(settings.router_retry_stages_s))
        self._stopping = asyncio.Event()
        self._open: dict[TopicPartition, deque[Gebeurtenis | _Geparkeerd]] = {}
        self.cache: AbonnementenCache | None = None
        self.bezorger: Bezorger | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._runtime: ServiceRuntime | None = None
        self._achtergrond: set[asyncio.Task[bool]] = set()

    @property
    def group_id(self) -> str:
        return groep(self.settings)

    def topics(self) -> list[str]:
        """The domain topics, and this group's retry topic: ``keten dlq replay --group`` puts
        parked records there (an unknown type, after a contracts upgrade)."""
        return [*domeintopics(self.settings), retry_topic_for(self.group_id)]

    async def stop(self) -> None:
        self._stopping.set()

    async def run(self, runtime: ServiceRuntime) -> None:
        s = self.settings
        self._runtime = runtime
        engine = runtime.engine
        self.cache = cache = AbonnementenCache(engine, self.kluis)
        await cache.ververs(altijd=True)
        connector = aiohttp.TCPConnector(limit=s.router_workers * 2, ttl_dns_cache=300)
        timeout = aiohttp.ClientTimeout(total=s.router_timeout_s)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, skip_auto_headers=("User-Agent",)
        ) as session:
            zender = WebhookZender(session, self.metrics)
            logboek = Logboek(engine, self.metrics)
            self.bezorger = bezorger = Bezorger(
                zender,
                logboek,
                self.schema,
                workers=s.router_workers,
                per_abonnement=s.router_per_abonnement,
                bij_weg=self._weg,
            )
            kafka: KafkaSink | None = None
            if s.router_kafka_bootstrap:
                kafka = KafkaSink(
                    s, logboek, self.schema, lambda taak: bezorger.geblokkeerd.add(taak.sleutel)
                )
                bezorger.kafka = kafka
            herhaler = Herhaler(
                engine,
                cache,
                zender,
                self.schema,
                self.metrics,
                lease_s=s.router_lease_s,
                interval_s=s.router_planner_s,
                uitschakelen_na_s=s.router_uitschakelen_na_s,
                bewaartermijn_s=s.router_bewaartermijn_s,
                uitschakelen=self._uitschakelen,
                bij_succes=bezorger.herstel,
                kafka=kafka,
            )
            await self._laad_geblokkeerd(engine, bezorger)
            consumer = AIOKafkaConsumer(
                bootstrap_servers=s.kafka_bootstrap_servers,
                group_id=self.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level="read_committed",
                max_poll_records=1000,
                **s.kafka_client_options(),
            )
            self._consumer = consumer
            consumer.subscribe(
                self.topics(), listener=_Herverdeling(self, logboek, engine, bezorger)
            )
            await consumer.start()
            bezorger.start()
            taken = [
                asyncio.create_task(herhaler.run(), name="herhaling"),
                asyncio.create_task(self._schrijver(consumer, logboek), name="logboek"),
            ]
            if kafka is not None:
                taken.append(asyncio.create_task(kafka.run(), name="kafka-sink"))
            try:
                await self._loop(runtime, consumer, logboek, bezorger, cache, engine)
            finally:
                for taak in taken:
                    taak.cancel()
                await asyncio.gather(*taken, return_exceptions=True)
                await herhaler.stop()
                await bezorger.stop()
                await logboek.flush()
                await self._commit(consumer)
                await consumer.stop()
                if kafka is not None:
                    await kafka.stop()

    async def _loop(
        self,
        runtime: ServiceRuntime,
        consumer: AIOKafkaConsumer,
        logboek: Logboek,
        bezorger: Bezorger,
        cache: AbonnementenCache,
        engine: Any,
    ) -> None:
        loop = asyncio.get_running_loop()
        volgende_ververs = loop.time() + 1.0
        volgende_vrijgave = loop.time() + 1.0
        volgende_lag = loop.time() + 5.0
        gepauzeerd = False
        while not self._stopping.is_set():
            # Deliveries in memory, and log rows not yet written (PostgreSQL slower than the
            # stream): past either bound, fetching pauses; the group membership is kept.
            open_taken = bezorger.open_taken + (bezorger.kafka.open_taken if bezorger.kafka else 0)
            te_veel = open_taken > MAX_OPEN_TAKEN or len(logboek) > MAX_LOGRIJEN
            if te_veel and not gepauzeerd:
                consumer.pause(*consumer.assignment())
                gepauzeerd = True
            elif (
                gepauzeerd and open_taken < MAX_OPEN_TAKEN // 2 and len(logboek) < MAX_LOGRIJEN // 2
            ):
                consumer.resume(*consumer.assignment())
                gepauzeerd = False
            batches = await consumer.getmany(timeout_ms=100, max_records=1000)
            for tp, records in batches.items():
                await self._verwerk(tp, records, logboek, bezorger, cache, runtime)
            nu = loop.time()
            if nu >= volgende_ververs:
                volgende_ververs = nu + 1.0
                try:
                    await cache.ververs()
                except Exception as exc:
                    log.warning("abonnementen_ververs_failed", error=repr(exc))
            if nu >= volgende_lag:
                volgende_lag = nu + 5.0
                await self._lag(consumer, bezorger)
            if nu >= volgende_vrijgave and bezorger.geblokkeerd:
                volgende_vrijgave = nu + 1.0
                await self._vrijgave(engine, logboek, bezorger)

    async def _schrijver(self, consumer: AIOKafkaConsumer, logboek: Logboek) -> None:
        """Writes the log every ``router_flush_s`` and commits what it settled, beside the
        consuming loop: a flush waits on PostgreSQL, and consuming in the meantime kept a
        Kafka sink at a fifth of raw aiokafka."""
        while True:
            await asyncio.sleep(self.settings.router_flush_s)
            if await logboek.flush():
                await self._commit(consumer)

    async def _verwerk(
        self,
        tp: TopicPartition,
        records: list[ConsumerRecord],
        logboek: Logboek,
        bezorger: Bezorger,
        cache: AbonnementenCache,
        runtime: ServiceRuntime,
    ) -> None:
        wachtrij = self._open.setdefault(tp, deque())
        ontvangers = cache.ontvangers
        stage = self.metrics.stage
        if records:
            # How long the newest record waited in Kafka before this process had it.
            stage("kafka", max(0.0, time.time() - records[-1].timestamp / 1000))
        for record in records:
            start = time.perf_counter()
            try:
                envelope, attributes, data = decode_binary_attributes(
                    record.headers, record.key, record.value
                )
            except InvalidEvent as exc:
                await self._parkeer(tp, record, "invalid-event", exc.reason, runtime, wachtrij)
                continue
            if find_event_type(envelope.type) is None:
                reden = f"type {envelope.type!r} is not in this router's contracts"
                await self._parkeer(tp, record, "unknown-type", reden, runtime, wachtrij)
                continue
            gebeurtenis = Gebeurtenis(
                id=envelope.id,
                attributes=attributes,
                envelope=envelope,
                payload=data,
                value=record.value,
                ontvangen_op=datetime.fromtimestamp(record.timestamp / 1000, UTC),
                topic=record.topic,
                partitie=record.partition,
                positie=record.offset,
                record=(list(record.headers), record.key, record.value),
            )
            wachtrij.append(gebeurtenis)
            logboek.gebeurtenis(gebeurtenis)
            decoded = time.perf_counter()
            stage("consume", decoded - start)
            if is_sampled(envelope.traceparent):
                self._plaats_traced(gebeurtenis, ontvangers.voor(attributes), bezorger)
            else:
                for ontvanger in ontvangers.voor(attributes):
                    bezorger.plaats(Taak(ontvanger, gebeurtenis))
            stage("match", time.perf_counter() - decoded)

    @staticmethod
    def _plaats_traced(
        gebeurtenis: Gebeurtenis, ontvangers: Sequence[Ontvanger], bezorger: Bezorger
    ) -> None:
        """Matching as a consumer span continuing the producer's trace (only for sampled
        traces: an unsampled stream costs nothing here); the deliveries' spans, made later by
        the workers, are its children, so the trace runs on to every subscriber."""
        with tracer.start_as_current_span(
            f"{gebeurtenis.topic} process",
            context=trace_context_of(gebeurtenis.envelope),
            kind=SpanKind.CONSUMER,
            attributes={
                **event_span_attributes(
                    gebeurtenis.topic, gebeurtenis.id, gebeurtenis.envelope.type
                ),
                "messaging.destination.partition.id": str(gebeurtenis.partitie),
                "messaging.kafka.offset": gebeurtenis.positie,
            },
        ) as span:
            gebeurtenis.trace_context = trace.set_span_in_context(span)
            for ontvanger in ontvangers:
                bezorger.plaats(Taak(ontvanger, gebeurtenis))
            span.set_attribute("keten.abonnementen", len(ontvangers))

    async def _parkeer(
        self,
        tp: TopicPartition,
        record: ConsumerRecord,
        reason: str,
        error: str,
        runtime: ServiceRuntime,
        wachtrij: deque[Gebeurtenis | _Geparkeerd],
    ) -> None:
        """To the dead-letter topic; retried until the broker takes it (never dropped)."""
        geparkeerd = _Geparkeerd(record.offset)
        wachtrij.append(geparkeerd)
        delay = 0.5
        while True:
            try:
                # The producer is started before the service's workers.
                await park(
                    runtime.producer,
                    self.settings.dead_letter_topic,
                    record,
                    reason=reason,
                    error=error,
                    group=self.group_id,
                )
                break
            except Exception as exc:
                log.warning("router_dead_letter_failed", error=repr(exc), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
        geparkeerd.open = 0
        log.warning("router_event_parked", reason=reason, topic=record.topic, offset=record.offset)

    async def _commit(
        self, consumer: AIOKafkaConsumer, only: set[TopicPartition] | None = None
    ) -> None:
        offsets: dict[TopicPartition, int] = {}
        for tp, wachtrij in self._open.items():
            if only is not None and tp not in only:
                continue
            laatste = None
            while wachtrij and wachtrij[0].open <= 0:
                laatste = wachtrij.popleft().positie
            if laatste is not None:
                offsets[tp] = laatste + 1
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except KafkaError as exc:
            # Not committed is not lost: these events are read and delivered again.
            log.warning("router_commit_failed", error=repr(exc))

    async def _lag(self, consumer: AIOKafkaConsumer, bezorger: Bezorger) -> None:
        """Records not yet consumed per partition, and deliveries on the fast path per
        subscription (those in the schedule are ``keten_router_waiting_deliveries``)."""
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            try:
                position = await consumer.position(tp)
            except (KafkaError, AssertionError):
                continue
            self.metrics.lag.labels(tp.topic, str(tp.partition)).set(max(0, highwater - position))
        self.metrics.in_memory.clear()
        for abonnement_id, n in bezorger.per_abonnement().items():
            self.metrics.in_memory.labels(str(abonnement_id)).set(n)

    async def _laad_geblokkeerd(self, engine: Any, bezorger: Bezorger) -> None:
        async with transactie(engine) as driver:
            rijen = await driver.fetch(_GEBLOKKEERD)
        bezorger.geblokkeerd |= {(r["abonnement_id"], r["partitionkey"]) for r in rijen}

    async def _vrijgave(self, engine: Any, logboek: Logboek, bezorger: Bezorger) -> None:
        """Release the chains whose scheduled deliveries are all done (after a flush: every
        row this process handed over is then in the table, or still counted as buffered)."""
        if not await logboek.flush():
            return
        abonnementen = sorted({a for a, _ in bezorger.geblokkeerd})
        try:
            async with transactie(engine) as driver:
                rijen = await driver.fetch(_NOG_GEBLOKKEERD, abonnementen)
        except Exception as exc:
            log.warning("router_vrijgave_failed", error=repr(exc))
            return
        nog = {(r["abonnement_id"], r["partitionkey"]) for r in rijen}
        vrij = {
            sleutel
            for sleutel in bezorger.geblokkeerd
            if sleutel not in nog and sleutel not in logboek.wacht_gebufferd
        }
        bezorger.vrijgeven(vrij)

    async def _uitschakelen(self, abonnement_id: uuid.UUID, reden: str, nu: datetime) -> bool:
        assert self._runtime is not None  # set in run()
        api_url = self.settings.base_url + API_BASE
        return await uitschakelen(self._runtime.unit_of_work, api_url, abonnement_id, reden, nu)

    def _weg(self, ontvanger: Ontvanger, reden: str) -> None:
        taak = asyncio.get_running_loop().create_task(
            self._uitschakelen(ontvanger.id, reden, datetime.now(UTC))
        )
        self._achtergrond.add(taak)  # a task nobody holds may be collected before it ran
        taak.add_done_callback(self._achtergrond.discard)

    def vergeten(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            self._open.pop(tp, None)


class _Herverdeling(ConsumerRebalanceListener):  # type: ignore[misc]
    """A rebalance: write what is settled and commit it for the partitions leaving; what is
    still in flight for them is delivered here and, from the last commit, by the new owner
    too (a copy, never a gap)."""

    def __init__(self, stroom: Stroom, logboek: Logboek, engine: Any, bezorger: Bezorger) -> None:
        self._stroom = stroom
        self._logboek = logboek
        self._engine = engine
        self._bezorger = bezorger

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        consumer = self._stroom._consumer
        if consumer is not None and await self._logboek.flush():
            await self._stroom._commit(consumer, set(revoked))
        self._stroom.vergeten(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        try:
            await self._stroom._laad_geblokkeerd(self._engine, self._bezorger)
        except Exception as exc:
            log.warning("router_geblokkeerd_laden_failed", error=repr(exc))
