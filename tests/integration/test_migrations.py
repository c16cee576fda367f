"""The core migration creates exactly what the models declare (Alembic's autogenerate finds
nothing to add, drop or alter), so the outbox and inbox never drift from their code; and
processes migrating one database at the same moment all succeed."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from keten_core import (  # noqa: F401 - registers their tables on Base.metadata
    clock_store,
    inbox,
    outbox,
    verwerkingslog,
)
from keten_core.db import Base, alembic_config, create_engine, migrate
from keten_core.testing import fresh_database

pytestmark = pytest.mark.postgres


async def test_migrated_schema_matches_the_models(postgres_server_url):
    # A database of its own: other tests add tables of theirs to the session's database.
    async with fresh_database(postgres_server_url) as url:
        await _assert_migration_matches_models(url)


def _core_only(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
    table = getattr(obj, "table", obj) if kind != "table" else obj
    return (getattr(table, "name", None) or name or "").startswith("keten_")


async def _assert_migration_matches_models(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
        await migrate(engine)  # idempotent: already at head

        def diff(connection):
            # Only the core's tables: a service's models share Base.metadata once imported in
            # this process, and each service checks its own branch in its own test.
            context = MigrationContext.configure(connection, opts={"include_object": _core_only})
            return compare_metadata(context, Base.metadata)

        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []


# --- concurrent migrate() (several replicas or init containers starting at once) ----------

# Each child imports everything first, says "ready", then waits for the parent's "go", so the
# migrations start together rather than one interpreter start-up apart.
MIGRATE_CHILD = """
import sys
from keten_core.db import migrate_url
print("ready", flush=True)
sys.stdin.readline()
migrate_url(sys.argv[1])
"""
PROCESSES = 3
# A table the core migration creates. Left to chance, three processes collide in roughly one
# round in three (the migration's transaction is short); the test makes the collision certain
# by creating this table itself in a transaction it keeps open. The first migration to get
# there waits for that transaction, still holding its own uncommitted ``alembic_version``;
# without serialisation the others, which saw no ``alembic_version`` either, then create it a
# second time and fail with a unique violation once the first commits.
STALLING_TABLE = "keten_outbox"


def _start_children(url: str) -> list[subprocess.Popen[str]]:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_CHILD, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.communicate()[1]
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    return children


def _finish_children(children: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    results = []
    for child in children:
        try:
            _, stderr = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
        results.append((child.returncode, stderr))
    return results


async def _wait_for_lock_waiters(
    connection, children: list[subprocess.Popen[str]], count: int, timeout_s: float = 30.0
) -> None:
    """Until ``count`` other sessions on this database wait for a lock (or a child exited)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(timeout_s):
        while True:
            # Within a transaction PostgreSQL keeps listing the sessions it saw first.
            await connection.execute(text("SELECT pg_stat_clear_snapshot()"))
            if (await connection.execute(query)).scalar_one() >= count:
                return
            if any(child.poll() is not None for child in children):
                return
            await asyncio.sleep(0.05)


async def _current_heads(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(
                await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_heads()
                )
            )
    finally:
        await engine.dispose()


async def test_concurrent_migrations_all_succeed(postgres_server_url):
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    async with fresh_database(postgres_server_url) as url:
        stall = create_engine(url, poolclass=NullPool)
        children: list[subprocess.Popen[str]] = []
        try:
            async with stall.connect() as connection:
                await connection.execute(text(f"CREATE TABLE {STALLING_TABLE} (id integer)"))
                children = await asyncio.to_thread(_start_children, url)
                # One migration waits for our transaction, the others for it (or for its lock).
                await _wait_for_lock_waiters(connection, children, PROCESSES)
                await connection.rollback()
            results = await asyncio.to_thread(_finish_children, children)
        finally:
            for child in children:
                if child.poll() is None:
                    child.kill()
                    child.communicate()
            await stall.dispose()

        failures = [stderr[-1500:] for code, stderr in results if code != 0]
        assert not failures, f"{len(failures)} of {PROCESSES} migrations failed:\n" + (
            "\n---\n".join(failures)
        )
        assert await _current_heads(url) == heads
