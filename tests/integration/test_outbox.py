"""Transactional outbox and inbox against real PostgreSQL and Kafka: nothing lost, nothing
applied twice, two relays never double-send, a relay crash after the broker's ack re-sends the
same event id."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from keten_core.db import create_engine, migrate, session_factory
from keten_core.envelope import CloudEvent, event_from_kafka, new_event
from keten_core.inbox import ProcessedEvent, idempotent
from keten_core.kafka import EventConsumer, EventProducer, TopicSpec, ensure_topics
from keten_core.outbox import OutboxMessage, OutboxRelay, add_event, purge_published
from tests.support import read_all, run_consumer_until

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SOURCE = "urn:nld:oin:00000001002220647000:systeem:dossier-bron"


def mijlpaal_event(pip: str, n: int) -> CloudEvent:
    """PIP version ``n + 1`` of the PIP ``pip``."""
    return new_event(
        type="nl.inburgering.gemeente.pip.gewijzigd.v1",
        source=SOURCE,
        subject=pip,
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
async def sessions(engine):
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE keten_outbox, keten_inbox, test_dossier, test_effect"))
    return session_factory(engine)


@pytest.fixture
async def topic(kafka_bootstrap_servers: str) -> str:
    name = f"test.outbox.{uuid.uuid4().hex[:12]}"
    await ensure_topics(kafka_bootstrap_servers, [TopicSpec(name), TopicSpec(name + ".dlq", 1)])
    return name


async def record_change(sessions, topic: str, dossier: str, n: int) -> CloudEvent:
    """What a service's unit of work does: state and event in one transaction."""
    event = mijlpaal_event(dossier, n)
    async with sessions.begin() as session:
        await session.execute(
            text(
                "INSERT INTO test_dossier VALUES (:id, :n)"
                " ON CONFLICT (id) DO UPDATE SET volgnummer = :n"
            ),
            {"id": dossier, "n": n},
        )
        add_event(session, topic, event)
    return event


async def unpublished(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.published_at.is_(None))
        )


async def test_state_and_event_commit_or_roll_back_together(sessions, topic):
    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO test_dossier VALUES ('d-1', 1)"))
            add_event(session, topic, mijlpaal_event("d-1", 1))
            raise RuntimeError("validation failed after the write")
    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM test_dossier")) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    event = await record_change(sessions, topic, "d-1", 1)
    async with sessions() as session:
        row = await session.scalar(select(OutboxMessage))
    assert str(row.event_id) == event.get_id() and row.published_at is None


async def test_relay_publishes_in_order_with_the_ids_fixed_at_write_time(
    kafka_bootstrap_servers, sessions, topic
):
    written = [await record_change(sessions, topic, "d-order", n) for n in range(5)]
    async with EventProducer(kafka_bootstrap_servers) as producer:
        assert await OutboxRelay(sessions, producer).relay_once() == 5
        assert await OutboxRelay(sessions, producer).relay_once() == 0
    assert await unpublished(sessions) == 0

    records = await read_all(kafka_bootstrap_servers, topic, 5)
    events = [event_from_kafka(r.headers, r.key, r.value) for r in records]
    assert [e.get_id() for e in events] == [e.get_id() for e in written]
    assert [e.get_data()["versie"] for e in events] == [1, 2, 3, 4, 5]


async def test_two_relays_at_once_publish_each_row_once(kafka_bootstrap_servers, sessions, topic):
    total = 120
    for n in range(total):
        await record_change(sessions, topic, f"d-{n % 7}", n)

    async def drain(producer: EventProducer) -> int:
        relay = OutboxRelay(sessions, producer, batch_size=7)
        sent = 0
        while batch := await relay.relay_once():
            sent += batch
        return sent

    async with (
        EventProducer(kafka_bootstrap_servers, client_id="relay-a") as a,
        EventProducer(kafka_bootstrap_servers, client_id="relay-b") as b,
    ):
        counts = await asyncio.gather(drain(a), drain(b))
    assert sum(counts) == total
    assert await unpublished(sessions) == 0

    records = await read_all(kafka_bootstrap_servers, topic, total)
    ids = [dict(r.headers)["ce_id"] for r in records]
    assert len(ids) == total and len(set(ids)) == total


CRASHING_RELAY = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from keten_core.db import create_engine, session_factory
    from keten_core.kafka import EventProducer
    from keten_core.outbox import OutboxRelay

    class DiesAfterAck(EventProducer):
        async def publish(self, topic, event):
            metadata = await super().publish(topic, event)
            print("acked", event.get_id(), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # before the row is marked published
            return metadata

    async def main():
        engine = create_engine(sys.argv[2])
        async with DiesAfterAck(sys.argv[1]) as producer:
            await OutboxRelay(session_factory(engine), producer).relay_once()

    asyncio.run(main())
    """
)


async def test_relay_killed_after_the_ack_loses_nothing_and_consumers_apply_once(
    kafka_bootstrap_servers, database_url, sessions, topic
):
    event = await record_change(sessions, topic, "d-crash", 1)

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
        assert await OutboxRelay(sessions, producer).relay_once() == 1
    assert await unpublished(sessions) == 0

    records = await read_all(kafka_bootstrap_servers, topic, 2)
    assert [dict(r.headers)["ce_id"] for r in records] == [event.get_id().encode()] * 2

    # A consumer sees both copies and applies the event once.
    deliveries: list[str] = []
    done = asyncio.Event()

    async def apply(session: AsyncSession, received: CloudEvent) -> None:
        await session.execute(
            text("INSERT INTO test_effect VALUES (:id, :d)"),
            {"id": received.get_id(), "d": received.get_subject()},
        )

    handle = idempotent(sessions, "test-consumer", apply)

    async def counting(received: CloudEvent) -> None:
        await handle(received)
        deliveries.append(received.get_id())
        if len(deliveries) == 2:
            done.set()

    async with EventProducer(kafka_bootstrap_servers) as dead_letters:
        consumer = EventConsumer(
            kafka_bootstrap_servers,
            [topic],
            group_id=f"test-{uuid.uuid4().hex[:8]}",
            handler=counting,
            dead_letters=dead_letters,
            dead_letter_topic=topic + ".dlq",
        )
        await run_consumer_until(consumer, done.wait())

    assert deliveries == [event.get_id()] * 2
    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM test_effect")) == 1
        claimed = (await session.scalars(select(ProcessedEvent))).all()
    assert [(c.source, c.event_id) for c in claimed] == [(SOURCE, event.get_id())]


async def test_purge_removes_only_rows_published_long_enough_ago(
    kafka_bootstrap_servers, sessions, topic
):
    for n in range(3):
        await record_change(sessions, topic, "pip-purge", n)
    async with EventProducer(kafka_bootstrap_servers) as producer:
        assert await OutboxRelay(sessions, producer, batch_size=2).relay_once() == 2
    async with sessions.begin() as session:
        # One published row is old, one recent; the third is not published at all.
        await session.execute(
            text(
                "UPDATE keten_outbox SET published_at = now() - interval '8 days'"
                " WHERE id = (SELECT min(id) FROM keten_outbox)"
            )
        )
    async with sessions.begin() as session:
        assert await purge_published(session, timedelta(days=7)) == 1
    async with sessions() as session:
        left = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [r.published_at is not None for r in left] == [True, False]
