"""Session-wide real servers for the test suite (see ``keten_core.testing`` for how they are
chosen) and small factories every test module may use."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Final

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from keten_core.infra import InfraError, LocalKafka, local_servers
from keten_core.infra.common import InfraSettings, LocalServer, port_open
from keten_core.testing import (
    fresh_database,
    kafka_server,
    postgres_server,
    span_recorder,
    unique_topic_name,
)


class ServerWatch:
    """Stops the run when a local server the session uses dies. A dead broker fails every test
    after it, for twenty minutes of timeouts, and hides why; this names the test during which
    it died and prints the end of the server's log (a JVM's fatal error goes there too)."""

    def __init__(self) -> None:
        try:
            servers = local_servers()
        except InfraError:  # servers that are not this machine's: nothing to watch
            servers = []
        self.watched: list[LocalServer] = [s for s in servers if s.pid() is not None]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        yield
        dead = [s for s in self.watched if s.pid() is None]
        if not dead:
            return
        reporter = item.config.pluginmanager.get_plugin("terminalreporter")
        for server in dead:
            if reporter is not None:
                reporter.write_sep("!", f"{server.title} died during {item.nodeid}")
                reporter.write_line(self.excerpt(server))
        names = ", ".join(s.title for s in dead)
        pytest.exit(f"{names} died during {item.nodeid}; the run stops here", returncode=1)

    @staticmethod
    def excerpt(server: LocalServer) -> str:
        # A broker logs at INFO: its errors first, then how the log ends (a log that ends in
        # routine lines means a signal from outside, such as the kernel's OOM killer).
        lines = [line[:300] for line in server.log_tail(5000).splitlines()]
        errors = [line for line in lines if FATAL_LINE.search(line)]
        return "\n".join(
            [f"errors in {server.log_file}:", *errors[-30:], "its last lines:", *lines[-12:]]
        )


# Kafka's ERROR/FATAL lines; PostgreSQL's; a JVM's own messages and stack traces (no timestamp).
FATAL_LINE: Final = re.compile(
    r"^\[[^\]]*\] (ERROR|FATAL) |\b(ERROR|FATAL|PANIC): |^(#|\S*(Error|Exception)\b)"
)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ServerWatch(), "keten-server-watch")


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
