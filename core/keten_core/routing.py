"""The event router: a service's handlers, registered per event type, and the batch handler the
consumer calls.

A handler is a plain async function of the typed data (the type's contract model, parsed as a
tolerant reader), the envelope and the unit of work::

    events = EventRouter()

    @events.on("nl.inburgering.koppeling.aangemaakt.v1")
    async def koppeling(data: KoppelingData, envelope: EnvelopeAttributes, uow: UnitOfWork):
        ...

Per batch the router opens one unit of work, claims the events in the inbox (repeats drop out
there, so deduplication cannot be forgotten), calls the handlers in order and commits. An event
whose type has no handler here, or that this release of the contracts does not know, is
skipped and counted. Data that does not fit the type's model is a ``PermanentError``: the
consumer parks it at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from keten_contracts.envelope import EnvelopeAttributes
from keten_core.consumer import BatchHandler, ConsumedEvent
from keten_core.envelope import find_event_type, is_sampled, trace_context_of
from keten_core.errors import PermanentError
from keten_core.metrics import ConsumerMetrics
from keten_core.telemetry import event_span_attributes
from keten_core.uow import UnitOfWork

__all__ = ["EventHandler", "EventRouter"]

tracer = trace.get_tracer("keten_core.routing")

EventHandler = Callable[[Any, EnvelopeAttributes, UnitOfWork], Awaitable[None]]


class EventRouter:
    def __init__(self) -> None:
        self._handlers: dict[str, list[EventHandler]] = {}

    def on(self, event_type: str) -> Callable[[EventHandler], EventHandler]:
        """Register the decorated function for ``event_type`` (a type of the catalogue)."""
        if find_event_type(event_type) is None:
            raise ValueError(f"{event_type!r} is not in the event catalogue")

        def register(handler: EventHandler) -> EventHandler:
            self._handlers.setdefault(event_type, []).append(handler)
            return handler

        return register

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def topics(self, prefix: str = "") -> frozenset[str]:
        """The topics the registered types are published on."""
        return frozenset(
            prefix + et.topic for t in self._handlers if (et := find_event_type(t)) is not None
        )

    def batch_handler(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        *,
        group: str,
        metrics: ConsumerMetrics | None = None,
    ) -> BatchHandler:
        """What the consumer calls with each partition's events."""
        counted = metrics or ConsumerMetrics.shared()

        async def handle(events: Sequence[ConsumedEvent]) -> None:
            wanted = [e for e in events if e.type in self._handlers]
            if len(wanted) < len(events):
                counted.skipped(group, (e for e in events if e.type not in self._handlers))
            if not wanted:
                return
            async with unit_of_work() as uow:
                for event in await uow.claim(wanted):
                    await self._dispatch(event, uow)
            counted.handled(group, wanted)

        return handle

    async def _dispatch(self, event: ConsumedEvent, uow: UnitOfWork) -> None:
        et = find_event_type(event.type)
        assert et is not None  # only catalogued types are registered
        try:
            data = et.reader_model.model_validate(event.data)
        except ValidationError as exc:
            raise PermanentError(f"data does not fit {event.type}: {exc}") from exc
        handlers = self._handlers[event.type]
        if not is_sampled(event.envelope.traceparent):
            for handler in handlers:
                await handler(data, event.envelope, uow)
            return
        # A span per event only for sampled traces: it continues the producer's trace, so
        # what the handler emits joins it.
        with tracer.start_as_current_span(
            f"{event.record.topic} process",
            context=trace_context_of(event.envelope),
            kind=SpanKind.CONSUMER,
            attributes=event_span_attributes(event.record.topic, event.id, event.type),
        ):
            for handler in handlers:
                await handler(data, event.envelope, uow)
