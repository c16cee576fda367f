"""The event consumer under faults, against the real broker and database: a second replica
joining while the first holds a batch (also one that outlasts the revoke wait), a missing
dead-letter topic, a header without a value, the database going away mid-transaction, a crash
between the effect and the commit, events this release does not know, and a handler bug that
must not stall its partition for ever."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.engine import make_url

from keten_contracts.envelope import EnvelopeAttributes
from keten_contracts.events.data import PipData
from keten_core.consumer import ConsumedEvent, EventConsumer
from keten_core.db import create_engine, migrate, session_factory
from keten_core.dlq import DLQ_ERROR, DLQ_OFFSET, DLQ_REASON
from keten_core.envelope import CloudEvent, event_to_kafka, new_event
from keten_core.kafka import EventProducer, TopicSpec, ensure_topics
from keten_core.routing import EventRouter
from keten_core.uow import UnitOfWork
from tests.support import TcpProxy, read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SOURCE = "urn:nld:oin:00000001002220647000:systeem:dossier-bron"
GEWIJZIGD = "nl.inburgering.pip.gewijzigd.v1"
VASTGESTELD = "nl.inburgering.pip.vastgesteld.v1"  # catalogued; no handler in test 6
HERZIEN = "nl.inburgering.pip.herzien.v1"  # not in this release's catalogue

# Every consumer in this module: fast rebalance notice and retries, so faults play out in
# seconds.
FAST = {"heartbeat_interval_ms": 200, "backoff_initial_s": 0.1, "backoff_max_s": 1.0}

Record = tuple[str, bytes | None, bytes | None, list[tuple[str, bytes | None]]]


def pip_event(subject: str, versie: int = 1, type: str = GEWIJZIGD) -> CloudEvent:
    return new_event(
        type=type,
        source=SOURCE,
        subject=subject,
        partitionkey=subject,
        dataref=f"https://dossier.example.nl/api/v1/pips/{subject}",
        data={"pipId": subject, "dossierId": "dos-1", "versie": versie},
        gemeentecode="0363",
    )


def raw(topic: str, event: CloudEvent) -> Record:
    record = event_to_kafka(event)
    return topic, record.key, record.value, list(record.headers)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def member_of(
    group: str,
    bootstrap: str,
    topic: str,
    handle: Any,
    dead_letters: EventProducer,
    dead: str,
    **options: Any,
) -> EventConsumer:
    """A member of ``group`` consuming ``topic``, parking in ``dead``, with fast test timings."""
    return EventConsumer(
        bootstrap,
        [topic],
        group_id=group,
        handler=handle,
        dead_letters=dead_letters,
        dead_letter_topic=dead,
        **{**FAST, **options},
    )


async def send(producer: EventProducer, records: Sequence[Record]) -> None:
    for result in await producer.send_many(records):  # type: ignore[arg-type]
        if isinstance(result, BaseException):
            raise result


async def within(condition: Callable[[], bool | Awaitable[bool]], timeout_s: float) -> bool:
    """Whether ``condition`` came true within ``timeout_s`` (polled every 0.1 s)."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                outcome = condition()
                if not isinstance(outcome, bool):
                    outcome = await outcome
                if outcome:
                    return True
                await asyncio.sleep(0.1)
    except TimeoutError:
        return False


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]], what: str, timeout_s: float = 20.0
) -> None:
    if not await within(condition, timeout_s):
        raise AssertionError(f"waited {timeout_s:g} s for {what}")


async def committed_offsets(
    bootstrap: str, group: str, topic: str, partitions: int
) -> dict[int, int | None]:
    check = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await check.start()  # no subscription: it reads the group's offsets without joining
    try:
        return {p: await check.committed(TopicPartition(topic, p)) for p in range(partitions)}
    finally:
        await check.stop()


async def end_offsets(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    check = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await check.start()
    try:
        ends = await check.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
    finally:
        await check.stop()
    return {tp.partition: offset for tp, offset in ends.items()}


async def caught_up(bootstrap: str, group: str, topic: str, partitions: int) -> bool:
    """Whether the group committed every partition of ``topic`` up to its end offset."""
    ends = await end_offsets(bootstrap, topic, partitions)
    committed = await committed_offsets(bootstrap, group, topic, partitions)
    return all((committed[p] or 0) == ends[p] for p in range(partitions))


@asynccontextmanager
async def running(consumer: EventConsumer) -> AsyncIterator[asyncio.Task[None]]:
    """``consumer`` running in a task; stopped (bounded) on the way out."""
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        yield task
    finally:
        async with asyncio.timeout(20):
            await consumer.stop()
            if not task.done():
                await task


def assert_alive(task: asyncio.Task[None], name: str = "the consumer") -> None:
    if task.done():
        error = task.exception()
        raise AssertionError(f"{name}'s run() ended: {error!r}")


@pytest.fixture
async def producer(kafka_bootstrap_servers: str) -> AsyncIterator[EventProducer]:
    async with EventProducer(kafka_bootstrap_servers, client_id="test-faults") as p:
        yield p


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[Any]:
    engine = create_engine(database_url)
    await migrate(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS test_faults_pip ("
                " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " subject text NOT NULL, versie int NOT NULL)"
            )
        )
    yield engine
    await engine.dispose()


async def topics(
    bootstrap: str, make_topic_name: Callable[..., str], partitions: int = 3
) -> tuple[str, str]:
    topic, dead = make_topic_name("test.faults"), make_topic_name("test.faults.dlq")
    await ensure_topics(bootstrap, [TopicSpec(topic, partitions), TopicSpec(dead, 1)])
    return topic, dead


# --- 1. a second replica joins while the first holds a fetched batch ------------------------


def keys_by_partition(prefix: str, partitions: int, per_partition: int) -> dict[int, list[str]]:
    """Subjects that the producer's default partitioner (murmur2) puts on each partition."""
    everywhere = list(range(partitions))
    found: dict[int, list[str]] = {p: [] for p in everywhere}
    n = 0
    while any(len(keys) < per_partition for keys in found.values()):
        key = f"{prefix}-{n}"
        n += 1
        keys = found[DefaultPartitioner()(key.encode(), everywhere, everywhere)]
        if len(keys) < per_partition:
            keys.append(key)
    return found


@dataclass
class Handover:
    """What happened when B joined the group while A held a batch of wave 2."""

    handled: list[tuple[str, int, int, int]]  # (member, partition, offset, wave)
    b_partitions: set[int]
    a_alive: bool
    b_alive: bool
    a_error: BaseException | None
    committed: dict[int, int | None]
    ends: dict[int, int]

    def times_handled(self) -> dict[tuple[int, int], list[str]]:
        seen: dict[tuple[int, int], list[str]] = {}
        for member, partition, offset, _wave in self.handled:
            seen.setdefault((partition, offset), []).append(member)
        return seen


async def hand_over_mid_batch(
    bootstrap: str,
    producer: EventProducer,
    make_topic_name: Callable[..., str],
    *,
    fail_held_partition: int | None = None,
    **a_options: Any,
) -> Handover:
    """60 events in three waves of 20 over three partitions. A handles wave 1, then holds its
    batch of wave 2 (every partition) until B took partitions from it or 3 s passed (B joins
    meanwhile); wave 3 comes after the handover. Returns once all 60 offsets were handled (or 25 s).

    With ``fail_held_partition``, A's held batch of that partition then fails once with a
    transient error (the database went away meanwhile)."""
    topic, dead = await topics(bootstrap, make_topic_name)
    keys = keys_by_partition(unique("pip-r"), 3, 7)
    waves = {
        wave: [raw(topic, pip_event(k, wave)) for p in range(3) for k in keys[p][: 7 - p // 2]]
        for wave in (1, 2, 3)
    }
    assert [len(w) for w in waves.values()] == [20, 20, 20]
    group = unique("test-rebalance")
    handled: list[tuple[str, int, int, int]] = []
    a_in_wave_1, wave_2_sent, a_holds_wave_2 = asyncio.Event(), asyncio.Event(), asyncio.Event()
    failed: list[int] = []

    def handed_over() -> bool:
        """B has partitions, and A (whose sync may come a moment later) no longer has them."""
        taken = b._consumer.assignment()
        return bool(taken) and not taken & a._consumer.assignment()

    def recording(member: str):
        async def handle(events: Sequence[ConsumedEvent]) -> None:
            wave = events[0].data["versie"]
            if member == "A" and wave == 1:
                # Keep A in wave 1 until wave 2 is on the broker, so A's fetcher buffers wave 2
                # of every partition and A's next batch holds all three.
                a_in_wave_1.set()
                async with asyncio.timeout(15):
                    await wave_2_sent.wait()
                await asyncio.sleep(0.5)
            if member == "A" and wave == 2:
                a_holds_wave_2.set()
                await within(handed_over, 3)
                if events[0].record.partition == fail_held_partition and not failed:
                    failed.append(events[0].record.offset)
                    raise ConnectionRefusedError("database unreachable")
            await asyncio.sleep(0.3)  # e.g. the batch's database transaction
            handled.extend(
                (member, e.record.partition, e.record.offset, e.data["versie"]) for e in events
            )

        return handle

    def member(name: str, **options: Any) -> EventConsumer:
        return EventConsumer(
            bootstrap,
            [topic],
            group_id=group,
            handler=recording(name),
            dead_letters=producer,
            dead_letter_topic=dead,
            max_records=50,
            # Member ids start with the client id: A sorts first, so the round-robin assignor
            # gives B partition 1.
            client_id=f"test-{name.lower()}",
            **{**FAST, **options},
        )

    a, b = member("A", **a_options), member("B")
    await send(producer, waves[1])
    async with running(a) as task_a:
        async with asyncio.timeout(20):
            await a_in_wave_1.wait()
        await send(producer, waves[2])
        wave_2_sent.set()
        async with asyncio.timeout(20):
            await a_holds_wave_2.wait()
        async with running(b) as task_b:
            await send(producer, waves[3])
            await within(
                lambda: len({(p, o) for _m, p, o, _w in handled}) == 60 or task_a.done(), 25
            )
            await asyncio.sleep(1.0)  # a record handled twice shows by now
            outcome = Handover(
                handled=list(handled),
                b_partitions={tp.partition for tp in b._consumer.assignment()},
                a_alive=not task_a.done(),
                b_alive=not task_b.done(),
                a_error=task_a.exception() if task_a.done() else None,
                committed={},
                ends={},
            )
    outcome.ends = await end_offsets(bootstrap, topic, 3)
    outcome.committed = await committed_offsets(bootstrap, group, topic, 3)
    return outcome


async def test_rebalance_mid_batch_hands_over_without_double_handling_or_a_dead_member(
    kafka_bootstrap_servers, make_topic_name, producer
):
    outcome = await hand_over_mid_batch(kafka_bootstrap_servers, producer, make_topic_name)

    assert outcome.a_alive, f"A's run() ended: {outcome.a_error!r}"
    assert outcome.b_alive, "B's run() ended"
    seen = outcome.times_handled()
    twice = {k: v for k, v in seen.items() if len(v) > 1}
    assert not twice, f"(partition, offset) handled more than once: {sorted(twice.items())}"
    assert len(seen) == 60, f"{60 - len(seen)} records never handled"
    assert outcome.b_partitions == {1}
    # B started where A's commit (made while the rebalance waited for A's batch) left off.
    assert {(p, w) for m, p, _o, w in outcome.handled if m == "B"} == {(1, 3)}
    assert sum(outcome.ends.values()) == 60
    assert outcome.committed == outcome.ends


async def test_batch_outlasting_the_revoke_wait_costs_repeats_not_the_member(
    kafka_bootstrap_servers, make_topic_name, producer
):
    # A's batch of wave 2 outlasts revoke_wait_s: the group moves on, B gets partition 1 and
    # re-reads it from A's last commit, A's commit of the batch is refused ("Partition ... is
    # not assigned"). Delivery is at least once (the inbox makes a repeat harmless); A lives.
    outcome = await hand_over_mid_batch(
        kafka_bootstrap_servers, producer, make_topic_name, revoke_wait_s=0.5
    )

    assert outcome.a_alive, f"A's run() ended: {outcome.a_error!r}"
    assert outcome.b_alive, "B's run() ended"
    seen = outcome.times_handled()
    assert len(seen) == 60, f"{60 - len(seen)} records never handled"
    assert outcome.b_partitions == {1}
    waves = {(p, o): w for _m, p, o, w in outcome.handled}
    repeated = {k for k, members in seen.items() if len(members) > 1}
    assert repeated, "the scenario did not make A's batch outlast the rebalance"
    assert {waves[k] for k in repeated} == {2}, "only the batch A held may be repeated"
    assert outcome.committed == outcome.ends


async def test_failing_batch_outlasting_the_revoke_wait_does_not_kill_the_member(
    kafka_bootstrap_servers, make_topic_name, producer
):
    # As above, and A's held batch of partition 1 (B's by now) then fails transiently: A must
    # not try to pause and rewind a partition it no longer owns (aiokafka raises
    # IllegalStateError "No current assignment for partition ..."); B re-reads it anyway.
    outcome = await hand_over_mid_batch(
        kafka_bootstrap_servers,
        producer,
        make_topic_name,
        fail_held_partition=1,
        revoke_wait_s=0.5,
    )

    assert outcome.a_alive, f"A's run() ended: {outcome.a_error!r}"
    assert outcome.b_alive, "B's run() ended"
    assert len(outcome.times_handled()) == 60
    assert outcome.committed == outcome.ends


# --- 2. the dead-letter topic does not exist ------------------------------------------------


async def test_missing_dead_letter_topic_holds_the_partition_until_it_exists(
    kafka_bootstrap_servers, make_topic_name, producer
):
    bootstrap = kafka_bootstrap_servers
    topic = make_topic_name("test.faults")
    dead = make_topic_name("test.faults.dlq")  # not created (the broker does not auto-create)
    await ensure_topics(bootstrap, [TopicSpec(topic, 1)])
    await producer.send_raw(topic, b"pip-dlq", b"{not a cloudevent", [("x-origin", b"test")])
    good = pip_event("pip-dlq")
    await producer.publish(topic, good)

    group = unique("test-nodlq")
    handled: list[str] = []

    async def handle(events: Sequence[ConsumedEvent]) -> None:
        handled.extend(e.id for e in events)

    # Short producer deadlines, so each attempt to park fails in about a second.
    async with EventProducer(
        bootstrap, client_id="test-nodlq", request_timeout_ms=1000, delivery_timeout_ms=1500
    ) as dead_letters:
        consumer = member_of(group, bootstrap, topic, handle, dead_letters, dead)
        async with running(consumer) as task:
            await asyncio.sleep(4)  # several failed attempts to park the poison record
            assert_alive(task)
            assert handled == [], "the good event overtook the poison record before it"
            committed = (await committed_offsets(bootstrap, group, topic, 1))[0]
            assert committed in (None, 0), f"committed {committed} past the poison record"

            await ensure_topics(bootstrap, [TopicSpec(dead, 1)])
            await wait_for(lambda: handled == [good.get_id()], "the good event handled", 15)
            assert_alive(task)
            [parked] = await read_all(bootstrap, dead, 1, timeout_s=10)
            assert parked.key == b"pip-dlq" and parked.value == b"{not a cloudevent"
            assert dict(parked.headers)[DLQ_REASON] == b"invalid-event"
            assert dict(parked.headers)[DLQ_OFFSET] == b"0"
    assert handled == [good.get_id()]
    assert (await committed_offsets(bootstrap, group, topic, 1))[0] == 2


# --- 3. a header without a value ------------------------------------------------------------


async def test_header_without_a_value_is_dead_lettered_and_the_next_record_handled(
    kafka_bootstrap_servers, make_topic_name, producer
):
    bootstrap = kafka_bootstrap_servers
    topic, dead = await topics(bootstrap, make_topic_name, partitions=1)
    _, key, value, headers = raw(topic, pip_event("pip-null"))
    nulled = [(n, None if n == "ce_dataref" else v) for n, v in headers]
    await producer.send_raw(topic, key, value, nulled)  # type: ignore[arg-type]
    good = pip_event("pip-null", 2)
    await producer.publish(topic, good)

    handled: list[str] = []

    async def handle(events: Sequence[ConsumedEvent]) -> None:
        handled.extend(e.id for e in events)

    group = unique("test-null")
    consumer = member_of(group, bootstrap, topic, handle, producer, dead)
    async with running(consumer) as task:
        await wait_for(lambda: handled == [good.get_id()] or task.done(), "the good event", 20)
        assert_alive(task)
        [parked] = await read_all(bootstrap, dead, 1, timeout_s=10)
    parked_headers = dict(parked.headers)
    assert parked_headers[DLQ_REASON] == b"invalid-event"
    assert b"ce_dataref" in parked_headers[DLQ_ERROR]
    assert parked_headers["ce_dataref"] is None  # the original headers, as they came
    assert handled == [good.get_id()]
    assert (await committed_offsets(bootstrap, group, topic, 1))[0] == 2


# --- 4. the database is unreachable for a few seconds ---------------------------------------


async def test_database_outage_is_retried_in_per_key_order_without_dead_letters(
    kafka_bootstrap_servers, make_topic_name, producer, engine, database_url
):
    bootstrap = kafka_bootstrap_servers
    topic, dead = await topics(bootstrap, make_topic_name)
    run = uuid.uuid4().hex[:8]
    keys = [f"pip-db-{run}-{k}" for k in range(3)]
    upstream = make_url(database_url)

    async def rows() -> list[tuple[int, str, int]]:
        async with engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT seq, subject, versie FROM test_faults_pip"
                    " WHERE subject LIKE :run ORDER BY seq"
                ),
                {"run": f"pip-db-{run}-%"},
            )
            return [tuple(r) for r in result]  # type: ignore[misc]

    in_transaction = asyncio.Event()
    hold_a_transaction = False

    async with TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432) as proxy:
        proxied = create_engine(proxy.url_for(database_url), connect_args={"timeout": 3})
        sessions = session_factory(proxied)

        async def handle(events: Sequence[ConsumedEvent]) -> None:
            async with UnitOfWork(
                sessions, source=None, now=lambda: datetime.now(UTC), consumer="faults"
            ) as uow:
                for event in await uow.claim(events):
                    await uow.session.execute(
                        text("INSERT INTO test_faults_pip (subject, versie) VALUES (:s, :v)"),
                        {"s": event.envelope.subject, "v": event.data["versie"]},
                    )
                if hold_a_transaction and not in_transaction.is_set():
                    in_transaction.set()
                    await asyncio.sleep(1.0)  # the database goes away with this one open

        group = unique("test-db")
        consumer = member_of(group, bootstrap, topic, handle, producer, dead, max_records=4)
        try:
            async with running(consumer) as task:
                await send(producer, [raw(topic, pip_event(k, v)) for v in (1, 2) for k in keys])
                await wait_for(lambda: _count(rows(), 6), "versions 1 and 2 applied", 20)

                hold_a_transaction = True
                await send(producer, [raw(topic, pip_event(k, v)) for v in (3, 4, 5) for k in keys])
                async with asyncio.timeout(20):
                    await in_transaction.wait()
                await proxy.block()  # aborts the open transaction's connection, refuses new ones
                await asyncio.sleep(4)
                assert_alive(task)
                await proxy.unblock()

                await wait_for(
                    lambda: caught_up(bootstrap, group, topic, 3), "the group caught up", 20
                )
                assert_alive(task)
        finally:
            await proxied.dispose()

    parked = await read_all(bootstrap, dead, 0, timeout_s=3)
    assert parked == [], [(dict(r.headers)[DLQ_ERROR][:300], r.key) for r in parked]
    found = await rows()
    pairs = [(subject, versie) for _seq, subject, versie in found]
    assert sorted(pairs) == sorted((k, v) for k in keys for v in range(1, 6)), found
    for key in keys:
        assert [v for _seq, s, v in found if s == key] == [1, 2, 3, 4, 5], found


async def _count(rows: Awaitable[list[Any]], wanted: int) -> bool:
    return len(await rows) >= wanted


# --- 5. the offset is committed only after the effect ---------------------------------------

CRASHING_CONSUMER = textwrap.dedent(
    """
    import asyncio, os, signal, sys

    from keten_core.consumer import EventConsumer
    from keten_core.kafka import EventProducer

    bootstrap, topic, group, dead = sys.argv[1:5]


    async def handle(events):
        for event in events:
            if event.record.offset == 2:
                print("handling", event.record.offset, flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
            print("handled", event.record.offset, flush=True)


    async def main():
        async with EventProducer(bootstrap, client_id="crashing") as dead_letters:
            consumer = EventConsumer(
                bootstrap, [topic], group_id=group, handler=handle,
                dead_letters=dead_letters, dead_letter_topic=dead, max_records=1,
            )
            await consumer.start()
            await consumer.run()


    asyncio.run(main())
    """
)


async def test_a_crash_in_the_handler_leaves_the_record_uncommitted(
    kafka_bootstrap_servers, make_topic_name, producer
):
    bootstrap = kafka_bootstrap_servers
    topic, dead = await topics(bootstrap, make_topic_name, partitions=1)
    await send(producer, [raw(topic, pip_event("pip-crash", v)) for v in range(1, 6)])
    group = unique("test-crash")

    crashed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CRASHING_CONSUMER, bootstrap, topic, group, dead],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    assert crashed.stdout.split("\n")[:3] == ["handled 0", "handled 1", "handling 2"]

    first: list[int] = []
    received = asyncio.Event()

    async def handle(events: Sequence[ConsumedEvent]) -> None:
        first.extend(e.record.offset for e in events)
        received.set()

    consumer = member_of(group, bootstrap, topic, handle, producer, dead)
    async with running(consumer):
        async with asyncio.timeout(20):
            await received.wait()
    assert first[0] == 2, f"the restarted consumer started at offset {first[0]}"


# --- 6. the tolerant reader, end to end -----------------------------------------------------


async def test_router_reads_tolerantly_and_skips_what_it_has_no_handler_for(
    kafka_bootstrap_servers, make_topic_name, producer, engine
):
    bootstrap = kafka_bootstrap_servers
    topic, dead = await topics(bootstrap, make_topic_name, partitions=1)
    subject = unique("pip-tolerant")

    _, key, value, headers = raw(topic, pip_event(subject, 7))
    newer = json.dumps({**json.loads(value or b"{}"), "nieuwVeld": "later toegevoegd"}).encode()
    _, ukey, uvalue, uheaders = raw(topic, pip_event(subject, 8))
    unknown = [(n, HERZIEN.encode() if n == "ce_type" else v) for n, v in uheaders]
    no_handler = pip_event(subject, 9, type=VASTGESTELD)
    # Unknown type and unhandled type first, the extended record last (same key, in order).
    await send(
        producer,
        [(topic, ukey, uvalue, unknown), raw(topic, no_handler), (topic, key, newer, headers)],
    )

    group = unique("test-router")
    sessions = session_factory(engine)
    router = EventRouter()
    received: list[tuple[Any, EnvelopeAttributes]] = []

    @router.on(GEWIJZIGD)
    async def gewijzigd(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        received.append((data, envelope))

    def skipped(event_type: str) -> float:
        sample = REGISTRY.get_sample_value(
            "keten_consumer_events_skipped_total", {"group": group, "type": event_type}
        )
        return sample or 0.0

    before = {t: skipped(t) for t in (HERZIEN, VASTGESTELD)}
    consumer = EventConsumer(
        bootstrap,
        [topic],
        group_id=group,
        handler=router.batch_handler(
            lambda: UnitOfWork(
                sessions, source=None, now=lambda: datetime.now(UTC), consumer=group
            ),
            group=group,
        ),
        dead_letters=producer,
        dead_letter_topic=dead,
        **FAST,
    )
    async with running(consumer) as task:
        await wait_for(lambda: caught_up(bootstrap, group, topic, 1), "the group caught up", 20)
        assert_alive(task)

    parked = await read_all(bootstrap, dead, 0, timeout_s=3)
    assert parked == [], [
        (dict(r.headers)[DLQ_REASON], dict(r.headers)[DLQ_ERROR][:300]) for r in parked
    ]
    [(data, envelope)] = received
    assert isinstance(data, PipData)
    assert (data.pip_id, data.versie) == (subject, 7)
    assert not hasattr(data, "nieuw_veld") and "nieuwVeld" not in data.model_dump(by_alias=True)
    assert envelope.type == GEWIJZIGD
    assert skipped(HERZIEN) == before[HERZIEN] + 1
    assert skipped(VASTGESTELD) == before[VASTGESTELD] + 1


# --- 7. a handler bug is retried a bounded number of times ----------------------------------


async def test_a_handler_bug_parks_the_record_and_the_partition_moves_on(
    kafka_bootstrap_servers, make_topic_name, producer
):
    bootstrap = kafka_bootstrap_servers
    topic, dead = await topics(bootstrap, make_topic_name, partitions=1)
    broken, after = pip_event("pip-bug", 1), pip_event("pip-bug", 2)
    await send(producer, [raw(topic, broken), raw(topic, after)])

    attempts: list[str] = []
    handled: list[str] = []

    async def handle(events: Sequence[ConsumedEvent]) -> None:
        for event in events:
            if event.id == broken.get_id():
                attempts.append(event.id)
                raise RuntimeError("a bug in the handler")
        handled.extend(e.id for e in events)

    group = unique("test-bug")
    consumer = member_of(group, bootstrap, topic, handle, producer, dead, bug_attempts=3)
    async with running(consumer) as task:
        await wait_for(lambda: handled == [after.get_id()], "the next record handled", 15)
        assert_alive(task)
        [parked] = await read_all(bootstrap, dead, 1, timeout_s=10)
    assert dict(parked.headers)[DLQ_REASON] == b"handler-failed"
    assert b"RuntimeError: a bug in the handler" in dict(parked.headers)[DLQ_ERROR]
    assert dict(parked.headers)["ce_id"] == broken.get_id().encode()
    # Each round tries the batch, then the culprit alone; the alone-attempts are bounded.
    assert 3 <= len(attempts) <= 6
    assert (await committed_offsets(bootstrap, group, topic, 1))[0] == 2
