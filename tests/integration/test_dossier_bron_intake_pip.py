"""dossier-bron's brede intake and PIP against the real broker and database, with coa-adapter
and duo-adapter running as real services (as in ``test_dossier_bron``): the gemeente's staff
invite (at most 3), record attendance and complete the intake (with the person, or without
after 3 missed invitations); decide the PIP and change it, each change a new version with the
data it rested on; the leerroute rules refuse with their reason codes; the events arrive on the
gemeente topic keyed by dossier id with the gemeente's OIN as source; the invitation letter
holds no BSN; a klantmanager Participatiewet writes nothing; DUO fetches the PIP and sets the
termijn at the PIP date + 3 years."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from pypdf import PdfReader

from keten_contracts.clients import Doel, Functie
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from keten_core.auth import Party
from tests.integration.test_dossier_bron import (
    ADRES,
    AMSTERDAM,
    AMSTERDAM_OIN,
    BSN,
    BSN_GEZIN,
    DUO_OIN,
    DUO_TESTER,
    UTRECHT,
    Keten,
    auth,
    party,
    until,
)
from tests.integration.test_dossier_bron import keten as basis_keten
from tests.support import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

T = "nl.inburgering."
KLANTMANAGER = party(
    "dossier-bron",
    "klantmanager-pw",
    AMSTERDAM_OIN,
    Rol.GEMEENTE,
    Doel.UITVOERING_PARTICIPATIEWET,
    namens="0363",
    functie=Functie.KLANTMANAGER_PARTICIPATIEWET,
)
# DUO's client at dossier-bron: its standing read of the PIP and the dossier.
DUO_BIJ_BRON = party("dossier-bron", "duo-bij-0363", DUO_OIN, Rol.DUO, Doel.PLICHT_EN_TERMIJNEN)
# The taalaanbieder whose reported hours the afschaling rests on.
TAAL_OIN_PIP = "00000003273280440000"
TAALSCHOOL_PIP = party(
    "dossier-bron", "taalschool-pip", TAAL_OIN_PIP, Rol.TAALAANBIEDER, Doel.OPDRACHT_UITVOERING
)
GEMEENTE_SOURCE = f"urn:nld:oin:{AMSTERDAM_OIN}:systeem:dossier-bron"


def keten(
    postgres_server_url: str,
    bootstrap: str,
    *,
    extra: Sequence[Party] = (),
    gemeenten: Mapping[str, str] | None = None,
) -> AbstractAsyncContextManager[Keten]:
    """As ``test_dossier_bron.keten``, plus a klantmanager Participatiewet at dossier-bron and
    DUO's credential there (duo-adapter fetches the PIP its events point at); ``extra``
    clients at dossier-bron, and the ``gemeenten`` it serves, for the tests built on it."""
    return basis_keten(
        postgres_server_url,
        bootstrap,
        bron_partijen=[AMSTERDAM, UTRECHT, KLANTMANAGER, DUO_BIJ_BRON, TAALSCHOOL_PIP, *extra],
        duo_leest_bron=DUO_BIJ_BRON,
        gemeenten=gemeenten,
    )


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    async with keten(postgres_server_url, kafka_bootstrap_servers) as k:
        yield k


async def _dossier(chain: Keten) -> str:
    await chain.statushouder(BSN, "0363")
    [dossier] = await until(lambda: chain.zoek(BSN))
    return str(dossier["dossierId"])


async def _post(chain: Keten, path: str, body: Any, who: Any = AMSTERDAM) -> Any:
    return await chain.bron.post(f"/api/v1{path}", json=body, auth=auth(who))


def _reden(answer: Any) -> str:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    return str(answer.json()["reden"])


async def _gemeente_events(chain: Keten, bootstrap: str, count: int) -> list[Any]:
    records = await read_all(bootstrap, chain.prefix + TOPICS["gemeente"], count)
    return [
        {
            "type": dict(r.headers)["ce_type"].decode().removeprefix(T).removesuffix(".v1"),
            "key": r.key.decode(),
            "source": dict(r.headers)["ce_source"].decode(),
        }
        for r in records
    ]


async def test_three_missed_invitations_complete_the_intake_without_the_person(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await _dossier(chain)
    uitnodigen = f"/dossiers/{did}/intake/uitnodigingen"

    # Rule 13: the klantmanager Participatiewet reads but never writes inburgering data;
    # another gemeente gets the answer of an unknown dossier.
    km = await _post(chain, uitnodigen, {"datum": "2026-01-05"}, KLANTMANAGER)
    assert km.status_code == 403
    other = await _post(chain, uitnodigen, {"datum": "2026-01-05"}, UTRECHT)
    assert other.status_code == 404 and BSN not in other.text
    assert await chain.query("bron", "SELECT 1 FROM intake") == []

    for n, datum in enumerate(("2026-01-05", "2026-01-19", "2026-02-02"), start=1):
        answer = await _post(chain, uitnodigen, {"datum": datum})
        assert answer.status_code == 201, answer.text
        assert answer.json()["uitnodigingen"][-1] == {"datum": datum, "volgnummer": n}
    intake_id = answer.json()["intakeId"]
    # Seed 001 taak 3: "na 3 oproepen": no fourth invitation.
    assert _reden(await _post(chain, uitnodigen, {"datum": "2026-02-16"})) == "max-uitnodigingen"

    afronding = f"/intakes/{intake_id}/afronding"
    zonder = {"afgerondOp": "2026-02-10", "zonderMedewerking": True}
    # Not yet: attendance of the invitations is not recorded as missed.
    assert _reden(await _post(chain, afronding, zonder)) == "te-weinig-uitnodigingen-gemist"
    km = await _post(chain, afronding, zonder, KLANTMANAGER)
    assert km.status_code == 403
    for n in (1, 2, 3):
        missed = await chain.bron.put(
            f"/api/v1/intakes/{intake_id}/uitnodigingen/{n}/aanwezigheid",
            json={"verschenen": False},
            auth=auth(AMSTERDAM),
        )
        assert missed.status_code == 200, missed.text
    # With the person: they never came.
    met = {"afgerondOp": "2026-02-10", "opleidingsniveau": "isced-3"}
    assert _reden(await _post(chain, afronding, met)) == "niet-verschenen"
    done = await _post(chain, afronding, zonder)
    assert done.status_code == 200, done.text
    assert done.json()["afgerondZonderMedewerking"] is True
    assert done.json()["afgerondOp"] == "2026-02-10"

    # The invitation letter names the person and the date, never the BSN.
    brief = await chain.bron.get(
        f"/api/v1/intakes/{intake_id}/uitnodigingen/3/brief", auth=auth(AMSTERDAM)
    )
    assert brief.status_code == 200 and brief.headers["content-type"] == "application/pdf"
    tekst = "".join(page.extract_text() for page in PdfReader(io.BytesIO(brief.content)).pages)
    assert "Amal" in tekst and "Haddad" in tekst and "2026-02-02" in tekst
    assert BSN not in tekst.replace(" ", "").replace("\n", "")
    assert BSN.encode() not in brief.content
    elders = await chain.bron.get(
        f"/api/v1/intakes/{intake_id}/uitnodigingen/1/brief", auth=auth(UTRECHT)
    )
    assert elders.status_code == 404

    # Seed 002 section 3.4.2: then "wordt de PIP eenzijdig vastgesteld".
    pip = await _post(chain, f"/dossiers/{did}/pip", {**PIP, "intensiteitUren": 600})
    assert pip.status_code == 201, pip.text
    assert pip.json()["eenzijdigVastgesteld"] is True

    # 3 x intake-uitnodiging.verstuurd + intake.afgerond + pip.vastgesteld on the gemeente
    # topic, keyed by the dossier, with Amsterdam's OIN as source.
    events = await _gemeente_events(chain, kafka_bootstrap_servers, 5)
    assert [e["type"] for e in events] == ["intake-uitnodiging.verstuurd"] * 3 + [
        "intake.afgerond",
        "pip.vastgesteld",
    ]
    assert {e["key"] for e in events} == {did}
    assert {e["source"] for e in events} == {GEMEENTE_SOURCE}


async def _afgeronde_intake(chain: Keten, did: str, *, pip_eerst: bool = False) -> str:
    answer = await _post(chain, f"/dossiers/{did}/intake/uitnodigingen", {"datum": "2026-01-05"})
    intake_id = str(answer.json()["intakeId"])
    came = await chain.bron.put(
        f"/api/v1/intakes/{intake_id}/uitnodigingen/1/aanwezigheid",
        json={"verschenen": True},
        auth=auth(AMSTERDAM),
    )
    assert came.status_code == 200 and came.json()["eersteGesprekOp"] == "2026-01-05"
    if pip_eerst:
        # Seed 001 taak 7: the PIP is decided "op basis van brede intake": not before it is
        # completed.
        vroeg = await _post(chain, f"/dossiers/{did}/pip", {**PIP, "intensiteitUren": 600})
        assert _reden(vroeg) == "intake-niet-afgerond"
    items = {
        "afgerondOp": "2026-01-12",
        "lbtAfgenomen": True,
        "lbtUitkomst": "b1-haalbaar",
        "opleidingsniveau": "isced-3",
        "alfabetisering": "gealfabetiseerd",
        "taalniveau": "A1",
        "zelfredzaamheid": "grotendeels-zelfredzaam",
        "gezinssituatie": "alleenstaand",
        "sociaalNetwerk": "beperkt",
    }
    done = await _post(chain, f"/intakes/{intake_id}/afronding", items)
    assert done.status_code == 200, done.text
    assert done.json()["opleidingsniveau"] == "isced-3"
    return intake_id


PIP = {
    "vaststellingsdatum": "2026-01-15",
    "leerroute": "b1-route",
    "taalniveauEerstePip": "B1",
    "doelen": ["B1 behalen"],
}


async def test_the_pip_is_a_versioned_beschikking_and_the_leerroute_rules_hold(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await _dossier(chain)
    pip_pad = f"/dossiers/{did}/pip"
    assert _reden(await _post(chain, pip_pad, {**PIP, "intensiteitUren": 600})) == (
        "intake-niet-afgerond"
    )
    intake_id = await _afgeronde_intake(chain, did, pip_eerst=True)

    # The B1-route of an asielstatushouder needs its hours (leerroute.vereiste_intensiteit).
    assert _reden(await _post(chain, pip_pad, PIP)) == "intensiteit-verplicht"
    assert (
        await _post(chain, pip_pad, {**PIP, "intensiteitUren": 600}, KLANTMANAGER)
    ).status_code == 403
    v1 = await _post(chain, pip_pad, {**PIP, "intensiteitUren": 600})
    assert v1.status_code == 201, v1.text
    assert v1.json()["versie"] == 1 and v1.json()["intensiteitUren"] == 600
    assert (await _post(chain, pip_pad, {**PIP, "intensiteitUren": 600})).status_code == 409

    # Afschaling B1 -> A2 only after 600 hours (seed 002 section 3.4.4), counted from what the
    # taalaanbieder reported on the B1 course, never taken from the caller.
    afschalen = f"{pip_pad}/afschaling"
    cursus = await _post(
        chain,
        f"/dossiers/{did}/opdrachten",
        {
            "soort": "b1-cursus",
            "aanbiedersoort": "taalaanbieder",
            "aanbiederOin": TAAL_OIN_PIP,
            "aanbiederNaam": "Taalschool Amstel",
            "beoogdeStart": "2026-02-01",
            "uren": 600,
        },
    )
    assert cursus.status_code == 201, cursus.text

    async def gerapporteerd(van: str, tot: str, aanwezig: int, totaal: int) -> None:
        answer = await chain.bron.post(
            f"/api/v1/opdrachten/{cursus.json()['opdrachtId']}/voortgang-rapporten",
            json={
                "periodeVan": van,
                "periodeTot": tot,
                "urenGepland": aanwezig,
                "urenAanwezig": aanwezig,
                "urenAfwezigGeoorloofd": 0,
                "urenAfwezigOngeoorloofd": 0,
                "urenGerealiseerdTotaal": totaal,
                "inspanning": "voldoende",
            },
            auth=auth(TAALSCHOOL_PIP),
            headers={"Idempotency-Key": f"uren-{van}"},
        )
        assert answer.status_code == 201, answer.text

    await gerapporteerd("2026-02-01", "2026-05-31", 400, 400)
    assert _reden(await _post(chain, afschalen, {"datum": "2026-09-01"})) == "te-weinig-uren"
    # The caller cannot state the hours instead (an unknown field, refused).
    zelf = await _post(chain, afschalen, {"datum": "2026-09-01", "urenGevolgd": 600})
    assert zelf.status_code in (400, 422)
    assert zelf.headers["content-type"] == "application/problem+json"
    await gerapporteerd("2026-06-01", "2026-08-31", 200, 600)
    v2 = await _post(chain, afschalen, {"datum": "2026-10-01"})
    assert v2.status_code == 201, v2.text
    assert v2.json()["versie"] == 2 and v2.json()["wijziging"]["soort"] == "afgeschaald"

    v3 = await _post(
        chain, f"{pip_pad}/wijzigingen", {"datum": "2026-11-01", "intensiteitUren": 500}
    )
    assert v3.status_code == 201, v3.text
    assert v3.json()["intensiteitUren"] == 500 and v3.json()["wijziging"]["soort"] == (
        "intensiteit-gewijzigd"
    )
    # The history only moves forward, and within the law's time (schemathesis once stored a
    # version dated 0736, which broke every deadline computed from it).
    for datum, reden in (
        ("2026-10-31", "voor-vorige-versie"),
        ("0736-01-06", "voor-inwerkingtreding"),
    ):
        terug = await _post(chain, f"{pip_pad}/wijzigingen", {"datum": datum, "doelen": ["x"]})
        assert _reden(terug) == reden

    # A switch: up to 1.5 years after the termijn starts (the FIRST PIP's date, 2026-01-15).
    wissel = f"{pip_pad}/leerroutewissel"
    laat = await _post(chain, wissel, {"datum": "2027-07-16", "leerroute": "z-route"})
    assert _reden(laat) == "na-wisseltermijn"
    v4 = await _post(chain, wissel, {"datum": "2027-07-15", "leerroute": "z-route"})
    assert v4.status_code == 201, v4.text
    assert v4.json()["leerroute"] == "z-route" and v4.json()["intensiteitUren"] == 800
    assert v4.json()["wijziging"]["vorigeLeerroute"] == "b1-route"
    assert v4.json()["vaststellingsdatum"] == "2026-01-15"  # the termijn does not move

    # The history: every version, each with what it rested on.
    versies = await chain.bron.get(f"/api/v1{pip_pad}/versies", auth=auth(AMSTERDAM))
    assert versies.status_code == 200
    history = versies.json()
    assert [h["pip"]["versie"] for h in history] == [1, 2, 3, 4]
    assert len({h["pip"]["pipId"] for h in history}) == 4
    assert all(h["gebaseerdOp"]["intakeId"] == intake_id for h in history)
    feiten = await chain.query(
        "bron", "SELECT id, veld FROM dossier_feit WHERE dossier_id = :d", d=did
    )
    assert history[0]["gebaseerdOp"]["feiten"]["voornamen"] in {
        f["id"] for f in feiten if f["veld"] == "voornamen"
    }
    assert history[1]["gebaseerdOp"]["urenGevolgd"] == 600
    assert len(history[1]["gebaseerdOp"]["urenRapporten"]) == 2
    assert [h["gebaseerdOp"].get("vorigePipId") for h in history[1:]] == [
        h["pip"]["pipId"] for h in history[:-1]
    ]
    elders = await chain.bron.get(f"/api/v1{pip_pad}/versies", auth=auth(UTRECHT))
    assert elders.status_code == 404
    assert (await chain.query("bron", "SELECT count(*) AS n FROM pip_versie"))[0]["n"] == 4

    events = await _gemeente_events(chain, kafka_bootstrap_servers, 9)
    assert [e["type"] for e in events] == [
        "intake-uitnodiging.verstuurd",
        "intake.afgerond",
        "pip.vastgesteld",
        "opdracht.verstrekt",
        "voortgang-rapport.ontvangen",
        "voortgang-rapport.ontvangen",
        "leerroute.afgeschaald",
        "pip.gewijzigd",
        "leerroute.gewisseld",
    ]
    assert {e["key"] for e in events} == {did}
    assert {e["source"] for e in events} == {GEMEENTE_SOURCE}


async def test_a_gezinsmigrants_pip_holds_no_intensiteit(chain: Keten):
    pid = await chain.plicht(BSN_GEZIN, "gezinsmigrant")
    await chain.control(
        chain.duo,
        DUO_TESTER,
        f"/control/inburgeringsplichtigen/{pid}/brp-inschrijving",
        {"gemeentecode": "0363"},
    )
    await until(
        lambda: chain.query(
            "bron", "SELECT 1 FROM dossier WHERE bsn = :b AND doelgroep IS NOT NULL", b=BSN_GEZIN
        )
    )
    persoon = {
        "bsn": BSN_GEZIN,
        "voornamen": "Li",
        "geslachtsnaam": "Wang",
        "geboortedatum": "1990-01-02",
        "adres": ADRES,
    }
    registered = await _post(chain, "/dossiers/persoonsgegevens", persoon)
    assert registered.status_code == 200, registered.text
    did = registered.json()["dossierId"]
    await _afgeronde_intake(chain, did)
    # Seed 001 taak 7: "Intensiteit leerroute wordt alleen vastgelegd voor de doelgroep
    # asielstatushouders".
    pip_pad = f"/dossiers/{did}/pip"
    met = await _post(chain, pip_pad, {**PIP, "intensiteitUren": 600})
    assert _reden(met) == "geen-intensiteit-voor-doelgroep"
    zonder = await _post(chain, pip_pad, PIP)
    assert zonder.status_code == 201, zonder.text
    assert "intensiteitUren" not in zonder.json()


async def test_duo_fetches_the_pip_and_sets_the_termijn_at_the_pip_date_plus_3_years(
    chain: Keten,
):
    await chain.plicht(BSN, "asielstatushouder")
    did = await _dossier(chain)
    await until(
        lambda: chain.query("bron", "SELECT 1 FROM dossier WHERE inburgeringsplicht_id IS NOT NULL")
    )
    await _afgeronde_intake(chain, did)
    v1 = await _post(chain, f"/dossiers/{did}/pip", {**PIP, "intensiteitUren": 600})
    assert v1.status_code == 201, v1.text
    [termijn] = await until(
        lambda: chain.query(
            "duo",
            "SELECT begindatum, einddatum FROM duo_termijn WHERE soort = 'inburgeringsplicht'",
        ),
        timeout_s=45,
    )
    assert str(termijn["begindatum"]) == "2026-01-15"
    assert str(termijn["einddatum"]) == "2029-01-15"
    # DUO read the PIP through the read kit under its own purpose (logged at the source).
    reads = await chain.query(
        "bron",
        "SELECT resource, doel, uitkomst FROM keten_verwerkingslog WHERE client_id = :c",
        c=DUO_BIJ_BRON.client_id,
    )
    assert {"resource": "pip", "doel": "plicht-en-termijnen", "uitkomst": "geleverd"} in reads
