"""Test helpers: which real Kafka and PostgreSQL a test session uses, a fresh database per
session, unique topic names, recorded spans. Never an in-memory stand-in for a server.

Servers are chosen by environment, in this order:

1. ``KETEN_KAFKA_BOOTSTRAP_SERVERS`` / ``KETEN_DATABASE_URL`` when set (``dev/test`` sets them
   from ``keten infra up --env``; CI systems with service containers set them too);
2. otherwise testcontainers, when a Docker engine answers;
3. otherwise the local launchers of ``keten_core.infra`` (started when not running, and left
   running for the next session; ``keten infra down`` stops them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from keten_core.infra import InfraSettings, LocalKafka, LocalPostgres

KAFKA_ENV = "KETEN_KAFKA_BOOTSTRAP_SERVERS"
DATABASE_ENV = "KETEN_DATABASE_URL"
# testcontainers' Kafka module drives Confluent's image; 7.9 is Apache Kafka 3.9 in KRaft mode.
KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"
POSTGRES_IMAGE = "postgres:15"
TEST_DATABASE_PREFIX = "keten_test_"


def docker_available(timeout: float = 10) -> bool:
    """Whether a Docker engine answers (the CLI alone is not enough)."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        answer = subprocess.run(  # noqa: S603 - fixed argument list
            [docker, "info", "--format", "{{.ServerVersion}}"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return answer.returncode == 0 and bool(answer.stdout.strip())


@contextmanager
def kafka_server() -> Iterator[str]:
    """Yield the bootstrap servers of a real broker (see the module docstring for which)."""
    if bootstrap := os.environ.get(KAFKA_ENV):
        yield bootstrap
    elif docker_available():
        try:
            from testcontainers.community.kafka import KafkaContainer
        except ImportError:  # testcontainers < 4.14 kept the modules at top level
            from testcontainers.kafka import KafkaContainer  # type: ignore[no-redef]

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield container.get_bootstrap_server()
    else:
        kafka = LocalKafka.from_settings(InfraSettings())
        kafka.start()
        yield kafka.bootstrap_servers


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the URL (``postgresql+asyncpg://``) of a real server, as a role that may create
    databases."""
    if url := os.environ.get(DATABASE_ENV):
        yield url
    elif docker_available():
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:
            from testcontainers.postgres import PostgresContainer  # type: ignore[no-redef]

        with PostgresContainer(
            POSTGRES_IMAGE,
            username="keten",
            password="keten",  # noqa: S106 - a throwaway container's password
            dbname="keten",
            driver="asyncpg",
        ) as container:
            yield container.get_connection_url()
    else:
        postgres = LocalPostgres.from_settings(InfraSettings())
        postgres.start()
        yield postgres.database_url


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """Create an empty database ``keten_test_<random>`` on the server of ``server_url``, yield
    its URL and drop it afterwards, so concurrent test sessions never share tables."""
    url = make_url(server_url).set(drivername="postgresql+asyncpg")
    name = f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex[:16]}"
    # CREATE/DROP DATABASE cannot run inside a transaction.
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                # FORCE: engines a test forgot to dispose must not keep the database alive.
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def unique_topic_name(prefix: str = "test") -> str:
    """A topic name no other test (or concurrent session on the same broker) uses."""
    return f"{prefix}.{uuid.uuid4().hex}"


class SpanRecorder:
    """Spans of the process-wide tracer provider, recorded only inside ``record()``.

    OpenTelemetry takes one global tracer provider per process and never gives it back. A plain
    SDK provider would make every later test in the session produce real spans (FastAPI and
    httpx create them), which changes, for example, what an error response contains. The
    recorder's global provider hands out tracers that are no-ops outside ``record()``."""

    def __init__(self, sdk: TracerProvider | None = None) -> None:
        self.exporter = InMemorySpanExporter()
        self.sdk = sdk or TracerProvider()
        self.sdk.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.recording = False

    @contextmanager
    def record(self) -> Iterator[InMemorySpanExporter]:
        self.exporter.clear()
        self.recording = True
        try:
            yield self.exporter
        finally:
            self.recording = False


class _RecorderTracerProvider(trace.TracerProvider):
    def __init__(self, recorder: SpanRecorder) -> None:
        self.recorder = recorder

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _SwitchedTracer(self.recorder, self.recorder.sdk.get_tracer(*args, **kwargs))


class _SwitchedTracer(trace.Tracer):
    _off = trace.NoOpTracer()

    def __init__(self, recorder: SpanRecorder, tracer: trace.Tracer) -> None:
        self._recorder = recorder
        self._tracer = tracer

    def _current(self) -> trace.Tracer:
        return self._tracer if self._recorder.recording else self._off

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._current().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._current().start_as_current_span(*args, **kwargs)


def span_recorder() -> SpanRecorder:
    """The process's recorder, installing its provider as the global one on first use."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, _RecorderTracerProvider):
        return provider.recorder
    if isinstance(provider, TracerProvider):
        # Someone configured telemetry in this process first: record through theirs, always on.
        recorder = SpanRecorder(provider)
        recorder.recording = True
        return recorder
    recorder = SpanRecorder()
    trace.set_tracer_provider(_RecorderTracerProvider(recorder))
    return recorder
