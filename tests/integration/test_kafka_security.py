"""A service reaches a SASL cluster by configuration alone (``KETEN_KAFKA_SECURITY_PROTOCOL``,
``_SASL_*``, ``_SSL_*``): every Kafka client of the kit takes the settings, and a wrong
password is a clear error, never a silent fallback. Runs against the SASL_PLAINTEXT (SCRAM)
listener of the project's broker; the broker has no TLS listener, so TLS is covered by the
settings' unit tests only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka.errors import KafkaError
from pydantic import SecretStr

from keten_contracts.events.catalogue import TOPICS
from keten_core.consumer import EventConsumer
from keten_core.health import kafka_check
from keten_core.kafka import EventProducer, TopicSpec, ensure_topics
from keten_core.settings import KetenSettings
from keten_core.testing import fresh_database
from tests.integration.test_broker_outage import an_event
from tests.integration.test_coa_adapter import Coa, build, new_prefix
from tests.integration.test_service import free_port, serving
from tests.support import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        yield url


def over_sasl(sasl: tuple[str, str, str], password: str | None = None) -> KetenSettings:
    _, user, secret = sasl
    return KetenSettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username=user,
        kafka_sasl_password=SecretStr(password or secret),
    )


async def test_the_kits_clients_work_over_sasl_scram(sasl: tuple[str, str, str]) -> None:
    bootstrap = sasl[0]
    security = over_sasl(sasl).kafka_client_options()
    assert security["security_protocol"] == "SASL_PLAINTEXT"
    topic = f"sasl.{uuid.uuid4().hex}"
    assert await ensure_topics(bootstrap, [TopicSpec(topic, 1)], security=security) == [topic]
    await kafka_check(bootstrap, security=security)()

    async with EventProducer(bootstrap, client_id="sasl-test", security=security) as producer:
        await producer.publish(topic, an_event("map-1"))

    seen: list[str] = []
    done = asyncio.Event()

    async def handler(events: Any) -> None:
        seen.extend(str(e.envelope.id) for e in events)
        done.set()

    async with EventProducer(bootstrap, security=security) as dead_letters:
        consumer = EventConsumer(
            bootstrap,
            [topic],
            group_id=f"sasl-{uuid.uuid4().hex[:8]}",
            handler=handler,
            dead_letters=dead_letters,
            dead_letter_topic=f"{topic}.dlq",
            security=security,
        )
        await consumer.start()
        runner = asyncio.create_task(consumer.run())
        try:
            await asyncio.wait_for(done.wait(), 30)
        finally:
            await consumer.stop()
            await runner
    assert len(seen) == 1


async def test_a_wrong_password_fails_and_the_log_says_why(
    sasl: tuple[str, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """aiokafka raises "Unable to bootstrap" and logs the broker's reason; the service's log
    (the stdlib's records go through the kit's logging) is where an operator reads it."""
    security = over_sasl(sasl, password="not-the-password").kafka_client_options()
    topic = f"sasl.{uuid.uuid4().hex}"
    with pytest.raises(KafkaError, match="Unable to bootstrap"):
        await ensure_topics(sasl[0], [TopicSpec(topic, 1)], security=security)
    with pytest.raises(KafkaError, match="Unable to bootstrap"):
        await kafka_check(sasl[0], security=security)()
    assert "SaslAuthenticationFailed" in caplog.text
    assert "invalid credentials" in caplog.text


async def test_a_service_publishes_over_sasl_from_its_settings(
    sasl: tuple[str, str, str], database: str, kafka_bootstrap_servers: str
) -> None:
    """coa-adapter with only its settings changed: its producer, topic creation and relay use
    the SASL listener (the plaintext one is not configured anywhere in the service)."""
    prefix, port = new_prefix(), free_port()
    service = build(database, sasl[0], port, prefix=prefix)
    security = {"kafka_security_protocol", "kafka_sasl_mechanism", "kafka_sasl_username"}
    update = over_sasl(sasl).model_dump(include=security | {"kafka_sasl_password"})
    service.settings = service.settings.model_copy(update=update)
    async with serving(service, port) as client:
        coa = Coa(client)
        statushouder = await coa.aanmaken()
        await coa.koppelen(statushouder["statushouderId"], "0363")
        # Read back over plaintext: what the service published over SASL is on the topic.
        records = await read_all(kafka_bootstrap_servers, prefix + TOPICS["coa"], 2)
    types = sorted(dict(r.headers)["ce_type"].decode() for r in records)
    assert types == [
        "nl.inburgering.klantprofiel.aangeboden.v1",
        "nl.inburgering.koppeling.vastgesteld.v1",
    ]
