"""The README's main job, `keten demo`, against the session's real servers."""

from __future__ import annotations

import asyncio

import pytest

from keten_core.demo import run_demo
from keten_core.settings import KetenSettings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_demo_round_trip_prints_the_received_cloudevent(
    kafka_bootstrap_servers, database_url
):
    settings = KetenSettings(
        kafka_bootstrap_servers=kafka_bootstrap_servers, database_url=database_url
    )
    lines: list[str] = []
    for _ in range(2):  # a second run reuses the topic, the consumer group and the outbox
        lines.clear()
        async with asyncio.timeout(90):
            event = await run_demo(settings, echo=lines.append)
        assert event.get_type() == "nl.inburgering.pip.vastgesteld.v1"
        printed = "\n".join(lines)
        assert f'"id": "{event.get_id()}"' in printed
        assert '"dataref": "http' in printed and '"gemeentecode": "0363"' in printed
