"""Helpers shared by the integration tests (real broker only)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from keten_core.kafka import EventConsumer


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


async def run_consumer_until(
    consumer: EventConsumer, condition: Awaitable[object], timeout_s: float = 30.0
) -> None:
    """Run ``consumer`` until ``condition`` completes, then stop it the way a service does."""
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(timeout_s):
            await condition
    finally:
        await consumer.stop()
        await task
