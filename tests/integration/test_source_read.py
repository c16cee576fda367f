"""The source read kit against a real PostgreSQL: who may read a klantprofiel, what they get,
and the processing log behind every read (and every refused attempt)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from keten_contracts.access import Rij
from keten_contracts.clients import Doel, Functie
from keten_contracts.parties import Rol
from keten_contracts.resources import get_resource
from keten_core.auth import Party, PartyRegistry, ZGWTokenAuth
from keten_core.cli import main
from keten_core.service import KetenService
from keten_core.settings import KetenSettings
from keten_core.source_read import BronLezing, bron_lezing, served_json
from keten_core.testing import fresh_database
from keten_core.verwerkingslog import Betrokkene, Verwerkingslog
from tests.integration.test_service import free_port, serving

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SERVICE = "coa-adapter"
SLEUTEL = "verwerkingslog-sleutel-0123456789abcdef-0123456789"
BSN = "111222333"
KLANTPROFIEL = get_resource("klantprofiel").model.model_validate(
    dict(get_resource("klantprofiel").example)
)
GEKOPPELD_AAN = "0363"  # the profile's koppeling is with Amsterdam


def party(client_id: str, oin: str, rol: Rol, doelen: set[Doel], **extra: Any) -> Party:
    return Party(
        client_id=client_id,
        service=SERVICE,
        oin=oin,
        rol=rol,
        doelen=frozenset(doelen),
        secret=f"{client_id}-secret-0123456789abcdef-0123456789",
        **extra,
    )


GEMEENTE = {"functie": Functie.MEDEWERKER_INBURGERING}
AMSTERDAM = party(
    "amsterdam",
    "00000001002564440000",
    Rol.GEMEENTE,
    {Doel.UITVOERING_INBURGERING},
    namens="0363",
    **GEMEENTE,
)
UTRECHT = party(
    "utrecht",
    "00000001002220647000",
    Rol.GEMEENTE,
    {Doel.UITVOERING_INBURGERING},
    namens="0344",
    **GEMEENTE,
)
# A shared-service centre: its own OIN, one client per mandating gemeente.
SSC_VOOR_AMSTERDAM = party(
    "ssc-0363",
    "00000003123456780000",
    Rol.GEMEENTE,
    {Doel.UITVOERING_INBURGERING},
    namens="0363",
    **GEMEENTE,
)
SSC_VOOR_UTRECHT = party(
    "ssc-0344",
    "00000003123456780000",
    Rol.GEMEENTE,
    {Doel.UITVOERING_INBURGERING},
    namens="0344",
    **GEMEENTE,
)
# Registered, but for another purpose than the endpoint's.
KLANTMANAGER = party(
    "amsterdam-pw",
    "00000001002564440000",
    Rol.GEMEENTE,
    {Doel.UITVOERING_PARTICIPATIEWET},
    namens="0363",
    functie=Functie.KLANTMANAGER_PARTICIPATIEWET,
)
# Another party reading the same endpoint under its own purpose (``per_rol``).
DUO = party("duo", "00000001800866472000", Rol.DUO, {Doel.PLICHT_EN_TERMIJNEN})
PARTIES = [AMSTERDAM, UTRECHT, SSC_VOOR_AMSTERDAM, SSC_VOOR_UTRECHT, KLANTMANAGER, DUO]


# Module level: the route's annotations are resolved against this module's globals.
LEZEN = bron_lezing("klantprofiel", Doel.UITVOERING_INBURGERING)
LEZEN_PER_ROL = bron_lezing(
    "klantprofiel", Doel.UITVOERING_INBURGERING, per_rol={Rol.DUO: Doel.PLICHT_EN_TERMIJNEN}
)


def build(database_url: str, bootstrap: str, *, sleutel: str | None = SLEUTEL) -> KetenService:
    router = APIRouter()

    @router.get("/klantprofielen/{klantprofiel_id}")
    async def klantprofiel(
        klantprofiel_id: str, lezing: Annotated[BronLezing, Depends(LEZEN)]
    ) -> Any:
        if klantprofiel_id != KLANTPROFIEL.klantprofiel_id:
            await lezing.niet_gevonden(klantprofiel_id)
        view = await lezing.lever(
            KLANTPROFIEL,
            rij=Rij(gemeentecode=GEKOPPELD_AAN),
            betrokkene=Betrokkene("bsn", BSN),
        )
        return served_json(view)

    @router.get("/per-rol/klantprofielen/{klantprofiel_id}")
    async def klantprofiel_per_rol(
        klantprofiel_id: str, lezing: Annotated[BronLezing, Depends(LEZEN_PER_ROL)]
    ) -> Any:
        view = await lezing.lever(
            KLANTPROFIEL,
            rij=Rij(gemeentecode=GEKOPPELD_AAN),
            betrokkene=Betrokkene("bsn", BSN),
        )
        return served_json(view)

    prefix = f"t{uuid.uuid4().hex[:8]}."
    settings = KetenSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        oin="00000001801118390000",
        topic_prefix=prefix,
        dead_letter_topic=f"{prefix}deadletter",
        log_json=False,
        verwerkingslog_sleutel=sleutel,
    )
    return KetenService(
        SERVICE, settings=settings, routers=[router], parties=PartyRegistry(PARTIES)
    )


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        yield url


def auth(p: Party) -> ZGWTokenAuth:
    return ZGWTokenAuth(p.client_id, p.secret, user_id="medewerker-1")


async def read(client: httpx.AsyncClient, p: Party, pid: str | None = None) -> httpx.Response:
    return await client.get(f"/klantprofielen/{pid or KLANTPROFIEL.klantprofiel_id}", auth=auth(p))


async def log_rows(database: str) -> list[dict[str, Any]]:
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text("SELECT * FROM keten_verwerkingslog ORDER BY id")
            )
            return [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()


async def test_the_linked_gemeente_and_its_mandated_ssc_read_others_get_404_all_logged(
    database, kafka_bootstrap_servers
):
    service = build(database, kafka_bootstrap_servers)
    async with serving(service, free_port()) as client:
        own = await read(client, AMSTERDAM)
        assert own.status_code == 200, own.text
        assert own.json()["klantprofielId"] == KLANTPROFIEL.klantprofiel_id
        assert own.json()["bsn"] == BSN  # the linked gemeente's view holds the BSN
        assert (await read(client, SSC_VOOR_AMSTERDAM)).status_code == 200

        for other in (UTRECHT, SSC_VOOR_UTRECHT):
            refused = await read(client, other)
            assert refused.status_code == 404
            assert refused.headers["content-type"] == "application/problem+json"
            assert BSN not in refused.text
        # A row that does not exist gets the same answer as a row one may not read.
        missing = await read(client, AMSTERDAM, "kp-bestaat-niet")
        assert missing.status_code == 404
        assert missing.json()["title"] == refused.json()["title"]
        # Registered, but not for this endpoint's purpose: 403, logged too.
        assert (await read(client, KLANTMANAGER)).status_code == 403

    rows = await log_rows(database)
    seen = [(r["client_id"], r["uitkomst"]) for r in rows]
    assert seen == [
        ("amsterdam", "geleverd"),
        ("ssc-0363", "geleverd"),
        ("utrecht", "geweigerd"),
        ("ssc-0344", "geweigerd"),
        ("amsterdam", "niet-gevonden"),
        ("amsterdam-pw", "geweigerd"),
    ]
    first = rows[0]
    assert first["doel"] == "uitvoering-inburgering" and first["dienst"] == SERVICE
    assert first["activiteit"] == "klantprofiel lezen"
    assert first["functie"] == "medewerker-inburgering"
    assert first["namens"] == "0363" and first["gebruiker"] == "medewerker-1"
    assert first["resource_id"] == KLANTPROFIEL.klantprofiel_id
    assert "bsn" in first["velden"] and "voornamen" in first["velden"]
    assert rows[1]["oin"] == SSC_VOOR_AMSTERDAM.oin  # the SSC, not the gemeente, read it
    # The subject is pseudonymised: no BSN anywhere in the log.
    assert all(BSN not in str(row.values()) for row in rows)
    assert first["betrokkene"] == rows[2]["betrokkene"] and len(first["betrokkene"]) == 64


async def test_the_subject_access_query_answers_who_read_what_when_and_why(
    database, kafka_bootstrap_servers
):
    service = build(database, kafka_bootstrap_servers)
    async with serving(service, free_port()) as client:
        await read(client, AMSTERDAM)
        await read(client, UTRECHT)
    engine = create_async_engine(database)
    try:
        verwerkingslog = Verwerkingslog(engine, dienst=SERVICE, sleutel=SLEUTEL)
        records = await verwerkingslog.van_betrokkene(Betrokkene("bsn", BSN))
        assert [(r.client_id, r.uitkomst, r.doel) for r in records] == [
            ("amsterdam", "geleverd", "uitvoering-inburgering"),
            ("utrecht", "geweigerd", "uitvoering-inburgering"),
        ]
        assert records[0].tijdstip <= records[1].tijdstip
        assert await verwerkingslog.van_betrokkene(Betrokkene("bsn", "999999990")) == []
        # Another key gives other pseudonyms: the log alone does not tell whose data it is.
        other = Verwerkingslog(engine, dienst=SERVICE, sleutel=SLEUTEL[::-1])
        assert await other.van_betrokkene(Betrokkene("bsn", BSN)) == []
    finally:
        await engine.dispose()


async def test_the_subject_access_query_keeps_to_the_rows_asked_for(
    database, kafka_bootstrap_servers
):
    # A source serving several gemeenten answers each one from the records of its own rows.
    service = build(database, kafka_bootstrap_servers)
    async with serving(service, free_port()) as client:
        await read(client, AMSTERDAM)
        await read(client, UTRECHT)
    engine = create_async_engine(database)
    try:
        verwerkingslog = Verwerkingslog(engine, dienst=SERVICE, sleutel=SLEUTEL)
        bsn = Betrokkene("bsn", BSN)
        eigen = await verwerkingslog.van_betrokkene(
            bsn, resource_ids=[KLANTPROFIEL.klantprofiel_id, "kp-ander"]
        )
        assert [r.client_id for r in eigen] == ["amsterdam", "utrecht"]
        assert await verwerkingslog.van_betrokkene(bsn, resource_ids=["kp-ander"]) == []
        assert await verwerkingslog.van_betrokkene(bsn, resource_ids=[]) == []
    finally:
        await engine.dispose()


async def test_a_read_is_refused_when_the_log_cannot_be_written(database, kafka_bootstrap_servers):
    service = build(database, kafka_bootstrap_servers)
    async with serving(service, free_port()) as client:
        assert (await read(client, AMSTERDAM)).status_code == 200
        engine = create_async_engine(database)
        async with engine.begin() as connection:
            # The log table becomes unwritable.
            await connection.execute(
                text(
                    "CREATE FUNCTION weiger() RETURNS trigger LANGUAGE plpgsql AS"
                    " $$ BEGIN RAISE EXCEPTION 'verwerkingslog is read-only'; END $$"
                )
            )
            await connection.execute(
                text(
                    "CREATE TRIGGER alleen_lezen BEFORE INSERT ON keten_verwerkingslog"
                    " FOR EACH ROW EXECUTE FUNCTION weiger()"
                )
            )
        await engine.dispose()
        refused = await read(client, AMSTERDAM)
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert BSN not in refused.text and "Haddad" not in refused.text
    assert len(await log_rows(database)) == 1  # only the read before


async def test_without_a_log_key_no_personal_data_is_served(database, kafka_bootstrap_servers):
    service = build(database, kafka_bootstrap_servers, sleutel=None)
    async with serving(service, free_port()) as client:
        refused = await read(client, AMSTERDAM)
        assert refused.status_code == 503
        assert BSN not in refused.text


async def test_keten_verwerkingen_answers_a_subject_access_request(
    database, kafka_bootstrap_servers, monkeypatch, capsys
):
    service = build(database, kafka_bootstrap_servers)
    async with serving(service, free_port()) as client:
        await read(client, SSC_VOOR_AMSTERDAM)
    monkeypatch.setenv("KETEN_VERWERKINGSLOG_SLEUTEL", SLEUTEL)
    capsys.readouterr()  # the service's own log lines
    # The command runs its own event loop: run it off this test's loop.
    code = await asyncio.to_thread(
        main, ["verwerkingen", SERVICE, "--bsn", BSN, "--database-url", database, "--json"]
    )
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1
    assert lines[0]["oin"] == SSC_VOOR_AMSTERDAM.oin and lines[0]["namens"] == "0363"
    assert lines[0]["doel"] == "uitvoering-inburgering" and lines[0]["uitkomst"] == "geleverd"
    monkeypatch.delenv("KETEN_VERWERKINGSLOG_SLEUTEL")
    assert await asyncio.to_thread(main, ["verwerkingen", SERVICE, "--bsn", BSN]) == 2


async def test_an_endpoint_serves_another_role_under_that_roles_own_purpose(
    database, kafka_bootstrap_servers
):
    service = build(database, kafka_bootstrap_servers)
    async with serving(service, free_port()) as client:
        pid = KLANTPROFIEL.klantprofiel_id
        # DUO is registered for plicht-en-termijnen only: on the gemeente's endpoint it is not
        # registered for the purpose (403); where the endpoint names DUO's purpose for DUO, the
        # policy decides (DUO reads nothing of a klantprofiel: 404) and the log names that purpose.
        assert (await read(client, DUO)).status_code == 403
        per_rol = await client.get(f"/per-rol/klantprofielen/{pid}", auth=auth(DUO))
        assert per_rol.status_code == 404
        own = await client.get(f"/per-rol/klantprofielen/{pid}", auth=auth(AMSTERDAM))
        assert own.status_code == 200 and own.json()["bsn"] == BSN
    rows = await log_rows(database)
    assert [(r["client_id"], r["doel"], r["uitkomst"]) for r in rows] == [
        ("duo", "uitvoering-inburgering", "geweigerd"),
        ("duo", "plicht-en-termijnen", "geweigerd"),
        ("amsterdam", "uitvoering-inburgering", "geleverd"),
    ]
