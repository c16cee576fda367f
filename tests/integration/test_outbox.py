"""Transactional outbox and inbox against real PostgreSQL and Kafka: state and events commit
together, only catalogue events on their catalogue topic are staged, the relay publishes in
order with the ids fixed at write time, one relay is active at a time (per-key order), a
standby takes over, no bad row or database outage ends the relay, a row is marked only after
the broker's ack, a commit wakes the relay, a relay killed after the ack re-sends the same id
and an inbox applies it once, and the trace goes through; published rows are deleted."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest
from aiokafka import ConsumerRecord
from opentelemetry import trace
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from keten_contracts.events import get_event_type
from keten_core.consumer import ConsumedEvent, EventConsumer
from keten_core.db import create_engine, migrate, session_factory
from keten_core.envelope import CloudEvent, InvalidEvent, event_from_kafka, new_event
from keten_core.inbox import ProcessedEvent
from keten_core.kafka import EventProducer, TopicSpec, ensure_topics
from keten_core.outbox import (
    OutboxMessage,
    OutboxRelay,
    OutboxSignal,
    stage_event,
)
from keten_core.uow import UnitOfWork
from tests.support import TcpProxy, read_all, run_consumer_until

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SOURCE = "urn:nld:oin:00000001002220647000:systeem:dossier-bron"
PIP_GEWIJZIGD = "nl.inburgering.pip.gewijzigd.v1"
# The catalogue's topic of the type; each test puts its own prefix in front.
CATALOGUE_TOPIC = get_event_type(PIP_GEWIJZIGD).topic

Sessions = async_sessionmaker[AsyncSession]


def now() -> datetime:
    return datetime.now(UTC)


def mijlpaal_event(pip: str, n: int) -> CloudEvent:
    """PIP version ``n + 1`` of the PIP ``pip``."""
    return new_event(
        type=PIP_GEWIJZIGD,
        source=SOURCE,
        subject=pip,
        partitionkey=pip,
        dataref=f"https://dossier.example.nl/api/v1/pips/{pip}",
        data={"pipId": pip, "dossierId": "dos-1", "versie": n + 1},
        gemeentecode="0363",
    )


@pytest.fixture(scope="module")
async def engine(database_url: str):
    engine = create_engine(database_url)
    await migrate(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS test_dossier"
                " (id text PRIMARY KEY, volgnummer int NOT NULL)"
            )
        )
        await conn.execute(
            text("CREATE TABLE IF NOT EXISTS test_effect (event_id text, dossier text)")
        )
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessions(engine: AsyncEngine) -> Sessions:
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE keten_outbox, keten_inbox, test_dossier, test_effect"))
    return session_factory(engine)


@pytest.fixture
def prefix() -> str:
    """This test's topic prefix: its events go to topics no other test uses."""
    return f"t{uuid.uuid4().hex[:8]}."


@pytest.fixture
async def topic(kafka_bootstrap_servers: str, prefix: str) -> str:
    """The (prefixed) catalogue topic of the test's events, created, with a dead-letter topic."""
    name = prefix + CATALOGUE_TOPIC
    await ensure_topics(
        kafka_bootstrap_servers, [TopicSpec(name), TopicSpec(name + ".dlq", partitions=1)]
    )
    return name


@pytest.fixture
def lock_key() -> int:
    """A relay lock key of this test's own (relays of one test share it)."""
    return random.randrange(1, 2**62)


@pytest.fixture
def make_relay(engine: AsyncEngine, lock_key: int) -> Callable[..., OutboxRelay]:
    def make(producer: EventProducer, **options: object) -> OutboxRelay:
        settings: dict[str, object] = {
            "engine": engine,
            "service": "test",
            "lock_key": lock_key,
            "poll_interval_s": 0.1,
            "standby_interval_s": 0.1,
            "max_backoff_s": 0.5,
            **options,
        }
        return OutboxRelay(producer=producer, **settings)  # type: ignore[arg-type]

    return make


async def record_change(
    sessions: Sessions,
    prefix: str,
    pip: str,
    n: int,
    *,
    signal: OutboxSignal | None = None,
) -> CloudEvent:
    """What a service's unit of work does: state and event in one transaction."""
    event = mijlpaal_event(pip, n)
    async with UnitOfWork(
        sessions, source=None, now=now, topic_prefix=prefix, signal=signal
    ) as uow:
        await uow.session.execute(
            text(
                "INSERT INTO test_dossier VALUES (:id, :n)"
                " ON CONFLICT (id) DO UPDATE SET volgnummer = :n"
            ),
            {"id": pip, "n": n},
        )
        uow.emit_event(event)
    return event


async def outbox_rows(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def row_of(sessions: Sessions, event: CloudEvent) -> OutboxMessage:
    """The event's outbox row; it must still be there (not yet published)."""
    row = await find_row(sessions, event)
    assert row is not None, "the row is gone: it was published"
    return row


async def find_row(sessions: Sessions, event: CloudEvent) -> OutboxMessage | None:
    async with sessions() as session:
        return await session.scalar(
            select(OutboxMessage).where(OutboxMessage.event_id == uuid.UUID(event.get_id()))
        )


async def unpublished(sessions: Sessions) -> int:
    """Rows still in the outbox: the relay deletes a row once the broker acknowledged it."""
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage))


async def eventually(
    condition: Callable[[], Awaitable[bool]], timeout_s: float, what: str, step_s: float = 0.05
) -> float:
    """Wait until ``condition()`` holds; returns the seconds it took."""
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        await asyncio.sleep(step_s)
    return time.monotonic() - started


async def published(sessions: Sessions, *events: CloudEvent) -> bool:
    for event in events:
        if await find_row(sessions, event) is not None:
            return False
    return True


async def stop_relays(*runs: tuple[OutboxRelay, asyncio.Task[None]]) -> None:
    for relay, _ in runs:
        relay.stop()
    async with asyncio.timeout(20):
        await asyncio.gather(*(task for _, task in runs))


def versions_per_key(records: Sequence[ConsumerRecord]) -> dict[str, list[int]]:
    """Per Kafka key, the ``versie`` of its records in the order the topic holds them (a key's
    records are in one partition, which ``read_all`` reads in order)."""
    per_key: dict[str, list[int]] = defaultdict(list)
    for record in records:
        per_key[record.key.decode()].append(json.loads(record.value)["versie"])
    return dict(per_key)


# -- writing ----------------------------------------------------------------------------------


async def test_state_and_event_commit_or_roll_back_together(sessions, prefix):
    with pytest.raises(RuntimeError):
        async with UnitOfWork(sessions, source=None, now=now, topic_prefix=prefix) as uow:
            await uow.session.execute(text("INSERT INTO test_dossier VALUES ('d-1', 1)"))
            uow.emit_event(mijlpaal_event("d-1", 0))
            raise RuntimeError("validation failed after the write")
    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM test_dossier")) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    event = await record_change(sessions, prefix, "d-1", 0)
    async with sessions() as session:
        assert await session.scalar(text("SELECT volgnummer FROM test_dossier")) == 0
    [row] = await outbox_rows(sessions)
    assert str(row.event_id) == event.get_id()
    assert row.parked_at is None and row.attempts == 0 and row.last_error is None
    assert (row.event_type, row.key) == (PIP_GEWIJZIGD, "d-1")
    # The exact Kafka record (binary content mode) as it was checked at write time.
    assert row.headers["ce_id"] == event.get_id() and row.headers["ce_subject"] == "d-1"
    assert json.loads(row.value) == {"pipId": "d-1", "dossierId": "dos-1", "versie": 1}
    # The catalogue's topic, behind the prefix.
    assert row.topic == prefix + "nl.inburgering.gemeente"


async def test_an_event_off_the_catalogue_is_refused_and_nothing_is_staged(sessions, prefix):
    good = mijlpaal_event("d-2", 0)
    off = CloudEvent(good.get_attributes(), {**good.get_data(), "naam": "Jan Jansen"})

    with pytest.raises(InvalidEvent, match="naam"):
        async with UnitOfWork(sessions, source=None, now=now, topic_prefix=prefix) as uow:
            await uow.session.execute(text("INSERT INTO test_dossier VALUES ('d-2', 1)"))
            uow.emit_event(off)
    assert uow.staged == []

    # ``emit`` (the service's way) refuses it too.
    with pytest.raises(InvalidEvent, match="naam"):
        async with UnitOfWork(sessions, source=SOURCE, now=now, topic_prefix=prefix) as uow:
            uow.emit(
                PIP_GEWIJZIGD,
                subject="d-2",
                partitionkey="d-2",
                dataref="https://dossier.example.nl/api/v1/pips/d-2",
                data={"pipId": "d-2", "dossierId": "dos-1", "versie": 1, "naam": "Jan Jansen"},
                gemeentecode="0363",
            )

    # And ``stage_event`` itself, even when the caller would commit anyway.
    async with sessions.begin() as session:
        with pytest.raises(InvalidEvent, match="naam"):
            stage_event(session, off, topic_prefix=prefix)
        assert not session.new

    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM test_dossier")) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_the_topic_is_the_catalogues_and_not_the_callers(sessions, prefix):
    assert "topic" not in inspect.signature(stage_event).parameters
    event = mijlpaal_event("d-3", 0)
    async with sessions.begin() as session:
        with pytest.raises(TypeError):
            stage_event(session, event, topic="elders")  # type: ignore[call-arg]
        stage_event(session, event, topic_prefix=prefix)
    async with UnitOfWork(sessions, source=SOURCE, now=now, topic_prefix=prefix) as uow:
        emitted = uow.emit(
            PIP_GEWIJZIGD,
            subject="d-3",
            partitionkey="d-3",
            dataref="https://dossier.example.nl/api/v1/pips/d-3",
            data={"pipId": "d-3", "dossierId": "dos-1", "versie": 2},
            gemeentecode="0363",
        )
    rows = await outbox_rows(sessions)
    assert [str(r.event_id) for r in rows] == [event.get_id(), emitted.get_id()]
    assert {r.topic for r in rows} == {prefix + get_event_type(PIP_GEWIJZIGD).topic}


# -- relaying ---------------------------------------------------------------------------------


async def test_relay_publishes_in_order_with_the_ids_fixed_at_write_time(
    kafka_bootstrap_servers, sessions, prefix, topic, make_relay
):
    written = [await record_change(sessions, prefix, "d-order", n) for n in range(5)]
    async with EventProducer(kafka_bootstrap_servers) as producer:
        relay = make_relay(producer)
        assert await relay.relay_on_own_connection() == (5, 0)
        assert await relay.relay_on_own_connection() == (0, 0)
    assert await unpublished(sessions) == 0

    records = await read_all(kafka_bootstrap_servers, topic, 5)
    events = [event_from_kafka(r.headers, r.key, r.value) for r in records]
    assert [e.get_id() for e in events] == [e.get_id() for e in written]
    assert [e.get_data()["versie"] for e in events] == [1, 2, 3, 4, 5]
    assert {r.key for r in records} == {b"d-order"}


async def test_two_running_relays_keep_per_key_order_and_publish_each_row_once(
    kafka_bootstrap_servers, sessions, prefix, topic, make_relay
):
    total, keys = 120, 7
    written = [await record_change(sessions, prefix, f"d-{n % keys}", n) for n in range(total)]

    async with (
        EventProducer(kafka_bootstrap_servers, client_id="relay-a") as producer_a,
        EventProducer(kafka_bootstrap_servers, client_id="relay-b") as producer_b,
    ):
        a = make_relay(producer_a, batch_size=7, standby_interval_s=0.02)
        b = make_relay(producer_b, batch_size=7, standby_interval_s=0.02)
        both_active = 0
        ever_active: set[str] = set()

        async def sample() -> None:
            nonlocal both_active
            while True:
                if a.active and b.active:
                    both_active += 1
                ever_active.update(name for name, r in (("a", a), ("b", b)) if r.active)
                await asyncio.sleep(0.001)

        sampler = asyncio.create_task(sample())
        runs = [(a, asyncio.create_task(a.run())), (b, asyncio.create_task(b.run()))]
        try:
            await eventually(
                lambda: _none_unpublished(sessions), 60, "all rows published", step_s=0.02
            )
        finally:
            # Sampled while they run: once stopped, the standby may take the released lock
            # for a moment before it sees that it is stopping too.
            sampler.cancel()
            await stop_relays(*runs)

    records = await read_all(kafka_bootstrap_servers, topic, total)
    ids = [dict(r.headers)["ce_id"].decode() for r in records]
    expected: dict[str, list[int]] = defaultdict(list)
    for n in range(total):
        expected[f"d-{n % keys}"].append(n + 1)
    assert sorted(ids) == sorted(e.get_id() for e in written), "each event exactly once"
    assert versions_per_key(records) == expected, "per key, the order it was written in"
    assert ever_active, "a relay was active"
    assert both_active == 0, "two relays were active at the same time"


async def _none_unpublished(sessions: Sessions) -> bool:
    return await unpublished(sessions) == 0


async def test_a_standing_by_relay_takes_over_when_the_active_one_stops(
    kafka_bootstrap_servers, sessions, prefix, topic, make_relay
):
    async with (
        EventProducer(kafka_bootstrap_servers, client_id="relay-a") as producer_a,
        EventProducer(kafka_bootstrap_servers, client_id="relay-b") as producer_b,
    ):
        a = make_relay(producer_a)
        b = make_relay(producer_b)
        run_a = asyncio.create_task(a.run())
        await eventually(lambda: _is(a.active), 10, "relay A active")
        run_b = asyncio.create_task(b.run())
        try:
            first = await record_change(sessions, prefix, "d-takeover", 0)
            await eventually(lambda: published(sessions, first), 5, "A publishes")
            await asyncio.sleep(0.5)  # B has tried the lock a few times by now
            assert a.active and not b.active

            a.stop()
            async with asyncio.timeout(10):
                await run_a
            assert not a.active
            took = await eventually(lambda: _is(b.active), 5, "relay B takes over")
            second = await record_change(sessions, prefix, "d-takeover", 1)
            await eventually(lambda: published(sessions, second), 5, "B publishes")
            assert not run_b.done()
        finally:
            await stop_relays((a, run_a), (b, run_b))
    assert took < 5

    records = await read_all(kafka_bootstrap_servers, topic, 2)
    assert [dict(r.headers)["ce_id"].decode() for r in records] == [
        first.get_id(),
        second.get_id(),
    ]


async def _is(value: bool) -> bool:
    return value


async def test_a_damaged_row_is_parked_its_key_waits_and_the_other_keys_go_on(
    kafka_bootstrap_servers, sessions, prefix, topic, make_relay
):
    written: dict[str, list[CloudEvent]] = defaultdict(list)
    for n in range(4):
        for pip in ("pip-bad", "pip-a", "pip-b"):
            written[pip].append(await record_change(sessions, prefix, pip, n))
    damaged = written["pip-bad"][1]
    original_headers = (await row_of(sessions, damaged)).headers
    async with sessions.begin() as session:
        await session.execute(
            text("UPDATE keten_outbox SET headers = '{\"ce_id\": 1}' WHERE event_id = :id"),
            {"id": uuid.UUID(damaged.get_id())},
        )

    async with EventProducer(kafka_bootstrap_servers) as producer:
        relay = make_relay(producer)
        running = asyncio.create_task(relay.run())
        try:
            others = [*written["pip-a"], *written["pip-b"], written["pip-bad"][0]]
            await eventually(lambda: published(sessions, *others), 15, "the other keys published")

            async def parked() -> bool:
                return (await row_of(sessions, damaged)).parked_at is not None

            await eventually(parked, 5, "the damaged row parked")
            await asyncio.sleep(1)  # ten polls: the key's later rows still wait
            row = await row_of(sessions, damaged)
            assert row.attempts == 1
            assert "unpublishable" in row.last_error
            assert "not a mapping of header name to text" in row.last_error
            for later in written["pip-bad"][2:]:
                waiting = await row_of(sessions, later)
                assert waiting.parked_at is None
            assert not running.done(), "the relay goes on"

            # New rows of other keys still go out.
            written["pip-a"].append(await record_change(sessions, prefix, "pip-a", 4))
            await eventually(lambda: published(sessions, written["pip-a"][-1]), 5, "new row")

            # An operator repairs the row and releases it: the key resumes, in order.
            async with sessions.begin() as session:
                await session.execute(
                    text(
                        "UPDATE keten_outbox SET headers = :h, parked_at = NULL"
                        " WHERE event_id = :id"
                    ),
                    {"h": json.dumps(original_headers), "id": uuid.UUID(damaged.get_id())},
                )
            await eventually(lambda: _none_unpublished(sessions), 5, "the key resumes")
            assert not running.done(), "the relay goes on"
        finally:
            await stop_relays((relay, running))

    records = await read_all(kafka_bootstrap_servers, topic, 13)
    assert versions_per_key(records) == {
        "pip-bad": [1, 2, 3, 4],
        "pip-a": [1, 2, 3, 4, 5],
        "pip-b": [1, 2, 3, 4],
    }


async def test_the_relay_survives_the_database_being_unreachable(
    kafka_bootstrap_servers, database_url, sessions, prefix, topic, lock_key
):
    url = make_url(database_url)
    async with TcpProxy(url.host, url.port) as proxy:
        relay_engine = create_engine(proxy.url_for(database_url))
        try:
            async with EventProducer(kafka_bootstrap_servers) as producer:
                relay = OutboxRelay(
                    relay_engine,
                    producer,
                    service="test",
                    lock_key=lock_key,
                    poll_interval_s=0.1,
                    max_backoff_s=0.5,
                )
                running = asyncio.create_task(relay.run())
                try:
                    before = await record_change(sessions, prefix, "d-outage", 0)
                    await eventually(lambda: published(sessions, before), 10, "relay works")
                    assert proxy.accepted >= 1  # the relay goes through the proxy

                    await proxy.block()
                    during = []
                    for n in range(1, 4):  # written straight to the server meanwhile
                        during.append(await record_change(sessions, prefix, "d-outage", n))
                        await asyncio.sleep(1)
                    assert await unpublished(sessions) == 3
                    assert not running.done(), "the relay waits the outage out"

                    await proxy.unblock()
                    await eventually(lambda: published(sessions, *during), 10, "relay resumes")
                    assert not running.done(), "the relay goes on"
                finally:
                    await stop_relays((relay, running))
        finally:
            await relay_engine.dispose()

    records = await read_all(kafka_bootstrap_servers, topic, 4)
    assert versions_per_key(records) == {"d-outage": [1, 2, 3, 4]}


async def test_a_row_is_marked_only_after_the_brokers_ack(
    kafka_bootstrap_servers, sessions, prefix, make_relay
):
    # A real broker that cannot acknowledge: the rows' topic does not exist (the broker does
    # not create topics on demand), so the producer gets no ack, only an error, within its
    # deadline. No fake: a producer pointed at a closed port already fails in start().
    written = [await record_change(sessions, prefix, "d-noack", n) for n in range(3)]
    async with EventProducer(
        kafka_bootstrap_servers, request_timeout_ms=1000, delivery_timeout_ms=5000
    ) as producer:
        relay = make_relay(producer)
        assert await relay.relay_on_own_connection() == (0, 3)
        rows = await outbox_rows(sessions)
        assert len(rows) == 3
        assert [r.attempts for r in rows] == [1] * 3
        assert all("did not acknowledge" in r.last_error for r in rows)
        assert [r.parked_at for r in rows] == [None] * 3  # an outage is not a refusal

        # Once the broker can take them, the same rows go out, in order.
        topic = prefix + CATALOGUE_TOPIC
        await ensure_topics(kafka_bootstrap_servers, [TopicSpec(topic)])
        assert await relay.relay_on_own_connection() == (3, 0)
    assert await unpublished(sessions) == 0
    records = await read_all(kafka_bootstrap_servers, topic, 3)
    assert [dict(r.headers)["ce_id"].decode() for r in records] == [e.get_id() for e in written]


async def test_a_commit_wakes_the_relay_in_this_process_and_through_notify(
    kafka_bootstrap_servers, database_url, engine, sessions, prefix, topic, make_relay
):
    other_engine = create_engine(database_url)  # as if another process of the service
    async with EventProducer(kafka_bootstrap_servers) as producer:
        relay = make_relay(producer, poll_interval_s=30)
        running = asyncio.create_task(relay.run())
        local = OutboxSignal(engine, relay)
        remote = OutboxSignal(other_engine)
        try:
            await eventually(lambda: _is(relay.active), 10, "relay active")
            await asyncio.sleep(0.3)  # it found nothing and waits (30 s poll)

            mine = await record_change(sessions, prefix, "d-wake", 0, signal=local)
            took_local = await eventually(lambda: published(sessions, mine), 5, "local wake")

            await asyncio.sleep(0.3)
            theirs = await record_change(
                session_factory(other_engine), prefix, "d-wake", 1, signal=remote
            )
            took_notify = await eventually(lambda: published(sessions, theirs), 5, "NOTIFY")
        finally:
            await stop_relays((relay, running))
            await local.close()
            await remote.close()
            await other_engine.dispose()
    assert took_local < 1
    assert took_notify < 1


CRASHING_RELAY = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from keten_core.db import create_engine
    from keten_core.kafka import EventProducer, PublishError
    from keten_core.outbox import OutboxRelay

    class DiesAfterAck(EventProducer):
        async def send_many(self, records):
            results = await super().send_many(records)
            assert not any(isinstance(r, PublishError) for r in results), results
            print("acked", *(dict(h)["ce_id"].decode() for *_, h in records), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # before the rows are marked published
            return results

    async def main():
        engine = create_engine(sys.argv[2])
        async with DiesAfterAck(sys.argv[1]) as producer:
            await OutboxRelay(engine, producer, service="crash").relay_on_own_connection()

    asyncio.run(main())
    """
)


async def test_relay_killed_after_the_ack_loses_nothing_and_consumers_apply_once(
    kafka_bootstrap_servers, database_url, sessions, prefix, topic, make_relay
):
    event = await record_change(sessions, prefix, "d-crash", 0)

    crashed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CRASHING_RELAY, kafka_bootstrap_servers, database_url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert f"acked {event.get_id()}" in crashed.stdout
    assert await unpublished(sessions) == 1  # the mark never happened

    async with EventProducer(kafka_bootstrap_servers) as producer:
        assert await make_relay(producer).relay_on_own_connection() == (1, 0)
    assert await unpublished(sessions) == 0

    records = await read_all(kafka_bootstrap_servers, topic, 2)
    assert [dict(r.headers)["ce_id"] for r in records] == [event.get_id().encode()] * 2

    # A consumer sees both copies and applies the event once.
    deliveries: list[str] = []
    done = asyncio.Event()

    async def handle(events: Sequence[ConsumedEvent]) -> None:
        async with UnitOfWork(sessions, source=None, now=now, consumer="test-consumer") as uow:
            for claimed in await uow.claim(events):
                await uow.session.execute(
                    text("INSERT INTO test_effect VALUES (:id, :d)"),
                    {"id": claimed.id, "d": claimed.envelope.subject},
                )
        deliveries.extend(e.id for e in events)
        if len(deliveries) >= 2:
            done.set()

    async with EventProducer(kafka_bootstrap_servers) as dead_letters:
        consumer = EventConsumer(
            kafka_bootstrap_servers,
            [topic],
            group_id=f"test-{uuid.uuid4().hex[:8]}",
            handler=handle,
            dead_letters=dead_letters,
            dead_letter_topic=topic + ".dlq",
        )
        await run_consumer_until(consumer, done.wait())

    assert deliveries == [event.get_id()] * 2
    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM test_effect")) == 1
        claimed = (await session.scalars(select(ProcessedEvent))).all()
    assert [(c.consumer, c.source, str(c.event_id)) for c in claimed] == [
        ("test-consumer", SOURCE, event.get_id())
    ]


async def test_the_trace_goes_through_the_outbox(
    kafka_bootstrap_servers, sessions, prefix, topic, make_relay, span_exporter
):
    with trace.get_tracer("test").start_as_current_span("write") as writing:
        event = await record_change(sessions, prefix, "d-trace", 0)
    async with EventProducer(kafka_bootstrap_servers) as producer:
        assert await make_relay(producer).relay_on_own_connection() == (1, 0)

    writer = writing.get_span_context()
    publishes = [s for s in span_exporter.get_finished_spans() if s.name == f"{topic} publish"]
    assert len(publishes) == 1
    [publish] = publishes
    assert publish.kind == trace.SpanKind.PRODUCER
    assert publish.parent is not None
    assert (publish.parent.trace_id, publish.parent.span_id) == (writer.trace_id, writer.span_id)
    assert publish.attributes["messaging.message.id"] == event.get_id()
    assert publish.attributes["messaging.destination.name"] == topic


async def test_a_record_too_large_for_kafka_is_parked_and_the_other_keys_go_on(
    kafka_bootstrap_servers, sessions, prefix, topic, make_relay
):
    """The broker (and aiokafka before it, past ``max_request_size``) refuses a record that is
    too large, on every attempt: the row is parked, its key waits, the other keys go on."""
    written: dict[str, list[CloudEvent]] = defaultdict(list)
    for n in range(3):
        for pip in ("pip-a", "pip-big"):
            written[pip].append(await record_change(sessions, prefix, pip, n))
    big = written["pip-big"][0]
    async with sessions.begin() as session:
        await session.execute(
            text("UPDATE keten_outbox SET value = :v WHERE event_id = :id"),
            {"v": b"{}" + b" " * 1_200_000, "id": uuid.UUID(big.get_id())},
        )

    async with EventProducer(kafka_bootstrap_servers) as producer:
        relay = make_relay(producer)
        running = asyncio.create_task(relay.run())
        try:
            await eventually(
                lambda: published(sessions, *written["pip-a"]), 10, "the other key published"
            )
            await asyncio.sleep(1)
            row = await row_of(sessions, big)
            assert row.parked_at is not None
            assert "too large" in row.last_error.lower()
            for later in written["pip-big"][1:]:
                waiting = await row_of(sessions, later)
                assert waiting.parked_at is None
            assert not running.done(), "the relay goes on"
        finally:
            await stop_relays((relay, running))

    records = await read_all(kafka_bootstrap_servers, topic, 3)
    assert versions_per_key(records) == {"pip-a": [1, 2, 3]}


@pytest.mark.parametrize(
    "spelling",
    [str.upper, lambda i: i.replace("-", ""), lambda i: f"urn:uuid:{i}"],
    ids=["upper-case", "no-hyphens", "urn"],
)
async def test_an_event_the_outbox_accepted_is_not_parked_for_the_spelling_of_its_id(
    kafka_bootstrap_servers, sessions, prefix, topic, make_relay, spelling
):
    written = mijlpaal_event("d-id", 0)
    event = CloudEvent(
        {**written.get_attributes(), "id": spelling(written.get_id())}, written.get_data()
    )
    try:
        async with UnitOfWork(sessions, source=None, now=now, topic_prefix=prefix) as uow:
            uow.emit_event(event)
    except InvalidEvent:
        return  # refused at write time, with the reason: as good as publishing it
    async with EventProducer(kafka_bootstrap_servers) as producer:
        assert await make_relay(producer).relay_on_own_connection() == (1, 0)
    assert await outbox_rows(sessions) == []  # published, so deleted: nothing parked
    [record] = await read_all(kafka_bootstrap_servers, topic, 1)
    decoded = event_from_kafka(record.headers, record.key, record.value).get_id()
    assert decoded == str(uuid.UUID(event.get_id()))
