"""The local infrastructure: `keten infra` on throwaway ports, the session's broker and database,
and a second broker that is killed and restarted with its data."""

from __future__ import annotations

import asyncio
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import UnknownTopicOrPartitionError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from keten_core.chain import ChainState
from keten_core.infra import InfraSettings, LocalKafka, LocalPostgres
from keten_core.infra.common import port_open


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def keten(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keten_core.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def exports(stdout: str) -> dict[str, str]:
    """What `eval "$(keten infra up --env)"` would set."""
    found = {}
    for line in stdout.splitlines():
        words = shlex.split(line)
        assert words[0] == "export", line
        name, _, value = words[1].partition("=")
        found[name] = value
    return found


async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()


async def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"dossier-1")
    finally:
        await producer.stop()


async def consume(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        while len(values) < count:
            batches = await consumer.getmany(timeout_ms=15_000)
            assert batches, f"only {len(values)} of {count} records arrived"
            values.extend(record.value for batch in batches.values() for record in batch)
    finally:
        await consumer.stop()
    return values


@pytest.mark.kafka
async def test_broker_round_trip(kafka_bootstrap_servers, topic_name):
    await create_topic(kafka_bootstrap_servers, topic_name)
    await produce(kafka_bootstrap_servers, topic_name, [b"een", b"twee"])
    assert await consume(kafka_bootstrap_servers, topic_name, 2) == [b"een", b"twee"]


@pytest.mark.kafka
async def test_topics_are_not_created_by_clients(kafka_bootstrap_servers, topic_name):
    # auto.create.topics.enable=false: services create their topics; a typo must not.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap_servers, request_timeout_ms=3000)
    await producer.start()
    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await producer.send_and_wait(topic_name, b"x")
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap_servers)
    await admin.start()
    try:
        assert topic_name not in await admin.list_topics()
    finally:
        await admin.close()


@pytest.mark.postgres
async def test_session_database_is_fresh_and_usable(database_url):
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            name = await connection.scalar(text("SELECT current_database()"))
            await connection.execute(text("CREATE TABLE probe (id int PRIMARY KEY)"))
            await connection.execute(text("INSERT INTO probe VALUES (1)"))
            assert await connection.scalar(text("SELECT count(*) FROM probe")) == 1
            await connection.execute(text("DROP TABLE probe"))
    finally:
        await engine.dispose()
    # Not the server's own database: each session gets one of its own, dropped at its end.
    assert name.startswith("keten_test_")


@pytest.mark.slow
@pytest.mark.kafka
@pytest.mark.postgres
async def test_keten_infra_up_is_idempotent_and_down_stops(tmp_path):
    kafka_port, controller_port, postgres_port = free_port(), free_port(), free_port()
    kafka_address = f"127.0.0.1:{kafka_port}"
    database_url = f"postgresql+asyncpg://keten:keten@127.0.0.1:{postgres_port}/keten"
    env = {
        **os.environ,
        "KETEN_STATE_DIR": str(tmp_path / "state"),
        "KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_address,
        "KETEN_KAFKA_CONTROLLER_PORT": str(controller_port),
        "KETEN_DATABASE_URL": database_url,
    }
    expected = {"KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_address, "KETEN_DATABASE_URL": database_url}
    try:
        first = keten("infra", "up", "--env", env=env)
        assert first.returncode == 0, first.stderr
        assert exports(first.stdout) == expected
        assert first.stderr.count("started in") == 2, first.stderr

        second = keten("infra", "up", "--env", env=env)
        assert second.returncode == 0, second.stderr
        assert exports(second.stdout) == expected
        assert second.stderr.count("already running") == 2, second.stderr

        status = keten("infra", "status", env=env)
        assert status.returncode == 0, status.stdout + status.stderr
        assert [line.split()[:2] for line in status.stdout.splitlines()] == [
            ["kafka", "up"],
            ["postgres", "up"],
        ]

        # The database named in the URL exists and takes the password.
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                assert await connection.scalar(text("SELECT current_database()")) == "keten"
        finally:
            await engine.dispose()
        await create_topic(kafka_address, "infra.probe")

        down = keten("infra", "down", env=env)
        assert down.returncode == 0, down.stderr
        assert not port_open(kafka_port)
        assert not port_open(postgres_port)
        status = keten("infra", "status", env=env)
        assert status.returncode == 1
        assert [line.split()[:2] for line in status.stdout.splitlines()] == [
            ["kafka", "down"],
            ["postgres", "down"],
        ]
    finally:
        purge = keten("infra", "down", "--purge", env=env)
        assert purge.returncode == 0, purge.stderr
    settings = InfraSettings(
        state_dir=tmp_path / "state",
        kafka_bootstrap_servers=kafka_address,
        database_url=database_url,
    )
    assert not LocalKafka.from_settings(settings).state_dir.exists()
    assert not LocalPostgres.from_settings(settings).base_dir.exists()


@pytest.mark.slow
@pytest.mark.kafka
async def test_second_broker_survives_a_kill_with_its_data(tmp_path: Path):
    broker = LocalKafka(tmp_path / "kafka", free_port(), free_port())
    try:
        assert broker.start() is True
        assert broker.start() is False  # already running
        assert broker.is_running()

        topic = "restart.probe"
        await create_topic(broker.bootstrap_servers, topic)
        values = [f"record-{n}".encode() for n in range(20)]
        await produce(broker.bootstrap_servers, topic, values)

        broker.kill()
        assert not broker.is_running()
        assert not port_open(broker.port)

        assert broker.start() is True  # recovers from the unclean shutdown
        assert await consume(broker.bootstrap_servers, topic, len(values)) == values
    finally:
        broker.stop()
    assert not broker.is_running()

    # Logging works: Kafka brings no slf4j binding of its own, an empty log means a wrong one.
    log = broker.log_file.read_text()
    assert log.count("Kafka Server started") == 2
    assert "SLF4J" not in log


@pytest.mark.slow
@pytest.mark.postgres
async def test_second_postgres_survives_a_crash_with_its_data():
    server = LocalPostgres(port=free_port(), user="probe", password="geheim", database="probe")
    try:
        assert server.start() is True
        assert server.start() is False  # already running
        engine = create_async_engine(server.database_url)
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE probe (id int PRIMARY KEY)"))
            await connection.execute(text("INSERT INTO probe VALUES (1), (2)"))
        await engine.dispose()

        server.kill()
        assert not server.is_running()
        assert not port_open(server.port)

        assert server.start() is True  # crash recovery replays the committed rows
        engine = create_async_engine(server.database_url)
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM probe")) == 2
        await engine.dispose()
    finally:
        server.destroy()
    assert not server.base_dir.exists()


@pytest.mark.slow
@pytest.mark.kafka
async def test_keten_infra_up_deletes_idle_topics_but_not_a_chains(tmp_path: Path):
    # Tests leave uniquely named topics behind; the broker keeps a file open per partition and
    # stops when it reaches the process' limit. `keten infra up` deletes the idle ones.
    kafka_port = free_port()
    address = f"127.0.0.1:{kafka_port}"
    state_dir = tmp_path / "state"
    env = {
        **os.environ,
        "KETEN_STATE_DIR": str(state_dir),
        "KETEN_KAFKA_BOOTSTRAP_SERVERS": address,
        "KETEN_KAFKA_CONTROLLER_PORT": str(free_port()),
        "KETEN_KAFKA_SASL_PORT": str(free_port()),
        # The default, whatever the caller's (.ci/run prunes its own broker at 0.01 h).
        "KETEN_KAFKA_PRUNE_IDLE_HOURS": "3",
    }
    broker = LocalKafka.from_settings(
        InfraSettings(state_dir=state_dir, kafka_bootstrap_servers=address)
    )
    # A developer's `keten up --naam mijn` chain: its topics stay however long they wait.
    ChainState(state_dir).ensure("mijn", 0)
    idle = ["t1234abcd.nl.inburgering.coa", "keten.retry.t1234abcd.coa-adapter", "test.0f0f"]
    kept = ["mijn.nl.inburgering.gemeente", "keten.retry.mijn.dossier-bron", "t9999.recent"]
    try:
        first = keten("infra", "up", "kafka", env=env)
        assert first.returncode == 0, first.stderr
        for topic in idle + kept:
            await create_topic(address, topic)
        await produce(address, idle[0], [b"written long ago"])
        for topic in idle + kept[:2]:
            await age(broker, topic, hours=4)

        # Started again and pruned at once, as CI does: a start rewrites every partition's
        # indexes and checkpoints, so only the segments' data may tell how long it was idle.
        down = keten("infra", "down", "kafka", env=env)
        assert down.returncode == 0, down.stderr
        again = keten("infra", "up", "kafka", env=env)
        assert again.returncode == 0, again.stderr
        assert "started in" in again.stdout
        assert "deleted 3 topics idle for 3 h" in again.stdout, again.stdout
        assert set(kept) <= await topics(address)
        assert not set(idle) & await topics(address)

        # 0 turns pruning off.
        await create_topic(address, idle[0])
        await age(broker, idle[0], hours=4)
        off = keten("infra", "up", "kafka", env={**env, "KETEN_KAFKA_PRUNE_IDLE_HOURS": "0"})
        assert off.returncode == 0, off.stderr
        assert idle[0] in await topics(address)
    finally:
        keten("infra", "down", "--purge", "kafka", env=env)


async def age(broker: LocalKafka, topic: str, hours: float) -> None:
    """Date the files of ``topic``'s partition back, as if nothing was written for ``hours``
    (the broker creates the directory shortly after CreateTopics returns)."""
    partition = broker.data_dir / f"{topic}-0"
    deadline = time.monotonic() + 30
    while not partition.is_dir():
        assert time.monotonic() < deadline, f"no {partition}"
        await asyncio.sleep(0.1)
    then = time.time() - hours * 3600
    for path in [partition, *partition.iterdir()]:
        os.utime(path, (then, then))


async def topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()
