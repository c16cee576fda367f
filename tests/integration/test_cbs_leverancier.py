"""cbs-leverancier against a real dossier-bron (with coa-adapter and duo-adapter, as in
``test_dossier_bron``), the real broker and database: dossiers registered at dossier-bron in Q1
become thin events; the leverancier fetches dossier-bron's CBS view (purpose statistiek-swi)
and freezes Q1 version 1 after the cut-off; after Q2 changes, including a late correction of a
Q1 fact, Q1 version 1 still rebuilds byte-identical and the correction appears only in Q1
version 2; a plicht that ends in Q2 (DUO's diploma) keeps its record in Q2 and is gone from Q3;
every file validates against the XSD, the manifest's counts match the dossiers in the quarter,
and the history, snapshots and files are encrypted at rest. After a move, dossier-bron's CBS
view of the old gemeente's dossier carries the hand-over date, which ends that gemeente's
deliveries after the quarter of the move.

The chain's clock is dossier-bron's sandbox clock (the process's clock): the leverancier reads it
too, so moving it puts registrations, receipts and freezes in a quarter."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy import select

from cbs_leverancier import domain
from cbs_leverancier.bewaartermijnen import opschonen
from cbs_leverancier.main import MIGRATIONS
from cbs_leverancier.main import build_service as build_leverancier
from cbs_leverancier.models import BronversieRij, LeveringRij
from cbs_leverancier.sleutels import herversleutel
from keten_contracts.clients import Doel
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from keten_contracts.swi import NAMESPACE, validate_levering
from keten_core import clock
from keten_core.auth import PartyRegistry
from keten_core.dataref import BronCredential, DatarefLezer
from keten_core.db import create_engine, migrate, session_factory
from keten_core.testing import fresh_database
from keten_core.versleuteling import NietTeOntsleutelen, Sleutelring, nieuwe_sleutel
from tests.integration.test_dossier_bron import (
    AMSTERDAM,
    AMSTERDAM_OIN,
    BSN,
    BSN_GEZIN,
    DUO_TESTER,
    MEDEWERKER,
    UTRECHT,
    UTRECHT_OIN,
    Keten,
    auth,
    party,
    settings,
    until,
)
from tests.integration.test_dossier_bron import keten as basis_keten
from tests.integration.test_dossier_bron_begeleiding import asiel_dossier, gezins_dossier
from tests.integration.test_dossier_bron_intake_pip import DUO_BIJ_BRON, PIP, _afgeronde_intake
from tests.integration.test_dossier_bron_intake_pip import keten as pip_keten
from tests.integration.test_dossier_bron_opdrachten import _met_pip
from tests.integration.test_dossier_bron_verhuizing import BRP, NIEUW, OUD
from tests.integration.test_service import free_port, serving
from tests.support import migration_differences, read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

CBS_OIN = "00000001003214345000"
BSN_NIEUW = "333444553"
# The leverancier's client at dossier-bron: CBS's view, under the SWI purpose.
LEVERANCIER_BIJ_BRON = party(
    "dossier-bron", "cbs-leverancier-0363", CBS_OIN, Rol.CBS, Doel.STATISTIEK_SWI
)
# The leverancier's own clients: Amsterdam's staff freeze, CBS fetches.
GEMEENTE = party(
    "cbs-leverancier",
    "amsterdam-swi",
    AMSTERDAM_OIN,
    Rol.GEMEENTE,
    Doel.UITVOERING_INBURGERING,
    namens="0363",
    **MEDEWERKER,
)
UTRECHT_SWI = party(
    "cbs-leverancier",
    "utrecht-swi",
    "00000001002220647000",
    Rol.GEMEENTE,
    Doel.UITVOERING_INBURGERING,
    namens="0344",
    **MEDEWERKER,
)
CBS = party("cbs-leverancier", "cbs-swi", CBS_OIN, Rol.CBS, Doel.STATISTIEK_SWI)


@dataclass
class Opstelling:
    chain: Keten
    leverancier: httpx.AsyncClient
    database: str
    klok: clock.Clock
    ring: Sleutelring

    async def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        self.chain.databases["leverancier"] = self.database
        return await self.chain.query("leverancier", sql, **params)

    def op(self, instant: str) -> None:
        self.klok.set(datetime.fromisoformat(instant))

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.chain.bron.post(f"/api/v1{path}", json=body, auth=auth(AMSTERDAM))

    async def bevries(self, kwartaal: str, who: Any = GEMEENTE) -> httpx.Response:
        return await self.leverancier.post(
            "/api/v1/leveringen", json={"kwartaal": kwartaal}, auth=auth(who)
        )

    async def bestand(self, levering_id: str) -> bytes:
        answer = await self.leverancier.get(
            f"/api/v1/leveringen/{levering_id}/bestand", auth=auth(CBS)
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/xml")
        return answer.content

    async def laatste(self, resource: str) -> dict[str, Any]:
        """The latest CBS view of ``resource`` the leverancier holds (decrypted)."""
        rows = await self.query(
            "SELECT inhoud FROM swi_bronversie WHERE resource = :r ORDER BY volgnummer DESC "
            "LIMIT 1",
            r=resource,
        )
        return json.loads(self.ring.ontsleutel(bytes(rows[0]["inhoud"]))) if rows else {}

    async def dossier(self, dossier_id: str) -> dict[str, Any]:
        """The latest CBS view of one dossier the leverancier holds (decrypted)."""
        rows = await self.query(
            "SELECT inhoud FROM swi_bronversie WHERE resource = 'dossier' AND resource_id = :d "
            "ORDER BY volgnummer DESC LIMIT 1",
            d=dossier_id,
        )
        return json.loads(self.ring.ontsleutel(bytes(rows[0]["inhoud"]))) if rows else {}

    async def versies(self, resource: str) -> int:
        rows = await self.query(
            "SELECT count(*) AS n FROM swi_bronversie WHERE resource = :r", r=resource
        )
        return int(rows[0]["n"])


@pytest.fixture
async def opstelling(
    postgres_server_url: str, kafka_bootstrap_servers: str
) -> AsyncIterator[Opstelling]:
    async with AsyncExitStack() as stack:
        chain = await stack.enter_async_context(
            basis_keten(
                postgres_server_url,
                kafka_bootstrap_servers,
                bron_partijen=[AMSTERDAM, UTRECHT, DUO_BIJ_BRON, LEVERANCIER_BIJ_BRON],
                duo_leest_bron=DUO_BIJ_BRON,
                sandbox=True,
            )
        )
        # dossier-bron's sandbox clock is the process's clock; the leverancier's start installs
        # its own, so the chain's is put back once it runs.
        klok = clock.get_clock()
        database = await stack.enter_async_context(fresh_database(postgres_server_url))
        port = free_port()
        bron = BronCredential(
            base_url=f"{chain.bron.base_url}/api/v1",
            client_id=LEVERANCIER_BIJ_BRON.client_id,
            secret=LEVERANCIER_BIJ_BRON.secret,
        )
        service = build_leverancier(
            settings(database, kafka_bootstrap_servers, port, chain.prefix),
            parties=PartyRegistry([GEMEENTE, UTRECHT_SWI, CBS]),
            bronnen=DatarefLezer([bron], rol=Rol.CBS),
            sleutelring=(ring := Sleutelring(nieuwe_sleutel())),
            gemeenten={"0363": AMSTERDAM_OIN},
        )
        leverancier = await stack.enter_async_context(serving(service, port))
        clock.use_clock(klok)
        yield Opstelling(chain, leverancier, database, klok, ring)


def bsns(xml: bytes) -> list[str]:
    return [e.text or "" for e in etree.fromstring(xml).iter(f"{{{NAMESPACE}}}bsn")]


async def test_q1_version_1_rebuilds_byte_identical_and_a_late_correction_is_only_in_version_2(
    opstelling: Opstelling, kafka_bootstrap_servers: str
):
    o = opstelling
    # --- Q1: two persons, a begeleiding and a voortgangsgesprek ---------------------------
    o.op("2026-02-10T10:00:00+01:00")
    asiel = await asiel_dossier(o.chain)
    mb = await o.post(
        f"/dossiers/{asiel}/begeleidingen",
        {"soort": "maatschappelijke-begeleiding", "startdatum": "2026-02-01"},
    )
    assert mb.status_code == 201, mb.text
    begeleiding_id = mb.json()["begeleidingId"]
    # The brede intake (with the LBT) and the PIP: read through their CBS views too.
    await _afgeronde_intake(o.chain, asiel)
    pip = await o.post(f"/dossiers/{asiel}/pip", {**PIP, "intensiteitUren": 600})
    assert pip.status_code == 201, pip.text
    o.op("2026-03-02T10:00:00+01:00")
    gezin = await gezins_dossier(o.chain)
    gesprek = await o.post(f"/dossiers/{gezin}/voortgangsgesprekken", {"datum": "2026-03-01"})
    assert gesprek.status_code == 201, gesprek.text
    await until(lambda: o.versies("pip"))
    await until(lambda: _met(o.laatste("intake"), "afgerondOp"))
    await until(lambda: _at_least(o, "begeleiding", 2))

    # Before the cut-off nothing is frozen.
    o.op("2026-03-31T23:30:00+02:00")
    early = await o.bevries("2026-Q1")
    assert early.status_code == 409, early.text
    assert early.headers["content-type"] == "application/problem+json"
    assert early.json()["reden"] == "kwartaal-niet-afgesloten"

    # --- after the cut-off: Q1 version 1 -------------------------------------------------
    o.op("2026-04-01T09:00:00+02:00")
    v1 = await o.bevries("2026-Q1")
    assert v1.status_code == 201, v1.text
    v1_id = v1.json()["leveringId"]
    assert v1.json()["leveringVersie"] == 1 and "bestand" not in v1.json()  # the gemeente's view
    v1_xml = await o.bestand(v1_id)
    assert validate_levering(v1_xml) == []
    assert bsns(v1_xml) == sorted([BSN, BSN_GEZIN])
    assert b"2026-03-20" not in v1_xml

    # The manifest's counts match the dossiers at the source.
    manifest = (
        await o.leverancier.get(f"/api/v1/leveringen/{v1_id}/manifest", auth=auth(GEMEENTE))
    ).json()
    assert manifest["sha256"] == hashlib.sha256(v1_xml).hexdigest()
    assert manifest["kwartaal"] == "2026-Q1" and manifest["gemeentecode"] == "0363"
    assert manifest["aangemaaktOp"].startswith("2026-04-01")
    dossiers = await o.chain.query(
        "bron", "SELECT count(*) AS n FROM dossier WHERE gemeentecode = '0363'"
    )
    begeleidingen = await o.chain.query(
        "bron",
        "SELECT soort, count(*) AS n FROM begeleiding WHERE startdatum <= '2026-03-31' "
        "GROUP BY soort",
    )
    per_soort = {r["soort"]: r["n"] for r in begeleidingen}
    assert manifest["aantallen"]["records"] == dossiers[0]["n"] == 2
    assert (
        manifest["aantallen"]["maatschappelijkeBegeleiding"]
        == (per_soort["maatschappelijke-begeleiding"])
    )
    assert manifest["aantallen"]["voortgangsgesprekken"] == per_soort["voortgangsgesprek"]
    for sectie, tabel in (("bredeIntake", "intake"), ("pip", "pip_versie")):
        telling = await o.chain.query(
            "bron",
            f"SELECT count(DISTINCT dossier_id) AS n FROM {tabel}",
        )
        assert manifest["aantallen"][sectie] == telling[0]["n"] == 1
    assert b"<swi:vaststellingsdatum>2026-01-15</swi:vaststellingsdatum>" in v1_xml
    assert b"<swi:eersteGesprekOp>2026-01-05</swi:eersteGesprekOp>" in v1_xml

    # --- Q2: changes, and a late correction of a Q1 fact ---------------------------------
    o.op("2026-04-10T10:00:00+02:00")
    # The correction: the maatschappelijke begeleiding ended on 20 March, registered in April.
    ended = await o.post(f"/begeleidingen/{begeleiding_id}/beeindigen", {"einddatum": "2026-03-20"})
    assert ended.status_code == 200, ended.text
    # Q2's own changes: a second voortgangsgesprek, a new period, a new person.
    assert (
        await o.post(f"/dossiers/{gezin}/voortgangsgesprekken", {"datum": "2026-04-08"})
    ).status_code == 201
    assert (
        await o.post(
            f"/dossiers/{asiel}/begeleidingen",
            {"soort": "stimuleren-financiele-zelfredzaamheid", "startdatum": "2026-04-05"},
        )
    ).status_code == 201
    await o.chain.statushouder(BSN_NIEUW, "0363")
    nieuw_persoon = await o.chain.plicht(BSN_NIEUW, "asielstatushouder")
    [nieuw] = await until(lambda: o.chain.zoek(BSN_NIEUW))
    await until(
        lambda: o.chain.query(
            "bron",
            "SELECT 1 FROM dossier WHERE bsn = :b AND recht_maatschappelijke_begeleiding",
            b=BSN_NIEUW,
        )
    )
    nieuw_mb = await o.post(
        f"/dossiers/{nieuw['dossierId']}/begeleidingen",
        {"soort": "maatschappelijke-begeleiding", "startdatum": "2026-04-09"},
    )
    assert nieuw_mb.status_code == 201, nieuw_mb.text
    await until(lambda: _at_least(o, "begeleiding", 6))

    # Q1 version 1 rebuilds byte-identical: from its snapshot and from the history.
    controle = await o.leverancier.get(f"/api/v1/leveringen/{v1_id}/controle", auth=auth(GEMEENTE))
    assert controle.status_code == 200, controle.text
    assert controle.json()["identiek"] is True
    assert await o.bestand(v1_id) == v1_xml

    # The correction goes into Q1 version 2, and only there.
    o.op("2026-04-15T10:00:00+02:00")
    v2 = await o.bevries("2026-Q1")
    assert v2.status_code == 201, v2.text
    assert v2.json()["leveringVersie"] == 2
    v2_xml = await o.bestand(v2.json()["leveringId"])
    assert validate_levering(v2_xml) == []
    assert b"<swi:einddatum>2026-03-20</swi:einddatum>" in v2_xml
    assert b"2026-03-20" not in await o.bestand(v1_id)
    for q2 in (b"2026-04-08", b"2026-04-05", b"2026-04-09"):
        assert q2 not in v2_xml
    assert bsns(v2_xml) == bsns(v1_xml)  # the new person is Q2's
    # Nothing changed since version 2: no version 3.
    again = await o.bevries("2026-Q1")
    assert again.status_code == 409 and again.json()["reden"] == "geen-correctie"
    assert (
        await o.leverancier.get(f"/api/v1/leveringen/{v1_id}/controle", auth=auth(GEMEENTE))
    ).json()["identiek"] is True

    # --- Q2: the new person's plicht ends (DUO: the inburgeringsdiploma of 20 May) ---------
    o.op("2026-05-20T10:00:00+02:00")
    await o.chain.control(
        o.chain.duo,
        DUO_TESTER,
        f"/control/inburgeringsplichtigen/{nieuw_persoon}/diplomas",
        {"soort": "inburgeringsdiploma", "datum": "2026-05-20"},
    )
    await until(
        lambda: o.chain.query(
            "bron", "SELECT 1 FROM bewaartermijn WHERE dossier_id = :d", d=nieuw["dossierId"]
        )
    )
    # dossier-bron announces it (``dossier.gewijzigd``): the leverancier reads the dossier's
    # CBS view again and has the end, with no other event about the dossier.
    await until(lambda: _met(o.dossier(nieuw["dossierId"]), "eindePlicht"))
    assert (await o.dossier(nieuw["dossierId"]))["eindePlicht"] == "2026-05-20"
    # The end is dated in Q2: it is no correction of Q1.
    o.op("2026-05-21T10:00:00+02:00")
    geen = await o.bevries("2026-Q1")
    assert geen.status_code == 409 and geen.json()["reden"] == "geen-correctie"

    # --- Q2 version 1: Q2's changes ------------------------------------------------------
    o.op("2026-07-01T08:00:00+02:00")
    q2 = await o.bevries("2026-Q2")
    assert q2.status_code == 201, q2.text
    q2_xml = await o.bestand(q2.json()["leveringId"])
    assert validate_levering(q2_xml) == []
    # The plicht that ended within Q2 still has its record in Q2.
    assert bsns(q2_xml) == sorted([BSN, BSN_GEZIN, BSN_NIEUW])
    assert q2.json()["aantallen"]["voortgangsgesprekken"] == 2
    assert q2.json()["aantalRecords"] == await _in_kwartaal(o, "2026-04-01") == 3

    # --- who reads what -------------------------------------------------------------------
    lijst = await o.leverancier.get(
        "/api/v1/leveringen", params={"kwartaal": "2026-Q1"}, auth=auth(GEMEENTE)
    )
    assert [(lv["kwartaal"], lv["leveringVersie"]) for lv in lijst.json()] == [
        ("2026-Q1", 1),
        ("2026-Q1", 2),
    ]
    assert all("bestand" not in lv for lv in lijst.json())
    # The file is CBS's alone; another gemeente sees no delivery of Amsterdam's at all.
    gemeente_bestand = await o.leverancier.get(
        f"/api/v1/leveringen/{v1_id}/bestand", auth=auth(GEMEENTE)
    )
    assert gemeente_bestand.status_code == 403
    utrecht = await o.leverancier.get(f"/api/v1/leveringen/{v1_id}", auth=auth(UTRECHT_SWI))
    assert utrecht.status_code == 404
    assert (await o.leverancier.get("/api/v1/leveringen", auth=auth(UTRECHT_SWI))).json() == []
    cbs_view = await o.leverancier.get(f"/api/v1/leveringen/{v1_id}", auth=auth(CBS))
    assert cbs_view.status_code == 200
    assert base64.b64decode(cbs_view.json()["bestand"]) == v1_xml
    assert (await o.leverancier.get(f"/api/v1/leveringen/{v1_id}")).status_code == 401
    assert (await o.bevries("2026-Q3", who=CBS)).status_code == 403

    # --- at rest: encrypted; logged reads; thin events -----------------------------------
    rijen = await o.query("SELECT snapshot, bestand, manifest FROM cbs_levering")
    assert len(rijen) == 3
    for rij in rijen:
        for blob in (bytes(rij["snapshot"]), bytes(rij["bestand"])):
            assert BSN.encode() not in blob and b"levering" not in blob
        assert BSN not in json.dumps(rij["manifest"])
    historie = await o.query("SELECT inhoud FROM swi_bronversie")
    assert historie and all(BSN.encode() not in bytes(r["inhoud"]) for r in historie)
    # The leverancier logs a record per person in a file CBS received (pseudonymised).
    log = await o.query(
        "SELECT client_id, doel, betrokkene, resource_id FROM keten_verwerkingslog "
        "WHERE betrokkene IS NOT NULL AND resource_id = :id",
        id=v1_id,
    )
    assert {r["client_id"] for r in log} == {"cbs-swi"}
    assert {r["doel"] for r in log} == {"statistiek-swi"}
    assert all(BSN not in str(r.values()) for r in log)
    # dossier-bron logged the leverancier's reads under the SWI purpose.
    bron_log = await o.chain.query(
        "bron",
        "SELECT DISTINCT doel, uitkomst FROM keten_verwerkingslog WHERE client_id = :c",
        c=LEVERANCIER_BIJ_BRON.client_id,
    )
    assert bron_log == [{"doel": "statistiek-swi", "uitkomst": "geleverd"}]
    events = await read_all(kafka_bootstrap_servers, o.chain.prefix + TOPICS["cbs"], 3)
    data = [json.loads(r.value) for r in events]
    # Keyed by gemeente and quarter: one quarter's versions stay in order on their partition.
    assert sorted(d["kwartaal"] for d in data) == ["2026-Q1", "2026-Q1", "2026-Q2"]
    assert [d["leveringId"] for d in data if d["kwartaal"] == "2026-Q1"] == [
        v1_id,
        v2.json()["leveringId"],
    ]
    assert all(
        BSN.encode() not in r.value and r.key == b"0363-" + d["kwartaal"].encode()
        for r, d in zip(events, data, strict=True)
    )
    assert {dict(r.headers)["ce_gemeentecode"] for r in events} == {b"0363"}

    # --- Q3: the plicht that ended in Q2 is no longer delivered ---------------------------
    o.op("2026-10-01T08:00:00+02:00")
    q3 = await o.bevries("2026-Q3")
    assert q3.status_code == 201, q3.text
    q3_xml = await o.bestand(q3.json()["leveringId"])
    assert validate_levering(q3_xml) == []
    assert bsns(q3_xml) == sorted([BSN, BSN_GEZIN])
    # The manifest's counts match the dossiers at the source whose plicht had not ended by
    # Q3's first day.
    q3_manifest = (
        await o.leverancier.get(
            f"/api/v1/leveringen/{q3.json()['leveringId']}/manifest", auth=auth(GEMEENTE)
        )
    ).json()
    assert q3_manifest["sha256"] == hashlib.sha256(q3_xml).hexdigest()
    assert q3.json()["aantalRecords"] == q3_manifest["aantallen"]["records"]
    assert q3_manifest["aantallen"]["records"] == await _in_kwartaal(o, "2026-07-01") == 2
    # Q2's version still rebuilds byte-identical, with the ended plicht in it.
    controle_q2 = await o.leverancier.get(
        f"/api/v1/leveringen/{q2.json()['leveringId']}/controle", auth=auth(GEMEENTE)
    )
    assert controle_q2.json()["identiek"] is True


async def _met(view: Any, veld: str) -> bool:
    return veld in await view


async def _in_kwartaal(o: Opstelling, begin: str) -> int:
    """Amsterdam's dossiers at the source in a quarter: the plicht had not ended by its first
    day (``bewaartermijn`` holds DUO's end) and the dossier was not handed over before it."""
    rows = await o.chain.query(
        "bron",
        "SELECT count(*) AS n FROM dossier d"
        " LEFT JOIN bewaartermijn b ON b.dossier_id = d.dossier_id"
        " WHERE d.gemeentecode = '0363' AND (b.einde_plicht IS NULL OR b.einde_plicht >= :q)"
        " AND NOT EXISTS (SELECT 1 FROM overdracht o"
        " WHERE o.dossier_id = d.dossier_id AND o.datum < :q)",
        q=date.fromisoformat(begin),
    )
    return int(rows[0]["n"])


async def _at_least(o: Opstelling, resource: str, n: int) -> bool:
    return await o.versies(resource) >= n


async def test_after_a_move_only_the_hand_over_date_ends_the_old_gemeentes_deliveries(
    postgres_server_url: str, kafka_bootstrap_servers: str
):
    """The old gemeente keeps its dossier after the hand-over, and its gemeentecode: the CBS
    view's gemeentecode alone would keep the person in the old gemeente's deliveries for
    ever. dossier-bron serves the hand-over date (``overgedragenOp``) in the CBS view, and
    ``domain.in_levering`` ends the old gemeente's deliveries after the quarter of the
    hand-over, while the new gemeente delivers the person from its own dossier."""
    async with pip_keten(
        postgres_server_url,
        kafka_bootstrap_servers,
        extra=[OUD, NIEUW, LEVERANCIER_BIJ_BRON],
        gemeenten={"0363": AMSTERDAM_OIN, "0344": UTRECHT_OIN},
    ) as chain:
        lezer = DatarefLezer(
            [
                BronCredential(
                    base_url=f"{chain.bron.base_url}/api/v1",
                    client_id=LEVERANCIER_BIJ_BRON.client_id,
                    secret=LEVERANCIER_BIJ_BRON.secret,
                )
            ],
            rol=Rol.CBS,
        )
        try:

            async def cbs_view(dossier_id: str) -> Any:
                return await lezer.haal(
                    f"{chain.bron.base_url}/api/v1/dossiers/{dossier_id}", "dossier"
                )

            oud_id = await _met_pip(chain)
            await chain.plicht(BSN, "asielstatushouder")
            await until(
                lambda: chain.query(
                    "bron", "SELECT 1 FROM dossier WHERE inburgeringsplicht_id IS NOT NULL"
                )
            )
            voor = await cbs_view(oud_id)
            assert voor.gemeentecode == "0363" and voor.overgedragen_op is None
            plicht = (await chain.bron.get(f"/api/v1/dossiers/{oud_id}", auth=auth(OUD))).json()[
                "inburgeringsplichtId"
            ]
            verzoek = await chain.bron.post(
                "/api/v1/overdrachtsverzoeken",
                json={
                    "vorigeGemeentecode": "0363",
                    "inburgeringsplichtId": plicht,
                    "datum": "2026-09-01",
                },
                auth=auth(NIEUW),
            )
            assert verzoek.status_code == 201, verzoek.text
            pakket = await chain.bron.post(
                f"/api/v1/overdrachtsverzoeken/{verzoek.json()['overdrachtsverzoekId']}/overdracht",
                json={"datum": "2026-09-08"},
                auth=auth(OUD),
            )
            assert pakket.status_code == 201, pakket.text
            overname = await chain.bron.post(
                f"/api/v1/overdrachten/{pakket.json()['overdrachtId']}/overname",
                json=BRP,
                auth=auth(NIEUW),
            )
            assert overname.status_code == 201, overname.text
            nieuw_id = overname.json()["dossierId"]

            na = await cbs_view(oud_id)
            nieuw = await cbs_view(nieuw_id)
            # The old dossier is still Amsterdam's: its gemeentecode does not end anything.
            assert na.gemeentecode == "0363" and na.overgedragen_op == date(2026, 9, 8)
            assert nieuw.gemeentecode == "0344" and nieuw.overgedragen_op is None
            assert nieuw.bsn == na.bsn == BSN
        finally:
            await lezer.aclose()

    teller = iter(range(1, 100))

    def bron(view: Any, geregistreerd: str) -> domain.Bronversie:
        moment = datetime.fromisoformat(geregistreerd)
        return domain.Bronversie(
            volgnummer=next(teller),
            resource="dossier",
            resource_id=view.dossier_id,
            dossier_id=view.dossier_id,
            geregistreerd_op=moment,
            ontvangen_op=moment,
            view=view,
        )

    historie = [
        bron(voor, "2026-06-01T10:00:00+02:00"),
        bron(na, "2026-09-08T10:00:00+02:00"),
        bron(nieuw, "2026-09-10T10:00:00+02:00"),
    ]

    def levering(kwartaal: str, gemeentecode: str) -> list[str]:
        moment = domain.afsluitmoment(kwartaal) + timedelta(hours=9)
        keuze = domain.kies_versies(historie, kwartaal, moment=moment, correctie=False)
        return [
            r.dossier_id
            for r in domain.bouw_records(keuze, gemeentecode=gemeentecode, kwartaal=kwartaal)
        ]

    assert (levering("2026-Q2", "0363"), levering("2026-Q2", "0344")) == ([oud_id], [])
    # The quarter of the move: each gemeente had the person in it.
    assert (levering("2026-Q3", "0363"), levering("2026-Q3", "0344")) == ([oud_id], [nieuw_id])
    # From then on only the new gemeente.
    assert (levering("2026-Q4", "0363"), levering("2026-Q4", "0344")) == ([], [nieuw_id])


async def test_retention_deletes_expired_deliveries_and_superseded_views_and_keys_rotate(
    postgres_server_url: str,
):
    async with fresh_database(postgres_server_url) as url:
        engine = create_engine(url)
        try:
            await migrate(engine, [MIGRATIONS])
            oud_sleutel = nieuwe_sleutel()
            ring = Sleutelring(oud_sleutel)

            def versie(resource_id: str, moment: str) -> BronversieRij:
                instant = datetime.fromisoformat(moment)
                return BronversieRij(
                    gemeentecode="0363",
                    dossier_id="dos-a",
                    resource="begeleiding",
                    resource_id=resource_id,
                    geregistreerd_op=instant,
                    ontvangen_op=instant,
                    event_id="e",
                    inhoud=ring.versleutel(b"{}"),
                )

            def levering_rij(kwartaal: str, bewaren_tot: date) -> LeveringRij:
                instant = datetime.fromisoformat("2026-04-01T08:00:00+00:00")
                return LeveringRij(
                    levering_id=f"lev-0363-{kwartaal.lower()}-v1",
                    gemeentecode="0363",
                    kwartaal=kwartaal,
                    versie=1,
                    bevroren_op=instant,
                    aangemaakt_op=instant,
                    bestandsnaam="f.xml",
                    sha256="0" * 64,
                    manifest={},
                    snapshot=ring.versleutel(b"[]"),
                    bestand=ring.versleutel(b"<x/>"),
                    bewaren_tot=bewaren_tot,
                )

            async with session_factory(engine)() as session, session.begin():
                session.add_all(
                    [
                        versie("beg-1", "2026-02-01T10:00:00+00:00"),  # superseded, old
                        versie("beg-1", "2026-05-01T10:00:00+00:00"),  # the latest: kept
                        versie("beg-2", "2026-02-01T10:00:00+00:00"),  # the only one: kept
                        levering_rij("2026-Q1", date(2031, 1, 1)),
                        levering_rij("2026-Q2", date(2031, 4, 1)),
                    ]
                )
            peil = date(2031, 1, 1)
            droog = await opschonen(engine, uitvoeren=False, peildatum=peil)
            assert droog == {"leveringen": 1, "bronversies": 1}
            assert await opschonen(engine, uitvoeren=False, peildatum=peil - timedelta(1)) == {
                "leveringen": 0,
                "bronversies": 0,
            }
            assert await opschonen(engine, uitvoeren=True, peildatum=peil) == droog
            assert await opschonen(engine, uitvoeren=False, peildatum=peil) == {
                "leveringen": 0,
                "bronversies": 0,
            }

            # Key rotation: the new key first, everything encrypted again, the old key dropped.
            nieuw = nieuwe_sleutel()
            oud = ring
            ring = Sleutelring(f"{nieuw},{oud_sleutel}")
            assert await herversleutel(engine, ring) == {"bronversies": 2, "leveringen": 1}
            alleen_nieuw = Sleutelring(nieuw)
            async with engine.connect() as connection:
                inhoud = (await connection.execute(select(BronversieRij.inhoud))).scalars().all()
                bestand = (await connection.execute(select(LeveringRij.bestand))).scalar_one()
            assert [alleen_nieuw.ontsleutel(i) for i in inhoud] == [b"{}", b"{}"]
            assert alleen_nieuw.ontsleutel(bestand) == b"<x/>"
            with pytest.raises(NietTeOntsleutelen):
                oud.ontsleutel(bestand)
        finally:
            await engine.dispose()


async def test_the_migration_creates_exactly_the_models_tables(postgres_server_url: str):
    differences, heads = await migration_differences(
        postgres_server_url, MIGRATIONS, "cbs_leverancier.models"
    )
    assert differences == []
    assert "cbs_leverancier_0001" in heads
