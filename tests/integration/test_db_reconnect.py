"""A service's engine after PostgreSQL restarted: the pooled connections the server closed are
replaced at checkout, so the first transactions after the restart succeed (found by the chain
fault test: a journey step failed with 503 on a dead pooled connection of the processing log,
seconds after the server was back). Runs a throwaway server of its own: it is crashed here."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from keten_core.chain import free_port
from keten_core.db import create_engine
from keten_core.infra import LocalPostgres

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(120)]

POOL: int = 3


@pytest.fixture
def server() -> Iterator[LocalPostgres]:
    postgres = LocalPostgres(port=free_port())
    try:
        postgres.start(timeout=120)
        yield postgres
    finally:
        postgres.destroy()


async def one_each(engine: AsyncEngine) -> list[int]:
    """``POOL`` transactions at once, so each pooled connection is used."""

    async def query() -> int:
        async with engine.connect() as connection:
            return int(await connection.scalar(text("SELECT 1 FROM pg_sleep(0.05)")) or 0)

    return list(await asyncio.gather(*(query() for _ in range(POOL))))


async def test_connections_closed_by_a_restart_are_replaced_not_handed_out(
    server: LocalPostgres,
) -> None:
    engine = create_engine(server.database_url, pool_size=POOL, max_overflow=0)
    try:
        assert await one_each(engine) == [1] * POOL
        assert engine.sync_engine.pool.checkedin() == POOL

        server.kill()  # immediate shutdown: every backend goes, the sockets close
        server.start(timeout=120)
        await asyncio.sleep(0.2)  # the event loop reads the EOFs, as a running service's does

        assert await one_each(engine) == [1] * POOL
    finally:
        await engine.dispose()
