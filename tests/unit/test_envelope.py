"""The CloudEvents codec: NL GOV attributes, binary content mode, no personal data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.trace import TracerProvider

from keten_contracts.events import get_event_type
from keten_contracts.parties import Rol
from keten_core.envelope import (
    InvalidEvent,
    decode_binary,
    event_from_kafka,
    event_to_kafka,
    new_event,
    trace_context_of,
)

OIN_GEMEENTE = "00000001002220647000"
SOURCE = f"urn:nld:oin:{OIN_GEMEENTE}:systeem:dossier-bron"


def pip_event(**overrides: object):
    fields: dict[str, object] = {
        "type": "nl.inburgering.pip.vastgesteld.v1",
        "source": SOURCE,
        "subject": "pip-7f3c2a",
        "partitionkey": "dos-2e4f6a",
        "dataref": "https://dossier.example.nl/api/v1/pips/pip-7f3c2a",
        "data": {"pipId": "pip-7f3c2a", "dossierId": "dos-2e4f6a", "versie": 1},
        "gemeentecode": "0363",
    }
    fields.update(overrides)
    return new_event(**fields)  # type: ignore[arg-type]


def test_binary_mode_carries_every_profile_attribute_as_ce_header():
    event = pip_event()
    record = event_to_kafka(event)
    headers = dict(record.headers)

    # NL GOV CloudEvents 1.1: the key is the producer's person-level id (the dossier), carried
    # in ``partitionkey``; the subject stays the resource id.
    assert record.key == b"dos-2e4f6a"
    assert headers["ce_partitionkey"] == b"dos-2e4f6a"
    assert headers["content-type"] == b"application/json"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_source"] == SOURCE.encode()
    assert headers["ce_type"] == b"nl.inburgering.pip.vastgesteld.v1"
    assert headers["ce_subject"] == b"pip-7f3c2a"
    assert headers["ce_dataref"].startswith(b"https://dossier.example.nl/")
    assert headers["ce_gemeentecode"] == b"0363"
    assert headers["ce_dataschema"].endswith(b"/nl.inburgering.pip.vastgesteld.v1.json")
    uuid.UUID(headers["ce_id"].decode())

    decoded = event_from_kafka(record.headers, record.key, record.value)
    assert decoded.get_attributes() == event.get_attributes()
    assert decoded.get_data() == {"pipId": "pip-7f3c2a", "dossierId": "dos-2e4f6a", "versie": 1}


def test_fixed_id_and_time_survive_the_round_trip():
    event_id = uuid.uuid4()
    when = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    record = event_to_kafka(pip_event(id=event_id, time=when))
    decoded = event_from_kafka(record.headers, record.key, record.value)
    assert decoded.get_id() == str(event_id)
    assert decoded.get_time() == when


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("subject", "111222333", "subject"),  # a valid BSN (elfproef)
        ("dataref", "https://dossier.example.nl/personen/111222333", "dataref"),
        ("source", "gemeente-amsterdam", "source"),
        ("type", "PipVastgesteld", "type"),
        ("gemeentecode", "363", "gemeentecode"),
        ("partitionkey", "111222333", "partitionkey"),
        ("partitionkey", "", "partitionkey"),
        ("dataref", "niet een url", "dataref"),
        ("dataref", "/api/v1/pips/pip-7f3c2a", "dataref"),  # relative: no host to fetch from
        ("time", datetime(2026, 11, 23, 9, 30), "time"),  # no time zone
    ],
)
def test_profile_violations_are_refused_naming_the_attribute(field, value, named):
    with pytest.raises(ValueError, match=named):
        pip_event(**{field: value})


def test_aanbiedersoort_must_be_a_kind_of_aanbieder():
    with pytest.raises(ValueError, match="aanbiedersoort"):
        pip_event(aanbiedersoort=Rol.DUO)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"type": "nl.inburgering.dossier.verzonnen.v1"}, "unknown event type"),
        ({"data": {"pipId": "pip-7f3c2a", "dossierId": "dos-2e4f6a"}}, "data.versie"),
        ({"data": {"pipId": "pip-7f3c2a", "dossierId": "d", "versie": 1, "bsn": "x"}}, "bsn"),
        ({"gemeentecode": None}, "gemeentecode: required"),
        ({"aanbiedersoort": Rol.MAP_AANBIEDER}, "aanbiedersoort"),
        ({"dataref": "https://dossier.example.nl/api/v1/dossiers/pip-7f3c2a"}, "dataref"),
    ],
)
def test_producers_cannot_emit_what_the_catalogue_does_not_define(overrides, named):
    with pytest.raises(InvalidEvent, match=named):
        pip_event(**overrides)


def test_consumers_read_tolerantly_what_versioning_calls_compatible():
    # VERSIONING.md: a new optional data field and a new event type are compatible changes, so
    # a consumer on this release must not refuse them (it ignores the field, skips the type).
    record = event_to_kafka(pip_event())
    value = b'{"pipId": "pip-7f3c2a", "dossierId": "dos-2e4f6a", "versie": 1, "nieuw": "x"}'
    envelope, data = decode_binary(record.headers, record.key, value)
    model = get_event_type(envelope.type).reader_model
    assert model.model_validate(data).model_dump(by_alias=True) == {
        "pipId": "pip-7f3c2a",
        "dossierId": "dos-2e4f6a",
        "versie": 1,
    }
    headers = [
        (k, b"nl.inburgering.pip.herzien.v1" if k == "ce_type" else v) for k, v in record.headers
    ]
    envelope, _ = decode_binary(headers, record.key, record.value)
    assert envelope.type == "nl.inburgering.pip.herzien.v1"
    # Producers stay strict: the same field is refused when emitting.
    with pytest.raises(InvalidEvent, match="nieuw"):
        pip_event(data={"pipId": "pip-7f3c2a", "dossierId": "dos-2e4f6a", "versie": 1, "nieuw": 1})


def test_routing_extensions_are_checked_strictly_on_the_wire():
    record = event_to_kafka(pip_event())
    headers = [(k, v) for k, v in record.headers if k != "ce_gemeentecode"]
    with pytest.raises(InvalidEvent, match="gemeentecode"):
        decode_binary(headers, record.key, record.value)


def test_a_header_without_a_value_is_an_invalid_event_not_a_crash():
    # Kafka allows null header values; the SDK's decoder raised AttributeError on them, which
    # made the consumer crash-loop on that record.
    record = event_to_kafka(pip_event())
    with pytest.raises(InvalidEvent, match="ce_dataref"):
        decode_binary([*record.headers[:-1], ("ce_dataref", None)], record.key, record.value)
    # A header that is not the event's is none of the codec's business.
    decode_binary([*record.headers, ("x-other", None)], record.key, record.value)


def test_a_time_without_a_utc_equivalent_is_an_invalid_event():
    # Valid RFC 3339, but past the last UTC instant: it stalled the router's delivery log.
    record = event_to_kafka(pip_event())
    headers = [
        (k, b"9999-12-31T23:59:59-01:00" if k == "ce_time" else v) for k, v in record.headers
    ]
    with pytest.raises(InvalidEvent, match="time"):
        decode_binary(headers, record.key, record.value)


def test_unknown_extension_on_the_wire_is_invalid():
    record = event_to_kafka(pip_event())
    headers = [*record.headers, ("ce_bsn", b"111222333")]
    with pytest.raises(InvalidEvent, match="bsn"):
        event_from_kafka(headers, record.key, record.value)


def test_missing_dataref_on_the_wire_is_invalid():
    record = event_to_kafka(pip_event())
    headers = [(k, v) for k, v in record.headers if k != "ce_dataref"]
    with pytest.raises(InvalidEvent, match="dataref"):
        event_from_kafka(headers, record.key, record.value)


def test_key_must_be_the_partitionkey():
    record = event_to_kafka(pip_event())
    with pytest.raises(InvalidEvent, match="partitionkey"):
        event_from_kafka(record.headers, b"pip-7f3c2a", record.value)  # the subject: not the key
    with pytest.raises(InvalidEvent, match="partitionkey"):
        event_from_kafka(record.headers, None, record.value)
    without = [(k, v) for k, v in record.headers if k != "ce_partitionkey"]
    with pytest.raises(InvalidEvent, match="partitionkey"):
        event_from_kafka(without, record.key, record.value)


def test_one_persons_events_share_a_key_whatever_their_resource():
    # Order per person per producer: the PIP and an opdracht of one dossier land on one
    # partition; the subject (resource id) differs.
    pip = event_to_kafka(pip_event())
    opdracht = event_to_kafka(
        new_event(
            type="nl.inburgering.opdracht.verstrekt.v1",
            source=SOURCE,
            subject="opd-3a91",
            partitionkey="dos-2e4f6a",
            dataref="https://dossier.example.nl/api/v1/opdrachten/opd-3a91",
            data={"opdrachtId": "opd-3a91"},
            gemeentecode="0363",
            aanbiedersoort=Rol.TAALAANBIEDER,
            aanbiederoin="00000003273280410000",
        )
    )
    assert pip.key == opdracht.key == b"dos-2e4f6a"


def test_profile_conformant_sequence_attributes_are_accepted():
    # NL GOV profile: sequence/sequencetype are optional attributes a producer may send.
    record = event_to_kafka(pip_event(sequence="42"))
    headers = [*record.headers, ("ce_sequencetype", b"Integer")]
    envelope, _ = decode_binary(headers, record.key, record.value)
    assert (envelope.sequence, envelope.sequencetype) == ("42", "Integer")
    bad = [(k, b"not-a-number" if k == "ce_sequence" else v) for k, v in headers]
    with pytest.raises(InvalidEvent, match="sequence"):
        decode_binary(bad, record.key, record.value)


def test_dataschema_points_at_the_producing_service_when_given_its_base():
    event = pip_event(schema_base_url="http://127.0.0.1:8001/contracts/schemas/")
    assert event.get_dataschema() == (
        "http://127.0.0.1:8001/contracts/schemas/events/nl.inburgering.pip.vastgesteld.v1.json"
    )


@pytest.mark.parametrize(
    ("headers", "value"),
    [
        ([], b'{"a": 1}'),
        ([("ce_specversion", b"1.0")], b"{}"),
        ("valid", b"not json"),
        ("valid", b"[1, 2]"),
    ],
)
def test_garbage_is_invalid_not_a_crash(headers, value):
    record = event_to_kafka(pip_event())
    with pytest.raises(InvalidEvent):
        event_from_kafka(record.headers if headers == "valid" else headers, record.key, value)


def test_trace_context_is_attached_and_recovered():
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("command") as span:
        event = pip_event()
    traceparent = event.get_extension("traceparent")
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert traceparent is not None and trace_id in traceparent

    record = event_to_kafka(event)
    assert dict(record.headers)["ce_traceparent"] == traceparent.encode()
    context = trace_context_of(event_from_kafka(record.headers, record.key, record.value))
    with tracer.start_as_current_span("handler", context=context) as child:
        assert child.get_span_context().trace_id == span.get_span_context().trace_id
        assert child.parent is not None
        assert child.parent.span_id == span.get_span_context().span_id


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("111222333", True),
        ("pip-111222333", True),
        ("https://bron.example/personen/111222333/pip", True),
        ("bsn: 111222333.", True),
        ("pip-a111222333f", False),  # inside a hex token: an opaque id, not a BSN
        ("0111222333", False),  # ten digits
        ("123456789", False),  # fails the elfproef
    ],
)
def test_bsn_detection_finds_standalone_bsns_not_digits_inside_opaque_ids(text, found):
    from keten_contracts.envelope import contains_bsn

    assert contains_bsn(text) is found


def test_random_opaque_ids_are_never_taken_for_a_bsn():
    # A uuid4's groups are 8, 4 and 12 characters long: never a nine-digit token.
    for _ in range(20_000):
        pip_id = f"pip-{uuid.uuid4()}"
        pip_event(
            subject=pip_id,
            partitionkey=f"dos-{uuid.uuid4()}",
            dataref=f"https://d.example.nl/api/v1/pips/{pip_id}",
            data={"pipId": pip_id, "dossierId": f"dos-{uuid.uuid4().hex}", "versie": 1},
        )
