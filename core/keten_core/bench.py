"""``keten bench core``: throughput and latency of the service kit next to raw aiokafka, measured
in one run on the same broker and database, so that the noisy raw side and the kit are compared
under the same conditions. It prints figures; it asserts nothing (a benchmark is not a test).

Paths measured, all on the same pre-built CloudEvent records (binary content mode):

- raw aiokafka produce (pipelined ``send``), and ``EventProducer.send_many`` of the same records,
  with the process CPU per event of each;
- raw ``getmany`` of those records, the kit's consumer with a no-op batch handler (tracing on: a
  span per batch), and the consumer with the inbox (an ``EventRouter`` whose unit of work claims
  every event, ``synchronous_commit`` on, every event new);
- the outbox relay: staged rows to acknowledged records;
- commit-to-receipt latency at a steady rate: a unit of work commits an event, the relay (woken
  on commit) publishes it, a consumer receives it.

Topics and the database are fresh for every run and removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY

from keten_contracts.envelope import source_urn
from keten_core.consumer import ConsumedEvent, EventConsumer
from keten_core.db import create_engine, migrate, session_factory
from keten_core.envelope import event_to_kafka, new_event
from keten_core.kafka import EventProducer, TopicSpec, ensure_topics
from keten_core.metrics import RelayMetrics
from keten_core.outbox import OutboxRelay, OutboxSignal
from keten_core.routing import EventRouter
from keten_core.service import tune_garbage_collector
from keten_core.settings import KetenSettings
from keten_core.telemetry import configure_telemetry
from keten_core.testing import fresh_database
from keten_core.uow import UnitOfWork

if TYPE_CHECKING:
    from keten_core.cli import Subparsers

EVENT_TYPE = "nl.inburgering.pip.gewijzigd.v1"
SOURCE = source_urn("00000001002220647000", "dossier-bron")
Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]


def _now() -> datetime:
    return datetime.now(UTC)


def build_events(count: int, keys: int = 200) -> list[Any]:
    """``count`` valid thin events over ``keys`` dossiers (so they spread over partitions)."""
    events = []
    for n in range(count):
        pip = f"pip-{n % keys:05d}"
        dossier = f"dos-{n % keys:05d}"
        events.append(
            new_event(
                type=EVENT_TYPE,
                source=SOURCE,
                subject=pip,
                partitionkey=dossier,
                dataref=f"https://dossier.example.nl/api/v1/pips/{pip}",
                data={"pipId": pip, "dossierId": dossier, "versie": n // keys + 1},
                gemeentecode="0363",
            )
        )
    return events


def build_records(topic: str, count: int) -> list[Record]:
    out = []
    for event in build_events(count):
        record = event_to_kafka(event)
        out.append((topic, record.key or b"", record.value or b"", record.headers))
    return out


@dataclass
class Figure:
    name: str
    per_second: float | None = None
    cpu_us_per_event: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    note: str = ""


class Bench:
    def __init__(self, bootstrap: str, server_url: str, events: int, partitions: int) -> None:
        self.bootstrap = bootstrap
        self.server_url = server_url
        self.events = events
        self.partitions = partitions
        self.prefix = f"bench{uuid.uuid4().hex[:8]}."
        self.topic = f"{self.prefix}nl.inburgering.gemeente"
        self.figures: list[Figure] = []
        self.created: list[str] = []

    async def topic_for(self, name: str) -> str:
        full = f"{self.prefix}{name}"
        await ensure_topics(self.bootstrap, [TopicSpec(full, self.partitions)])
        self.created.append(full)
        return full

    # -- produce ----------------------------------------------------------------------------

    async def produce(self) -> None:
        raw_topic = await self.topic_for("raw")
        kit_topic = await self.topic_for("kit")
        raw_records = build_records(raw_topic, self.events)
        kit_records = [(kit_topic, k, v, h) for _, k, v, h in raw_records]

        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all"
        )
        await producer.start()
        try:
            _, key, value, headers = build_records(raw_topic, 1)[0]
            await producer.send_and_wait(raw_topic, value, key=key, headers=headers)
            wall, cpu = time.perf_counter(), time.process_time()
            futures = [
                await producer.send(t, value=v, key=k, headers=h) for t, k, v, h in raw_records
            ]
            await asyncio.gather(*futures)
            raw = self._figure("raw aiokafka produce", wall, cpu)
        finally:
            await producer.stop()

        async with EventProducer(self.bootstrap, client_id="bench") as kit:
            await kit.send_raw(kit_topic, b"warm-up", b"{}", [])
            wall, cpu = time.perf_counter(), time.process_time()
            results = await kit.send_many(kit_records)
            kit_figure = self._figure("EventProducer.send_many", wall, cpu)
        failed = sum(isinstance(r, Exception) for r in results)
        assert raw.cpu_us_per_event and kit_figure.cpu_us_per_event
        kit_figure.note = f"{kit_figure.cpu_us_per_event / raw.cpu_us_per_event:.2f}x raw CPU"
        if failed:
            kit_figure.note += f"; {failed} failed"
        self.raw_topic = raw_topic

    def _figure(self, name: str, wall: float, cpu: float) -> Figure:
        elapsed = time.perf_counter() - wall
        figure = Figure(
            name,
            per_second=self.events / elapsed,
            cpu_us_per_event=(time.process_time() - cpu) / self.events * 1e6,
        )
        self.figures.append(figure)
        return figure

    # -- consume ----------------------------------------------------------------------------

    async def raw_getmany(self) -> Figure:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False
        )
        await consumer.start()
        try:
            partitions = [TopicPartition(self.raw_topic, p) for p in range(self.partitions)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            seen = 0
            started: float | None = None
            while seen < self.events + 1:  # + the warm-up record
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                if started is None and batches:
                    started = time.perf_counter()
                seen += sum(len(records) for records in batches.values())
            assert started is not None
            figure = Figure(
                "raw aiokafka getmany", per_second=seen / (time.perf_counter() - started)
            )
        finally:
            await consumer.stop()
        self.figures.append(figure)
        return figure

    async def kit_consumer(
        self, name: str, handler_for: Callable[[asyncio.Event, list[int]], Any]
    ) -> Figure:
        done, first_batch = asyncio.Event(), asyncio.Event()
        counter = [0]
        inner = handler_for(done, counter)

        async def handler(events: Sequence[ConsumedEvent]) -> None:
            await inner(events)
            first_batch.set()

        dead = await self.topic_for("deadletter")
        async with EventProducer(self.bootstrap, client_id="bench-dlq") as dead_letters:
            consumer = EventConsumer(
                self.bootstrap,
                [self.raw_topic],
                group_id=f"bench-{uuid.uuid4().hex[:8]}",
                handler=handler,
                dead_letters=dead_letters,
                dead_letter_topic=dead,
            )
            async with consumer.running(), asyncio.timeout(600):
                await first_batch.wait()
                started, first = time.perf_counter(), counter[0]
                await done.wait()
                elapsed = time.perf_counter() - started
        figure = Figure(name, per_second=(counter[0] - first) / elapsed)
        self.figures.append(figure)
        return figure

    def counting(self, done: asyncio.Event, counter: list[int]) -> Any:
        async def handle(events: Sequence[ConsumedEvent]) -> None:
            counter[0] += len(events)
            if counter[0] >= self.events:
                done.set()

        return handle

    # -- database paths -----------------------------------------------------------------------

    async def with_database(self) -> None:
        async with fresh_database(self.server_url) as url:
            engine = create_engine(url)
            try:
                await migrate(engine)
                sessions = session_factory(engine)
                # Latency first, in steady state: after the relay's burst of deletes the
                # database vacuums the outbox for a while, which shows in the tail.
                await self.latency(engine, sessions, rate=200, seconds=5)
                await self.inbox(sessions)
                await self.relay(engine, sessions)
            finally:
                await engine.dispose()

    async def inbox(self, sessions: Any) -> None:
        events = EventRouter()

        @events.on(EVENT_TYPE)
        async def noop(data: Any, envelope: Any, uow: UnitOfWork) -> None:
            return None

        def handler_for(done: asyncio.Event, counter: list[int]) -> Any:
            handle = events.batch_handler(
                lambda: UnitOfWork(sessions, source=None, now=_now, consumer="bench"),
                group="bench",
            )

            async def counted(batch: Sequence[ConsumedEvent]) -> None:
                await handle(batch)
                counter[0] += len(batch)
                if counter[0] >= self.events:
                    done.set()

            return counted

        await self.kit_consumer("consumer + inbox (EventRouter, unit of work)", handler_for)

    async def relay(self, engine: Any, sessions: Any) -> None:
        await self.topic_for("nl.inburgering.gemeente")
        staged = build_events(self.events)
        for start in range(0, len(staged), 1000):
            async with UnitOfWork(sessions, source=None, now=_now, topic_prefix=self.prefix) as uow:
                for event in staged[start : start + 1000]:
                    uow.emit_event(event)
        service = f"bench-relay-{uuid.uuid4().hex[:8]}"
        RelayMetrics.shared()  # registered, so the sample exists

        def sample() -> float:
            value = REGISTRY.get_sample_value("keten_outbox_published_total", {"service": service})
            return value or 0.0

        async with EventProducer(self.bootstrap, client_id="bench-relay") as producer:
            # The relay as a service runs it: lock, pipelined batches, marking after acks.
            relay = OutboxRelay(engine, producer, service=service, batch_size=1000)
            await producer.send_raw(self.topic, b"warm-up", b"{}", [])
            started = time.perf_counter()
            task = asyncio.create_task(relay.run())
            try:
                async with asyncio.timeout(600):
                    while (published := sample()) < self.events:  # noqa: ASYNC110
                        await asyncio.sleep(0.002)
                elapsed = time.perf_counter() - started
            finally:
                relay.stop()
                await task
        self.figures.append(Figure("outbox relay (rows to acks)", per_second=published / elapsed))

    async def latency(self, engine: Any, sessions: Any, *, rate: int, seconds: float) -> None:
        topic = await self.topic_for("latency.nl.inburgering.gemeente")
        prefix = f"{self.prefix}latency."
        committed: dict[str, float] = {}
        received: dict[str, float] = {}
        total = int(rate * seconds)
        all_in = asyncio.Event()

        async def handle(events: Sequence[ConsumedEvent]) -> None:
            now = time.perf_counter()
            for event in events:
                received.setdefault(event.id, now)
            if len(received) >= total:
                all_in.set()

        dead = await self.topic_for("latency.deadletter")
        async with EventProducer(self.bootstrap, client_id="bench-latency") as producer:
            relay = OutboxRelay(engine, producer, service="bench-latency", poll_interval_s=5)
            signal = OutboxSignal(engine, relay)
            consumer = EventConsumer(
                self.bootstrap,
                [topic],
                group_id=f"bench-{uuid.uuid4().hex[:8]}",
                handler=handle,
                dead_letters=producer,
                dead_letter_topic=dead,
            )
            await consumer.start()
            tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(relay.run())]
            pauses = _collector_pauses()
            try:
                async with asyncio.timeout(60):
                    # Polls state that two clients change in the background.
                    while not relay.active or not consumer.assignment():  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
                events = build_events(total)
                interval = 1 / rate
                next_at = time.perf_counter()
                for event in events:
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                    next_at += interval
                    async with UnitOfWork(
                        sessions, source=None, now=_now, signal=signal, topic_prefix=prefix
                    ) as uow:
                        uow.emit_event(event)
                    committed[event.get_id()] = time.perf_counter()
                async with asyncio.timeout(60):
                    await all_in.wait()
            finally:
                relay.stop()
                await consumer.stop()
                await asyncio.gather(*tasks, return_exceptions=True)
                await signal.close()
        gc.callbacks.remove(pauses.record)
        delays = sorted((received[i] - committed[i]) * 1000 for i in committed if i in received)
        quantiles = statistics.quantiles(delays, n=100)
        self.figures.append(
            Figure(
                f"commit -> consumer receipt at {rate}/s",
                p50_ms=statistics.median(delays),
                p99_ms=quantiles[98],
                note=f"{len(delays)} events, max {delays[-1]:.1f} ms; {pauses}",
            )
        )

    async def cleanup(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            with suppress(Exception):
                await admin.delete_topics(sorted(set(self.created)))
        finally:
            await admin.close()

    async def run(self) -> list[Figure]:
        configure_telemetry("keten-bench", "none")  # tracing on: spans are made, not exported
        # The process runs as a KetenService does once started; the raw paths share it.
        tune_garbage_collector()
        try:
            await self.produce()
            raw = await self.raw_getmany()
            kit = await self.kit_consumer("consumer, no-op handler", self.counting)
            await self.with_database()
        finally:
            await self.cleanup()
        assert raw.per_second
        by_name = {f.name: f for f in self.figures}
        for figure in (kit, by_name["consumer + inbox (EventRouter, unit of work)"]):
            figure.note = f"{100 * (figure.per_second or 0) / raw.per_second:.1f} % of raw getmany"
        produce = by_name["raw aiokafka produce"].per_second or 1
        relay = by_name["outbox relay (rows to acks)"]
        relay.note = f"{100 * (relay.per_second or 0) / produce:.1f} % of raw produce"
        return self.figures


class _Pauses:
    """The garbage collector's pauses during a measurement (the tail's usual suspect)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def record(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self._started) * 1000)

    def __str__(self) -> str:
        longest = max(self.pauses, default=0.0)
        return f"{len(self.pauses)} collector runs, longest {longest:.1f} ms"


def _collector_pauses() -> _Pauses:
    pauses = _Pauses()
    gc.callbacks.append(pauses.record)
    return pauses


def format_table(figures: Sequence[Figure]) -> str:
    rows = [("path", "events/s", "CPU us/event", "p50 ms", "p99 ms", "")]
    for f in figures:
        rows.append(
            (
                f.name,
                f"{f.per_second:,.0f}" if f.per_second else "",
                f"{f.cpu_us_per_event:.1f}" if f.cpu_us_per_event else "",
                f"{f.p50_ms:.2f}" if f.p50_ms is not None else "",
                f"{f.p99_ms:.2f}" if f.p99_ms is not None else "",
                f.note,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmarks that print figures (the kit next to raw aiokafka)",
        description="Runs against KETEN_KAFKA_BOOTSTRAP_SERVERS / KETEN_DATABASE_URL, or the "
        "local servers (started when not running).",
    )
    parser.add_argument("target", choices=["core"], help="what to measure")
    parser.add_argument(
        "--events", type=int, default=50_000, help="events per path (short runs are noisy)"
    )
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.set_defaults(handler=run)


def bench_servers() -> KetenSettings:
    """Quiet logs, and the servers a benchmark runs against: those of
    ``KETEN_KAFKA_BOOTSTRAP_SERVERS`` / ``KETEN_DATABASE_URL``, or the local ones, started when
    not running. Every ``bench`` command begins with it."""
    import logging
    import os

    from keten_core.infra import LocalKafka, LocalPostgres, local_servers
    from keten_core.logging import configure_logging

    configure_logging("WARNING", json=False)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    local = [s.name for s in (LocalKafka, LocalPostgres) if s.env_var not in os.environ]
    for server in local_servers(local):
        server.start()
    return KetenSettings()


def run(args: argparse.Namespace) -> int:
    settings = bench_servers()
    bench = Bench(
        settings.kafka_bootstrap_servers, settings.database_url, args.events, args.partitions
    )
    figures = asyncio.run(bench.run())
    if args.json:
        print(json.dumps({"events": args.events, "figures": [vars(f) for f in figures]}))
    else:
        print(f"keten bench core: {args.events} events per path, {args.partitions} partitions")
        print(format_table(figures))
    return 0
