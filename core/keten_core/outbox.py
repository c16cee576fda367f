"""Transactional outbox: a state change and its events are written in one transaction; the
relay publishes them afterwards, so an event is never lost and never invented.

Staging checks the event against the catalogue (a service cannot emit what its contract entry
does not allow, nor choose the topic) and stores the exact Kafka record (binary content mode):
the relay then only moves bytes, and what reaches the broker is what was checked.

One relay is active per database: it holds a session-level advisory lock on a connection of
its own, and the others stand by until that connection is gone. Two relays publishing at once
would interleave the rows of one key (``SKIP LOCKED`` alone lets relay B send rows 8-14 while
relay A still sends 1-7). The active relay is woken by ``NOTIFY`` after a commit (or directly,
in the same process) and polls slowly as a fallback. It sends a batch pipelined and deletes the
acknowledged rows in one statement, only after the acknowledgements: a crash in between means a
re-send with the same event id, never a loss. The table holds what is not yet published.

A row that cannot be published (its stored record is damaged, or the broker refuses it for
good) is *parked*: ``parked_at`` and ``last_error`` say why, an operator decides. Later rows of
the same key wait behind it (their order matters); other keys go on.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import asyncpg
import structlog
from aiokafka.errors import (
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    UnsupportedForMessageFormatError,
)
from aiokafka.structs import RecordMetadata
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from pydantic_core import from_json
from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from keten_contracts.envelope import EXT_PARTITIONKEY, EnvelopeAttributes
from keten_core.db import Base
from keten_core.envelope import (
    CloudEvent,
    InvalidEvent,
    conform_to_catalogue,
    event_to_kafka,
    find_event_type,
    is_sampled,
)
from keten_core.kafka import EventProducer, PublishError
from keten_core.metrics import RelayMetrics
from keten_core.telemetry import event_span_attributes, extract_trace_context

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("keten_core.outbox")

__all__ = [
    "NOTIFY_CHANNEL",
    "OutboxMessage",
    "OutboxRelay",
    "OutboxSignal",
    "stage_event",
    "stage_new_event",
]

# LISTEN/NOTIFY channel the relay waits on.
NOTIFY_CHANNEL: Final = "keten_outbox"
# pg_try_advisory_lock key of the relay: one active relay per database ("keten_ob" in ASCII).
RELAY_LOCK_KEY: Final = 0x6B6574656E5F6F62
# Broker answers that no retry changes: the row is parked instead of blocking its key for ever.
_REFUSED_FOR_GOOD: Final = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    InvalidTopicError,
    TopicAuthorizationFailedError,
    UnsupportedForMessageFormatError,
)


class OutboxMessage(Base):
    __tablename__ = "keten_outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    event_type: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(249))
    key: Mapped[str] = mapped_column(String(200))
    # The Kafka record as it goes on the wire: header name -> text, and the value's bytes.
    # JSON, not JSONB: stored and returned as written, so the relay reads it without the
    # server rendering JSONB back to text (a third of its read time); still queryable.
    headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    parked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_keten_outbox_parked_key", "key", postgresql_where=parked_at.is_not(None)),
    )


def stage_event(
    session: AsyncSession, event: CloudEvent, *, topic_prefix: str = ""
) -> OutboxMessage:
    """Stage ``event`` in the caller's transaction, on the topic of its catalogue entry (behind
    ``topic_prefix``, which lets several sandboxes share one cluster). Raises ``InvalidEvent``
    naming every way it breaks its entry (nothing is staged)."""
    attributes = {k: v for k, v in event.get_attributes().items() if v is not None}
    try:
        envelope = EnvelopeAttributes.model_validate(attributes)
    except ValidationError as exc:
        raise InvalidEvent(f"envelope does not follow the NL GOV profile: {exc}") from exc
    if str(envelope.id) != event.get_id():
        raise InvalidEvent("id: write the UUID in its canonical form (lower case, hyphens)")
    conform_to_catalogue(envelope.model_dump(mode="json", exclude_none=True), event.get_data())
    return stage_new_event(session, event, topic_prefix=topic_prefix)


def stage_new_event(
    session: AsyncSession, event: CloudEvent, *, topic_prefix: str = ""
) -> OutboxMessage:
    """Stage an event that ``new_event`` built: it checked the event against the catalogue
    already (and wrote a canonical id), so the check is not repeated. Any other event goes
    through ``stage_event``."""
    et = find_event_type(event.get_type())
    if et is None:  # new_event refuses unknown types; kept for the type checker
        raise InvalidEvent(f"type: unknown event type {event.get_type()!r}")
    record = event_to_kafka(event)
    message = OutboxMessage(
        event_id=uuid.UUID(event.get_id()),
        event_type=event.get_type(),
        topic=topic_prefix + et.topic,
        key=str(event.get_extension(EXT_PARTITIONKEY)),
        headers={name: value.decode() for name, value in record.headers},
        value=record.value or b"",
    )
    session.add(message)
    return message


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    event_id: uuid.UUID
    topic: str
    key: str
    headers: Any
    value: bytes


Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]


@dataclass(frozen=True, slots=True)
class _Sendable:
    row: _Row
    record: Record
    event_type: str
    trace_carrier: dict[str, str] | None  # only for sampled traces


@dataclass(frozen=True, slots=True)
class _InFlight:
    batch: list[_Sendable]
    results: asyncio.Future[list[RecordMetadata | PublishError]]
    started: float

    @property
    def last_id(self) -> int:
        return self.batch[-1].row.id


_REQUIRED_HEADERS: Final = (
    "ce_specversion",
    "ce_type",
    "ce_source",
    "ce_id",
    "ce_subject",
    "ce_partitionkey",
)


def _record_of(row: _Row, max_size: int) -> _Sendable:
    """The stored Kafka record, or ``ValueError`` saying what makes it unpublishable. The
    size is checked here, before sending, so that the key's later rows are held back too (a
    refusal that only comes with the acknowledgement cannot stop what was sent with it)."""
    try:
        headers = from_json(row.headers) if isinstance(row.headers, str | bytes) else row.headers
    except ValueError as exc:
        raise ValueError(f"stored headers are not JSON: {exc}") from exc
    if not isinstance(headers, dict):
        raise ValueError("stored headers are not a mapping of header name to text")
    try:
        encoded = [(name, value.encode()) for name, value in headers.items()]
    except AttributeError as exc:
        raise ValueError("stored headers are not a mapping of header name to text") from exc
    for required in _REQUIRED_HEADERS:
        if not headers.get(required):
            raise ValueError(f"stored record has no {required} header")
    if headers["ce_id"] != str(row.event_id):
        raise ValueError("stored ce_id differs from the row's event_id")
    if headers["ce_partitionkey"] != row.key:
        raise ValueError("stored ce_partitionkey differs from the row's key")
    if not row.value:
        raise ValueError("stored record has no value")
    # At least what the record takes in a request: value, key, and the headers' JSON text
    # (longer than their names and values).
    size = len(row.value) + len(row.key) + len(row.headers)
    if size > max_size:
        raise ValueError(f"record too large for the broker: {size} bytes > {max_size}")
    traceparent = headers.get("ce_traceparent")
    trace_carrier = None
    if traceparent is not None and is_sampled(traceparent):
        trace_carrier = {"traceparent": traceparent}
        if tracestate := headers.get("ce_tracestate"):
            trace_carrier["tracestate"] = tracestate
    record = (row.topic, row.key.encode(), bytes(row.value), encoded)
    return _Sendable(row, record, headers["ce_type"], trace_carrier)


class OutboxRelay:
    """Publishes the outbox of one database; run one per service process (one is active)."""

    def __init__(
        self,
        engine: AsyncEngine,
        producer: EventProducer,
        *,
        service: str,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        standby_interval_s: float = 2.0,
        max_backoff_s: float = 30.0,
        lock_key: int = RELAY_LOCK_KEY,
        metrics: RelayMetrics | None = None,
    ) -> None:
        url = make_url(engine.url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._producer = producer
        # Headroom for the record batch's own framing within the producer's request limit.
        self._max_record_size = producer.max_request_size - 1024
        self._service = service
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._standby_interval_s = standby_interval_s
        self._max_backoff_s = max_backoff_s
        self._lock_key = lock_key
        self._metrics = metrics or RelayMetrics.shared()
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._stats_at = 0.0
        self.active = False

    def wake(self) -> None:
        """Something was committed to the outbox: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Stand by until this process holds the relay lock, then relay until ``stop()``. No
        fault ends it: an unreachable database or broker is waited out with growing pauses."""
        backoff = self._poll_interval_s
        while not self._stopping.is_set():
            try:
                await self._session()
                backoff = self._poll_interval_s
            except Exception as exc:
                log.warning("outbox_relay_failed", error=repr(exc), retry_in_s=backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
            finally:
                self._set_active(False)

    async def _session(self) -> None:
        connection = await self._connect()
        try:
            while not await connection.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
                if self._stopping.is_set():
                    return
                await self._pause(self._standby_interval_s)
            self._set_active(True)
            log.info("outbox_relay_active", service=self._service)
            await connection.add_listener(NOTIFY_CHANNEL, self._notified)
            await self._relay(connection)
        finally:
            # Closing the connection releases the lock for a standing-by relay.
            try:
                await connection.close(timeout=5)
            except Exception:  # a broken connection: drop it
                connection.terminate()

    async def _relay(self, connection: asyncpg.Connection) -> None:
        """Batches are pipelined: while one batch waits for its acknowledgements the next is
        read, and it is handed to the producer as soon as those arrive, before the first is
        marked. After a failure the read-ahead batch is dropped (sending it could put a key's
        later event before the failed one) and the pass restarts from the oldest row."""
        backoff = self._poll_interval_s
        in_flight: _InFlight | None = None
        while not self._stopping.is_set():
            self._wake.clear()
            after = in_flight.last_id if in_flight is not None else 0
            batch = await self._fetch(connection, after)
            if in_flight is not None:
                results = await in_flight.results
                if any(isinstance(r, PublishError) for r in results):
                    await self._complete(connection, in_flight)
                    in_flight = None
                    await self._pause(backoff)
                    backoff = min(backoff * 2, self._max_backoff_s)
                    continue
                backoff = self._poll_interval_s
                acknowledged, in_flight = in_flight, self._send(batch) if batch else None
                await self._complete(connection, acknowledged)
                continue
            if batch:
                in_flight = self._send(batch)
                continue
            await self._update_stats(connection)
            await self._wait_for_wake(self._poll_interval_s)
        if in_flight is not None:
            await self._complete(connection, in_flight)

    async def _connect(self) -> asyncpg.Connection:
        # A query that hangs (a network that drops packets) must fail, and the server must
        # notice a dead relay soon, or it keeps the lock from the standing-by relays.
        return await asyncpg.connect(
            self._dsn,
            command_timeout=60,
            server_settings={
                # The relay reads rows in id order through the primary key. After a burst the
                # index still lists the rows just deleted, until vacuum; a bitmap scan visits
                # all of them on every read, a plain index scan marks them dead once.
                "enable_bitmapscan": "off",
                # Planned for each batch with its own bounds: a generic plan, chosen once
                # while the table was empty, read every row of a 50,000-row burst per batch.
                "plan_cache_mode": "force_custom_plan",
                # Before the first analyze of a burst the estimates are huge and the server
                # compiled each read (200 ms); the relay's reads are small, never worth it.
                "jit": "off",
                "tcp_keepalives_idle": "30",
                "tcp_keepalives_interval": "10",
                "tcp_keepalives_count": "3",
            },
        )

    async def relay_on_own_connection(self) -> tuple[int, int]:
        """One batch on a connection of its own, without the lock: for one-shot tools (the
        demo) and tests, never next to a running relay."""
        connection = await self._connect()
        try:
            return await self.relay_once(connection)
        finally:
            await connection.close(timeout=5)

    async def relay_once(self, connection: asyncpg.Connection) -> tuple[int, int]:
        """Publish one batch in order; returns (published, failed). Exposed for tests and
        one-shot tools; ``run()`` pipelines the same steps while holding the lock."""
        batch = await self._fetch(connection, 0)
        if not batch:
            return 0, 0
        return await self._complete(connection, self._send(batch))

    async def _fetch(self, connection: asyncpg.Connection, after: int) -> list[_Sendable]:
        """The next unpublished rows in order, leaving out keys with a parked row (they wait
        for an operator); a row whose stored record is damaged is parked here."""
        rows = await connection.fetch(
            """
            SELECT id, event_id, topic, key, headers, value FROM keten_outbox o
            WHERE parked_at IS NULL AND id > $1
              AND NOT EXISTS (
                  SELECT 1 FROM keten_outbox p WHERE p.key = o.key AND p.parked_at IS NOT NULL)
            ORDER BY id LIMIT $2
            """,
            after,
            self._batch_size,
        )
        sendable: list[_Sendable] = []
        blocked: set[str] = set()  # keys with a row parked in this batch: the rest waits
        for found in rows:
            row = _Row(*found)
            if row.key in blocked:
                continue
            try:
                sendable.append(_record_of(row, self._max_record_size))
            except ValueError as exc:
                await self._park(connection, [row.id], f"unpublishable: {exc}")
                blocked.add(row.key)
        return sendable

    def _send(self, batch: list[_Sendable]) -> _InFlight:
        """Hand the batch to the producer now; its acknowledgements are awaited later."""

        async def send() -> list[RecordMetadata | PublishError]:
            with tracer.start_as_current_span(
                "outbox relay",
                attributes={
                    "messaging.system": "kafka",
                    "messaging.batch.message_count": len(batch),
                },
            ):
                spans = [self._publish_span(item) for item in batch]
                try:
                    return await self._producer.send_many([item.record for item in batch])
                finally:
                    for span in spans:
                        if span is not None:
                            span.end()

        return _InFlight(batch, asyncio.ensure_future(send()), time.perf_counter())

    async def _complete(self, connection: asyncpg.Connection, flight: _InFlight) -> tuple[int, int]:
        """Mark what the broker acknowledged, count and park what it did not."""
        results = await flight.results
        done = [
            item.row.id
            for item, result in zip(flight.batch, results, strict=True)
            if not isinstance(result, PublishError)
        ]
        if done:
            # Published rows go: Kafka holds the event now, and a small table keeps the
            # relay's reads short (a delete costs the database a seventh of an update).
            await connection.execute("DELETE FROM keten_outbox WHERE id = ANY($1::bigint[])", done)
            self._metrics.publish_seconds.labels(self._service).observe(
                time.perf_counter() - flight.started
            )
            self._metrics.published_total.labels(self._service).inc(len(done))
        failed = [
            (item.row, result)
            for item, result in zip(flight.batch, results, strict=True)
            if isinstance(result, PublishError)
        ]
        refused = {row.id for row, r in failed if isinstance(r.__cause__, _REFUSED_FOR_GOOD)}
        for row, result in failed:
            if row.id in refused:
                await self._park(connection, [row.id], f"refused by the broker: {result}")
        retry = [row.id for row, r in failed if row.id not in refused]
        if retry:
            error = str(next(r for row, r in failed if row.id in retry))
            await connection.execute(
                "UPDATE keten_outbox SET attempts = attempts + 1, last_error = $2 "
                "WHERE id = ANY($1::bigint[])",
                retry,
                error,
            )
            log.warning("outbox_publish_failed", rows=len(retry), error=error)
        # A refusal counts as a failure here too: the read-ahead batch may hold the refused
        # row's key, which must now wait behind it.
        return len(done), len(retry) + len(refused)

    @staticmethod
    def _publish_span(item: _Sendable) -> trace.Span | None:
        """A producer span per event only when its trace is sampled, as a child of the trace
        the event was written in (``ce_traceparent``): the trace does not break at the outbox."""
        if item.trace_carrier is None:
            return None
        return tracer.start_span(
            f"{item.row.topic} publish",
            context=extract_trace_context(item.trace_carrier),
            kind=SpanKind.PRODUCER,
            attributes=event_span_attributes(item.row.topic, item.row.event_id, item.event_type),
        )

    async def _park(self, connection: asyncpg.Connection, ids: Sequence[int], error: str) -> None:
        await connection.execute(
            "UPDATE keten_outbox SET parked_at = now(), attempts = attempts + 1, last_error = $2 "
            "WHERE id = ANY($1::bigint[])",
            list(ids),
            error[:4000],
        )
        log.error("outbox_rows_parked", rows=list(ids), error=error)

    async def _update_stats(self, connection: asyncpg.Connection) -> None:
        now = time.monotonic()
        if now - self._stats_at < 5:
            return
        self._stats_at = now
        backlog, oldest_age, parked = await connection.fetchrow(
            """
            SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0),
                   count(*) FILTER (WHERE parked_at IS NOT NULL)
            FROM keten_outbox
            """
        )
        self._metrics.backlog.labels(self._service).set(backlog)
        self._metrics.oldest_age.labels(self._service).set(float(oldest_age))
        self._metrics.parked.labels(self._service).set(parked)

    def _set_active(self, active: bool) -> None:
        self.active = active
        self._metrics.active.labels(self._service).set(1 if active else 0)

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _wait_for_wake(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass


class OutboxSignal:
    """Tells the active relay that rows were committed. In the process that holds the lock it
    wakes the relay directly; otherwise it sends ``NOTIFY``, coalesced to one in flight at a
    time: a NOTIFY in every write transaction would serialise commits on PostgreSQL's
    notification queue lock at thousands of commits a second."""

    def __init__(self, engine: AsyncEngine, relay: OutboxRelay | None = None) -> None:
        self._engine = engine
        self._relay = relay
        self._poked = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def attach(self, relay: OutboxRelay) -> None:
        """The relay of this process, once it exists (it needs the broker)."""
        self._relay = relay

    def poke(self) -> None:
        if self._relay is not None:
            self._relay.wake()
            if self._relay.active:
                return
        self._poked.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        while self._poked.is_set():
            self._poked.clear()
            try:
                async with self._engine.connect() as connection:
                    await connection.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
                    await connection.commit()
            except Exception as exc:  # the relay's fallback poll picks the rows up anyway
                log.info("outbox_notify_failed", error=repr(exc))
                return

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
