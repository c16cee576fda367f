"""Dead letters: the headers a consumer adds when it parks a record, reading the dead-letter
topic, and replaying chosen dead letters to the one consumer group that failed them.

Every consumer group ``G`` also subscribes to its own retry topic ``keten.retry.G``. Replaying
copies dead letters there, never into the shared topic they came from: there every other group
(the router included) would act on them a second time. Group ``G``'s inbox makes a repeat
harmless.

``keten dlq list`` and ``keten dlq replay`` (registered through :func:`register`) are the
operator's side of this.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError

from keten_core.kafka import client_options

if TYPE_CHECKING:
    from keten_core.cli import Subparsers

# Headers a consumer adds to the original record when it parks it in the dead-letter topic.
DLQ_REASON = "keten_dlq_reason"
DLQ_ERROR = "keten_dlq_error"
DLQ_TOPIC = "keten_dlq_topic"
DLQ_PARTITION = "keten_dlq_partition"
DLQ_OFFSET = "keten_dlq_offset"
DLQ_GROUP = "keten_dlq_group"
# Added by a replay: "<dead-letter topic>:<partition>:<offset>" of the dead letter it copies.
REPLAYED_FROM = "keten_replayed_from"

DLQ_HEADER_PREFIX = "keten_dlq_"
RETRY_TOPIC_PREFIX = "keten.retry."
# The reasons consumers write today (free text for the filter, so new reasons need no release).
REASONS = ("invalid-event", "rejected", "handler-failed", "unknown-type")
MAX_ERROR_BYTES = 4000
# Partitions of a new retry topic when the original topic cannot be described.
DEFAULT_RETRY_PARTITIONS = 3

_LEGAL_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")

Header = tuple[str, bytes | None]


class DlqError(Exception):
    """An operator-facing failure: the message is one line, fit for stderr."""


def retry_topic_for(group_id: str) -> str:
    """The retry topic only consumer group ``group_id`` subscribes to."""
    if not group_id:
        raise ValueError("a consumer group id is required for its retry topic")
    topic = RETRY_TOPIC_PREFIX + group_id
    if not _LEGAL_TOPIC.fullmatch(topic):
        raise ValueError(
            f"group id {group_id!r} gives no legal Kafka topic name ({topic!r}): at most "
            f"{249 - len(RETRY_TOPIC_PREFIX)} characters of a-z, A-Z, 0-9, '.', '_' and '-'"
        )
    return topic


def _is_dead_letter_header(name: str) -> bool:
    return name.startswith(DLQ_HEADER_PREFIX) or name == REPLAYED_FROM


def original_headers(headers: Iterable[Header] | None) -> list[Header]:
    """``headers`` without the dead-letter and replay headers, in their order."""
    return [(name, value) for name, value in headers or () if not _is_dead_letter_header(name)]


def _truncate_utf8(text: str, limit: int) -> bytes:
    # Cut on a character boundary so the header stays valid UTF-8.
    return text.encode()[:limit].decode(errors="ignore").encode()


def dead_letter_headers(
    headers: Iterable[Header] | None,
    *,
    reason: str,
    error: str,
    topic: str,
    partition: int,
    offset: int,
    group: str,
) -> list[Header]:
    """The headers of a dead letter: the original ones (those of an earlier dead-letter round
    removed, so a record parked twice carries one set; null values kept as they came) plus
    reason, error (at most 4000 bytes), where the record was read and by which group."""
    return [
        *original_headers(headers),
        (DLQ_REASON, reason.encode()),
        (DLQ_ERROR, _truncate_utf8(error, MAX_ERROR_BYTES)),
        (DLQ_TOPIC, topic.encode()),
        (DLQ_PARTITION, str(partition).encode()),
        (DLQ_OFFSET, str(offset).encode()),
        (DLQ_GROUP, group.encode()),
    ]


async def park(
    producer: Any,
    dead_letter_topic: str,
    record: ConsumerRecord,
    *,
    reason: str,
    error: str,
    group: str,
) -> None:
    """Send ``record`` to the dead-letter topic as it came, with the reason, the error and
    where it was read (``producer``: a started ``keten_core.kafka.EventProducer``). Raises when
    the broker does not take it; the caller keeps the record and tries again."""
    headers = dead_letter_headers(
        record.headers,
        reason=reason,
        error=error,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        group=group,
    )
    await producer.send_raw(dead_letter_topic, record.key, record.value, headers)


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode(errors="replace")


def _int(value: bytes | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class DeadLetter:
    """One record of the dead-letter topic."""

    dlq_topic: str
    dlq_partition: int
    dlq_offset: int
    timestamp: datetime | None
    reason: str | None
    error: str | None
    original_topic: str | None
    original_partition: int | None
    original_offset: int | None
    group: str | None
    ce_type: str | None
    ce_id: str | None
    ce_subject: str | None
    key: bytes | None
    value: bytes | None = field(repr=False)
    headers: tuple[Header, ...] = field(repr=False)

    @classmethod
    def from_record(cls, record: ConsumerRecord) -> DeadLetter:
        headers = tuple(record.headers or ())
        found = dict(headers)  # the last of a repeated header wins
        return cls(
            dlq_topic=record.topic,
            dlq_partition=record.partition,
            dlq_offset=record.offset,
            timestamp=(
                datetime.fromtimestamp(record.timestamp / 1000, UTC)
                if record.timestamp is not None and record.timestamp >= 0
                else None
            ),
            reason=_text(found.get(DLQ_REASON)),
            error=_text(found.get(DLQ_ERROR)),
            original_topic=_text(found.get(DLQ_TOPIC)),
            original_partition=_int(found.get(DLQ_PARTITION)),
            original_offset=_int(found.get(DLQ_OFFSET)),
            group=_text(found.get(DLQ_GROUP)),
            ce_type=_text(found.get("ce_type")),
            ce_id=_text(found.get("ce_id")),
            ce_subject=_text(found.get("ce_subject")),
            key=record.key,
            value=record.value,
            headers=headers,
        )

    @property
    def original_headers(self) -> list[Header]:
        return original_headers(self.headers)

    @property
    def position(self) -> str:
        """``topic:partition:offset`` of this dead letter, the value of ``REPLAYED_FROM``."""
        return f"{self.dlq_topic}:{self.dlq_partition}:{self.dlq_offset}"

    def as_json(self) -> dict[str, Any]:
        """The fields an operator needs, JSON-ready (the value is left out: it is data)."""
        return {
            "dlq_topic": self.dlq_topic,
            "dlq_partition": self.dlq_partition,
            "dlq_offset": self.dlq_offset,
            "timestamp": _iso(self.timestamp),
            "group": self.group,
            "reason": self.reason,
            "error": self.error,
            "original_topic": self.original_topic,
            "original_partition": self.original_partition,
            "original_offset": self.original_offset,
            "ce_type": self.ce_type,
            "ce_id": self.ce_id,
            "ce_subject": self.ce_subject,
            "key": _text(self.key),
        }


def _as_utc(moment: datetime) -> datetime:
    # A moment without a zone is read as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which dead letters to take; an unset field matches everything. ``since`` is inclusive,
    ``until`` exclusive (the record's timestamp); ``limit`` keeps the first matches."""

    group: str | None = None
    reason: str | None = None
    event_type: str | None = None
    topic: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None

    def matches(self, letter: DeadLetter) -> bool:
        if self.group is not None and letter.group != self.group:
            return False
        if self.reason is not None and letter.reason != self.reason:
            return False
        if self.event_type is not None and letter.ce_type != self.event_type:
            return False
        if self.topic is not None and letter.original_topic != self.topic:
            return False
        if self.since is not None or self.until is not None:
            if letter.timestamp is None:
                return False
            if self.since is not None and letter.timestamp < _as_utc(self.since):
                return False
            if self.until is not None and letter.timestamp >= _as_utc(self.until):
                return False
        return True


# --- reading and replaying ---------------------------------------------------------------

CONNECT_TIMEOUT_S = 5.0
# Reading gives up when the dead-letter topic yields nothing for this long before its end.
IDLE_TIMEOUT_S = 30.0
DELIVERY_TIMEOUT_S = 60.0


async def _start(client: Any, bootstrap: str) -> None:
    """Start an aiokafka client, turning an unreachable broker into one clear line."""
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            await client.start()
    except TimeoutError:
        await _close(client)
        raise DlqError(
            f"cannot reach Kafka at {bootstrap} within {CONNECT_TIMEOUT_S:g} s"
        ) from None
    except KafkaConnectionError:
        await _close(client)
        raise DlqError(f"cannot reach Kafka at {bootstrap}") from None


async def _close(client: Any) -> None:
    try:
        await (client.close() if isinstance(client, AIOKafkaAdminClient) else client.stop())
    except Exception:  # noqa: S110 - closing a client that never started fully
        pass


async def _describe_topics(bootstrap: str) -> dict[str, dict[str, Any]]:
    """Metadata of every topic. Asking for all topics (rather than by name) never makes a
    broker with ``auto.create.topics.enable`` create the ones asked about."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=15_000, **client_options()
    )
    await _start(admin, bootstrap)
    try:
        return {
            topic["topic"]: topic
            for topic in await admin.describe_topics()
            if topic["error_code"] == 0
        }
    finally:
        await admin.close()


async def read_dead_letters(
    bootstrap: str, dlq_topic: str, flt: DeadLetterFilter | None = None
) -> list[DeadLetter]:
    """The dead letters in ``dlq_topic`` that ``flt`` matches, oldest first (per partition in
    offset order), read from the beginning to the end offsets taken at the start.

    The partitions are assigned by hand and no consumer group is used, so reading commits
    nothing and never disturbs a consumer."""
    flt = flt or DeadLetterFilter()
    topics = await _describe_topics(bootstrap)
    if dlq_topic not in topics:
        raise DlqError(f"dead-letter topic {dlq_topic} does not exist at {bootstrap}")
    partitions = [
        TopicPartition(dlq_topic, p["partition"]) for p in topics[dlq_topic]["partitions"]
    ]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        client_id="keten-dlq",
        **client_options(),
    )
    await _start(consumer, bootstrap)
    found: dict[int, list[DeadLetter]] = {tp.partition: [] for tp in partitions}
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        remaining = {tp for tp in partitions if starts[tp] < ends[tp]}
        if remaining:
            await consumer.seek_to_beginning(*remaining)
        last_progress = asyncio.get_running_loop().time()
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
                        letter = DeadLetter.from_record(record)
                        if flt.matches(letter):
                            found[tp.partition].append(letter)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
            now = asyncio.get_running_loop().time()
            if batches:
                last_progress = now
            elif now - last_progress > IDLE_TIMEOUT_S:
                raise DlqError(
                    f"reading {dlq_topic} stalled: no records for {IDLE_TIMEOUT_S:g} s "
                    "before its end offsets"
                )
    finally:
        await consumer.stop()
    # Merge the partitions by time; heapq.merge keeps each partition's own (offset) order.
    merged = heapq.merge(
        *found.values(),
        key=lambda d: (d.timestamp or datetime.min.replace(tzinfo=UTC), d.dlq_partition),
    )
    letters = list(merged)
    return letters if flt.limit is None else letters[: flt.limit]


def _retry_topic_shape(
    letters: Sequence[DeadLetter], topics: dict[str, dict[str, Any]]
) -> tuple[int, int | None]:
    """Partitions and replication factor for a new retry topic: those of the original topics
    (the largest), else ``DEFAULT_RETRY_PARTITIONS`` and no opinion on replication."""
    originals = [topics[t] for t in {d.original_topic for d in letters} if t in topics]
    if not originals:
        return DEFAULT_RETRY_PARTITIONS, None
    partitions = max(len(t["partitions"]) for t in originals)
    replication = max(len(p["replicas"]) for t in originals for p in t["partitions"])
    return partitions, replication


async def replay(
    bootstrap: str,
    dlq_topic: str,
    flt: DeadLetterFilter,
    *,
    dry_run: bool = False,
    replication_factor: int | None = None,
) -> int:
    """Copy the dead letters ``flt`` matches to ``retry_topic_for(flt.group)``, so only the group
    that failed them sees them again; returns how many (with ``dry_run``, how many would be).

    Each copy has the dead letter's key and value, its original headers (dead-letter headers
    removed) and ``REPLAYED_FROM``; copies are sent in dead-letter order by an idempotent
    producer (acks=all), so records of one key keep their order. A missing retry topic is
    created with the original topic's partition count and replication (when it can be
    described; else 3 partitions and ``replication_factor`` or the settings' factor)."""
    if not flt.group:
        raise DlqError(
            "replay needs a consumer group: dead letters go back only to the group that failed "
            "them (its retry topic), never to the shared topic"
        )
    retry_topic = retry_topic_for(flt.group)
    letters = await read_dead_letters(bootstrap, dlq_topic, flt)
    if dry_run or not letters:
        return len(letters)

    # Imported here, so that keten_core.kafka may import this module without a cycle.
    from keten_core.kafka import TopicSpec, ensure_topics
    from keten_core.settings import KetenSettings

    topics = await _describe_topics(bootstrap)
    if retry_topic not in topics:
        partitions, replication = _retry_topic_shape(letters, topics)
        if replication is None:
            replication = replication_factor or KetenSettings().kafka_replication_factor
        try:
            await ensure_topics(bootstrap, [TopicSpec(retry_topic, partitions, replication)])
        except KafkaError as exc:
            raise DlqError(f"cannot create retry topic {retry_topic}: {exc}") from None

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="keten-dlq-replay",
        enable_idempotence=True,
        acks="all",
        request_timeout_ms=30_000,
        **client_options(),
    )
    await _start(producer, bootstrap)
    acknowledged = 0
    try:
        async with asyncio.timeout(DELIVERY_TIMEOUT_S + len(letters) / 100):
            pending = [
                await producer.send(
                    retry_topic,
                    key=letter.key,
                    value=letter.value,
                    headers=[*letter.original_headers, (REPLAYED_FROM, letter.position.encode())],
                )
                for letter in letters
            ]
            for sent in pending:
                await sent
                acknowledged += 1
    except (TimeoutError, KafkaError) as exc:
        detail = "no acknowledgement in time" if isinstance(exc, TimeoutError) else str(exc)
        raise DlqError(
            f"replay to {retry_topic} stopped: {acknowledged} of {len(letters)} records "
            f"acknowledged ({detail}); replaying again is safe, the group's inbox drops repeats"
        ) from None
    finally:
        await producer.stop()
    return acknowledged


# --- the command line --------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _moment(text: str) -> datetime:
    """An ISO 8601 date or date-time; without a zone it is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date or time: {text!r} (e.g. 2025-05-01 or 2025-05-01T09:30:00Z)"
        ) from None
    return _as_utc(moment)


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return number


def register(subparsers: Subparsers) -> None:
    dlq = subparsers.add_parser(
        "dlq",
        help="list dead letters and replay them to the consumer group that failed them",
        description=(
            "Inspect the dead-letter topic and redeliver chosen dead letters to one consumer "
            "group through its own retry topic keten.retry.<group>, so no other group sees "
            "them twice. Reading uses no consumer group and commits nothing."
        ),
    )
    actions = dlq.add_subparsers(title="actions", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list", help="show the dead letters that match the filter", description=_FILTER_NOTE
    )
    _filter_arguments(listing)
    listing.add_argument(
        "--json", action="store_true", help="print one JSON object per dead letter, per line"
    )
    listing.set_defaults(handler=list_command)

    again = actions.add_parser(
        "replay",
        help="copy matching dead letters to keten.retry.<group> (--group required)",
        description=(
            "Copy the matching dead letters of one group to that group's retry topic "
            "keten.retry.<group> (created when missing), with their original key, value and "
            "headers plus keten_replayed_from, in dead-letter order. " + _FILTER_NOTE
        ),
    )
    _filter_arguments(again)
    again.add_argument("--dry-run", action="store_true", help="only count what would be replayed")
    again.set_defaults(handler=replay_command)


_FILTER_NOTE = (
    "Filters combine (all must match); --since is inclusive, --until exclusive, both on the "
    "dead letter's timestamp, in UTC unless the time carries a zone."
)


def _filter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group", help="the consumer group that dead-lettered the record")
    parser.add_argument("--reason", help=f"the reason ({', '.join(REASONS)})")
    parser.add_argument("--type", dest="event_type", help="the CloudEvent type (ce_type)")
    parser.add_argument("--topic", help="the topic the record was read from")
    parser.add_argument("--since", type=_moment, help="ISO 8601, e.g. 2025-05-01T09:30:00Z")
    parser.add_argument("--until", type=_moment, help="ISO 8601, e.g. 2025-05-02")
    parser.add_argument("--limit", type=_positive, help="at most this many (the oldest)")
    parser.add_argument(
        "--dlq-topic", help="the dead-letter topic (default: the setting dead_letter_topic)"
    )
    parser.add_argument(
        "--bootstrap",
        help="Kafka bootstrap servers (default: KETEN_KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:19092)",
    )


def _options(args: argparse.Namespace) -> tuple[str, str, DeadLetterFilter]:
    """Bootstrap servers, dead-letter topic and filter; settings are read only when needed."""
    bootstrap, dlq_topic = args.bootstrap, args.dlq_topic
    if bootstrap is None or dlq_topic is None:
        from keten_core.settings import KetenSettings

        settings = KetenSettings()
        bootstrap = bootstrap or settings.kafka_bootstrap_servers
        dlq_topic = dlq_topic or settings.dead_letter_topic
    if args.since and args.until and args.until <= args.since:
        raise DlqError("--until must be later than --since")
    flt = DeadLetterFilter(
        group=args.group,
        reason=args.reason,
        event_type=args.event_type,
        topic=args.topic,
        since=args.since,
        until=args.until,
        limit=args.limit,
    )
    return bootstrap, dlq_topic, flt


def _fail(error: BaseException) -> int:
    print(f"keten dlq: {error}", file=sys.stderr)
    return 1


@contextmanager
def _quiet_kafka_client() -> Iterator[None]:
    """aiokafka logs connection failures itself; the command says it once, in one line."""
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def list_command(args: argparse.Namespace) -> int:
    with _quiet_kafka_client():
        return _list(args)


def replay_command(args: argparse.Namespace) -> int:
    with _quiet_kafka_client():
        return _replay(args)


def _list(args: argparse.Namespace) -> int:
    try:
        bootstrap, dlq_topic, flt = _options(args)
        letters = asyncio.run(read_dead_letters(bootstrap, dlq_topic, flt))
    except (DlqError, KafkaError) as error:
        return _fail(error)
    if args.json:
        for letter in letters:
            print(json.dumps(letter.as_json(), ensure_ascii=False))
    elif letters:
        print(format_table(letters))
    else:
        print(f"no dead letters in {dlq_topic} match")
    return 0


def _replay(args: argparse.Namespace) -> int:
    try:
        bootstrap, dlq_topic, flt = _options(args)
        if not flt.group:
            raise DlqError(
                "replay needs --group: dead letters go back only to the consumer group that "
                "failed them, through its retry topic keten.retry.<group>"
            )
        try:
            retry_topic = retry_topic_for(flt.group)
        except ValueError as error:
            raise DlqError(str(error)) from None
        count = asyncio.run(replay(bootstrap, dlq_topic, flt, dry_run=args.dry_run))
    except (DlqError, KafkaError) as error:
        return _fail(error)
    noun = "dead letter" if count == 1 else "dead letters"
    if args.dry_run:
        print(f"would replay {count} {noun} from {dlq_topic} to {retry_topic} (dry run)")
    else:
        print(f"replayed {count} {noun} from {dlq_topic} to {retry_topic}")
    return 0


_COLUMNS = ("DLQ", "TIME", "GROUP", "REASON", "TYPE", "ORIGINAL", "ERROR")


def _row(letter: DeadLetter) -> tuple[str, ...]:
    original = "-"
    if letter.original_topic is not None:
        original = f"{letter.original_topic}:{letter.original_partition}:{letter.original_offset}"
    error = (letter.error or "").strip().splitlines()
    return (
        f"{letter.dlq_partition}:{letter.dlq_offset}",
        letter.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ") if letter.timestamp else "-",
        letter.group or "-",
        letter.reason or "-",
        letter.ce_type or "-",
        original,
        error[0] if error else "-",
    )


def format_table(letters: Iterable[DeadLetter]) -> str:
    """A plain-text table, one dead letter per line (the error's first line last)."""
    rows = [_COLUMNS, *(_row(letter) for letter in letters)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS) - 1)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in rows
    )
