"""coa-adapter against a real Kafka broker and PostgreSQL: the three COA moments on the coa
topic, the frozen profile, the walls between gemeenten (with the processing log), re-linking,
the PDF, the control API's gate and two replicas on one database."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from coa_adapter.main import build_service
from keten_contracts.clients import Doel, Functie
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from keten_core.auth import Party, PartyRegistry, ZGWTokenAuth
from keten_core.service import KetenService
from keten_core.settings import KetenSettings
from keten_core.testing import fresh_database
from tests.integration.test_service import free_port, serving
from tests.support import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SERVICE = "coa-adapter"
COA_OIN = "00000001801118390000"
SLEUTEL = "verwerkingslog-sleutel-0123456789abcdef-0123456789"
BSN = "111222333"
T = "nl.inburgering."


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


INBURGERING = {"functie": Functie.MEDEWERKER_INBURGERING}
CASEMANAGER = party("coa-tvs", COA_OIN, Rol.COA, {Doel.KOPPELING_EN_KLANTPROFIEL})
AMSTERDAM = party(
    "amsterdam",
    "00000001002564440000",
    Rol.GEMEENTE,
    {Doel.UITVOERING_INBURGERING},
    namens="0363",
    **INBURGERING,
)
UTRECHT = party(
    "utrecht",
    "00000001002220647000",
    Rol.GEMEENTE,
    {Doel.UITVOERING_INBURGERING},
    namens="0344",
    **INBURGERING,
)
SSC_VOOR_AMSTERDAM = party(
    "ssc-0363",
    "00000003123456780000",
    Rol.GEMEENTE,
    {Doel.UITVOERING_INBURGERING},
    namens="0363",
    **INBURGERING,
)
PARTIES = [CASEMANAGER, AMSTERDAM, UTRECHT, SSC_VOOR_AMSTERDAM]

CONTACTPERSOON = {"naam": "Jannie de Vries", "telefoon": "088-7157000", "email": "jdv@coa.example"}
PERSOON = {
    "bsn": BSN,
    "voornamen": "Amal",
    "geslachtsnaam": "Haddad",
    "geboortedatum": "1994-05-17",
    "coaContactpersoon": CONTACTPERSOON,
}
# What a personal-data check looks for in events and refusals.
PERSOONLIJK = (BSN, "Amal", "Haddad", "1994-05-17", "Jannie")


def auth(p: Party) -> ZGWTokenAuth:
    return ZGWTokenAuth(p.client_id, p.secret, user_id="medewerker-1")


def build(database: str, bootstrap: str, port: int, *, prefix: str, control: bool = True):
    settings = KetenSettings(
        database_url=database,
        kafka_bootstrap_servers=bootstrap,
        oin=COA_OIN,
        topic_prefix=prefix,
        dead_letter_topic=f"{prefix}deadletter",
        http_port=port,
        log_json=False,
        verwerkingslog_sleutel=SLEUTEL,
        control_api=control,
    )
    return build_service(settings, parties=PartyRegistry(PARTIES))


def new_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}."


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        yield url


class Coa:
    """The control API as the casemanager's application calls it."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(self, method: str, path: str, body: Any, expect: int = 200) -> dict[str, Any]:
        response = await self.client.request(
            method, f"/control/v1{path}", json=body, auth=auth(CASEMANAGER)
        )
        assert response.status_code == expect, response.text
        return response.json()

    async def aanmaken(self, **extra: Any) -> dict[str, Any]:
        return await self.call("POST", "/statushouders", {**PERSOON, **extra}, 201)

    async def koppelen(self, sh: str, gemeentecode: str, expect: int = 200) -> dict[str, Any]:
        body = {"gemeentecode": gemeentecode, "azcLocatie": "AZC Budel-Cranendonck"}
        return await self.call("POST", f"/statushouders/{sh}/koppeling", body, expect)

    async def bijwerken(self, sh: str, body: dict[str, Any], expect: int = 200) -> dict[str, Any]:
        return await self.call("PATCH", f"/statushouders/{sh}/klantprofiel", body, expect)

    async def plannen(self, sh: str) -> dict[str, Any]:
        body = {"geplandOp": "2026-12-01T10:00:00+01:00", "locatie": "AZC Budel"}
        return await self.call("POST", f"/statushouders/{sh}/warme-overdrachten", body, 201)

    async def houden(self, wo: str) -> dict[str, Any]:
        return await self.call("POST", f"/warme-overdrachten/{wo}/gehouden", {})

    async def vertrek(self, sh: str, expect: int = 200) -> dict[str, Any]:
        return await self.call("POST", f"/statushouders/{sh}/vertrek", {}, expect)


def decoded(record: Any) -> dict[str, Any]:
    headers = {name: value.decode() for name, value in record.headers}
    return {
        "key": record.key.decode(),
        "id": headers["ce_id"],
        "type": headers["ce_type"],
        "headers": headers,
        "data": json.loads(record.value),
        "raw": record.value.decode() + json.dumps(headers),
    }


def moment(event: dict[str, Any]) -> str:
    kind = event["type"].removeprefix(T).removesuffix(".v1")
    aanbiedmoment = event["data"].get("aanbiedmoment")
    return f"{kind}({aanbiedmoment})" if aanbiedmoment else kind


async def coa_events(bootstrap: str, prefix: str, count: int) -> list[dict[str, Any]]:
    records = await read_all(bootstrap, prefix + TOPICS["coa"], count)
    # One partition per key: the order within a key is the order on its partition.
    return [decoded(r) for r in sorted(records, key=lambda r: (r.partition, r.offset))]


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


async def test_the_three_moments_emit_thin_events_in_order_and_a_frozen_profile_refuses(
    database, kafka_bootstrap_servers
):
    prefix, port = new_prefix(), free_port()
    service = build(database, kafka_bootstrap_servers, port, prefix=prefix)
    async with serving(service, port) as client:
        coa = Coa(client)
        sh = await coa.aanmaken()
        shid = sh["statushouderId"]
        # Filled before the koppeling: no gemeente to tell yet, so no event.
        await coa.bijwerken(shid, {"taalvaardigheid": "A1"})
        await coa.koppelen(shid, "0363")
        stand = await coa.bijwerken(shid, {"ambities": "Boekhouder worden"})
        assert stand["versie"] == 3
        await coa.bijwerken(shid, {"nareisprofiel": {"relatieTotReferent": "partner"}})
        wo = (await coa.plannen(shid))["warmeOverdrachtId"]
        await coa.houden(wo)
        bevroren = await coa.vertrek(shid)
        assert bevroren["bevroren"] is True and bevroren["aanbiedmoment"] == "vestiging"

        # Frozen: a change, a re-link, a second vertrek are refused, as problem+json.
        refused = await client.patch(
            f"/control/v1/statushouders/{shid}/klantprofiel",
            json={"ambities": "iets anders"},
            auth=auth(CASEMANAGER),
        )
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["status"] == 409 and "frozen" in refused.json()["detail"]
        await coa.koppelen(shid, "0344", expect=409)
        await coa.vertrek(shid, expect=409)

        events = await coa_events(kafka_bootstrap_servers, prefix, 9)
        assert [moment(e) for e in events] == [
            "koppeling.vastgesteld",
            "klantprofiel.aangeboden(koppeling)",
            "klantprofiel.gewijzigd",
            "klantprofiel.gewijzigd",
            "nareisprofiel.aangeboden",
            "warme-overdracht.gepland",
            "warme-overdracht.gehouden",
            "klantprofiel.aangeboden(warme-overdracht)",
            "vestiging.gemeld",
            "klantprofiel.aangeboden(vestiging)",
        ][: len(events)]
        assert len(events) == 10, [moment(e) for e in events]  # and nothing after the 409s
        for event in events:
            assert event["key"] == shid and event["headers"]["ce_partitionkey"] == shid
            assert event["headers"]["ce_gemeentecode"] == "0363"
            assert not any(p in event["raw"] for p in PERSOONLIJK), event
            # Every dataref resolves for the linked gemeente.
            dataref = event["headers"]["ce_dataref"]
            assert dataref.startswith(f"http://127.0.0.1:{port}/api/v1/")
            fetched = await client.get(dataref, auth=auth(AMSTERDAM))
            assert fetched.status_code == 200, (dataref, fetched.text)
        profiel = await client.get(events[-1]["headers"]["ce_dataref"], auth=auth(AMSTERDAM))
        assert profiel.json()["bevroren"] is True and profiel.json()["versie"] == 4
        assert events[-1]["data"]["versie"] == 4


async def test_only_the_linked_gemeente_reads_and_a_relink_moves_access(
    database, kafka_bootstrap_servers
):
    prefix, port = new_prefix(), free_port()
    service = build(database, kafka_bootstrap_servers, port, prefix=prefix)
    async with serving(service, port) as client:
        coa = Coa(client)
        sh = await coa.aanmaken(mailadres="amal@example.org")
        eerste = await coa.koppelen(sh["statushouderId"], "0363")
        kp = f"/api/v1/klantprofielen/{sh['klantprofielId']}"

        own = await client.get(kp, auth=auth(AMSTERDAM))
        assert own.status_code == 200, own.text
        assert own.json()["bsn"] == BSN and own.json()["coaContactpersoon"] == CONTACTPERSOON
        assert (await client.get(kp, auth=auth(SSC_VOOR_AMSTERDAM))).status_code == 200
        other = await client.get(kp, auth=auth(UTRECHT))
        assert other.status_code == 404
        assert other.headers["content-type"] == "application/problem+json"
        assert not any(p in other.text for p in PERSOONLIJK)
        assert (await client.get(f"{kp}/pdf", auth=auth(UTRECHT))).status_code == 404
        # No token: 401, and the COA application is not a reader of the gemeente's purpose.
        assert (await client.get(kp)).status_code == 401
        assert (await client.get(kp, auth=auth(CASEMANAGER))).status_code == 403
        lijst = await client.get("/api/v1/koppelingen", auth=auth(AMSTERDAM))
        assert [k["koppelingId"] for k in lijst.json()] == [eerste["koppelingId"]]
        assert (await client.get("/api/v1/koppelingen", auth=auth(UTRECHT))).json() == []

        tweede = await coa.koppelen(sh["statushouderId"], "0344")
        assert tweede["koppelingId"] != eerste["koppelingId"]
        assert (await client.get(kp, auth=auth(AMSTERDAM))).status_code == 404
        assert (await client.get(kp, auth=auth(SSC_VOOR_AMSTERDAM))).status_code == 404
        moved = await client.get(kp, auth=auth(UTRECHT))
        assert moved.status_code == 200 and moved.json()["koppelingId"] == tweede["koppelingId"]
        # The withdrawn koppeling is nobody's to read any more; the new one is Utrecht's.
        oud = f"/api/v1/koppelingen/{eerste['koppelingId']}"
        for p in (AMSTERDAM, UTRECHT):
            assert (await client.get(oud, auth=auth(p))).status_code == 404
        nieuw = await client.get(f"/api/v1/koppelingen/{tweede['koppelingId']}", auth=auth(UTRECHT))
        assert nieuw.json()["gemeentecode"] == "0344" and nieuw.json()["status"] == "gekoppeld"
        assert (await client.get("/api/v1/koppelingen", auth=auth(AMSTERDAM))).json() == []

        events = await coa_events(kafka_bootstrap_servers, prefix, 4)
        assert [(moment(e), e["headers"]["ce_gemeentecode"]) for e in events] == [
            ("koppeling.vastgesteld", "0363"),
            ("klantprofiel.aangeboden(koppeling)", "0363"),
            ("koppeling.vastgesteld", "0344"),
            ("klantprofiel.aangeboden(koppeling)", "0344"),
        ]

    rows = [r for r in await log_rows(database) if r["resource"] == "klantprofiel"]
    seen = [(r["client_id"], r["uitkomst"], r["activiteit"]) for r in rows]
    assert seen[:4] == [
        ("amsterdam", "geleverd", "klantprofiel lezen"),
        ("ssc-0363", "geleverd", "klantprofiel lezen"),
        ("utrecht", "geweigerd", "klantprofiel lezen"),
        ("utrecht", "geweigerd", "klantprofiel als PDF lezen"),
    ]
    assert ("amsterdam", "geweigerd", "klantprofiel lezen") in seen[4:]  # after the re-link
    assert ("coa-tvs", "geweigerd", "klantprofiel lezen") in seen  # the 403 is logged too
    assert all(r["namens"] for r in rows if r["rol"] == "gemeente")
    assert all(BSN not in str(r.values()) for r in rows)


async def test_the_pdf_holds_the_callers_view_and_nothing_else(database, kafka_bootstrap_servers):
    prefix, port = new_prefix(), free_port()
    service = build(database, kafka_bootstrap_servers, port, prefix=prefix)
    async with serving(service, port) as client:
        coa = Coa(client)
        sh = await coa.aanmaken(
            nationaliteit="SY",
            werkervaring=[{"beroep": "boekhouder", "jaren": 6}],
            ambities="Werken in de financiele administratie",
        )
        await coa.koppelen(sh["statushouderId"], "0363")
        kp = f"/api/v1/klantprofielen/{sh['klantprofielId']}"
        served = (await client.get(kp, auth=auth(AMSTERDAM))).json()
        response = await client.get(f"{kp}/pdf", auth=auth(AMSTERDAM))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert "Haddad" not in response.headers["content-disposition"]

    reader = PdfReader(io.BytesIO(response.content))
    pdf = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for value in ("Amal", "Haddad", BSN, "boekhouder", "Werken in de financiele administratie"):
        assert value in pdf
    assert "Jannie de Vries" in pdf and "jdv@coa.example" in pdf  # the casemanager, at the end
    assert pdf.index("Jannie de Vries") > pdf.index("Haddad")
    # Nothing the served JSON does not hold: no label of an absent field.
    for absent in ("Mailadres", "Telefoonnummer", "Nareisprofiel", "Adres", "Statusgegevens"):
        assert absent.lower() not in {k.lower() for k in served}
        assert absent not in pdf
    assert reader.metadata is not None and "Haddad" not in str(dict(reader.metadata))
    rows = await log_rows(database)
    assert [(r["client_id"], r["activiteit"], r["uitkomst"]) for r in rows][-1] == (
        "amsterdam",
        "klantprofiel als PDF lezen",
        "geleverd",
    )


async def test_the_control_api_is_off_by_default_and_only_for_coa(
    database, kafka_bootstrap_servers
):
    port = free_port()
    off = build(database, kafka_bootstrap_servers, port, prefix=new_prefix(), control=False)
    async with serving(off, port) as client:
        response = await client.post(
            "/control/v1/statushouders", json=PERSOON, auth=auth(CASEMANAGER)
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    port = free_port()
    on = build(database, kafka_bootstrap_servers, port, prefix=new_prefix())
    async with serving(on, port) as client:
        gemeente = await client.post(
            "/control/v1/statushouders", json=PERSOON, auth=auth(AMSTERDAM)
        )
        assert gemeente.status_code == 403
        assert gemeente.headers["content-type"] == "application/problem+json"
        assert (await client.post("/control/v1/statushouders", json=PERSOON)).status_code == 401
        # An invalid BSN, and emptying a required field: 422 problem+json.
        bad = await client.post(
            "/control/v1/statushouders", json={**PERSOON, "bsn": "123"}, auth=auth(CASEMANAGER)
        )
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
        sh = await Coa(client).aanmaken()
        await Coa(client).bijwerken(sh["statushouderId"], {"voornamen": None}, expect=422)
        # Text PostgreSQL cannot store is invalid input, not a server error.
        for text_ in ("AZC\\u0000Budel", "AZC \\ud800"):  # JSON escapes, sent as they are
            response = await client.post(
                f"/control/v1/statushouders/{sh['statushouderId']}/koppeling",
                content=f'{{"gemeentecode": "0363", "azcLocatie": "{text_}"}}'.encode(),
                headers={"Content-Type": "application/json"},
                auth=auth(CASEMANAGER),
            )
            assert response.status_code == 422, response.text
        await Coa(client).bijwerken(sh["statushouderId"], {"ambities": "a\x00b"}, expect=422)


async def test_two_replicas_on_one_database_publish_every_event_in_order_per_person(
    database, kafka_bootstrap_servers
):
    prefix = new_prefix()
    ports = [free_port(), free_port()]
    services: list[KetenService] = [
        build(database, kafka_bootstrap_servers, p, prefix=prefix) for p in ports
    ]
    async with AsyncExitStack() as stack:
        clients = [
            Coa(await stack.enter_async_context(serving(s, p)))
            for s, p in zip(services, ports, strict=True)
        ]

        async def journey(n: int) -> str:
            # Each step through the other replica than the step before.
            a, b = clients[n % 2], clients[(n + 1) % 2]
            shid = (await a.aanmaken())["statushouderId"]
            await b.koppelen(shid, "0363")
            await a.bijwerken(shid, {"ambities": f"plan {n}"})
            wo = (await b.plannen(shid))["warmeOverdrachtId"]
            await a.houden(wo)
            await b.vertrek(shid)
            return shid

        personen = await asyncio.gather(*(journey(n) for n in range(6)))
        events = await coa_events(kafka_bootstrap_servers, prefix, 6 * 8)

    verwacht = [
        "koppeling.vastgesteld",
        "klantprofiel.aangeboden(koppeling)",
        "klantprofiel.gewijzigd",
        "warme-overdracht.gepland",
        "warme-overdracht.gehouden",
        "klantprofiel.aangeboden(warme-overdracht)",
        "vestiging.gemeld",
        "klantprofiel.aangeboden(vestiging)",
    ]
    by_id: dict[str, dict[str, Any]] = {}
    per_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        # A repeat (at least once) is the same event: same id, same content.
        earlier = by_id.setdefault(event["id"], event)
        assert earlier["raw"] == event["raw"]
        if not per_key[event["key"]] or per_key[event["key"]][-1]["id"] != event["id"]:
            per_key[event["key"]].append(event)
    assert sorted(per_key) == sorted(personen)
    for shid in personen:
        assert [moment(e) for e in per_key[shid]] == verwacht, shid
    assert len(by_id) == 6 * 8


async def test_every_date_follows_the_sandbox_clock(database, kafka_bootstrap_servers):
    prefix, port = new_prefix(), free_port()
    service = build(database, kafka_bootstrap_servers, port, prefix=prefix)
    service.settings = service.settings.model_copy(update={"sandbox": True})
    async with serving(service, port) as client:
        moved = await client.put(
            "/sandbox/clock", json={"now": "2027-03-01T09:00:00+01:00", "frozen": True}
        )
        assert moved.status_code == 200, moved.text
        coa = Coa(client)
        sh = await coa.aanmaken()
        koppeling = await coa.koppelen(sh["statushouderId"], "0363")
        await coa.vertrek(sh["statushouderId"])
        read = await client.get(
            f"/api/v1/koppelingen/{koppeling['koppelingId']}", auth=auth(AMSTERDAM)
        )
        assert read.json()["koppeldatum"] == "2027-03-01"
        assert read.json()["vestigingsdatum"] == "2027-03-01"
        events = await coa_events(kafka_bootstrap_servers, prefix, 4)
        assert {e["headers"]["ce_time"][:10] for e in events} == {"2027-03-01"}
