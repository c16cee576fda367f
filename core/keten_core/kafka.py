"""Kafka I/O: topic creation, an idempotent event producer and a consumer that commits only
after its handler succeeded and parks what it cannot process in a dead-letter topic."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code
from aiokafka.structs import RecordMetadata
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from tenacity import AsyncRetrying, retry_if_not_exception_type, stop_after_attempt
from tenacity import wait_exponential_jitter as wait_backoff

from keten_core.envelope import (
    CloudEvent,
    InvalidEvent,
    event_from_kafka,
    event_to_kafka,
    trace_context_of,
)

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("keten_core.kafka")

# Headers the dead-letter topic adds to the original record (original headers are kept).
DLQ_REASON = "keten_dlq_reason"
DLQ_ERROR = "keten_dlq_error"
DLQ_TOPIC = "keten_dlq_topic"
DLQ_PARTITION = "keten_dlq_partition"
DLQ_OFFSET = "keten_dlq_offset"
DLQ_GROUP = "keten_dlq_group"


class PublishError(RuntimeError):
    """The broker did not acknowledge a record; the caller still owns the event."""


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help; the record goes straight to dead letter."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 3
    replication_factor: int = 1
    config: tuple[tuple[str, str], ...] = ()


async def ensure_topics(
    bootstrap_servers: str, topics: Iterable[TopicSpec], *, timeout_ms: int = 15_000
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    wanted = {spec.name: spec for spec in topics}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=timeout_ms)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for name, spec in wanted.items() if name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=dict(s.config))
                for s in missing
            ],
            timeout_ms=timeout_ms,
        )
        for topic, code, *rest in response.topic_errors:
            # Another service starting at the same moment may have won the race.
            if code and for_code(code) is not TopicAlreadyExistsError:
                detail = f"{for_code(code).__name__} {rest[0] if rest else ''}"
                raise KafkaError(f"cannot create topic {topic}: {detail}")
        log.info("topics_created", topics=[s.name for s in missing])
        return [s.name for s in missing]
    finally:
        await admin.close()


class EventProducer:
    """Idempotent producer (acks=all): a retried send never duplicates within a session.

    aiokafka keeps retrying a record while the broker is unreachable and never fails the
    send by itself, so ``delivery_timeout_ms`` bounds the wait: past it, ``PublishError``.
    The record's fate is then unknown (it may still be delivered when the broker returns);
    callers keep the event (the outbox row stays unpublished) and re-send it with the same
    id, which consumers' inboxes recognise.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "keten",
        request_timeout_ms: int = 30_000,
        delivery_timeout_ms: int = 120_000,
    ) -> None:
        self._delivery_timeout_s = delivery_timeout_ms / 1000
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            enable_idempotence=True,
            acks="all",
            # In aiokafka this also bounds how long a record may wait for its ack in total.
            request_timeout_ms=request_timeout_ms,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def publish(self, topic: str, event: CloudEvent) -> RecordMetadata:
        """Send one event and wait for the broker's acknowledgement."""
        record = event_to_kafka(event)
        with tracer.start_as_current_span(
            f"{topic} publish",
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": topic,
                "messaging.message.id": event.get_id(),
                "cloudevents.event_type": event.get_type(),
            },
        ):
            return await self.send_raw(topic, record.key, record.value, record.headers)

    async def send_raw(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
    ) -> RecordMetadata:
        try:
            async with asyncio.timeout(self._delivery_timeout_s):
                return await self._producer.send_and_wait(
                    topic, value=value, key=key, headers=headers
                )
        except TimeoutError as exc:
            raise PublishError(
                f"broker did not acknowledge record for {topic} "
                f"within {self._delivery_timeout_s:g} s"
            ) from exc
        except KafkaError as exc:
            raise PublishError(f"broker did not acknowledge record for {topic}: {exc!r}") from exc


Handler = Callable[[CloudEvent], Awaitable[None]]


class EventConsumer:
    """Consumes events one by one; commits an offset only once the handler succeeded or the
    record is safely in the dead-letter topic, so a crash re-delivers instead of losing."""

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Iterable[str],
        *,
        group_id: str,
        handler: Handler,
        dead_letters: EventProducer,
        dead_letter_topic: str,
        attempts: int = 3,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 5.0,
    ) -> None:
        self._topics = list(topics)
        self._group_id = group_id
        self._handler = handler
        self._dead_letters = dead_letters
        self._dead_letter_topic = dead_letter_topic
        self._attempts = attempts
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=bootstrap_servers,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        """Finish (and commit) the record in hand, then leave the group. Closing the client
        under a commit in flight would leave that commit retrying forever."""
        self._stopping.set()
        await self._idle.wait()
        await self._consumer.stop()

    async def run(self) -> None:
        """Process records until ``stop()``; start() must have been awaited. Records fetched
        but not processed when stopping are not committed: the group gets them again."""
        self._idle.clear()
        try:
            while not self._stopping.is_set():
                batches = await self._consumer.getmany(timeout_ms=500)
                for record in (r for records in batches.values() for r in records):
                    if self._stopping.is_set():
                        return
                    await self.process(record)
        finally:
            self._idle.set()

    async def process(self, record: ConsumerRecord) -> None:
        try:
            event = event_from_kafka(record.headers, record.key, record.value)
        except InvalidEvent as exc:
            await self._dead_letter(record, reason="invalid-event", error=exc.reason)
        else:
            await self._handle(record, event)
        await self._consumer.commit(
            {TopicPartition(record.topic, record.partition): record.offset + 1}
        )

    async def _handle(self, record: ConsumerRecord, event: CloudEvent) -> None:
        with tracer.start_as_current_span(
            f"{record.topic} process",
            context=trace_context_of(event),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self._group_id,
                "messaging.message.id": event.get_id(),
                "cloudevents.event_type": event.get_type(),
            },
        ) as span:
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self._attempts),
                    wait=wait_backoff(multiplier=self._backoff[0], max=self._backoff[1]),
                    retry=retry_if_not_exception_type(PermanentError),
                    reraise=True,
                ):
                    with attempt:
                        await self._handler(event)
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                reason = "rejected" if isinstance(exc, PermanentError) else "handler-failed"
                await self._dead_letter(record, reason=reason, error=_describe(exc))

    async def _dead_letter(self, record: ConsumerRecord, *, reason: str, error: str) -> None:
        headers = [
            *(record.headers or ()),
            (DLQ_REASON, reason.encode()),
            (DLQ_ERROR, error.encode()[:4000]),
            (DLQ_TOPIC, record.topic.encode()),
            (DLQ_PARTITION, str(record.partition).encode()),
            (DLQ_OFFSET, str(record.offset).encode()),
            (DLQ_GROUP, self._group_id.encode()),
        ]
        # If this raises, the offset is not committed and the record comes back: not lost.
        await self._dead_letters.send_raw(
            self._dead_letter_topic, record.key, record.value, headers
        )
        log.warning(
            "event_dead_lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
            error=error,
        )


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
