"""Private topics (keten_core.kafka_acl) on a broker of their own with SASL/SCRAM and the
standard authorizer: only the subscriber the router made the topic for can read it, while
plaintext clients keep working as before."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from keten_core.infra import LocalKafka
from keten_core.kafka_acl import ensure_private_topic, ensure_scram_user, sasl_client_options

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ROUTER = ("acl-router", "router-secret")
ABONNEE_A = ("abonnee-a", "secret-a")
ABONNEE_B = ("abonnee-b", "secret-b")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    server = LocalKafka(
        tmp_path_factory.mktemp("sasl") / "kafka",
        free_port(),
        free_port(),
        sasl_port=free_port(),
        router_user=ROUTER[0],
        router_password=ROUTER[1],
        heap="512m",
    )
    try:
        server.start()
        yield server
    finally:
        server.destroy()


def as_user(user: tuple[str, str]) -> dict[str, Any]:
    return sasl_client_options(*user)


async def produce(bootstrap: str, topic: str, values: list[bytes], **options: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **options)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def consume(
    bootstrap: str, topic: str, count: int, *, group: str, **options: Any
) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        **options,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            return [(await consumer.getone()).value for _ in range(count)]
    finally:
        await consumer.stop()


async def test_only_the_subscriber_reads_its_private_topic(broker: LocalKafka) -> None:
    sasl = broker.sasl_bootstrap_servers
    router = as_user(ROUTER)
    # The router (a super user) creates both subscribers' users, at runtime.
    await ensure_scram_user(sasl, *ABONNEE_A, **router)
    await ensure_scram_user(sasl, *ABONNEE_B, **router)
    topic_a = f"abonnement.a.{uuid.uuid4().hex[:8]}"
    topic_b = f"abonnement.b.{uuid.uuid4().hex[:8]}"
    await ensure_private_topic(sasl, topic_a, reader_principal="User:abonnee-a", **router)
    await ensure_private_topic(sasl, topic_a, reader_principal="User:abonnee-a", **router)
    await ensure_private_topic(sasl, topic_b, reader_principal="User:abonnee-b", **router)

    values = [b"notificatie-1", b"notificatie-2"]
    await produce(sasl, topic_a, values, **router)

    # A reads its topic through a group under its own prefix.
    got = await consume(sasl, topic_a, 2, group="abonnee-a.bezorging", **as_user(ABONNEE_A))
    assert sorted(got) == values  # three partitions: no order across them

    # B, authenticated and allowed on its own topic and group prefix, may not read A's topic.
    await produce(sasl, topic_b, [b"voor-b"], **router)
    assert await consume(sasl, topic_b, 1, group="abonnee-b.x", **as_user(ABONNEE_B)) == [b"voor-b"]
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(sasl, topic_a, 1, group="abonnee-b.bezorging", **as_user(ABONNEE_B))
    # Nor may A write to its own topic: only the router delivers.
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(sasl, topic_a, [b"vervalst"], **as_user(ABONNEE_A))


async def test_wrong_password_is_refused(
    broker: LocalKafka, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(KafkaConnectionError):
        await produce(broker.sasl_bootstrap_servers, "x", [b"x"], **as_user((ROUTER[0], "nope")))
    # aiokafka's bootstrap error drops the cause; it logs it.
    assert "SaslAuthenticationFailed" in caplog.text


async def test_plaintext_clients_keep_working_without_credentials(broker: LocalKafka) -> None:
    topic = f"gewoon.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    await produce(broker.bootstrap_servers, topic, [b"open"])
    assert await consume(broker.bootstrap_servers, topic, 1, group="willekeurig") == [b"open"]


def test_restart_of_existing_data_upserts_the_router_credential(tmp_path: Path) -> None:
    """Data formatted with another router password (as data formatted before the SASL listener
    existed has none): the next start gives the router its configured credential."""
    state, port, controller, sasl_port = tmp_path / "kafka", free_port(), free_port(), free_port()

    def server(password: str) -> LocalKafka:
        return LocalKafka(
            state, port, controller, sasl_port=sasl_port, router_password=password, heap="512m"
        )

    first = server("eerste-wachtwoord")
    try:
        first.start()
        first.stop()
        second = server("tweede-wachtwoord")
        assert second.start() is True
        options = sasl_client_options("keten-router", "tweede-wachtwoord")
        asyncio.run(
            ensure_scram_user(second.sasl_bootstrap_servers, "probe", "probe-pw", **options)
        )
    finally:
        first.destroy()
