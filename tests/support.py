"""Helpers shared by the integration tests (real broker only)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy.engine import make_url

from keten_core.consumer import BatchHandler, ConsumedEvent, EventConsumer
from keten_core.kafka import topic_partitions


def each(handle: Callable[[ConsumedEvent], Awaitable[None]]) -> BatchHandler:
    """A batch handler that handles the events one after the other."""

    async def handle_batch(events: Sequence[ConsumedEvent]) -> None:
        for event in events:
            await handle(event)

    return handle_batch


async def read_all(
    bootstrap: str, topic: str, count: int, timeout_s: float = 20.0
) -> list[ConsumerRecord]:
    """Read ``topic`` from the start until ``count`` records arrived, plus any stragglers, so
    that a test asserting an exact count also catches duplicates."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(records) < count:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
        for batch in (await consumer.getmany(timeout_ms=1000)).values():
            records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def read_to_end(bootstrap: str, topic: str, timeout_s: float = 20.0) -> list[ConsumerRecord]:
    """Every record on ``topic`` up to its end at the time of the call, in partition order
    (an empty list when the topic does not exist yet)."""
    tps = await topic_partitions(bootstrap, topic)
    records: list[ConsumerRecord] = []
    if not tps:
        return records
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        async with asyncio.timeout(timeout_s):
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for batch in (await consumer.getmany(*tps, timeout_ms=500)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def run_consumer_until(
    consumer: EventConsumer, condition: Awaitable[object], timeout_s: float = 30.0
) -> None:
    """Run ``consumer`` until ``condition`` completes, then stop it the way a service does."""
    async with consumer.running(), asyncio.timeout(timeout_s):
        await condition


class TcpProxy:
    """A TCP proxy on 127.0.0.1 (ephemeral port) in front of a real server, to make that
    server unreachable for one client without touching the server: ``block()`` aborts every
    connection through the proxy (both ends, so the server sees its client go and releases
    that session's locks) and refuses new ones; ``unblock()`` accepts them again."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.BaseTransport] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.accepted = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def url_for(self, url: str) -> str:
        """``url`` (an SQLAlchemy URL of the upstream server) with the proxy as host and port."""
        return (
            make_url(url)
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )

    async def block(self) -> None:
        """Abort every current connection and stop listening (new connections are refused)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()  # type: ignore[attr-defined]
        self._transports.clear()
        await asyncio.sleep(0)

    async def unblock(self) -> None:
        """Listen again, on the same port."""
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        await self.block()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer.transport, up_writer.transport)
        self._transports.update(pair)
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            self._tasks.difference_update(pumps)
            for transport in pair:
                transport.abort()  # type: ignore[attr-defined]
                self._transports.discard(transport)

    @staticmethod
    async def _pump(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                target.write(data)
                await target.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            target.transport.abort()  # type: ignore[attr-defined]


async def migration_differences(
    server_url: str, migrations: Any, models_module: str
) -> tuple[list[Any], set[str]]:
    """Migrate a fresh database with a service's branch (twice: the second is a no-op) and
    compare it with the tables of ``models_module`` (other services register theirs on the same
    ``Base``). Returns the differences and the service's heads in ``alembic_version`` (the
    kit's branch left out)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import text

    from keten_core.db import Base, create_engine, migrate
    from keten_core.testing import fresh_database

    tabellen = {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ == models_module
    }
    assert tabellen, f"no models in {models_module}"

    def ours(name: Any, kind: str, parent: Any) -> bool:
        return kind != "table" or str(name) in tabellen

    def ours_object(obj: Any, name: Any, kind: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if kind == "table" else getattr(obj, "table", None)
        return table is None or str(table.name) in tabellen

    async with fresh_database(server_url) as url:
        engine = create_engine(url)
        try:
            await migrate(engine, [migrations])
            await migrate(engine, [migrations])  # idempotent: already at head

            def diff(connection: Any) -> Any:
                context = MigrationContext.configure(
                    connection, opts={"include_name": ours, "include_object": ours_object}
                )
                return compare_metadata(context, Base.metadata)

            async with engine.connect() as connection:
                differences = await connection.run_sync(diff)
                versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
                # The kit's own branch (keten_core_*) is checked by test_migrations; a newer
                # core revision than the service's depends_on is a head of its own.
                heads = {row[0] for row in versions if not row[0].startswith("keten_core_")}
        finally:
            await engine.dispose()
    return differences, heads
