"""The core migration creates exactly what the models declare (Alembic's autogenerate finds
nothing to add, drop or alter), so the outbox and inbox never drift from their code."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from keten_core import inbox, outbox  # noqa: F401 - registers their tables on Base.metadata
from keten_core.db import Base, create_engine, migrate
from keten_core.testing import fresh_database

pytestmark = pytest.mark.postgres


async def test_migrated_schema_matches_the_models(postgres_server_url):
    # A database of its own: other tests add tables of theirs to the session's database.
    async with fresh_database(postgres_server_url) as url:
        await _assert_migration_matches_models(url)


async def _assert_migration_matches_models(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
        await migrate(engine)  # idempotent: already at head

        def diff(connection):
            return compare_metadata(MigrationContext.configure(connection), Base.metadata)

        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []
