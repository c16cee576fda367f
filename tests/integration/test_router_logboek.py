"""notificatie-router's delivery log keeps each consumed event once: it is written by COPY, and
an event read again (after a restart or a rebalance, before its offset was committed) must not
make the flush fail, or the offsets would never be committed again."""

from __future__ import annotations

import asyncpg
import pytest
from alembic import command
from sqlalchemy.engine import Connection

from keten_contracts.envelope import source_urn
from keten_contracts.events.catalogue import get_event_type
from keten_core.db import alembic_config, create_engine
from keten_core.envelope import decode_binary_attributes, event_to_kafka, new_event
from keten_core.testing import fresh_database
from notificatie_router.bezorging import Gebeurtenis
from notificatie_router.logboek import Logboek
from notificatie_router.main import MIGRATIONS
from notificatie_router.metrics import RouterMetrics

pytestmark = [pytest.mark.postgres]

TYPE = "nl.inburgering.termijn.vastgesteld.v1"


def _gelezen(positie: int, event: object) -> Gebeurtenis:
    """The event as the consuming loop makes it of a record at ``positie``."""
    record = event_to_kafka(event)  # type: ignore[arg-type]
    envelope, attributes, data = decode_binary_attributes(record.headers, record.key, record.value)
    return Gebeurtenis(
        id=envelope.id,
        attributes=attributes,
        envelope=envelope,
        payload=data,
        value=record.value,
        ontvangen_op=envelope.time,
        topic="nl.inburgering.duo",
        partitie=0,
        positie=positie,
        record=(record.headers, record.key, record.value),
    )


def _event(n: int) -> object:
    termijn = f"trm-{n}"
    return new_event(
        type=TYPE,
        source=source_urn("00000001800866472000", "duo-adapter"),
        subject=termijn,
        partitionkey="ibpg-1",
        dataref=f"http://duo.example/api/v1/termijnen/{termijn}",
        data={**get_event_type(TYPE).example_data, "termijnId": termijn},
        gemeentecode="0363",
    )


async def test_an_event_read_again_is_kept_once_and_the_flush_succeeds(
    postgres_server_url: str,
) -> None:
    async with fresh_database(postgres_server_url) as url:
        engine = create_engine(url)
        config = alembic_config([MIGRATIONS])

        def upgrade(connection: Connection) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")

        try:
            async with engine.begin() as connection:
                await connection.run_sync(upgrade)
            logboek = Logboek(engine, RouterMetrics.shared())
            eerste, tweede = _event(1), _event(2)
            logboek.gebeurtenis(_gelezen(0, eerste))
            assert await logboek.flush()
            # Read again after a restart, with the next event behind it in the same batch.
            again = [_gelezen(0, eerste), _gelezen(1, tweede)]
            for gebeurtenis in again:
                logboek.gebeurtenis(gebeurtenis)
            assert await logboek.flush()
            assert [g.open for g in again] == [0, 0]  # settled: their offsets may be committed
        finally:
            await engine.dispose()
        connection = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            rows = await connection.fetch(
                "SELECT id, positie, attributen->>'subject' AS subject, inhoud"
                " FROM router_gebeurtenis ORDER BY positie"
            )
        finally:
            await connection.close()
    assert [(r["id"], r["positie"], r["subject"]) for r in rows] == [
        (again[0].id, 0, "trm-1"),
        (again[1].id, 1, "trm-2"),
    ]
    assert rows[1]["inhoud"] == again[1].value
