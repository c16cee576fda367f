"""Database plumbing shared by every service that owns data: the declarative base (which
carries the outbox and inbox tables), async engine and sessions, and Alembic migrations."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

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


def create_engine(database_url: str, **kwargs: object) -> AsyncEngine:
    return create_async_engine(database_url, pool_pre_ping=True, **kwargs)  # type: ignore[arg-type]


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
    """Upgrade the database to the newest revision of every branch."""
    config = alembic_config(version_locations)

    def upgrade(connection: Connection) -> None:
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
