"""Kafka I/O against a real broker: binary-mode round trip, dead letters per error class,
trace context, stopping with a batch in hand."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from opentelemetry import trace

from keten_core.consumer import ConsumedEvent, EventConsumer
from keten_core.dlq import DLQ_ERROR, DLQ_OFFSET, DLQ_PARTITION, DLQ_REASON, DLQ_TOPIC
from keten_core.envelope import CloudEvent, event_from_kafka, new_event
from keten_core.kafka import EventProducer, PermanentError, TopicSpec, ensure_topics
from tests.support import each, read_all, run_consumer_until

pytestmark = pytest.mark.kafka

SOURCE = "urn:nld:oin:00000001002220647000:systeem:dossier-bron"


def an_event(subject: str = "pip-1", **data: object) -> CloudEvent:
    return new_event(
        type="nl.inburgering.pip.vastgesteld.v1",
        source=SOURCE,
        subject=subject,
        partitionkey=subject,
        dataref=f"https://dossier.example.nl/api/v1/pips/{subject}",
        data={"pipId": subject, "dossierId": "dos-1", "versie": 1, **data},
        gemeentecode="0363",
    )


@pytest.fixture
async def topics(kafka_bootstrap_servers: str) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:12]
    topic, dead = f"test.events.{suffix}", f"test.deadletter.{suffix}"
    created = await ensure_topics(
        kafka_bootstrap_servers, [TopicSpec(topic, partitions=3), TopicSpec(dead, partitions=1)]
    )
    assert sorted(created) == sorted([topic, dead])
    # Idempotent: a second service starting up creates nothing.
    assert await ensure_topics(kafka_bootstrap_servers, [TopicSpec(topic)]) == []
    return topic, dead


@pytest.fixture
async def producer(kafka_bootstrap_servers: str):
    async with EventProducer(kafka_bootstrap_servers, client_id="test") as p:
        yield p


def consumer_for(
    bootstrap: str,
    topics: tuple[str, str],
    producer: EventProducer,
    handler,
    *,
    group: str | None = None,
    **options: float,
) -> EventConsumer:
    """A consumer of the test's topic that parks failures in the test's dead-letter topic."""
    topic, dead = topics
    return EventConsumer(
        bootstrap,
        [topic],
        group_id=group or f"test-{uuid.uuid4().hex[:8]}",
        handler=handler,
        dead_letters=producer,
        dead_letter_topic=dead,
        **options,
    )


async def test_cloudevent_round_trip_in_binary_mode(kafka_bootstrap_servers, topics, producer):
    topic, _ = topics
    event = an_event("pip-roundtrip", versie=2)
    metadata = await producer.publish(topic, event)
    assert metadata.offset >= 0

    [record] = await read_all(kafka_bootstrap_servers, topic, 1)
    headers = dict(record.headers)
    assert record.key == b"pip-roundtrip"
    for name in (
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
        "ce_dataschema",
        "ce_dataref",
        "ce_gemeentecode",
        "content-type",
    ):
        assert name in headers, name
    decoded = event_from_kafka(record.headers, record.key, record.value)
    assert decoded.get_attributes() == event.get_attributes()
    assert decoded.get_data() == {"pipId": "pip-roundtrip", "dossierId": "dos-1", "versie": 2}


async def test_poison_message_is_dead_lettered_and_the_next_one_processed(
    kafka_bootstrap_servers, topics, producer
):
    topic, dead = topics
    poison_key = b"pip-poison"
    await producer.send_raw(topic, poison_key, b"{not json", [("ce_specversion", b"1.0")])
    good = an_event("pip-poison")  # same key: same partition, after the poison message
    await producer.publish(topic, good)

    handled: list[ConsumedEvent] = []
    done = asyncio.Event()

    async def handler(event: ConsumedEvent) -> None:
        handled.append(event)
        done.set()

    group = f"test-{uuid.uuid4().hex[:8]}"
    consumer = consumer_for(kafka_bootstrap_servers, topics, producer, each(handler), group=group)
    await run_consumer_until(consumer, done.wait())

    assert [e.id for e in handled] == [good.get_id()]
    [parked] = await read_all(kafka_bootstrap_servers, dead, 1)
    headers = dict(parked.headers)
    assert parked.key == poison_key and parked.value == b"{not json"
    assert headers[DLQ_REASON] == b"invalid-event"
    assert headers[DLQ_TOPIC] == topic.encode()
    assert headers[DLQ_OFFSET] == b"0"
    assert b"NL GOV profile" in headers[DLQ_ERROR] or b"decode" in headers[DLQ_ERROR]

    # Both offsets are committed: a restarted consumer does not see them again.
    check = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap_servers, group_id=group)
    await check.start()
    try:
        partition = int(headers[DLQ_PARTITION])
        assert await check.committed(TopicPartition(topic, partition)) == 2
    finally:
        await check.stop()


async def test_each_error_class_gets_its_treatment(kafka_bootstrap_servers, topics, producer):
    # Transient faults are retried without limit (here 5 times, more than the bug budget) and
    # never parked; a handler bug is retried a bounded number of times, then parked; a
    # PermanentError is parked at once.
    topic, dead = topics
    flaky, broken, refused = an_event("pip-flaky"), an_event("pip-broken"), an_event("pip-no")
    for event in (flaky, broken, refused):
        await producer.publish(topic, event)

    calls: dict[str, int] = {}
    alone: dict[str, int] = {}  # calls with the event alone in its batch (after a batch failed)
    applied: set[str] = set()
    flaky_applied = asyncio.Event()

    async def handler(events) -> None:
        for event in events:
            subject = event.envelope.subject
            calls[subject] = calls.get(subject, 0) + 1
            if len(events) == 1:
                alone[subject] = alone.get(subject, 0) + 1
            if subject == "pip-broken":
                raise RuntimeError("a bug in the handler")
            if subject == "pip-no":
                raise PermanentError("unknown gemeente")
            if subject == "pip-flaky" and calls[subject] <= 5:
                raise ConnectionRefusedError("database unreachable")
            applied.add(subject)
            flaky_applied.set()

    consumer = consumer_for(
        kafka_bootstrap_servers,
        topics,
        producer,
        handler,
        bug_attempts=3,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
    )
    parked: list = []

    async def two_parked_and_flaky_applied() -> None:
        parked.extend(await read_all(kafka_bootstrap_servers, dead, 2))
        await flaky_applied.wait()

    await run_consumer_until(consumer, two_parked_and_flaky_applied())

    assert applied == {"pip-flaky"}
    # A failed batch is retried partition by partition and then one event at a time; the bug
    # budget counts those attempts, and a PermanentError is parked at its first.
    assert calls["pip-flaky"] >= 6
    assert alone["pip-broken"] == 3
    assert alone["pip-no"] == 1
    reasons = {r.key: dict(r.headers)[DLQ_REASON] for r in parked}
    assert reasons == {b"pip-broken": b"handler-failed", b"pip-no": b"rejected"}
    errors = {r.key: dict(r.headers)[DLQ_ERROR] for r in parked}
    assert b"RuntimeError: a bug in the handler" in errors[b"pip-broken"]
    assert b"PermanentError: unknown gemeente" in errors[b"pip-no"]


async def test_trace_context_survives_the_kafka_hop(
    kafka_bootstrap_servers, topics, producer, span_exporter
):
    topic, _ = topics
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("pip vaststellen") as command_span:
        event = an_event("pip-traced")
        await producer.publish(topic, event)
    origin = command_span.get_span_context()

    seen: list[trace.SpanContext] = []
    done = asyncio.Event()

    async def handler(events) -> None:
        # The consumer's batch span is current in the handler; the router adds a span per
        # sampled event (tests/integration/test_service.py).
        seen.append(events[0].envelope.traceparent)
        done.set()

    consumer = consumer_for(kafka_bootstrap_servers, topics, producer, handler)
    await run_consumer_until(consumer, done.wait())

    [traceparent] = seen
    assert traceparent is not None
    assert traceparent.split("-")[1] == format(origin.trace_id, "032x")
    spans = {
        s.name: s
        for s in span_exporter.get_finished_spans()
        if s.context.trace_id == origin.trace_id
    }
    assert spans[f"{topic} publish"].parent.span_id == origin.span_id
    batch = [s for s in span_exporter.get_finished_spans() if s.name == "process"]
    assert batch and batch[0].kind == trace.SpanKind.CONSUMER


async def test_stop_while_a_record_is_in_hand_commits_it_and_returns(
    kafka_bootstrap_servers, topics, producer
):
    topic, _ = topics
    await producer.publish(topic, an_event("pip-stop"))
    handled = asyncio.Event()

    async def handler(_) -> None:
        handled.set()  # the caller stops as soon as it sees this, before the handler returns
        await asyncio.sleep(0.05)  # e.g. the handler's database commit

    group = f"test-{uuid.uuid4().hex[:8]}"
    consumer = consumer_for(kafka_bootstrap_servers, topics, producer, handler, group=group)
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    async with asyncio.timeout(30):
        await handled.wait()
    async with asyncio.timeout(15):
        await consumer.stop()
        await task

    check = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap_servers, group_id=group)
    await check.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(3)]
        committed = [await check.committed(tp) for tp in partitions]
    finally:
        await check.stop()
    assert sorted(c for c in committed if c is not None) == [1]
