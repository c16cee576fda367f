"""Real Kafka and PostgreSQL servers on loopback for development, tests and CI (no Docker).

``keten infra up|status|down|fetch`` drives them from the shell; tests use them through
``keten_core.testing``. Both launchers are plain classes, so a test can run a second,
throwaway server on other ports and kill or restart it.
"""

from __future__ import annotations

from collections.abc import Iterable

from keten_core.infra.common import InfraError, InfraSettings, LocalServer
from keten_core.infra.kafka import KAFKA_VERSION, LocalKafka, fetch_kafka
from keten_core.infra.postgres import LocalPostgres

SERVER_NAMES = (LocalKafka.name, LocalPostgres.name)


def local_servers(
    names: Iterable[str] = SERVER_NAMES, settings: InfraSettings | None = None
) -> list[LocalServer]:
    """The local servers that ``KETEN_KAFKA_BOOTSTRAP_SERVERS`` and ``KETEN_DATABASE_URL``
    point at, in start order."""
    settings = settings or InfraSettings()
    wanted = set(names)
    servers: list[LocalServer] = []
    if LocalKafka.name in wanted:
        servers.append(LocalKafka.from_settings(settings))
    if LocalPostgres.name in wanted:
        servers.append(LocalPostgres.from_settings(settings))
    return servers


__all__ = [
    "KAFKA_VERSION",
    "SERVER_NAMES",
    "InfraError",
    "InfraSettings",
    "LocalKafka",
    "LocalPostgres",
    "LocalServer",
    "fetch_kafka",
    "local_servers",
]
