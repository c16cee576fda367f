"""Inbox: which events a consumer has applied, so a redelivered event has no second effect.

Kafka delivers at least once (a consumer that crashes before committing its offset sees the
record again, and an outbox relay may re-send after a crash). Claiming the event's
(``source``, ``id``) in the same transaction as the effect makes applying it exactly-once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from keten_core.db import Base
from keten_core.envelope import CloudEvent
from keten_core.kafka import Handler


class ProcessedEvent(Base):
    __tablename__ = "keten_inbox"

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(300), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(200))
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


async def claim(session: AsyncSession, consumer: str, event: CloudEvent) -> bool:
    """Record the event as processed by ``consumer``; False when it already was."""
    statement = (
        insert(ProcessedEvent)
        .values(
            consumer=consumer,
            source=event.get_source(),
            event_id=event.get_id(),
            event_type=event.get_type(),
        )
        .on_conflict_do_nothing()
        .returning(ProcessedEvent.event_id)
    )
    return (await session.execute(statement)).first() is not None


Apply = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


def idempotent(sessions: async_sessionmaker[AsyncSession], consumer: str, apply: Apply) -> Handler:
    """A consumer handler that applies each event once, in one transaction with its claim."""

    async def handle(event: CloudEvent) -> None:
        async with sessions.begin() as session:
            if await claim(session, consumer, event):
                await apply(session, event)

    return handle
