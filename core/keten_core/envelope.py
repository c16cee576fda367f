"""CloudEvents codec for the chain: NL GOV profile attributes, Kafka binary content mode.

Events are the SDK's ``CloudEvent``; the profile's rules live in ``keten_contracts.envelope``
so that producers, consumers and the vendor validation command apply the same ones. Trace
context travels as the CloudEvents distributed-tracing extension (``ce_traceparent``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from opentelemetry.context import Context
from pydantic import ValidationError

from keten_contracts.envelope import (
    EXT_TRACEPARENT,
    EXT_TRACESTATE,
    EnvelopeAttributes,
)
from keten_contracts.events import get_event_type
from keten_contracts.parties import Rol
from keten_contracts.validation import check_event
from keten_core.telemetry import extract_trace_context, inject_trace_headers

__all__ = [
    "CloudEvent",
    "InvalidEvent",
    "KafkaRecord",
    "conform_to_catalogue",
    "event_from_kafka",
    "event_to_kafka",
    "new_event",
    "trace_context_of",
    "validate_envelope",
]

_FORMAT = JSONFormat()

# (headers, key, value) as aiokafka hands them over and takes them.
Headers = list[tuple[str, bytes]]


class InvalidEvent(ValueError):
    """A message that is not a valid event of this chain; ``reason`` goes to the dead letter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KafkaRecord:
    """A Kafka message in binary content mode, in the shapes aiokafka uses."""

    __slots__ = ("headers", "key", "value")

    def __init__(self, headers: Headers, key: bytes | None, value: bytes | None) -> None:
        self.headers = headers
        self.key = key
        self.value = value


def new_event(
    *,
    type: str,
    source: str,
    subject: str,
    dataref: str,
    data: Mapping[str, Any],
    dataschema: str | None = None,
    gemeentecode: str | None = None,
    aanbiedersoort: Rol | None = None,
    aanbiederoin: str | None = None,
    id: uuid.UUID | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    """Build an event and check it against the catalogue (``dataschema`` defaults to the
    type's schema); the current trace context, if any, is attached."""
    carrier = inject_trace_headers()
    if dataschema is None:
        try:
            dataschema = get_event_type(type).dataschema
        except KeyError as exc:
            raise InvalidEvent(f"type: unknown event type {type!r}") from exc
    attributes = EnvelopeAttributes(
        id=id or uuid.uuid4(),
        source=source,
        type=type,
        time=time or datetime.now(UTC),
        dataschema=dataschema,  # type: ignore[arg-type]
        subject=subject,
        dataref=dataref,  # type: ignore[arg-type]
        gemeentecode=gemeentecode,
        aanbiedersoort=aanbiedersoort,
        aanbiederoin=aanbiederoin,
        traceparent=carrier.get(EXT_TRACEPARENT),
        tracestate=carrier.get(EXT_TRACESTATE) or None,
    )
    conform_to_catalogue(attributes.model_dump(mode="json", exclude_none=True), data)
    return CloudEvent(attributes.as_cloudevent_attributes(), dict(data))


def conform_to_catalogue(attributes: Mapping[str, Any], data: Any) -> None:
    """Raise ``InvalidEvent`` listing every way the event breaks its catalogue entry."""
    if errors := check_event(attributes, data):
        raise InvalidEvent("event does not match the catalogue: " + "; ".join(errors))


def validate_envelope(attributes: Mapping[str, Any]) -> EnvelopeAttributes:
    """Check attributes against the NL GOV profile; raise ``InvalidEvent`` naming the fields."""
    try:
        return EnvelopeAttributes.model_validate(dict(attributes))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'event'}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidEvent(f"envelope does not follow the NL GOV profile: {problems}") from exc


def event_to_kafka(event: CloudEvent) -> KafkaRecord:
    """Binary content mode; the key is the subject so one resource's events stay in order."""
    message = ce_kafka.to_binary(event, _FORMAT, key_mapper=lambda e: e.get_subject())
    key = message.key.encode() if isinstance(message.key, str) else message.key
    return KafkaRecord(list(message.headers.items()), key, message.value)


def event_from_kafka(
    headers: Iterable[tuple[str, bytes]], key: bytes | None, value: bytes | None
) -> CloudEvent:
    """Decode and validate a binary-mode record; anything wrong raises ``InvalidEvent``."""
    header_map = dict(headers)
    if not header_map.get("ce_specversion"):
        raise InvalidEvent("not a CloudEvent in binary content mode: no ce_specversion header")
    try:
        message = ce_kafka.KafkaMessage(headers=header_map, key=key, value=value or b"")
        event = ce_kafka.from_binary(message, _FORMAT, CloudEvent)
    except (BaseCloudEventException, ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"cannot decode CloudEvent: {exc}") from exc
    attributes = dict(event.get_attributes())
    # The SDK mirrors the Kafka key into a 'partitionkey' extension; ours is the subject.
    partitionkey = attributes.pop(ce_kafka.PARTITIONKEY_ATTR, None)
    # The catalogue check covers the NL GOV profile too: one validation per record.
    conform_to_catalogue(attributes, event.get_data())
    if partitionkey is not None and partitionkey != attributes.get("subject"):
        raise InvalidEvent("Kafka key must equal the event subject")
    return CloudEvent(attributes, event.get_data())


def trace_context_of(event: CloudEvent) -> Context:
    """The trace context the producer attached, to continue the trace in a consumer."""
    carrier = {
        name: str(value)
        for name in (EXT_TRACEPARENT, EXT_TRACESTATE)
        if (value := event.get_extension(name)) is not None
    }
    return extract_trace_context(carrier)
