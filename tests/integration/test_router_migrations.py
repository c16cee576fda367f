"""notificatie-router's migration 0003 splits an event kept in structured form into its
attributes and its data, and back on downgrade."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from alembic import command
from sqlalchemy.engine import Connection

from keten_core.db import alembic_config, create_engine
from keten_core.testing import fresh_database
from notificatie_router.main import MIGRATIONS
from tests.support import migration_differences

pytestmark = [pytest.mark.postgres]


async def _to(url: str, revision: str, *, down: bool = False) -> None:
    config = alembic_config([MIGRATIONS])
    engine = create_engine(url)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def test_a_structured_event_is_split_into_attributes_and_data(
    postgres_server_url: str,
) -> None:
    event_id = uuid.uuid4()
    structured = {
        "specversion": "1.0",
        "id": str(event_id),
        "type": "nl.inburgering.termijn.vastgesteld.v1",
        "source": "urn:nld:oin:00000001800866472000:systeem:duo-adapter",
        "time": "2026-11-30T12:00:00Z",
        "partitionkey": "ibpg-1",
        "data": {"termijnId": "trm-1", "inburgeringsplichtId": "ibp-1"},
    }
    async with fresh_database(postgres_server_url) as url:
        await _to(url, "notificatie_router_0002")
        connection = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            await connection.execute(
                "INSERT INTO router_gebeurtenis (id, bron, type, partitionkey, tijd, ontvangen_op,"
                " topic, partitie, positie, inhoud) VALUES ($1, 's', 't', 'k', $2, $2, 'x', 0, 0,"
                " $3)",
                event_id,
                datetime.now(UTC),
                json.dumps(structured).encode(),
            )
            await _to(url, "heads")
            row = await connection.fetchrow("SELECT attributen, inhoud FROM router_gebeurtenis")
            attributes = json.loads(row["attributen"])
            assert attributes == {k: v for k, v in structured.items() if k != "data"}
            assert json.loads(bytes(row["inhoud"])) == structured["data"]

            await _to(url, "notificatie_router_0002", down=True)
            row = await connection.fetchrow("SELECT inhoud FROM router_gebeurtenis")
            assert json.loads(bytes(row["inhoud"])) == structured
        finally:
            await connection.close()


async def test_the_migration_creates_exactly_what_the_models_declare(
    postgres_server_url: str,
) -> None:
    differences, heads = await migration_differences(
        postgres_server_url, MIGRATIONS, "notificatie_router.models"
    )
    assert differences == []
    assert heads == {"notificatie_router_0004"}
