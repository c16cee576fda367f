"""A Kafka sink: a subscription delivered to a topic of its own that only its subscriber may
read (the router creates topic, SCRAM user and ACLs), on the project's broker with SASL and the
standard authorizer."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import TopicAuthorizationFailedError

from keten_core.envelope import decode_binary
from keten_core.kafka_acl import sasl_client_options
from tests.router_support import (
    ANDERE_MAP,
    MAP,
    MAP_OIN,
    Router,
    event,
    publish,
    router_process,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

OPDRACHT = "nl.inburgering.opdracht.verstrekt.v1"


@pytest.fixture(scope="module")
def router(
    router_db: str,
    kafka_bootstrap_servers: str,
    sasl: tuple[str, str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Router]:
    bootstrap, user, password = sasl
    with router_process(
        database=router_db,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        log_path=tmp_path_factory.mktemp("router") / "router.log",
        extra_env={
            "KETEN_ROUTER_KAFKA_BOOTSTRAP": bootstrap,
            "KETEN_ROUTER_KAFKA_GEBRUIKER": user,
            "KETEN_ROUTER_KAFKA_WACHTWOORD": password,
        },
    ) as running:
        yield running


async def read(access: dict[str, Any], count: int, timeout_s: float = 20) -> list[Any]:
    consumer = AIOKafkaConsumer(
        access["topic"],
        bootstrap_servers=access["bootstrapServers"],
        group_id=f"{access['consumerGroupPrefix']}-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        **sasl_client_options(access["gebruiker"], access["wachtwoord"]),
    )
    await consumer.start()
    try:
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while len(records) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            records.extend(r for rs in batch.values() for r in rs)
        return records
    finally:
        await consumer.stop()


async def test_a_kafka_sink_only_its_subscriber_reads(
    router: Router, kafka_bootstrap_servers: str, tmp_path: Path
) -> None:
    with router.api(MAP) as api:
        created = api.post("/subscriptions", json={"protocol": "KAFKA", "types": [OPDRACHT]})
    assert created.status_code == 201, created.text
    access = created.json()["kafka"]
    assert access["wachtwoord"] and access["topic"].endswith(created.json()["id"])
    with router.api(MAP) as api:
        again = api.get(f"/subscriptions/{created.json()['id']}").json()
    assert "kafka" not in again and "secret" not in again  # shown once

    key = f"dos-{uuid.uuid4().hex[:6]}"
    mine = [event(OPDRACHT, partitionkey=key, aanbiederoin=MAP_OIN, nummer=n) for n in range(5)]
    other = event(OPDRACHT, partitionkey=key, aanbiederoin=ANDERE_MAP.oin, nummer=9)
    await publish(kafka_bootstrap_servers, router.prefix, [*mine[:2], other, *mine[2:]])

    records = await read(access, 5)
    await asyncio.sleep(1)
    ids = [str(decode_binary(r.headers, r.key, r.value)[0].id) for r in records]
    assert ids == [str(e["id"]) for e in mine], "its own opdrachten, in order, and nothing else"
    assert {r.key.decode() for r in records} == {key}
    abonnement = created.json()["id"]
    with router.api(MAP) as api:
        log = api.get(f"/subscriptions/{abonnement}/kafka-deliveries").json()["leveringen"]
        per_record = api.get(f"/subscriptions/{abonnement}/deliveries").json()["afleveringen"]
        pull = api.get(f"/subscriptions/{abonnement}/events")
    # Acknowledged records are logged per write, in produce order; only failures get a row each.
    assert [i for levering in log for i in levering["gebeurtenisIds"]] == ids, log
    assert sum(levering["aantal"] for levering in log) == 5
    assert per_record == []
    assert pull.status_code == 409, "its own topic is a Kafka subscriber's pull"

    with router.api(ANDERE_MAP) as api:
        theirs = api.post("/subscriptions", json={"protocol": "KAFKA", "types": [OPDRACHT]})
    intruder = {**theirs.json()["kafka"], "topic": access["topic"]}
    with pytest.raises(TopicAuthorizationFailedError):
        await read(intruder, 1, timeout_s=10)
