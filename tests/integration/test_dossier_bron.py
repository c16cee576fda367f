"""dossier-bron against the real broker and database, with coa-adapter and duo-adapter running
as real services (uvicorn on loopback ports, each on its own database), driven through their
control APIs: a dossier opens on COA's koppeling (asielstatushouder) and DUO's plicht joins it,
or opens on DUO's plicht (gezinsmigrant); every fact keeps its source and moment; the linked
gemeente reads it, another gemeente gets 404 (logged); the BSN search is a POST and a BSN in a
URL is refused; a repeated event is applied once; an event for a gemeente this dossier-bron
does not serve is skipped before anything is read."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from coa_adapter.main import build_service as build_coa
from dossier_bron.domain import Gemeenten
from dossier_bron.main import MIGRATIONS
from dossier_bron.main import build_service as build_bron
from duo_adapter.main import build_service as build_duo
from keten_contracts.clients import Doel, Functie
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from keten_core import clock
from keten_core.auth import Party, PartyRegistry, ZGWTokenAuth
from keten_core.dataref import BronCredential, DatarefLezer
from keten_core.settings import KetenSettings
from keten_core.testing import fresh_database
from tests.integration.test_service import free_port, serving
from tests.support import migration_differences, read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

T = "nl.inburgering."
COA_OIN = "00000001801118390000"
DUO_OIN = "00000001800866472000"
AMSTERDAM_OIN = "00000001002564440000"
UTRECHT_OIN = "00000001002220647000"
SLEUTEL = "verwerkingslog-sleutel-dossier-0123456789abcdef-01"
BSN = "111222333"
BSN_GEZIN = "222333443"
BSN_UTRECHT = "333444553"
ADRES = {"straat": "Dam", "huisnummer": "1", "postcode": "1012JS", "woonplaats": "Amsterdam"}
CONTACTPERSOON = {"naam": "Jannie de Vries", "telefoon": "088-7157000"}
MEDEWERKER = {"functie": Functie.MEDEWERKER_INBURGERING}


def party(service: str, client_id: str, oin: str, rol: Rol, doel: Doel, **extra: Any) -> Party:
    return Party(
        client_id=client_id,
        service=service,
        oin=oin,
        rol=rol,
        doelen=frozenset({doel}),
        secret=f"{client_id}-secret-0123456789abcdef-0123456789",
        **extra,
    )


G = Doel.UITVOERING_INBURGERING
CASEMANAGER = party("coa-adapter", "coa-tvs", COA_OIN, Rol.COA, Doel.KOPPELING_EN_KLANTPROFIEL)
DUO_TESTER = party("duo-adapter", "duo-isi", DUO_OIN, Rol.DUO, Doel.PLICHT_EN_TERMIJNEN)
# dossier-bron's clients at COA and DUO (issued by those sources' registries): Amsterdam's.
BRON_BIJ_COA = party(
    "coa-adapter", "dossier-bron-0363", AMSTERDAM_OIN, Rol.GEMEENTE, G, namens="0363", **MEDEWERKER
)
BRON_BIJ_DUO = party(
    "duo-adapter",
    "dossier-bron-0363-duo",
    AMSTERDAM_OIN,
    Rol.GEMEENTE,
    G,
    namens="0363",
    **MEDEWERKER,
)
# The gemeente's staff at dossier-bron.
AMSTERDAM = party(
    "dossier-bron", "amsterdam", AMSTERDAM_OIN, Rol.GEMEENTE, G, namens="0363", **MEDEWERKER
)
UTRECHT = party(
    "dossier-bron", "utrecht", UTRECHT_OIN, Rol.GEMEENTE, G, namens="0344", **MEDEWERKER
)


def auth(p: Party) -> ZGWTokenAuth:
    return ZGWTokenAuth(p.client_id, p.secret, user_id="medewerker-1")


@dataclass
class Keten:
    coa: httpx.AsyncClient
    duo: httpx.AsyncClient
    bron: httpx.AsyncClient
    databases: dict[str, str]
    prefix: str

    async def control(self, client: httpx.AsyncClient, who: Party, path: str, body: Any) -> Any:
        answer = await client.post(path, json=body, auth=auth(who))
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    async def statushouder(self, bsn: str, gemeentecode: str, **extra: Any) -> dict[str, Any]:
        """COA registers a statushouder and links them to ``gemeentecode``."""
        body = {
            "bsn": bsn,
            "voornamen": "Amal",
            "geslachtsnaam": "Haddad",
            "geboortedatum": "1994-05-17",
            "coaContactpersoon": CONTACTPERSOON,
            "adres": ADRES,
            **extra,
        }
        sh = await self.control(self.coa, CASEMANAGER, "/control/v1/statushouders", body)
        koppeling = await self.control(
            self.coa,
            CASEMANAGER,
            f"/control/v1/statushouders/{sh['statushouderId']}/koppeling",
            {"gemeentecode": gemeentecode, "azcLocatie": "AZC Budel-Cranendonck"},
        )
        return {**sh, **koppeling}

    async def plicht(self, bsn: str, doelgroep: str, gemeentecode: str = "0363") -> str:
        """DUO registers the person and decides the plicht; returns the person's id."""
        persoon = await self.control(
            self.duo,
            DUO_TESTER,
            "/control/inburgeringsplichtigen",
            {"bsn": bsn, "doelgroep": doelgroep, "gemeentecode": gemeentecode},
        )
        pid = persoon["inburgeringsplichtigeId"]
        await self.control(
            self.duo, DUO_TESTER, f"/control/inburgeringsplichtigen/{pid}/plicht", {}
        )
        return pid

    async def zoek(self, bsn: str, who: Party = AMSTERDAM) -> list[dict[str, Any]]:
        answer = await self.bron.post("/api/v1/dossiers/zoeken", json={"bsn": bsn}, auth=auth(who))
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def query(self, service: str, sql: str, **params: Any) -> list[dict[str, Any]]:
        engine = create_async_engine(self.databases[service])
        try:
            async with engine.connect() as connection:
                result = await connection.execute(text(sql), params)
                return [dict(row._mapping) for row in result]
        finally:
            await engine.dispose()


X = TypeVar("X")


async def until(probe: Callable[[], Awaitable[X | None]], timeout_s: float = 30.0) -> X:
    """Poll ``probe`` until it answers something truthy (the consumer works asynchronously)."""
    async with asyncio.timeout(timeout_s):
        while True:
            found = await probe()
            if found:
                return found
            await asyncio.sleep(0.2)


def settings(database: str, bootstrap: str, port: int, prefix: str, **extra: Any) -> KetenSettings:
    return KetenSettings(
        database_url=database,
        kafka_bootstrap_servers=bootstrap,
        topic_prefix=prefix,
        dead_letter_topic=f"{prefix}deadletter",
        http_port=port,
        log_json=False,
        verwerkingslog_sleutel=SLEUTEL,
        **extra,
    )


@asynccontextmanager
async def keten(
    postgres_server_url: str,
    bootstrap: str,
    *,
    bron_partijen: Sequence[Party] = (AMSTERDAM, UTRECHT),
    duo_leest_bron: Party | None = None,
    sandbox: bool = False,
    signalen: bool = False,
    gemeenten: Mapping[str, str] | None = None,
) -> AsyncIterator[Keten]:
    """coa-adapter, duo-adapter and a dossier-bron serving Amsterdam (0363) only, on one
    broker with a fresh topic prefix, each on its own fresh database. ``bron_partijen`` are
    dossier-bron's clients; ``duo_leest_bron`` is DUO's client there (duo-adapter then fetches
    what the gemeente's events point at); ``sandbox`` gives dossier-bron a movable clock (the
    process's clock: restored afterwards); ``signalen`` points its work list at duo-adapter;
    ``gemeenten`` are the gemeenten it serves (default Amsterdam's alone)."""
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ports = {name: free_port() for name in ("coa", "duo", "bron")}
    vorige_klok = clock.get_clock()
    vorige_url = os.environ.get("KETEN_DUO_BRON_URL")
    if signalen:
        os.environ["KETEN_DUO_BRON_URL"] = f"http://127.0.0.1:{ports['duo']}/api/v1"
    try:
        async with AsyncExitStack() as stack:
            db = {
                name: await stack.enter_async_context(fresh_database(postgres_server_url))
                for name in ports
            }
            coa = build_coa(
                settings(db["coa"], bootstrap, ports["coa"], prefix, oin=COA_OIN, control_api=True),
                parties=PartyRegistry([CASEMANAGER, BRON_BIJ_COA]),
            )
            duo_bij_bron = (
                []
                if duo_leest_bron is None
                else [
                    BronCredential(
                        base_url=f"http://127.0.0.1:{ports['bron']}/api/v1",
                        client_id=duo_leest_bron.client_id,
                        secret=duo_leest_bron.secret,
                    )
                ]
            )
            duo = build_duo(
                settings(db["duo"], bootstrap, ports["duo"], prefix, oin=DUO_OIN, control_api=True),
                parties=PartyRegistry([DUO_TESTER, BRON_BIJ_DUO]),
                bronnen=DatarefLezer(duo_bij_bron, rol=Rol.DUO),
            )
            credentials = [
                BronCredential(
                    base_url=f"http://127.0.0.1:{ports[name]}/api/v1",
                    client_id=p.client_id,
                    secret=p.secret,
                )
                for name, p in (("coa", BRON_BIJ_COA), ("duo", BRON_BIJ_DUO))
            ]
            bron = build_bron(
                settings(db["bron"], bootstrap, ports["bron"], prefix, sandbox=sandbox),
                parties=PartyRegistry(bron_partijen),
                bronnen=DatarefLezer(credentials, rol=Rol.GEMEENTE),
                gemeenten=Gemeenten(gemeenten or {"0363": AMSTERDAM_OIN}),
            )
            # dossier-bron starts last: a sandbox clock of it is the process's clock.
            clients = {
                name: await stack.enter_async_context(serving(service, ports[name]))
                for name, service in (("coa", coa), ("duo", duo), ("bron", bron))
            }
            yield Keten(clients["coa"], clients["duo"], clients["bron"], db, prefix)
    finally:
        clock.use_clock(vorige_klok)
        if vorige_url is None:
            os.environ.pop("KETEN_DUO_BRON_URL", None)
        else:
            os.environ["KETEN_DUO_BRON_URL"] = vorige_url


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    async with keten(postgres_server_url, kafka_bootstrap_servers) as k:
        yield k


FEITEN = (
    "SELECT veld, waarde, bronsysteem, bron_resource, bron_resource_id, bron_versie, moment "
    "FROM dossier_feit WHERE dossier_id = :d ORDER BY id"
)


async def test_an_asielstatushouder_dossier_opens_on_the_koppeling_and_duos_plicht_joins_it(
    chain: Keten,
):
    sh = await chain.statushouder(BSN, "0363", telefoonnummer="06-12345678")
    [dossier] = await until(lambda: chain.zoek(BSN))
    assert dossier["gemeentecode"] == "0363" and dossier["bsn"] == BSN
    assert dossier["voornamen"] == "Amal" and dossier["adres"] == ADRES
    assert dossier["telefoon"] == "06-12345678"
    assert dossier["doelgroep"] == "asielstatushouder" and dossier["status"] == "actief"
    assert dossier["koppelingId"] == sh["koppelingId"]
    assert "inburgeringsplichtId" not in dossier
    did = dossier["dossierId"]

    # Every fact with its source system, resource, id (version) and moment.
    feiten = await chain.query("bron", FEITEN, d=did)
    bron = {f["veld"]: f for f in feiten}
    assert bron["voornamen"]["bronsysteem"] == "coa-adapter"
    assert bron["voornamen"]["bron_resource"] == "klantprofiel"
    assert bron["voornamen"]["bron_resource_id"] == sh["klantprofielId"]
    assert bron["voornamen"]["bron_versie"] == 1
    assert bron["bsn"]["bron_resource"] == "klantprofiel"
    assert bron["koppelingId"]["bron_resource_id"] == sh["koppelingId"]
    assert all(f["moment"] is not None for f in feiten)

    # DUO's plicht joins the dossier COA opened (matched by BSN within the gemeente).
    await chain.plicht(BSN, "asielstatushouder")
    joined = await until(lambda: _met(chain.zoek(BSN), lambda d: "inburgeringsplichtId" in d[0]))
    assert [d["dossierId"] for d in joined] == [did]
    rows = await chain.query("bron", "SELECT dossier_id FROM dossier")
    assert [r["dossier_id"] for r in rows] == [did]
    feiten = await chain.query("bron", FEITEN, d=did)
    plicht = [f for f in feiten if f["veld"] == "inburgeringsplichtId"]
    assert plicht[0]["bronsysteem"] == "duo-adapter"
    assert plicht[0]["bron_resource"] == "inburgeringsplicht"
    recht = [f for f in feiten if f["veld"] == "rechtMaatschappelijkeBegeleiding"]
    assert recht[0]["waarde"] is True
    # DUO confirms the doelgroep COA implied: no second doelgroep fact.
    assert [f["bronsysteem"] for f in feiten if f["veld"] == "doelgroep"] == ["coa-adapter"]

    # The gemeente reads it; another gemeente gets 404 (the same as for an unknown id).
    own = await chain.bron.get(f"/api/v1/dossiers/{did}", auth=auth(AMSTERDAM))
    assert own.status_code == 200 and own.json()["bsn"] == BSN
    other = await chain.bron.get(f"/api/v1/dossiers/{did}", auth=auth(UTRECHT))
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    assert BSN not in other.text and "Amal" not in other.text
    unknown = await chain.bron.get("/api/v1/dossiers/dos-onbekend", auth=auth(AMSTERDAM))
    assert unknown.status_code == 404
    assert (await chain.bron.get(f"/api/v1/dossiers/{did}")).status_code == 401
    lijst = await chain.bron.get("/api/v1/dossiers", auth=auth(AMSTERDAM))
    assert [d["dossierId"] for d in lijst.json()] == [did]
    assert (await chain.bron.get("/api/v1/dossiers", auth=auth(UTRECHT))).json() == []
    assert await chain.zoek(BSN, UTRECHT) == []

    log = await chain.query(
        "bron", "SELECT client_id, uitkomst, resource_id, betrokkene FROM keten_verwerkingslog"
    )
    assert {"client_id": "utrecht", "uitkomst": "geweigerd", "resource_id": did} in [
        {k: r[k] for k in ("client_id", "uitkomst", "resource_id")} for r in log
    ]
    assert all(BSN not in str(r.values()) for r in log)  # pseudonymised


async def test_a_plicht_that_comes_before_the_koppeling_is_joined_by_it(chain: Keten):
    await chain.plicht(BSN, "asielstatushouder")
    await until(lambda: chain.query("bron", "SELECT 1 FROM dossier WHERE bsn = :b", b=BSN))
    assert await chain.zoek(BSN) == []  # DUO gave no name or address: not served yet
    sh = await chain.statushouder(BSN, "0363")
    [dossier] = await until(lambda: chain.zoek(BSN))
    assert dossier["koppelingId"] == sh["koppelingId"] and "inburgeringsplichtId" in dossier
    assert len(await chain.query("bron", "SELECT 1 FROM dossier")) == 1


async def test_a_gezinsmigrant_dossier_opens_on_duos_plicht(chain: Keten):
    pid = await chain.plicht(BSN_GEZIN, "gezinsmigrant")
    await chain.control(
        chain.duo,
        DUO_TESTER,
        f"/control/inburgeringsplichtigen/{pid}/brp-inschrijving",
        {"gemeentecode": "0363"},
    )
    [dossier] = await until(
        lambda: chain.query(
            "bron",
            "SELECT * FROM dossier WHERE bsn = :b AND inburgeringsplicht_id IS NOT NULL",
            b=BSN_GEZIN,
        )
    )
    assert dossier["doelgroep"] == "gezinsmigrant" and dossier["gemeentecode"] == "0363"
    assert dossier["recht_maatschappelijke_begeleiding"] is False
    feiten = await chain.query("bron", FEITEN, d=dossier["dossier_id"])
    assert {f["bronsysteem"] for f in feiten} == {"duo-adapter"}
    assert {f["veld"] for f in feiten} >= {"bsn", "inburgeringsplichtId", "doelgroep"}
    # Three DUO events (plicht, recht op begeleiding, vestiging) opened one dossier, and
    # repeating the same values added no fact.
    assert len(await chain.query("bron", "SELECT 1 FROM dossier")) == 1
    assert len([f for f in feiten if f["veld"] == "doelgroep"]) == 1

    # DUO's plicht has no name or address: not served until the gemeente registers the BRP
    # data (BSN in the body).
    assert await chain.zoek(BSN_GEZIN) == []
    body = {
        "bsn": BSN_GEZIN,
        "voornamen": "Li",
        "geslachtsnaam": "Wang",
        "geboortedatum": "1990-01-02",
        "adres": ADRES,
    }
    other = await chain.bron.post(
        "/api/v1/dossiers/persoonsgegevens", json=body, auth=auth(UTRECHT)
    )
    assert other.status_code == 404
    registered = await chain.bron.post(
        "/api/v1/dossiers/persoonsgegevens", json=body, auth=auth(AMSTERDAM)
    )
    assert registered.status_code == 200, registered.text
    assert registered.json()["geslachtsnaam"] == "Wang"
    [found] = await chain.zoek(BSN_GEZIN)
    assert found["dossierId"] == dossier["dossier_id"] and found["doelgroep"] == "gezinsmigrant"
    feiten = await chain.query("bron", FEITEN, d=dossier["dossier_id"])
    assert [f["bronsysteem"] for f in feiten if f["veld"] == "geslachtsnaam"] == ["brp"]


async def test_the_bsn_search_is_a_post_and_a_bsn_in_a_url_or_an_unknown_field_is_refused(
    chain: Keten, span_exporter: Any
):
    await chain.statushouder(BSN, "0363")
    await until(lambda: chain.zoek(BSN))
    # The search's BSN travelled in the body: no span of any service (HTTP server and client
    # spans, consumer spans) holds it in an attribute.
    spans = span_exporter.get_finished_spans()
    assert any(s.attributes.get("http.route") == "/api/v1/dossiers/zoeken" for s in spans), [
        s.name for s in spans
    ]
    assert not any(BSN in str(v) for s in spans for v in (s.attributes or {}).values())
    in_url = await chain.bron.get(f"/api/v1/dossiers?bsn={BSN}", auth=auth(AMSTERDAM))
    assert in_url.status_code == 400
    assert in_url.headers["content-type"] == "application/problem+json"
    assert BSN not in in_url.text
    marker = "MARKER-diagnose-7f3a"
    smuggled = await chain.bron.post(
        "/api/v1/dossiers/zoeken", json={"bsn": BSN, "medisch": marker}, auth=auth(AMSTERDAM)
    )
    assert smuggled.status_code == 422
    assert smuggled.headers["content-type"] == "application/problem+json"
    assert marker not in smuggled.text and BSN not in smuggled.text
    registreer = await chain.bron.post(
        "/api/v1/dossiers/persoonsgegevens",
        json={
            "bsn": BSN,
            "voornamen": "A",
            "geslachtsnaam": "H",
            "geboortedatum": "1994-05-17",
            "adres": ADRES,
            "bijlage": marker,
        },
        auth=auth(AMSTERDAM),
    )
    assert registreer.status_code == 422 and marker not in registreer.text
    feiten = await chain.query("bron", "SELECT waarde FROM dossier_feit")
    assert marker not in str(feiten)


async def test_a_repeated_event_is_applied_once_and_another_gemeente_is_skipped(
    chain: Keten, kafka_bootstrap_servers: str
):
    elders = await chain.statushouder(BSN_UTRECHT, "0344")
    sh = await chain.statushouder(BSN, "0363")
    await until(lambda: chain.zoek(BSN))

    # The broker delivers COA's koppeling.vastgesteld a second time (same id).
    records = await read_all(kafka_bootstrap_servers, chain.prefix + TOPICS["coa"], 4)
    [again] = [
        r
        for r in records
        if dict(r.headers)["ce_type"] == f"{T}koppeling.vastgesteld.v1".encode()
        and r.key.decode() == sh["statushouderId"]
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            again.topic, again.value, key=again.key, headers=list(again.headers)
        )
    finally:
        await producer.stop()
    # A later change of the same person (same key, so after the repeat on its partition).
    await chain.coa.patch(
        f"/control/v1/statushouders/{sh['statushouderId']}/klantprofiel",
        json={"telefoonnummer": "06-99999999"},
        auth=auth(CASEMANAGER),
    )
    await until(lambda: _met(chain.zoek(BSN), lambda d: d[0].get("telefoon") == "06-99999999"))

    # The repeat fetched nothing: one koppeling read per applied COA event (koppeling
    # vastgesteld, klantprofiel aangeboden, klantprofiel gewijzigd).
    reads = await chain.query(
        "coa",
        "SELECT resource, resource_id FROM keten_verwerkingslog WHERE client_id = :c",
        c=BRON_BIJ_COA.client_id,
    )
    assert [r["resource"] for r in reads].count("koppeling") == 3, reads
    # Nothing of the other gemeente's person was read, and no dossier opened for them.
    assert elders["koppelingId"] not in {r["resource_id"] for r in reads}
    assert await chain.query("bron", "SELECT 1 FROM dossier WHERE bsn = :b", b=BSN_UTRECHT) == []
    assert len(await chain.query("bron", "SELECT 1 FROM dossier")) == 1
    telefoon = await chain.query(
        "bron", "SELECT bron_versie FROM dossier_feit WHERE veld = 'telefoon'"
    )
    assert telefoon == [{"bron_versie": 2}]


async def _met(
    found: Awaitable[list[dict[str, Any]]], test: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]] | None:
    rows = await found
    return rows if rows and test(rows) else None


async def test_the_migration_creates_exactly_what_the_models_declare(postgres_server_url):
    # One check for the whole branch, 0001 to its head.
    differences, heads = await migration_differences(
        postgres_server_url, MIGRATIONS, "dossier_bron.models"
    )
    assert differences == []
    # keten_core_0003 is an ancestor of the branch (depends_on), so the only head is ours.
    assert heads == {"dossier_bron_0007"}
