"""Dead-letter headers, retry topic names, parsing and filtering of dead letters, and the
``keten dlq`` refusals that need no broker."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import ConsumerRecord

from keten_core import cli
from keten_core.dlq import (
    DLQ_ERROR,
    DLQ_GROUP,
    DLQ_OFFSET,
    DLQ_PARTITION,
    DLQ_REASON,
    DLQ_TOPIC,
    REPLAYED_FROM,
    DeadLetter,
    DeadLetterFilter,
    DlqError,
    dead_letter_headers,
    original_headers,
    replay,
    retry_topic_for,
)

ORIGINAL = [
    ("ce_specversion", b"1.0"),
    ("ce_type", b"nl.inburgering.pip.vastgesteld.v1"),
    ("ce_id", b"id-1"),
    ("ce_subject", b"pip-1"),
    ("tombstone", None),
    ("ce_traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
]
T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)


def parked(headers=ORIGINAL, **overrides):
    fields = {
        "reason": "handler-failed",
        "error": "RuntimeError: boom\nsecond line",
        "topic": "keten.events",
        "partition": 2,
        "offset": 41,
        "group": "router",
    }
    return dead_letter_headers(headers, **{**fields, **overrides})


def a_record(headers, *, offset=7, timestamp=T0, key=b"pip-1"):
    return ConsumerRecord(
        topic="keten.deadletter",
        partition=0,
        offset=offset,
        timestamp=int(timestamp.timestamp() * 1000) if timestamp else -1,
        timestamp_type=0,
        key=key,
        value=b'{"pipId": "pip-1"}',
        checksum=None,
        serialized_key_size=len(key or b""),
        serialized_value_size=18,
        headers=tuple(headers),
    )


# --- headers -------------------------------------------------------------------------------


def test_dead_letter_headers_keep_the_original_headers_and_add_the_dlq_set():
    headers = parked()
    assert headers[: len(ORIGINAL)] == ORIGINAL  # order kept, the null value kept as it came
    assert dict(headers[len(ORIGINAL) :]) == {
        DLQ_REASON: b"handler-failed",
        DLQ_ERROR: b"RuntimeError: boom\nsecond line",
        DLQ_TOPIC: b"keten.events",
        DLQ_PARTITION: b"2",
        DLQ_OFFSET: b"41",
        DLQ_GROUP: b"router",
    }


def test_a_record_dead_lettered_twice_carries_one_set():
    first = [*parked(), (REPLAYED_FROM, b"keten.deadletter:0:7")]
    second = parked(first, reason="rejected", topic="keten.retry.router", offset=3)
    names = [name for name, _ in second]
    for name in (DLQ_REASON, DLQ_ERROR, DLQ_TOPIC, DLQ_PARTITION, DLQ_OFFSET, DLQ_GROUP):
        assert names.count(name) == 1
    assert REPLAYED_FROM not in names
    found = dict(second)
    assert found[DLQ_REASON] == b"rejected"
    assert found[DLQ_TOPIC] == b"keten.retry.router"
    assert second[: len(ORIGINAL)] == ORIGINAL


def test_the_error_is_cut_to_4000_bytes_on_a_character_boundary():
    headers = dict(parked(error="é" * 3000))  # 6000 bytes in UTF-8
    assert len(headers[DLQ_ERROR]) == 4000
    assert headers[DLQ_ERROR].decode() == "é" * 2000
    odd = dict(parked(error="x" + "é" * 3000))  # byte 4000 falls inside a character
    assert len(odd[DLQ_ERROR]) == 3999
    odd[DLQ_ERROR].decode()  # still valid UTF-8


def test_original_headers_strips_dlq_and_replay_headers_only():
    headers = [*parked(), (REPLAYED_FROM, b"x"), ("keten_dlqish", b"kept")]
    assert original_headers(headers) == [*ORIGINAL, ("keten_dlqish", b"kept")]
    assert original_headers(None) == []


# --- retry topics ----------------------------------------------------------------------------


def test_retry_topic_for_a_group():
    assert retry_topic_for("notificatie-router") == "keten.retry.notificatie-router"
    assert retry_topic_for("a.b_C-9") == "keten.retry.a.b_C-9"
    longest = "g" * (249 - len("keten.retry."))
    assert len(retry_topic_for(longest)) == 249


@pytest.mark.parametrize("group", ["", "router group", "router/1", "gemeente:0363", "ä", "g" * 238])
def test_retry_topic_for_refuses_what_is_no_legal_topic_name(group):
    with pytest.raises(ValueError):
        retry_topic_for(group)


# --- parsing and filtering -------------------------------------------------------------------


def test_a_dead_letter_is_parsed_from_its_record():
    letter = DeadLetter.from_record(a_record(parked()))
    assert letter.dlq_topic == "keten.deadletter"
    assert (letter.dlq_partition, letter.dlq_offset) == (0, 7)
    assert letter.timestamp == T0
    assert letter.reason == "handler-failed"
    assert letter.error == "RuntimeError: boom\nsecond line"
    assert (letter.original_topic, letter.original_partition, letter.original_offset) == (
        "keten.events",
        2,
        41,
    )
    assert letter.group == "router"
    assert letter.ce_type == "nl.inburgering.pip.vastgesteld.v1"
    assert (letter.ce_id, letter.ce_subject) == ("id-1", "pip-1")
    assert letter.key == b"pip-1"
    assert letter.original_headers == ORIGINAL
    assert letter.position == "keten.deadletter:0:7"
    assert letter.as_json()["timestamp"] == "2025-05-01T09:00:00.000Z"
    assert "value" not in letter.as_json()


def test_a_record_without_dlq_or_cloudevent_headers_still_parses():
    letter = DeadLetter.from_record(a_record([("x", None)], timestamp=None, key=None))
    assert letter.timestamp is None
    assert letter.reason is letter.group is letter.ce_type is letter.original_offset is None
    assert DeadLetterFilter().matches(letter)
    assert not DeadLetterFilter(group="router").matches(letter)
    assert not DeadLetterFilter(since=T0).matches(letter)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (DeadLetterFilter(), True),
        (DeadLetterFilter(group="router"), True),
        (DeadLetterFilter(group="duo-adapter"), False),
        (DeadLetterFilter(reason="handler-failed"), True),
        (DeadLetterFilter(reason="rejected"), False),
        (DeadLetterFilter(event_type="nl.inburgering.pip.vastgesteld.v1"), True),
        (DeadLetterFilter(event_type="nl.inburgering.examen.v1"), False),
        (DeadLetterFilter(topic="keten.events"), True),
        (DeadLetterFilter(topic="keten.other"), False),
        (DeadLetterFilter(since=T0), True),  # inclusive
        (DeadLetterFilter(since=T0 + timedelta(milliseconds=1)), False),
        (DeadLetterFilter(until=T0 + timedelta(milliseconds=1)), True),
        (DeadLetterFilter(until=T0), False),  # exclusive
        (DeadLetterFilter(since=datetime(2025, 5, 1, 9, 0)), True),  # naive means UTC
        (DeadLetterFilter(until=datetime(2025, 5, 1, 9, 0)), False),
        (
            DeadLetterFilter(since=datetime(2025, 5, 1, 10, 30, tzinfo=UTC) - timedelta(hours=2)),
            True,
        ),
        (DeadLetterFilter(group="router", reason="rejected"), False),
    ],
)
def test_filter(flt, expected):
    assert flt.matches(DeadLetter.from_record(a_record(parked()))) is expected


# --- refusals that need no broker ------------------------------------------------------------


async def test_replay_without_a_group_is_refused_before_contacting_a_broker():
    # Port 1 is closed: had replay connected, it would fail with another message.
    with pytest.raises(DlqError, match="consumer group"):
        await replay("127.0.0.1:1", "keten.deadletter", DeadLetterFilter(reason="rejected"))
    with pytest.raises(DlqError, match="consumer group"):
        await replay("127.0.0.1:1", "keten.deadletter", DeadLetterFilter(group=""))


def test_the_dlq_command_is_built_in():
    assert "keten_core.dlq:register" in cli.COMMANDS


@pytest.fixture(autouse=True)
def only_the_dlq_command(monkeypatch):
    # Only this command's registrar, so these tests do not depend on the other commands'
    # modules importing cleanly (test_the_dlq_command_is_built_in checks the real list).
    monkeypatch.setattr(cli, "COMMANDS", ("keten_core.dlq:register",))


def run_cli(argv):
    # A thread of its own: the CLI's asyncio.run must not touch the test session's loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(cli.main, argv).result()


def test_cli_replay_without_group_exits_1_with_a_message(capsys):
    assert run_cli(["dlq", "replay", "--bootstrap", "127.0.0.1:1", "--reason", "rejected"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("keten dlq: replay needs --group")
    assert len(err.strip().splitlines()) == 1


def test_cli_replay_with_an_illegal_group_exits_1(capsys):
    assert run_cli(["dlq", "replay", "--bootstrap", "127.0.0.1:1", "--group", "a/b"]) == 1
    err = capsys.readouterr().err
    assert "no legal Kafka topic name" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("action", ["list", "replay"])
def test_cli_unreachable_broker_gives_one_line_quickly(capsys, action):
    began = time.monotonic()
    assert run_cli(["dlq", action, "--bootstrap", "127.0.0.1:1", "--group", "router"]) == 1
    assert time.monotonic() - began < 10
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "keten dlq: cannot reach Kafka at 127.0.0.1:1\n"


def test_cli_unreachable_broker_in_a_process_of_its_own_says_only_one_line():
    # No test logging here: whatever aiokafka would log reaches the operator's terminal.
    program = (
        "import sys; from keten_core import cli; "
        "cli.COMMANDS = ('keten_core.dlq:register',); "
        "sys.exit(cli.main(sys.argv[1:]))"
    )
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", program, "dlq", "list", "--bootstrap", "127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - began < 20  # interpreter start-up included
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "keten dlq: cannot reach Kafka at 127.0.0.1:1\n"


def test_cli_refuses_until_before_since(capsys):
    argv = ["dlq", "list", "--bootstrap", "127.0.0.1:1"]
    assert run_cli([*argv, "--since", "2025-05-02", "--until", "2025-05-01"]) == 1
    assert "--until must be later than --since" in capsys.readouterr().err


def test_cli_parses_iso_8601_times():
    parser = cli.build_parser()
    args = parser.parse_args(
        ["dlq", "list", "--since", "2025-05-01T09:30:00Z", "--until", "2025-05-02"]
    )
    assert args.since == datetime(2025, 5, 1, 9, 30, tzinfo=UTC)
    assert args.until == datetime(2025, 5, 2, tzinfo=UTC)
    with pytest.raises(SystemExit):
        parser.parse_args(["dlq", "list", "--since", "gisteren"])
    with pytest.raises(SystemExit):
        parser.parse_args(["dlq", "list", "--limit", "0"])
