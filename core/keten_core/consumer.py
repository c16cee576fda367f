"""The event consumer: fetches bounded batches, hands a fetch's valid events to one batch
handler (one call for all partitions; a failed batch is retried per partition), and commits an
offset only once its effect is durable (or the record is safely in the
dead-letter topic). What it does with a failure depends on its class (``keten_core.errors``):

- transient: the partition is paused and rewound to the failed record, and resumed after a
  capped, jittered backoff, without limit; the consumer keeps polling (so it stays in the group)
  and the partition's later records wait, so per-key order holds;
- permanent, or a handler bug that failed ``bug_attempts`` times: the record goes to the
  dead-letter topic with the reason (a batch that fails is first retried one event at a time,
  so only the culprit is parked);
- a record that is not a valid event: dead-lettered as ``invalid-event``.

A rebalance (another replica joining) waits for the batch in hand, commits it, and drops what
was fetched for the revoked partitions, so the new owner starts where this one stopped and no
record is handled twice. Nothing raised by one record ends the loop.
"""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from keten_contracts.envelope import EnvelopeAttributes
from keten_core.dlq import park
from keten_core.envelope import InvalidEvent, decode_binary
from keten_core.errors import is_permanent, is_transient
from keten_core.kafka import EventProducer, client_options
from keten_core.metrics import ConsumerMetrics

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("keten_core.consumer")

__all__ = ["BatchHandler", "ConsumedEvent", "EventConsumer"]


@dataclass(frozen=True, slots=True)
class ConsumedEvent:
    """One decoded event with the record it came in."""

    envelope: EnvelopeAttributes
    data: dict[str, Any]
    record: ConsumerRecord

    @property
    def type(self) -> str:
        return self.envelope.type

    @property
    def id(self) -> str:
        return str(self.envelope.id)

    @property
    def source(self) -> str:
        return self.envelope.source


# Handles a batch of events (each partition's in order), all or nothing; raising fails it all.
BatchHandler = Callable[[Sequence[ConsumedEvent]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Invalid:
    """A record that is not a valid event, with the reason for the dead-letter topic."""

    record: ConsumerRecord
    reason: str


@dataclass(slots=True)
class _Plan:
    """A decoded fetch: partitions of valid events, and partitions holding an invalid one
    (decoded once, in record order)."""

    clean: dict[TopicPartition, list[ConsumedEvent]] = field(default_factory=dict)
    dirty: dict[TopicPartition, list[ConsumedEvent | _Invalid]] = field(default_factory=dict)

    @property
    def partitions(self) -> set[TopicPartition]:
        return {*self.clean, *self.dirty}

    @property
    def size(self) -> int:
        return sum(map(len, self.clean.values())) + sum(map(len, self.dirty.values()))


@dataclass(slots=True)
class _Attempts:
    offset: int
    failures: int = 0  # consecutive failures of any kind at this offset (drives the backoff)
    bugs: int = 0  # of which handler bugs (bounded by bug_attempts)


class EventConsumer:
    """A consumer group member; ``run()`` until ``stop()``."""

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Iterable[str],
        *,
        group_id: str,
        handler: BatchHandler,
        dead_letters: EventProducer,
        dead_letter_topic: str,
        max_records: int = 2000,
        bug_attempts: int = 3,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 30.0,
        revoke_wait_s: float = 30.0,
        metrics: ConsumerMetrics | None = None,
        security: Mapping[str, Any] | None = None,
        **consumer_options: Any,
    ) -> None:
        self._topics = list(topics)
        self.group_id = group_id
        self._handler = handler
        self._dead_letters = dead_letters
        self._dead_letter_topic = dead_letter_topic
        self._max_records = max_records
        self._bug_attempts = bug_attempts
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._revoke_wait_s = revoke_wait_s
        self._metrics = metrics or ConsumerMetrics.shared()
        options: dict[str, Any] = {
            **client_options(security),
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "isolation_level": "read_committed",
            **consumer_options,
        }
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, group_id=group_id, **options
        )
        self._done: dict[TopicPartition, int] = {}
        self._attempts: dict[TopicPartition, _Attempts] = {}
        self._resume_at: dict[TopicPartition, float] = {}
        self._revoking: set[TopicPartition] = set()
        self._generation = 0  # counts assignments: a fetch from before a rebalance is dropped
        self._commit_lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._exited = asyncio.Event()
        self._exited.set()
        self._lag_updated = 0.0

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member holds now."""
        return set(self._consumer.assignment())

    async def start(self) -> None:
        self._consumer.subscribe(self._topics, listener=_Rebalance(self))
        await self._consumer.start()

    async def stop(self) -> None:
        """Finish the batch in hand, commit, leave the group. Closing the client under a commit
        in flight would leave that commit retrying for ever."""
        self._stopping.set()
        await self._exited.wait()
        await self._commit()
        await self._consumer.stop()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[asyncio.Task[None]]:
        """Started and running in a task while the block runs, stopped on the way out (the
        batch in hand finished and committed); a fault that ended ``run()`` is raised then.
        For tools and tests; a service supervises ``run()`` itself."""
        await self.start()
        task = asyncio.create_task(self.run())
        try:
            yield task
        finally:
            await self.stop()
            await asyncio.wait([task])
        task.result()

    async def run(self) -> None:
        """Process records until ``stop()``; ``start()`` must have been awaited. Only a fault
        of the client itself ends it (the service's supervisor then fails liveness).

        Fetches are pipelined: while one batch's handler waits for its database, the next
        fetch is decoded. It runs only after that batch is done, and only for partitions that
        are still this member's and not paused for a retry meanwhile (their records are
        fetched again after the rewind)."""
        self._exited.clear()
        running: asyncio.Task[None] | None = None
        try:
            while not self._stopping.is_set():
                self._resume_due()
                batches = await self._consumer.getmany(
                    timeout_ms=0 if running is not None else self._fetch_timeout_ms(),
                    max_records=self._max_records,
                )
                # Read after the fetch: aiokafka returns only records of the assignment in
                # force when getmany returns, and a new assignment resets the positions, so a
                # fetch dropped after a rebalance is fetched again, never lost.
                generation = self._generation
                plan = self._prepare(batches) if batches else None
                if running is not None:
                    await running
                    running = None
                if plan is not None and not self._stopping.is_set():
                    plan = self._still_ours(plan, generation)
                    if plan.partitions:
                        self._idle.clear()
                        running = asyncio.create_task(self._execute(plan))
                await self._commit()
                await self._update_lag()
            if running is not None:
                await running
        finally:
            if running is not None and not running.done():
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
            self._exited.set()

    # -- one fetch's records ------------------------------------------------------------------

    def _prepare(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> _Plan:
        """Decode a fetch. Partitions whose records are all valid events are handled together
        (one handler call: one transaction, one inbox statement for the whole fetch); a
        partition holding an invalid record takes the per-partition path."""
        plan = _Plan()
        for tp, records in batches.items():
            if tp in self._revoking or tp in self._resume_at:
                continue
            decoded = [_decode(record) for record in records]
            events = [item for item in decoded if isinstance(item, ConsumedEvent)]
            if len(events) == len(decoded):
                plan.clean[tp] = events
            else:
                plan.dirty[tp] = decoded
        return plan

    def _still_ours(self, plan: _Plan, generation: int) -> _Plan:
        """What of a prepared fetch may run now: nothing after a rebalance (the partitions may
        be another member's), nothing of a partition paused for a retry."""
        if generation != self._generation:
            return _Plan()

        def keep(tp: TopicPartition) -> bool:
            return tp not in self._revoking and tp not in self._resume_at

        return _Plan(
            {tp: e for tp, e in plan.clean.items() if keep(tp)},
            {tp: r for tp, r in plan.dirty.items() if keep(tp)},
        )

    async def _execute(self, plan: _Plan) -> None:
        """Run a prepared fetch; partitions are independent (order is per key, a key lives in
        one partition), so their paths run side by side."""
        try:
            with tracer.start_as_current_span(
                "process",
                kind=SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.consumer.group.name": self.group_id,
                    "messaging.batch.message_count": plan.size,
                },
            ):
                work = [self._process_partition(tp, items) for tp, items in plan.dirty.items()]
                if len(plan.clean) == 1:
                    ((tp, events),) = plan.clean.items()
                    work.append(self._handle(tp, events))
                elif plan.clean:
                    work.append(self._handle_together(plan.clean))
                await _side_by_side(work)
        finally:
            self._idle.set()

    async def _handle_together(self, batches: dict[TopicPartition, list[ConsumedEvent]]) -> None:
        """One handler call for several partitions; on a failure each partition is retried
        alone (and within it, event by event, to find the culprit)."""
        try:
            await self._handler([event for events in batches.values() for event in events])
        except Exception:
            # Whatever failed, each partition is tried alone: a fault that concerns one
            # partition's events (a source answering 503 for one dataref) then pauses only it.
            await _side_by_side([self._handle(tp, events) for tp, events in batches.items()])
            return
        for tp, events in batches.items():
            self._succeeded(tp, events)

    async def _process_partition(
        self, tp: TopicPartition, items: list[ConsumedEvent | _Invalid]
    ) -> None:
        """One partition's records that hold an invalid one: the events before it are handled,
        it goes to the dead-letter topic, then the rest."""
        pending: list[ConsumedEvent] = []
        for item in items:
            if isinstance(item, ConsumedEvent):
                pending.append(item)
                continue
            if not await self._handle(tp, pending):
                return
            pending = []
            if not await self._dead_letter(tp, item.record, "invalid-event", item.reason):
                return
            self._done[tp] = item.record.offset + 1
        await self._handle(tp, pending)

    async def _handle(self, tp: TopicPartition, events: list[ConsumedEvent]) -> bool:
        """Handle ``events`` of one partition; True when all are done (handled or parked)."""
        if not events:
            return True
        try:
            await self._handler(events)
        except Exception as exc:
            if is_transient(exc):
                self._retry_later(tp, events[0].record.offset, exc)
                return False
            if len(events) == 1:
                return await self._failed(tp, events[0], exc)
            return await self._one_by_one(tp, events)
        self._succeeded(tp, events)
        return True

    async def _one_by_one(self, tp: TopicPartition, events: list[ConsumedEvent]) -> bool:
        """A batch failed for a reason that is not transient: find the culprit."""
        for event in events:
            try:
                await self._handler([event])
            except Exception as exc:
                if is_transient(exc):
                    self._retry_later(tp, event.record.offset, exc)
                    return False
                if not await self._failed(tp, event, exc):
                    return False
                continue
            self._succeeded(tp, [event])
        return True

    def _succeeded(self, tp: TopicPartition, events: list[ConsumedEvent]) -> None:
        self._done[tp] = events[-1].record.offset + 1
        self._attempts.pop(tp, None)
        self._metrics.consumed(self.group_id, events)

    async def _failed(self, tp: TopicPartition, event: ConsumedEvent, exc: Exception) -> bool:
        """A permanent failure or a handler bug: park now, or after ``bug_attempts``."""
        record = event.record
        if is_permanent(exc):
            reason = "rejected"
        else:
            attempts = self._attempts_at(tp, record.offset)
            attempts.bugs += 1
            if attempts.bugs < self._bug_attempts:
                log.warning(
                    "event_handler_failed",
                    type=event.type,
                    id=event.id,
                    attempt=attempts.bugs,
                    error=_describe(exc),
                )
                self._retry_later(tp, record.offset, exc)
                return False
            reason = "handler-failed"
        if not await self._dead_letter(tp, record, reason, _describe(exc), event.type):
            return False
        self._done[tp] = record.offset + 1
        self._attempts.pop(tp, None)
        return True

    async def _dead_letter(
        self,
        tp: TopicPartition,
        record: ConsumerRecord,
        reason: str,
        error: str,
        event_type: str | None = None,
    ) -> bool:
        try:
            await park(
                self._dead_letters,
                self._dead_letter_topic,
                record,
                reason=reason,
                error=error,
                group=self.group_id,
            )
        except Exception as exc:
            # Not parked is not lost: the record stays uncommitted and is tried again.
            self._retry_later(tp, record.offset, exc)
            return False
        self._metrics.dead_lettered(self.group_id, event_type or _header_type(record), reason)
        log.warning(
            "event_dead_lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
            error=error,
        )
        return True

    # -- pausing, resuming, committing ------------------------------------------------------

    def _attempts_at(self, tp: TopicPartition, offset: int) -> _Attempts:
        attempts = self._attempts.get(tp)
        if attempts is None or attempts.offset != offset:
            attempts = self._attempts[tp] = _Attempts(offset)
        return attempts

    def _retry_later(self, tp: TopicPartition, offset: int, exc: BaseException) -> None:
        """Pause ``tp`` and rewind it to ``offset``; ``run()`` resumes it after the backoff."""
        attempts = self._attempts_at(tp, offset)
        attempts.failures += 1
        initial, cap = self._backoff
        delay = min(cap, initial * 2 ** min(attempts.failures - 1, 30))
        delay *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography
        try:
            self._consumer.pause(tp)
            self._consumer.seek(tp, offset)
        except IllegalStateError:
            return  # revoked meanwhile: the new owner starts from the last commit
        self._resume_at[tp] = time.monotonic() + delay
        self._metrics.retried(self.group_id, tp.topic)
        log.warning(
            "event_retry_scheduled",
            topic=tp.topic,
            partition=tp.partition,
            offset=offset,
            attempt=attempts.failures,
            retry_in_s=round(delay, 2),
            error=_describe(exc),
        )

    def _resume_due(self) -> None:
        now = time.monotonic()
        assigned = self._consumer.assignment()
        for tp, at in list(self._resume_at.items()):
            if at <= now:
                del self._resume_at[tp]
                if tp in assigned:
                    self._consumer.resume(tp)

    def _fetch_timeout_ms(self) -> int:
        if not self._resume_at:
            return 500
        soonest = min(self._resume_at.values()) - time.monotonic()
        return max(0, min(500, int(soonest * 1000)))

    async def _commit(self, only: Iterable[TopicPartition] | None = None) -> None:
        async with self._commit_lock:
            wanted = set(self._done) if only is None else set(only) & set(self._done)
            offsets = {tp: self._done.pop(tp) for tp in wanted}
            if not offsets:
                return
            try:
                await self._consumer.commit(offsets)
            except (KafkaError, IllegalStateError) as exc:
                # A rebalance took the partitions: the new owner re-reads from the last commit
                # (its inbox recognises what this member already applied).
                log.warning("offset_commit_failed", error=str(exc), partitions=len(offsets))
                assigned = self._consumer.assignment()
                for tp, offset in offsets.items():
                    if tp in assigned and tp not in self._revoking:
                        self._done.setdefault(tp, offset)

    async def _update_lag(self) -> None:
        now = time.monotonic()
        if now - self._lag_updated < 5:
            return
        self._lag_updated = now
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            try:
                position = await self._consumer.position(tp)
            except (KafkaError, IllegalStateError):
                continue
            self._metrics.set_lag(self.group_id, tp, max(0, highwater - position))

    async def _revoked(self, revoked: set[TopicPartition]) -> None:
        self._revoking = set(revoked)
        try:
            async with asyncio.timeout(self._revoke_wait_s):
                await self._idle.wait()
        except TimeoutError:
            log.warning("rebalance_batch_still_running", waited_s=self._revoke_wait_s)
        await self._commit(revoked)
        for tp in revoked:
            self._resume_at.pop(tp, None)
            self._attempts.pop(tp, None)
            self._done.pop(tp, None)

    def _assigned(self) -> None:
        self._generation += 1
        self._revoking = set()


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: EventConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._consumer._revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._consumer._assigned()


def _decode(record: ConsumerRecord) -> ConsumedEvent | _Invalid:
    try:
        envelope, data = decode_binary(record.headers, record.key, record.value)
    except InvalidEvent as exc:
        return _Invalid(record, exc.reason)
    return ConsumedEvent(envelope, data, record)


async def _side_by_side(work: Sequence[Awaitable[Any]]) -> None:
    """Await all of ``work`` concurrently, then raise the first failure: none is left running
    behind a failed one."""
    for outcome in await asyncio.gather(*work, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome


def _header_type(record: ConsumerRecord) -> str:
    for name, value in record.headers or ():
        if name == "ce_type" and value is not None:
            return value.decode(errors="replace")[:200]
    return "unknown"


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
