"""Kafka I/O: topic creation and an idempotent event producer with a delivery deadline. The
consumer lives in ``keten_core.consumer``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import TracebackType
from typing import Any, Self

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code
from aiokafka.structs import RecordMetadata, TopicPartition
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from keten_core.envelope import CloudEvent, event_to_kafka
from keten_core.errors import PermanentError, PublishError
from keten_core.telemetry import event_span_attributes

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("keten_core.kafka")

__all__ = [
    "EventProducer",
    "PermanentError",
    "PublishError",
    "TopicSpec",
    "client_options",
    "ensure_topics",
    "topic_partitions",
]


@cache
def _from_environment() -> Mapping[str, Any]:
    from keten_core.settings import KetenSettings

    return KetenSettings().kafka_client_options()


def client_options(security: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """How a Kafka client of this process connects: ``security`` when given (aiokafka's
    ``security_protocol``, ``sasl_*``, ``ssl_context``), else the ``KETEN_KAFKA_SECURITY_*``,
    ``_SASL_*`` and ``_SSL_*`` settings, read once per process. Every client the kit opens
    (producer, consumers, admin, health probe, dead-letter tools) takes these, so a service
    reaches a SASL/TLS cluster by configuration alone."""
    return dict(_from_environment() if security is None else security)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 3
    replication_factor: int = 1
    config: tuple[tuple[str, str], ...] = ()


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[TopicSpec],
    *,
    timeout_ms: int = 15_000,
    security: Mapping[str, Any] | None = None,
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    wanted = {spec.name: spec for spec in topics}
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        request_timeout_ms=timeout_ms,
        **client_options(security),
    )
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


async def topic_partitions(
    bootstrap_servers: str, topic: str, *, security: Mapping[str, Any] | None = None
) -> list[TopicPartition]:
    """The partitions of ``topic`` as the cluster describes them now (none when it does not
    exist): a consumer's own metadata knows only the topics it was asked about before."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **client_options(security))
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return [TopicPartition(topic, p["partition"]) for p in described.get("partitions", [])]


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
        stop_timeout_ms: int = 10_000,
        linger_ms: int = 0,
        max_request_size: int = 1_048_576,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self.max_request_size = max_request_size
        self._started = False
        self._delivery_timeout_s = delivery_timeout_ms / 1000
        self._stop_timeout_s = stop_timeout_ms / 1000
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=linger_ms,
            max_request_size=max_request_size,
            # In aiokafka this also bounds how long a record may wait for its ack in total.
            request_timeout_ms=request_timeout_ms,
            **client_options(security),
        )

    async def start(self) -> None:
        await self._producer.start()
        self._started = True

    async def stop(self) -> None:
        """Flush what is pending for at most ``stop_timeout_ms``, then close. aiokafka's own
        ``stop()`` waits for every pending record, for ever while the broker is down; what is
        abandoned here is still in the caller's hands (an unpublished outbox row)."""
        if not self._started:
            await self._producer.stop()  # closes a client that failed to start
            return
        try:
            async with asyncio.timeout(self._stop_timeout_s):
                await self._producer.flush()
        except TimeoutError:
            log.warning("producer_stop_abandoned_records", waited_s=self._stop_timeout_s)
            # The sender task retries for ever; ending it lets stop() close the connections.
            sender = getattr(self._producer, "_sender", None)
            task = getattr(sender, "sender_task", None)
            if task is not None:
                task.cancel()
        except KafkaError as exc:
            log.warning("producer_flush_failed", error=str(exc))
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
            attributes=event_span_attributes(topic, event.get_id(), event.get_type()),
        ):
            return await self.send_raw(topic, record.key, record.value, record.headers)

    async def send_raw(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
    ) -> RecordMetadata:
        """Send one record and wait for its acknowledgement (``PublishError`` otherwise)."""
        (result,) = await self.send_many([(topic, key, value, headers)])
        if isinstance(result, BaseException):
            raise result
        return result

    async def send_many(
        self, records: Sequence[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]]
    ) -> list[RecordMetadata | PublishError]:
        """Send records pipelined (all handed to the client, then all acks awaited): per record
        its metadata or a ``PublishError``. Records of one partition keep their order (the
        producer is idempotent)."""
        try:
            async with asyncio.timeout(self._delivery_timeout_s):
                pending: list[asyncio.Future[RecordMetadata] | KafkaError] = []
                for topic, key, value, headers in records:
                    try:
                        pending.append(
                            await self._producer.send(topic, value=value, key=key, headers=headers)
                        )
                    except KafkaError as exc:  # this record only (e.g. too large)
                        pending.append(exc)
                results = await asyncio.gather(
                    *(_failed(p) if isinstance(p, KafkaError) else p for p in pending),
                    return_exceptions=True,
                )
        except TimeoutError:
            error = PublishError(
                f"broker did not acknowledge within {self._delivery_timeout_s:g} s"
            )
            return [error] * len(records)
        return [
            _publish_error(topic, result) if isinstance(result, BaseException) else result
            for result, (topic, *_rest) in zip(results, records, strict=True)
        ]


async def _failed(error: KafkaError) -> RecordMetadata:
    raise error


def _publish_error(topic: str, cause: BaseException) -> PublishError:
    """Keeps the client's error as the cause, so a caller can tell a refusal for good (record
    too large, topic not allowed) from an outage."""
    error = PublishError(f"broker did not acknowledge record for {topic}: {cause!r}")
    error.__cause__ = cause
    return error
