"""The router's backlog as the console shows it (``stroom.groepsachterstand``): what its consumer
group, all replicas together, has not committed on the domain topics, read from the cluster."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from cryptography.fernet import Fernet

from keten_core.kafka import TopicSpec, ensure_topics
from notificatie_router.settings import RouterSettings
from notificatie_router.stroom import domeintopics, groep, groepsachterstand

pytestmark = pytest.mark.kafka


async def test_the_backlog_counts_what_the_group_has_not_committed(kafka_bootstrap_servers):
    settings = RouterSettings(
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
        router_sleutels=Fernet.generate_key().decode(),
    )
    # Nothing created yet: no backlog (and no error).
    assert await groepsachterstand(settings) == 0

    gemeente, *andere = domeintopics(settings)
    await ensure_topics(kafka_bootstrap_servers, [TopicSpec(t, 2) for t in [gemeente, *andere]])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap_servers)
    await producer.start()
    try:
        for n in range(5):
            await producer.send_and_wait(gemeente, b"{}", partition=n % 2)
        await producer.send_and_wait(andere[0], b"{}", partition=0)
    finally:
        await producer.stop()
    # No commit yet: the group would start at the beginning, so all six wait.
    assert await groepsachterstand(settings) == 6

    # The group commits 2 of partition 0's 3 records on the first topic: 4 still wait.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap_servers,
        group_id=groep(settings),
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(gemeente, 0)])
        await consumer.commit({TopicPartition(gemeente, 0): OffsetAndMetadata(2, "")})
    finally:
        await consumer.stop()
    assert await groepsachterstand(settings) == 4
