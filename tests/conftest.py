"""Session-wide real servers for the test suite (see ``keten_core.testing`` for how they are
chosen) and small factories every test module may use."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from keten_core.infra import LocalKafka
from keten_core.infra.common import InfraSettings, port_open
from keten_core.testing import (
    fresh_database,
    kafka_server,
    postgres_server,
    span_recorder,
    unique_topic_name,
)


@pytest.fixture(scope="session")
def kafka_bootstrap_servers() -> Iterator[str]:
    """Bootstrap servers of a real Kafka broker, shared by the session."""
    with kafka_server() as bootstrap_servers:
        yield bootstrap_servers


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of the PostgreSQL server's own database; tests use ``database_url`` instead."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """URL (postgresql+asyncpg) of an empty database created for this session, dropped after."""
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture(scope="module")
async def router_db(postgres_server_url: str) -> AsyncIterator[str]:
    """A fresh database for a test module's notificatie-router (tests.router_support)."""
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture(scope="session")
def sasl(kafka_bootstrap_servers: str) -> tuple[str, str, str]:
    """The project's broker's SASL_PLAINTEXT (SCRAM-SHA-256) listener and the super user
    there (the router's): (bootstrap, user, password)."""
    settings = InfraSettings()
    local = LocalKafka.from_settings(settings)
    if local.bootstrap_servers != kafka_bootstrap_servers:
        # A broker of someone else's (KETEN_KAFKA_BOOTSTRAP_SERVERS, testcontainers) has no
        # SASL listener of ours. CI runs the project's own broker: there this must run, and a
        # skip would hide the SASL tests.
        reason = "needs the project's own broker with its SASL listener"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI uses {kafka_bootstrap_servers} instead")
        pytest.skip(reason)
    assert port_open(local.sasl_port), (
        f"the project's broker has no SASL listener on {local.sasl_port}: restart it"
        " (keten infra down kafka && keten infra up kafka)"
    )
    return (
        local.sasl_bootstrap_servers,
        settings.kafka_router_user,
        settings.kafka_router_password.get_secret_value(),
    )


@pytest.fixture
def make_topic_name() -> Callable[..., str]:
    """``make_topic_name(prefix="test")`` returns a new unique topic name on each call."""
    return unique_topic_name


@pytest.fixture
def topic_name(make_topic_name: Callable[..., str]) -> str:
    """One unique topic name ``test.<uuid>``; the test creates the topic (no auto-creation)."""
    return make_topic_name()


@pytest.fixture
def span_exporter() -> Iterator[InMemorySpanExporter]:
    """Spans finished through the global tracer provider during this test (and only then)."""
    with span_recorder().record() as exporter:
        yield exporter
