"""The unit of work: one database transaction in which a handler or an HTTP route changes
state, emits events (staged in the outbox) and, for a consumed batch, claims the events in the
inbox. It commits on a clean exit and rolls back on an exception, so state, events and claims
are durable together or not at all; after a commit that staged events it signals the relay.

    async with service.unit_of_work() as uow:
        uow.session.add(Dossier(...))
        uow.emit("nl.inburgering.pip.vastgesteld.v1", subject=pip_id, partitionkey=dossier_id,
                 dataref=..., data={...}, gemeentecode="0363")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction, async_sessionmaker

from keten_contracts.parties import Rol
from keten_core.envelope import CloudEvent, new_event
from keten_core.inbox import Identified, claim_batch
from keten_core.outbox import OutboxMessage, stage_event, stage_new_event

__all__ = ["UnitOfWork", "UnitOfWorkFactory"]


class _Signal(Protocol):
    def poke(self) -> None: ...


E = TypeVar("E", bound=Identified)


class UnitOfWork:
    """Use as ``async with``; ``session`` is the transaction's session."""

    session: AsyncSession

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        source: str | None,
        now: Callable[[], datetime],
        consumer: str | None = None,
        signal: _Signal | None = None,
        topic_prefix: str = "",
        schema_base_url: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._topic_prefix = topic_prefix
        self._schema_base_url = schema_base_url
        self._source = source
        self._now = now
        self._consumer = consumer
        self._signal = signal
        self._transaction: AsyncSessionTransaction | None = None
        self.staged: list[OutboxMessage] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._transaction = await self.session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._transaction is not None, "use the unit of work with 'async with'"
        committed = False
        try:
            if exc_type is None:
                await self._transaction.commit()
                committed = True
            else:
                await self._transaction.rollback()
        finally:
            await self.session.close()
        if committed and self.staged and self._signal is not None:
            self._signal.poke()

    def emit(
        self,
        type: str,
        *,
        subject: str,
        partitionkey: str,
        dataref: str,
        data: BaseModel | Mapping[str, Any],
        gemeentecode: str | None = None,
        aanbiedersoort: Rol | None = None,
        aanbiederoin: str | None = None,
        abonneeoin: str | None = None,
        source: str | None = None,
    ) -> CloudEvent:
        """Build an event from this service (``source``) at the chain clock's time, check it
        against the catalogue and stage it; raises ``InvalidEvent`` and stages nothing when it
        breaks its entry.

        ``source`` overrides the service's own for this event: a dossier-bron of a
        shared-service centre emits each dossier's events under ITS gemeente's OIN
        (``urn:nld:oin:<OIN of the gemeente>:systeem:dossier-bron``)."""
        source = source or self._source
        if source is None:
            raise RuntimeError("this unit of work has no event source; pass source=")
        payload = (
            data.model_dump(mode="json", by_alias=True, exclude_none=True)
            if isinstance(data, BaseModel)
            else dict(data)
        )
        event = new_event(
            type=type,
            source=source,
            subject=subject,
            partitionkey=partitionkey,
            dataref=dataref,
            data=payload,
            schema_base_url=self._schema_base_url,
            gemeentecode=gemeentecode,
            aanbiedersoort=aanbiedersoort,
            aanbiederoin=aanbiederoin,
            abonneeoin=abonneeoin,
            time=self._now(),
        )
        # new_event checked it against the catalogue: staged without checking it twice.
        self.staged.append(stage_new_event(self.session, event, topic_prefix=self._topic_prefix))
        return event

    def emit_event(self, event: CloudEvent) -> OutboxMessage:
        """Stage a ready-made event (checked against the catalogue like ``emit``)."""
        message = stage_event(self.session, event, topic_prefix=self._topic_prefix)
        self.staged.append(message)
        return message

    async def claim(self, events: Sequence[E]) -> list[E]:
        """Claim consumed events in the inbox; returns those this consumer had not applied."""
        if self._consumer is None:
            raise RuntimeError("this unit of work belongs to no consumer; pass consumer=")
        return await claim_batch(self.session, self._consumer, events)


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, consumer: str | None = None) -> UnitOfWork: ...
