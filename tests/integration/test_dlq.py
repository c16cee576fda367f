"""``keten dlq list`` / ``replay`` against a real broker: dead letters of two groups and two
reasons, filtered reading, and replay to the failing group's retry topic only."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from keten_core import cli
from keten_core.dlq import (
    DeadLetterFilter,
    DlqError,
    read_dead_letters,
    replay,
    retry_topic_for,
)
from keten_core.kafka import TopicSpec, ensure_topics
from tests.support import read_all

pytestmark = pytest.mark.kafka

T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
PIP = "nl.inburgering.pip.vastgesteld.v1"
EXAMEN = "nl.inburgering.examen.v1"


@dataclass(frozen=True)
class Parked:
    """What the test wrote at one dead-letter offset."""

    group: str
    reason: str
    topic: str
    ce_type: str | None
    key: bytes | None
    original_headers: list[tuple[str, bytes | None]]
    value: bytes


@dataclass(frozen=True)
class Setup:
    dlq: str
    events: str  # 4 partitions
    other: str  # 2 partitions
    group_a: str
    group_b: str
    parked: list[Parked]  # by dead-letter offset; record i has timestamp T0 + i hours


def cloudevent_headers(ce_type: str, ce_id: str, subject: str) -> list[tuple[str, bytes | None]]:
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", ce_id.encode()),
        ("ce_source", b"urn:nld:oin:00000001002220647000:systeem:dossier-bron"),
        ("ce_type", ce_type.encode()),
        ("ce_subject", subject.encode()),
        ("content-type", b"application/json"),
        ("ce_traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
    ]


@pytest.fixture
async def setup(kafka_bootstrap_servers, make_topic_name) -> Setup:
    suffix = uuid.uuid4().hex[:10]
    dlq, events, other = (make_topic_name(p) for p in ("test.dlq", "test.events", "test.other"))
    await ensure_topics(
        kafka_bootstrap_servers,
        [TopicSpec(dlq, partitions=1), TopicSpec(events, 4), TopicSpec(other, 2)],
    )
    a, b = f"test-a-{suffix}", f"test-b-{suffix}"

    def event(group, reason, topic, ce_type, subject, ce_id, value):
        headers = cloudevent_headers(ce_type, ce_id, subject)
        return Parked(group, reason, topic, ce_type, subject.encode(), headers, value)

    parked = [
        event(a, "handler-failed", events, PIP, "pip-1", "e0", b"v0"),
        event(b, "handler-failed", events, PIP, "pip-1", "e0", b"v0"),
        event(a, "rejected", other, EXAMEN, "ex-7", "e2", b"v2"),
        event(a, "handler-failed", events, PIP, "pip-1", "e3", b"v3"),
        event(b, "rejected", other, EXAMEN, "ex-8", "e4", b"v4"),
        # Not a CloudEvent at all, with a null header value and no key.
        Parked(a, "invalid-event", events, None, None, [("x-null", None), ("x-raw", b"r")], b"{"),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap_servers)
    await producer.start()
    try:
        for offset, p in enumerate(parked):
            headers = [
                *p.original_headers,
                ("keten_dlq_reason", p.reason.encode()),
                ("keten_dlq_error", f"Error {offset}\n  at line {offset}".encode()),
                ("keten_dlq_topic", p.topic.encode()),
                ("keten_dlq_partition", b"1"),
                ("keten_dlq_offset", str(100 + offset).encode()),
                ("keten_dlq_group", p.group.encode()),
            ]
            stamp = int((T0 + timedelta(hours=offset)).timestamp() * 1000)
            await producer.send_and_wait(
                dlq, p.value, key=p.key, headers=headers, timestamp_ms=stamp
            )
    finally:
        await producer.stop()
    return Setup(dlq, events, other, a, b, parked)


async def topic_metadata(bootstrap: str) -> dict[str, dict]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {t["topic"]: t for t in await admin.describe_topics() if t["error_code"] == 0}
    finally:
        await admin.close()


async def end_offsets(bootstrap: str, topic: str, partitions: int) -> list[int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        ends = await consumer.end_offsets(tps)
        return [ends[tp] for tp in tps]
    finally:
        await consumer.stop()


# --- list ------------------------------------------------------------------------------------


FILTERS = {
    "none": (lambda s: DeadLetterFilter(), [0, 1, 2, 3, 4, 5]),
    "group a": (lambda s: DeadLetterFilter(group=s.group_a), [0, 2, 3, 5]),
    "group b": (lambda s: DeadLetterFilter(group=s.group_b), [1, 4]),
    "reason": (lambda s: DeadLetterFilter(reason="rejected"), [2, 4]),
    "type": (lambda s: DeadLetterFilter(event_type=EXAMEN), [2, 4]),
    "topic": (lambda s: DeadLetterFilter(topic=s.events), [0, 1, 3, 5]),
    "since": (lambda s: DeadLetterFilter(since=T0 + timedelta(hours=2)), [2, 3, 4, 5]),
    "until": (lambda s: DeadLetterFilter(until=T0 + timedelta(hours=2)), [0, 1]),
    "window": (
        lambda s: DeadLetterFilter(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3)),
        [1, 2],
    ),
    "limit": (lambda s: DeadLetterFilter(limit=2), [0, 1]),
    "group and reason": (
        lambda s: DeadLetterFilter(group=s.group_a, reason="handler-failed"),
        [0, 3],
    ),
    "group and limit": (lambda s: DeadLetterFilter(group=s.group_a, limit=3), [0, 2, 3]),
    "nothing": (lambda s: DeadLetterFilter(group=s.group_b, reason="invalid-event"), []),
}


@pytest.mark.parametrize("name", FILTERS)
async def test_list_returns_exactly_the_matching_dead_letters(kafka_bootstrap_servers, setup, name):
    make_filter, expected = FILTERS[name]
    letters = await read_dead_letters(kafka_bootstrap_servers, setup.dlq, make_filter(setup))
    assert [d.dlq_offset for d in letters] == expected


async def test_dead_letters_are_parsed_with_their_origin(kafka_bootstrap_servers, setup):
    letters = await read_dead_letters(kafka_bootstrap_servers, setup.dlq, DeadLetterFilter())
    third = letters[2]
    assert (third.dlq_topic, third.dlq_partition, third.dlq_offset) == (setup.dlq, 0, 2)
    assert third.timestamp == T0 + timedelta(hours=2)
    assert (third.group, third.reason) == (setup.group_a, "rejected")
    assert third.error == "Error 2\n  at line 2"
    assert (third.original_topic, third.original_partition, third.original_offset) == (
        setup.other,
        1,
        102,
    )
    assert (third.ce_type, third.ce_id, third.ce_subject) == (EXAMEN, "e2", "ex-7")
    assert (third.key, third.value) == (b"ex-7", b"v2")
    assert third.original_headers == setup.parked[2].original_headers
    last = letters[5]
    assert last.ce_type is None and last.key is None
    assert last.original_headers == [("x-null", None), ("x-raw", b"r")]


async def test_reading_a_missing_dead_letter_topic_is_an_error(kafka_bootstrap_servers):
    missing = f"test.missing.{uuid.uuid4().hex}"
    with pytest.raises(DlqError, match="does not exist"):
        await read_dead_letters(kafka_bootstrap_servers, missing, DeadLetterFilter())
    assert missing not in await topic_metadata(kafka_bootstrap_servers)


async def test_reading_uses_no_consumer_group(kafka_bootstrap_servers, setup):
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap_servers)
    await admin.start()
    try:
        before = set(await admin.list_consumer_groups())
        await read_dead_letters(kafka_bootstrap_servers, setup.dlq, DeadLetterFilter())
        await replay(kafka_bootstrap_servers, setup.dlq, DeadLetterFilter(group=setup.group_b))
        groups = await admin.list_consumer_groups()
        assert set(groups) <= before
        for group, _ in groups:  # and none, old or new, has an offset in the dead-letter topic
            offsets = await admin.list_consumer_group_offsets(group)
            assert not any(tp.topic == setup.dlq for tp in offsets), group
    finally:
        await admin.close()


# --- replay ----------------------------------------------------------------------------------


async def test_replay_goes_only_to_the_failing_groups_retry_topic(kafka_bootstrap_servers, setup):
    flt = DeadLetterFilter(group=setup.group_a)
    assert await replay(kafka_bootstrap_servers, setup.dlq, flt) == 4

    retry_a, retry_b = retry_topic_for(setup.group_a), retry_topic_for(setup.group_b)
    topics = await topic_metadata(kafka_bootstrap_servers)
    # Created with the original topics' partition count (the larger of 4 and 2).
    assert len(topics[retry_a]["partitions"]) == 4
    assert retry_b not in topics  # group B sees nothing again
    # Nothing went back to the shared topics (every other group would act twice).
    assert await end_offsets(kafka_bootstrap_servers, setup.events, 4) == [0, 0, 0, 0]
    assert await end_offsets(kafka_bootstrap_servers, setup.other, 2) == [0, 0]
    # And the dead-letter topic is left as it was.
    assert await end_offsets(kafka_bootstrap_servers, setup.dlq, 1) == [6]

    records = await read_all(kafka_bootstrap_servers, retry_a, 4)
    by_origin = {dict(r.headers)["keten_replayed_from"].decode(): r for r in records}
    assert sorted(by_origin) == [f"{setup.dlq}:0:{i}" for i in (0, 2, 3, 5)]
    for offset in (0, 2, 3, 5):
        record, parked = by_origin[f"{setup.dlq}:0:{offset}"], setup.parked[offset]
        assert (record.key, record.value) == (parked.key, parked.value)
        # The original headers intact and in order, the dead-letter headers stripped.
        assert list(record.headers) == [
            *parked.original_headers,
            ("keten_replayed_from", f"{setup.dlq}:0:{offset}".encode()),
        ]
    # Records of one key keep their dead-letter order.
    pip_1 = sorted((r for r in records if r.key == b"pip-1"), key=lambda r: r.offset)
    assert len({r.partition for r in pip_1}) == 1
    assert [r.value for r in pip_1] == [b"v0", b"v3"]


async def test_replay_keeps_dead_letter_order(kafka_bootstrap_servers, setup):
    # One partition, made beforehand: the whole replay is one ordered sequence.
    retry_a = retry_topic_for(setup.group_a)
    await ensure_topics(kafka_bootstrap_servers, [TopicSpec(retry_a, partitions=1)])
    assert (
        await replay(kafka_bootstrap_servers, setup.dlq, DeadLetterFilter(group=setup.group_a)) == 4
    )
    records = await read_all(kafka_bootstrap_servers, retry_a, 4)
    assert [r.value for r in records] == [b"v0", b"v2", b"v3", b"{"]
    assert [dict(r.headers)["keten_replayed_from"] for r in records] == [
        f"{setup.dlq}:0:{i}".encode() for i in (0, 2, 3, 5)
    ]


async def test_replay_with_a_filter_and_a_dry_run(kafka_bootstrap_servers, setup):
    retry_b = retry_topic_for(setup.group_b)
    flt = DeadLetterFilter(group=setup.group_b, reason="rejected")
    assert await replay(kafka_bootstrap_servers, setup.dlq, flt, dry_run=True) == 1
    assert retry_b not in await topic_metadata(kafka_bootstrap_servers)  # dry run: untouched

    assert await replay(kafka_bootstrap_servers, setup.dlq, flt) == 1
    [record] = await read_all(kafka_bootstrap_servers, retry_b, 1)
    assert (record.key, record.value) == (b"ex-8", b"v4")
    # The only original topic was `other`, 2 partitions.
    topics = await topic_metadata(kafka_bootstrap_servers)
    assert len(topics[retry_b]["partitions"]) == 2


async def test_replay_without_a_group_is_refused(kafka_bootstrap_servers, setup):
    with pytest.raises(DlqError, match="consumer group"):
        await replay(kafka_bootstrap_servers, setup.dlq, DeadLetterFilter(reason="rejected"))
    assert await end_offsets(kafka_bootstrap_servers, setup.events, 4) == [0, 0, 0, 0]


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def only_the_dlq_command(monkeypatch):
    # Only this command's registrar, so these tests do not depend on the other commands'
    # modules importing cleanly (tests/unit/test_dlq_headers.py checks the real list).
    monkeypatch.setattr(cli, "COMMANDS", ("keten_core.dlq:register",))


def run_cli(argv):
    # A thread of its own: the CLI's asyncio.run must not touch the test session's loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(cli.main, argv).result()


def test_cli_list_prints_a_table(kafka_bootstrap_servers, setup, only_the_dlq_command, capsys):
    where = ["--bootstrap", kafka_bootstrap_servers, "--dlq-topic", setup.dlq]
    assert run_cli(["dlq", "list", *where, "--group", setup.group_a]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["DLQ", "TIME", "GROUP", "REASON", "TYPE", "ORIGINAL", "ERROR"]
    assert len(lines) == 5
    assert lines[2].split() == [
        "0:2",
        "2025-05-01T11:00:00Z",
        setup.group_a,
        "rejected",
        EXAMEN,
        f"{setup.other}:1:102",
        "Error",
        "2",  # the error's first line only
    ]
    assert lines[4].split()[:5] == [
        "0:5",
        "2025-05-01T14:00:00Z",
        setup.group_a,
        "invalid-event",
        "-",
    ]

    assert run_cli(["dlq", "list", *where, "--group", "nobody"]) == 0
    assert capsys.readouterr().out == f"no dead letters in {setup.dlq} match\n"


def test_cli_list_json_lines(kafka_bootstrap_servers, setup, only_the_dlq_command, capsys):
    where = ["--bootstrap", kafka_bootstrap_servers, "--dlq-topic", setup.dlq]
    argv = ["dlq", "list", *where, "--reason", "rejected", "--since", "2025-05-01T10:00:00Z"]
    assert run_cli([*argv, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["dlq_offset"] for r in rows] == [2, 4]
    assert rows[0] == {
        "dlq_topic": setup.dlq,
        "dlq_partition": 0,
        "dlq_offset": 2,
        "timestamp": "2025-05-01T11:00:00.000Z",
        "group": setup.group_a,
        "reason": "rejected",
        "error": "Error 2\n  at line 2",
        "original_topic": setup.other,
        "original_partition": 1,
        "original_offset": 102,
        "ce_type": EXAMEN,
        "ce_id": "e2",
        "ce_subject": "ex-7",
        "key": "ex-7",
    }


def test_cli_replay(kafka_bootstrap_servers, setup, only_the_dlq_command, capsys):
    where = ["--bootstrap", kafka_bootstrap_servers, "--dlq-topic", setup.dlq]
    retry_a = retry_topic_for(setup.group_a)

    assert run_cli(["dlq", "replay", *where, "--group", setup.group_a, "--dry-run"]) == 0
    assert capsys.readouterr().out == (
        f"would replay 4 dead letters from {setup.dlq} to {retry_a} (dry run)\n"
    )
    argv = ["dlq", "replay", *where, "--group", setup.group_a, "--type", PIP]
    assert run_cli(argv) == 0
    # (The creation of the retry topic may be logged before the result.)
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"replayed 2 dead letters from {setup.dlq} to {retry_a}"
    with ThreadPoolExecutor(1) as pool:
        records = pool.submit(asyncio.run, read_all(kafka_bootstrap_servers, retry_a, 2)).result()
    assert [r.value for r in sorted(records, key=lambda r: r.offset)] == [b"v0", b"v3"]

    assert run_cli(["dlq", "replay", *where, "--type", PIP]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("keten dlq: replay needs --group")
