"""The unit of work against a real database: state, staged events and inbox claims are durable
together or not at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from keten_core.db import create_engine, migrate, session_factory
from keten_core.envelope import InvalidEvent
from keten_core.uow import UnitOfWork

pytestmark = pytest.mark.postgres

SOURCE = "urn:nld:oin:00000001002220647000:systeem:dossier-bron"


@dataclass(frozen=True)
class Seen:
    source: str
    id: str
    type: str = "nl.inburgering.pip.gewijzigd.v1"


@pytest.fixture
async def sessions(database_url):
    engine = create_engine(database_url)
    await migrate(engine)
    async with engine.begin() as connection:
        await connection.execute(text("TRUNCATE keten_outbox, keten_inbox"))
    yield session_factory(engine)
    await engine.dispose()


def uow(sessions, **kwargs) -> UnitOfWork:
    return UnitOfWork(sessions, source=SOURCE, now=lambda: datetime.now(UTC), **kwargs)


async def count(sessions, table: str) -> int:
    async with sessions() as session:
        return await session.scalar(text(f"SELECT count(*) FROM {table}"))


async def test_claims_and_events_roll_back_with_a_failing_handler(sessions):
    events = [Seen(SOURCE, str(uuid.uuid4())) for _ in range(3)]
    with pytest.raises(RuntimeError):
        async with uow(sessions, consumer="c") as work:
            assert await work.claim(events) == events
            work.emit(
                "nl.inburgering.pip.gewijzigd.v1",
                subject="pip-1",
                partitionkey="pip-1",
                dataref="https://dossier.example.nl/api/v1/pips/pip-1",
                data={"pipId": "pip-1", "dossierId": "dos-1", "versie": 2},
                gemeentecode="0363",
            )
            raise RuntimeError("the handler failed after claiming")
    # Nothing stuck: a retry of the batch claims the same events again.
    assert await count(sessions, "keten_inbox") == 0
    assert await count(sessions, "keten_outbox") == 0
    async with uow(sessions, consumer="c") as work:
        assert await work.claim(events) == events
    async with uow(sessions, consumer="c") as work:
        new = Seen(SOURCE, str(uuid.uuid4()))
        repeat = [events[1], new, new]
        assert await work.claim(repeat) == [new]


async def test_emit_refuses_what_the_catalogue_does_not_allow_and_stages_nothing(sessions):
    async with uow(sessions) as work:
        with pytest.raises(InvalidEvent, match="naam"):
            work.emit(
                "nl.inburgering.pip.gewijzigd.v1",
                subject="pip-2",
                partitionkey="pip-2",
                dataref="https://dossier.example.nl/api/v1/pips/pip-2",
                data={"pipId": "pip-2", "dossierId": "dos-1", "versie": 2, "naam": "Jan Jansen"},
                gemeentecode="0363",
            )
        staged = work.emit(
            "nl.inburgering.pip.gewijzigd.v1",
            subject="pip-2",
            partitionkey="pip-2",
            dataref="https://dossier.example.nl/api/v1/pips/pip-2",
            data={"pipId": "pip-2", "dossierId": "dos-1", "versie": 2},
            gemeentecode="0363",
        )
    assert staged.get_source() == SOURCE
    async with sessions() as session:
        rows = (await session.execute(text("SELECT topic, key FROM keten_outbox"))).all()
    # The topic is the catalogue's, never the caller's choice.
    assert [tuple(r) for r in rows] == [("nl.inburgering.gemeente", "pip-2")]


async def test_an_event_may_carry_the_source_of_the_gemeente_its_dossier_belongs_to(sessions):
    # A shared-service centre's dossier-bron emits each dossier's events under its gemeente's
    # OIN; the service's own source is the default.
    utrecht = "urn:nld:oin:00000001002220647001:systeem:dossier-bron"
    async with uow(sessions) as work:
        own = work.emit(
            "nl.inburgering.pip.gewijzigd.v1",
            subject="pip-3",
            partitionkey="dos-3",
            dataref="https://dossier.example.nl/api/v1/pips/pip-3",
            data={"pipId": "pip-3", "dossierId": "dos-3", "versie": 2},
            gemeentecode="0363",
        )
        other = work.emit(
            "nl.inburgering.pip.gewijzigd.v1",
            subject="pip-4",
            partitionkey="dos-4",
            dataref="https://dossier.example.nl/api/v1/pips/pip-4",
            data={"pipId": "pip-4", "dossierId": "dos-4", "versie": 2},
            gemeentecode="0344",
            source=utrecht,
        )
        with pytest.raises(InvalidEvent, match="source"):
            work.emit(
                "nl.inburgering.pip.gewijzigd.v1",
                subject="pip-5",
                partitionkey="dos-5",
                dataref="https://dossier.example.nl/api/v1/pips/pip-5",
                data={"pipId": "pip-5", "dossierId": "dos-5", "versie": 2},
                gemeentecode="0344",
                source="gemeente-utrecht",  # not a NL GOV source URN
            )
    assert own.get_source() == SOURCE and other.get_source() == utrecht
