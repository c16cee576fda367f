"""The composition root every service is declared on: one process serves the HTTP API, runs the
service's consumer and its outbox relay, and stops them in order. A service's ``main`` is a
declaration::

    service = KetenService(
        "dossier-bron",
        routers=[api.router],
        events=handlers.events,           # an EventRouter
        migrations=[MIGRATIONS],          # the service's own Alembic versions
    )
    app = service.app()                   # uvicorn dossier_bron.main:app

What the lifespan does, in order:

1. logging, telemetry, the party registry (``create_service_app``);
2. the service's **own database**: engine, migrations under an advisory lock (several replicas
   may start at once), readiness check;
3. Kafka, in a supervised background task so that the HTTP API serves (and writes to the
   outbox) while the broker is still unreachable: topics (the catalogue's, the dead-letter topic,
   this group's retry topic), the producer, the relay (one active per database, the others
   stand by) and the consumer (group id = topic prefix + service name, so sandboxes and test
   runs sharing one cluster never join each other's group; inbox name = service name);
4. on shutdown, each step bounded: consumer (finishes and commits its batch), relay, producer
   (flushes what it can), telemetry (flushes spans), engine.

A supervised task that ends or fails turns ``/health/live`` to 503 naming it, so an
orchestrator restarts the process instead of leaving a service whose consumer is gone.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import structlog
from fastapi import APIRouter, FastAPI, Request

from keten_contracts.envelope import source_urn
from keten_contracts.events.catalogue import TOPICS
from keten_core.auth import PartyRegistry
from keten_core.clock import Clock, sandbox_clock_router, use_clock
from keten_core.clock_store import load_clock, save_clock
from keten_core.consumer import EventConsumer
from keten_core.db import create_engine, migrate, session_factory
from keten_core.dlq import retry_topic_for
from keten_core.health import add_health_check, add_liveness_check, database_check
from keten_core.http import API_VERSION, create_service_app
from keten_core.kafka import EventProducer, TopicSpec, ensure_topics
from keten_core.metrics import metrics_router
from keten_core.outbox import OutboxRelay, OutboxSignal
from keten_core.routing import EventRouter
from keten_core.schemas import contracts_router
from keten_core.settings import KetenSettings
from keten_core.uow import UnitOfWork
from keten_core.verwerkingslog import Verwerkingslog

log = structlog.get_logger(__name__)

__all__ = [
    "KetenService",
    "ServiceRuntime",
    "ServiceWorker",
    "runtime",
    "tune_garbage_collector",
]


class ServiceWorker(Protocol):
    """Long-running work of a service besides the kit's consumer and relay (the router's
    delivery engine): started once Kafka answers, supervised like them (liveness names it when
    it ends), stopped before the consumer on shutdown."""

    name: str

    async def run(self, runtime: ServiceRuntime) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class ServiceRuntime:
    """What the lifespan built; ``request.app.state.keten`` in routes."""

    service: KetenService
    settings: KetenSettings
    clock: Clock
    unit_of_work: Callable[[], UnitOfWork]
    engine: Any = None  # the service's own AsyncEngine (for workers that write in bulk)
    producer: EventProducer | None = None
    relay: OutboxRelay | None = None
    consumer: EventConsumer | None = None
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    stopping: bool = False
    startup_error: str | None = None

    def liveness(self) -> str | None:
        """Why the process should be restarted, or None while every task runs."""
        if self.stopping:
            return None
        if self.startup_error is not None:
            return self.startup_error
        for name, task in self.tasks.items():
            if task.done():
                error = None if task.cancelled() else task.exception()
                return f"{name} stopped" + (f": {error!r}" if error else "")
        return None


async def runtime(request: Request) -> ServiceRuntime:
    """FastAPI dependency: the running service (unit of work, clock, settings). Async: FastAPI
    runs a plain function dependency in a worker thread, a hop per request for an attribute."""
    found: ServiceRuntime = request.app.state.keten
    return found


class KetenService:
    """A service of the chain, declared once; ``app()`` builds its ASGI application."""

    def __init__(
        self,
        name: str,
        *,
        settings: KetenSettings | None = None,
        routers: Sequence[APIRouter] = (),
        events: EventRouter | None = None,
        migrations: Sequence[Path] = (),
        title: str | None = None,
        version: str = API_VERSION,
        parties: PartyRegistry | None = None,
        shutdown_timeout_s: float = 15.0,
        on_stop: Sequence[Callable[[], Awaitable[None]]] = (),
        workers: Sequence[ServiceWorker] = (),
        state: Mapping[str, Any] | None = None,
    ) -> None:
        if not name:
            raise ValueError("a service needs a name: it is its consumer group and inbox name")
        self.name = name
        settings = settings or KetenSettings()
        update: dict[str, Any] = {"service_name": name}
        if "database_url" not in settings.model_fields_set:
            update["database_url"] = settings.database_url_for(name)
        self.settings = settings.model_copy(update=update)
        self.routers = list(routers)
        self.events = events or EventRouter()
        self.migrations = list(migrations)
        self.title = title or name
        self.version = version
        self.parties = parties
        self.shutdown_timeout_s = shutdown_timeout_s
        # Closers of what the service's own parts hold (e.g. a DatarefLezer's connection pool),
        # awaited after the consumers stopped, so no handler still uses them.
        self.on_stop = list(on_stop)
        self.workers = list(workers)
        # Put on ``app.state`` for the service's own dependencies (the router's key vault).
        self.state = dict(state or {})
        self.runtime: ServiceRuntime | None = None  # set while the app runs

    @property
    def source(self) -> str | None:
        """The CloudEvents ``source`` of what this service emits (needs ``KETEN_OIN``)."""
        oin = self.settings.oin
        return source_urn(oin, self.name) if oin else None

    @property
    def consumer_group(self) -> str:
        """The Kafka consumer group: the service name behind the topic prefix, so sandboxes
        and test runs that share a cluster (each with its own prefix) never join one group and
        take each other's partitions."""
        return self.settings.topic_prefix + self.name

    def app(self) -> FastAPI:
        app = create_service_app(
            self.settings,
            title=self.title,
            version=self.version,
            lifespan=self._lifespan,
            checks={},
            parties=self.parties,
        )
        for name, value in self.state.items():
            setattr(app.state, name, value)
        app.include_router(metrics_router())
        app.include_router(contracts_router())
        # One clock per process: domain dates, event times and jobs all read it.
        # use_clock returns the PREVIOUS clock: keep the new one, not what it returns.
        self.clock = Clock.from_settings(self.settings)
        use_clock(self.clock)
        if self.settings.sandbox:
            app.include_router(sandbox_clock_router(self.clock, on_change=self._keep_clock))
        for router in self.routers:
            app.include_router(router)
        return app

    async def _keep_clock(self, clock: Clock) -> None:
        """The sandbox clock was moved over HTTP: keep it for a restart (``clock_store``)."""
        if self.runtime is None:  # not started: nothing to keep it in
            return
        await save_clock(self.runtime.engine, clock)

    @asynccontextmanager
    async def _lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        settings = self.settings
        clock = self.clock
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        add_health_check(app, "database", database_check(engine))
        await migrate(engine, self.migrations)
        if settings.sandbox and await load_clock(engine, clock):
            log.info("sandbox_clock_restored", now=clock.now().isoformat())
        sessions = session_factory(engine)
        signal = OutboxSignal(engine)

        def unit_of_work(consumer: str | None = None) -> UnitOfWork:
            return UnitOfWork(
                sessions,
                source=self.source,
                now=clock.now,
                consumer=consumer,
                signal=signal,
                topic_prefix=settings.topic_prefix,
                schema_base_url=settings.schema_base_url,
            )

        state = ServiceRuntime(self, settings, clock, unit_of_work, engine)
        app.state.keten = self.runtime = state
        # Every read of personal data is logged in the service's own database (source_read).
        # Its own pool: a write route holds a connection of ``engine`` (its unit of work, often
        # a row lock) while the read kit logs what it delivers on another connection. From one
        # pool, enough concurrent requests each held one connection and waited for a second:
        # every request stalled until the pool timeout (found by `keten dossier-bron bench`).
        log_engine = create_engine(settings.database_url, pool_size=5, max_overflow=5)
        app.state.verwerkingslog = Verwerkingslog(
            log_engine, dienst=self.name, sleutel=settings.verwerkingslog_sleutel
        )
        add_liveness_check(app, "tasks", state.liveness)
        kafka = asyncio.create_task(self._start_kafka(state, engine, signal))
        try:
            yield
        finally:
            state.stopping = True
            await self._stop(state, kafka, signal)
            for close in self.on_stop:
                try:
                    await close()
                except Exception as exc:  # one failing closer must not keep the rest open
                    log.warning("service_closer_failed", service=self.name, error=repr(exc))
            await log_engine.dispose()
            await engine.dispose()

    async def _start_kafka(
        self,
        state: ServiceRuntime,
        engine: Any,
        signal: OutboxSignal,
    ) -> None:
        """Topics, producer, relay, consumer; retried until the broker answers."""
        settings = self.settings
        security = settings.kafka_client_options()
        delay = 0.5
        while True:
            producer = EventProducer(
                settings.kafka_bootstrap_servers, client_id=self.name, security=security
            )
            try:
                await ensure_topics(
                    settings.kafka_bootstrap_servers, self._topics(), security=security
                )
                await producer.start()
                break
            except Exception as exc:
                await producer.stop()  # a client that failed to start is not started again
                log.warning("kafka_not_ready", error=repr(exc), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
        state.producer = producer
        relay = OutboxRelay(engine, producer, service=self.name)
        signal.attach(relay)
        state.relay = relay
        self._supervise(state, "outbox-relay", relay.run())
        if self.events.event_types:
            group = self.consumer_group
            consumer = EventConsumer(
                settings.kafka_bootstrap_servers,
                [*sorted(self.events.topics(settings.topic_prefix)), retry_topic_for(group)],
                group_id=group,
                handler=self.events.batch_handler(
                    lambda: state.unit_of_work(consumer=self.name), group=group
                ),
                dead_letters=producer,
                dead_letter_topic=settings.dead_letter_topic,
                security=security,
            )
            state.consumer = consumer  # before start(): a shutdown meanwhile must close it
            try:
                await consumer.start()
            except Exception as exc:
                # The broker answered a moment ago: this is not an outage to wait out but a
                # fault (e.g. the group is not authorised). Liveness reports it.
                state.startup_error = f"consumer did not start: {exc!r}"
                log.error("service_consumer_start_failed", error=repr(exc))
                return
            self._supervise(state, "consumer", consumer.run())
        for worker in self.workers:
            self._supervise(state, worker.name, worker.run(state))
        tune_garbage_collector()
        log.info("service_kafka_ready", service=self.name)

    def _topics(self) -> list[TopicSpec]:
        s = self.settings
        names = {s.topic_prefix + topic for topic in TOPICS.values()}
        specs = [TopicSpec(n, s.kafka_partitions, s.kafka_replication_factor) for n in names]
        specs.append(TopicSpec(s.dead_letter_topic, s.kafka_partitions, s.kafka_replication_factor))
        specs.append(
            TopicSpec(
                retry_topic_for(self.consumer_group), s.kafka_partitions, s.kafka_replication_factor
            )
        )
        return sorted(specs, key=lambda spec: spec.name)

    @staticmethod
    def _supervise(
        state: ServiceRuntime, name: str, work: Coroutine[Any, Any, None]
    ) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)

        def ended(done: asyncio.Task[None]) -> None:
            if state.stopping:
                return
            error = None if done.cancelled() else done.exception()
            log.error("service_task_stopped", task=name, error=repr(error))

        task.add_done_callback(ended)
        state.tasks[name] = task
        return task

    async def _stop(
        self,
        state: ServiceRuntime,
        kafka: asyncio.Task[None],
        signal: OutboxSignal,
    ) -> None:
        budget = self.shutdown_timeout_s
        if not kafka.done():
            kafka.cancel()
            await asyncio.gather(kafka, return_exceptions=True)
        for worker in self.workers:
            await _bounded(worker.name, worker.stop(), budget)
        if state.consumer is not None:
            await _bounded("consumer", state.consumer.stop(), budget)
        if state.relay is not None:
            state.relay.stop()
        for name, task in state.tasks.items():
            try:
                async with asyncio.timeout(budget):
                    await asyncio.gather(task, return_exceptions=True)
            except TimeoutError:
                log.warning("service_task_stop_timeout", task=name)
                task.cancel()
        await signal.close()
        if state.producer is not None:
            await _bounded("producer", state.producer.stop(), budget)


def tune_garbage_collector() -> None:
    """Collector settings for a process that handles events in batches. Start-up objects (the
    contract models, the catalogue, the clients) live as long as the process: ``freeze`` keeps
    them out of every full pass, whose pauses showed in the tail of event latency. A batch
    allocates some tens of thousands of short-lived objects, almost all freed by reference
    counting; collecting cycles every 700 allocations (the default) spent half of a consumer's
    time per event in the collector, so the young generation is collected less often."""
    gc.freeze()
    gc.set_threshold(GC_THRESHOLDS[0], GC_THRESHOLDS[1], GC_THRESHOLDS[2])


# Young generation every 20,000 allocations (default 700); older ones as by default, relative.
GC_THRESHOLDS: tuple[int, int, int] = (20_000, 20, 20)


async def _bounded(name: str, work: Coroutine[Any, Any, None], seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await work
    except TimeoutError:
        log.warning("service_stop_timeout", part=name, waited_s=seconds)
    except Exception as exc:
        log.warning("service_stop_failed", part=name, error=repr(exc))
