"""Database plumbing shared by every service that owns data: the declarative base (which
carries the outbox and inbox tables), async engine and sessions, and Alembic migrations."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS = Path(__file__).with_name("migrations")

# Stable constraint names, so Alembic autogenerate produces reviewable migrations.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Key of the PostgreSQL advisory lock that serialises ``migrate`` per database (advisory locks
# are scoped to the database they are taken in). Fixed for good: every version of every
# service must take the same lock. It is the first 8 bytes of SHA-256 over
# ``keten_core.db.migrate``, read as a signed big-endian 64-bit integer, so it is unlikely to
# collide with another application's key on a shared server.
MIGRATION_LOCK_KEY = -4533461064213174622

# Connections older than this are replaced when they are next checked out (an age check, no
# round trip): firewalls, NAT gateways and PgBouncer drop connections that sit idle for long,
# and a service that was quiet overnight should not find its whole pool dead.
POOL_RECYCLE_S = 1800


def create_engine(database_url: str, **kwargs: object) -> AsyncEngine:
    """The async engine of a service. No ``pool_pre_ping``: it costs a round trip on every
    checkout, i.e. on every transaction. Instead a pooled connection whose socket the server
    already closed (a restart of PostgreSQL: asyncpg sees the EOF on its own) is replaced at
    checkout, for free (``_discard_closed``). A connection that dies unnoticed fails on first
    use with a connection-level error; SQLAlchemy then discards it and the consumer retries the
    record as a transient failure; an HTTP request in flight fails once."""
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_S)
    engine = create_async_engine(database_url, **kwargs)  # type: ignore[arg-type]
    event.listen(engine.sync_engine.pool, "checkout", _discard_closed)
    return engine


def _discard_closed(
    dbapi_connection: Any, connection_record: ConnectionPoolEntry, connection_proxy: Any
) -> None:
    """Pool checkout: a connection the server closed while it sat in the pool is not handed
    out (the pool replaces it); without this, after a database restart the first request on
    each pooled connection failed (500, or 503 from the processing log) although the server
    was back. A local flag, no round trip."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if callable(is_closed) and is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: handlers often log or return what they wrote.
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(version_locations: Sequence[Path] = ()) -> Config:
    """Core's migrations plus a service's own (``version_locations``), one history."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    locations = [MIGRATIONS / "versions", *version_locations]
    config.set_main_option("version_locations", ":".join(str(p) for p in locations))
    return config


async def migrate(engine: AsyncEngine, version_locations: Sequence[Path] = ()) -> None:
    """Upgrade the database to the newest revision of every branch.

    Safe to run from several processes at once (replicas or init containers starting
    together): the migration transaction first takes a transaction-level advisory lock
    (``MIGRATION_LOCK_KEY``), so one process migrates while the others wait, and these then
    find the database at head and do nothing. Without it, each saw no ``alembic_version``
    table, each tried to create it, and all but one failed with an ``IntegrityError``. The lock
    is released when the transaction ends, also when the process dies."""
    config = alembic_config(version_locations)

    def upgrade(connection: Connection) -> None:
        # In the same transaction as the migration, before Alembic reads the current version.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


def migrate_url(database_url: str, version_locations: Sequence[Path] = ()) -> None:
    """Synchronous entry point for operators (``keten`` commands, init containers)."""

    async def run() -> None:
        engine = create_engine(database_url)
        try:
            await migrate(engine, version_locations)
        finally:
            await engine.dispose()

    asyncio.run(run())
