"""Transactional outbox: a state change and its events are written in one transaction; the
relay publishes them afterwards, so an event is never lost and never invented.

The event ``id`` is fixed when the row is written: a row re-sent after a relay crash carries the
same id, which consumers' inboxes recognise. Relays lock rows with ``FOR UPDATE SKIP LOCKED``,
so several relays never send the same row concurrently.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import BigInteger, DateTime, Identity, Index, String, Text, delete, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from keten_contracts.envelope import EnvelopeAttributes
from keten_core.db import Base
from keten_core.envelope import CloudEvent, validate_envelope
from keten_core.kafka import EventProducer, PublishError

log = structlog.get_logger(__name__)


class OutboxMessage(Base):
    __tablename__ = "keten_outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    topic: Mapped[str] = mapped_column(String(249))
    key: Mapped[str] = mapped_column(String(200))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # The relay only ever scans unpublished rows in order; keep that index small.
        Index("ix_keten_outbox_unpublished", "id", postgresql_where=published_at.is_(None)),
    )

    def to_event(self) -> CloudEvent:
        attributes = EnvelopeAttributes.model_validate(self.attributes)
        return CloudEvent(attributes.as_cloudevent_attributes(), self.data)


def add_event(session: AsyncSession, topic: str, event: CloudEvent) -> OutboxMessage:
    """Stage ``event`` for ``topic`` in the caller's transaction."""
    attributes = validate_envelope(
        {k: v for k, v in event.get_attributes().items() if v is not None}
    )
    data = event.get_data()
    if not isinstance(data, dict):
        raise TypeError("event data must be a JSON object")
    message = OutboxMessage(
        event_id=attributes.id,
        topic=topic,
        key=attributes.subject,
        attributes=attributes.model_dump(mode="json", exclude_none=True),
        data=data,
    )
    session.add(message)
    return message


class OutboxRelay:
    """Publishes unpublished outbox rows in order; run one or more per service."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: EventProducer,
        *,
        batch_size: int = 100,
        idle_interval_s: float = 0.5,
        max_backoff_s: float = 30.0,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._batch_size = batch_size
        self._idle_interval_s = idle_interval_s
        self._max_backoff_s = max_backoff_s
        self._stopping = asyncio.Event()

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published.

        Rows stay locked until the batch's transaction ends. A row is marked published only
        after the broker acknowledged it; a crash before that mark means a re-send with the
        same event id later, never a loss. The first failure ends the batch so that later
        events for the same key do not overtake it.
        """
        failure: PublishError | None = None
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.published_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            published = 0
            for row in rows:
                try:
                    await self._producer.publish(row.topic, row.to_event())
                except PublishError as exc:
                    row.attempts += 1
                    row.last_error = str(exc)
                    failure = exc
                    break
                row.published_at = datetime.now(UTC)
                published += 1
        if published:
            log.info("outbox_relayed", count=published)
        if failure is not None:
            raise failure
        return published

    async def run(self) -> None:
        """Relay until ``stop()``; broker outages are waited out with growing pauses."""
        backoff = self._idle_interval_s
        while not self._stopping.is_set():
            try:
                published = await self.relay_once()
            except PublishError as exc:
                log.warning("outbox_publish_failed", error=str(exc), retry_in_s=backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            backoff = self._idle_interval_s
            if published < self._batch_size:
                await self._pause(self._idle_interval_s)

    def stop(self) -> None:
        self._stopping.set()

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass


async def purge_published(session: AsyncSession, older_than: timedelta) -> int:
    """Delete rows published longer ago than ``older_than``; Kafka keeps the history."""
    cutoff = datetime.now(UTC) - older_than
    result = await session.execute(delete(OutboxMessage).where(OutboxMessage.published_at < cutoff))
    return result.rowcount or 0
