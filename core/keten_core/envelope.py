"""CloudEvents codec for the chain: NL GOV profile attributes, Kafka binary content mode.

Events are the SDK's ``CloudEvent``; the profile's rules live in ``keten_contracts.envelope``
so that producers, consumers and the vendor validation command apply the same ones. Trace
context travels as the CloudEvents distributed-tracing extension (``ce_traceparent``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from opentelemetry.context import Context
from pydantic import ValidationError
from pydantic_core import from_json

from keten_contracts.envelope import (
    EXT_PARTITIONKEY,
    EXT_TRACEPARENT,
    EXT_TRACESTATE,
    EnvelopeAttributes,
)
from keten_contracts.events import get_event_type
from keten_contracts.events.catalogue import EventType, all_event_types
from keten_contracts.parties import Rol
from keten_contracts.validation import check_event, routing_errors
from keten_core import clock
from keten_core.telemetry import extract_trace_context, inject_trace_headers

__all__ = [
    "CloudEvent",
    "InvalidEvent",
    "KafkaRecord",
    "conform_to_catalogue",
    "decode_binary",
    "decode_binary_attributes",
    "event_from_kafka",
    "event_to_kafka",
    "find_event_type",
    "is_sampled",
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


_CATALOGUE: dict[str, EventType] = {}
# Binary content mode: ``ce_<attribute>``, and ``content-type`` for ``datacontenttype``.
_HEADER_ATTRIBUTES: dict[str, str] = {
    "content-type": "datacontenttype",
    **{f"ce_{name}": name for name in (*EnvelopeAttributes.model_fields, "specversion")},
}


def find_event_type(event_type: str) -> EventType | None:
    """The catalogue entry of ``event_type``, or None for a type this release does not know."""
    if not _CATALOGUE:
        _CATALOGUE.update((et.type, et) for et in all_event_types())
    return _CATALOGUE.get(event_type)


def new_event(
    *,
    type: str,
    source: str,
    subject: str,
    partitionkey: str,
    dataref: str,
    data: Mapping[str, Any],
    dataschema: str | None = None,
    schema_base_url: str | None = None,
    gemeentecode: str | None = None,
    aanbiedersoort: Rol | None = None,
    aanbiederoin: str | None = None,
    abonneeoin: str | None = None,
    sequence: str | None = None,
    id: uuid.UUID | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    """Build an event and check it against the catalogue; the current trace context, if any,
    is attached. ``partitionkey`` is the producing source's person-level id (the type's
    ``sleutel``), the Kafka key. ``dataschema`` defaults to the type's schema below
    ``schema_base_url`` (a service's own ``/contracts/schemas``, so the URL resolves in a
    running chain) or, without one, below the contracts' published base."""
    carrier = inject_trace_headers()
    if dataschema is None:
        try:
            et = get_event_type(type)
        except KeyError as exc:
            raise InvalidEvent(f"type: unknown event type {type!r}") from exc
        dataschema = (
            et.dataschema
            if schema_base_url is None
            else f"{schema_base_url.rstrip('/')}/{et.schema_file}"
        )
    try:
        attributes = EnvelopeAttributes(
            id=id or uuid.uuid4(),
            source=source,
            type=type,
            time=time or clock.now(),
            dataschema=dataschema,  # type: ignore[arg-type]
            subject=subject,
            partitionkey=partitionkey,
            dataref=dataref,  # type: ignore[arg-type]
            sequence=sequence,
            gemeentecode=gemeentecode,
            aanbiedersoort=aanbiedersoort,
            aanbiederoin=aanbiederoin,
            abonneeoin=abonneeoin,
            traceparent=carrier.get(EXT_TRACEPARENT),
            tracestate=carrier.get(EXT_TRACESTATE) or None,
        )
    except ValidationError as exc:
        # The same error a consumer gets for the same attributes: InvalidEvent naming them.
        raise InvalidEvent(_profile_problems(exc)) from exc
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
        raise InvalidEvent(_profile_problems(exc)) from exc


def _profile_problems(exc: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'event'}: {err['msg']}" for err in exc.errors()
    )
    return f"envelope does not follow the NL GOV profile: {problems}"


def event_to_kafka(event: CloudEvent) -> KafkaRecord:
    """Binary content mode; the key is the ``partitionkey`` (the producer's person-level id),
    so one person's events from one source stay in order."""
    message = ce_kafka.to_binary(
        event, _FORMAT, key_mapper=lambda e: e.get_extension(EXT_PARTITIONKEY)
    )
    key = message.key.encode() if isinstance(message.key, str) else message.key
    return KafkaRecord(list(message.headers.items()), key, message.value)


def decode_binary_attributes(
    headers: Iterable[tuple[str, bytes | None]], key: bytes | None, value: bytes | None
) -> tuple[EnvelopeAttributes, dict[str, str], dict[str, Any]]:
    """Decode a binary-mode record as a tolerant reader: the envelope (NL GOV profile) and the
    routing extensions of a catalogued type are checked strictly; the data only has to be a JSON
    object (handlers parse it with the type's tolerant model); an unknown type passes, for the
    caller to skip or park. Anything wrong raises ``InvalidEvent`` naming it.

    The header mapping is the Kafka protocol binding's (``ce_<attribute>``, ``content-type`` as
    ``datacontenttype``); it is done here rather than by the SDK's ``from_binary`` because that
    parser costs a third of a consumer's time per event (dateutil, a second validation that the
    profile model repeats) and fails with ``AttributeError`` on a header without a value.
    """
    attributes: dict[str, Any] = {}
    try:
        for name, raw in headers:
            target = _HEADER_ATTRIBUTES.get(name)
            if target is None:
                if not name.startswith("ce_"):
                    continue  # other headers (tracing, the dead-letter ones) are not the event's
                target = name[3:]
            if raw is None:
                raise InvalidEvent(f"header {name}: has no value")
            attributes[target] = raw.decode()
    except UnicodeDecodeError as exc:
        raise InvalidEvent(f"a ce_ header is not UTF-8: {exc}") from exc
    if "specversion" not in attributes:
        raise InvalidEvent("not a CloudEvent in binary content mode: no ce_specversion header")
    envelope = validate_envelope(attributes)
    if key is None or key.decode(errors="replace") != envelope.partitionkey:
        raise InvalidEvent("Kafka key must equal the event's partitionkey")
    if not value:
        raise InvalidEvent("value: empty; data must be a JSON object")
    try:
        data = from_json(value)
    except ValueError as exc:
        raise InvalidEvent(f"value: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidEvent("data: must be a JSON object")
    et = find_event_type(envelope.type)
    if et is not None and (errors := routing_errors(attributes, et)):
        raise InvalidEvent("routing extensions do not match the catalogue: " + "; ".join(errors))
    return envelope, attributes, data


def decode_binary(
    headers: Iterable[tuple[str, bytes | None]], key: bytes | None, value: bytes | None
) -> tuple[EnvelopeAttributes, dict[str, Any]]:
    """``decode_binary_attributes`` without the attributes as they came (their strings, for a
    router matching filters on them without serialising the envelope again)."""
    envelope, _, data = decode_binary_attributes(headers, key, value)
    return envelope, data


def event_from_kafka(
    headers: Iterable[tuple[str, bytes | None]], key: bytes | None, value: bytes | None
) -> CloudEvent:
    """``decode_binary`` as an SDK ``CloudEvent`` (for tools and tests; consumers use the
    envelope and data directly)."""
    envelope, data = decode_binary(headers, key, value)
    return CloudEvent(envelope.as_cloudevent_attributes(), data)


def is_sampled(traceparent: str | None) -> bool:
    """Whether the W3C ``traceparent`` asks for the trace to be recorded (flag 01): per-event
    spans are made only then, so an unsampled stream costs a span per batch, not per event."""
    return traceparent is not None and len(traceparent) == 55 and int(traceparent[-2:], 16) & 1 == 1


def trace_context_of(event: CloudEvent | EnvelopeAttributes) -> Context:
    """The trace context the producer attached, to continue the trace in a consumer."""
    if isinstance(event, EnvelopeAttributes):
        values = {EXT_TRACEPARENT: event.traceparent, EXT_TRACESTATE: event.tracestate}
    else:
        values = {name: event.get_extension(name) for name in (EXT_TRACEPARENT, EXT_TRACESTATE)}
    return extract_trace_context({k: str(v) for k, v in values.items() if v is not None})
