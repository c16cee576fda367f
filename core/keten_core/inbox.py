"""Inbox: which events a consumer has applied, so a redelivered event has no second effect.

Kafka delivers at least once (a consumer that crashes before committing its offset sees the
record again, and an outbox relay may re-send after a crash). Claiming the event's
(``source``, ``id``) in the same transaction as the effect makes applying it exactly-once. The
unit of work claims a whole batch in one statement; services never call this themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import DateTime, String, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from keten_core.db import Base

__all__ = ["Identified", "ProcessedEvent", "claim_batch"]


class ProcessedEvent(Base):
    __tablename__ = "keten_inbox"

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(300), primary_key=True)
    # The NL GOV profile makes every id a UUID: 16 bytes in the key instead of 36 characters.
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(200))
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Identified(Protocol):
    """What the inbox needs of an event: who sent it, its id and its type."""

    @property
    def source(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...


E = TypeVar("E", bound=Identified)

# One statement for the whole batch: arrays in, the ids that were new out.
_CLAIM = """
    INSERT INTO keten_inbox (consumer, source, event_id, event_type)
    SELECT $1, s, i::uuid, t
    FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) AS batch(s, i, t)
    ON CONFLICT DO NOTHING
    RETURNING source, event_id::text
"""


async def claim_batch(session: AsyncSession, consumer: str, events: Sequence[E]) -> list[E]:
    """Record ``events`` as processed by ``consumer``; returns those not processed before, in
    order (a repeat inside the batch counts once)."""
    if not events:
        return []
    # Straight to the driver (inside the session's transaction): SQLAlchemy's processing of
    # three bound arrays costs more than the statement itself.
    connection = await session.connection()
    result = await connection.exec_driver_sql(
        _CLAIM,
        (
            consumer,
            [e.source for e in events],
            [e.id for e in events],
            [e.type for e in events],
        ),
    )
    rows = result.all()
    new = {(source, event_id) for source, event_id in rows}
    fresh: list[E] = []
    for event in events:
        identity = (event.source, event.id)
        if identity in new:
            new.discard(identity)
            fresh.append(event)
    return fresh
