"""The hand-over after a move at one dossier-bron serving Amsterdam (0363) and Utrecht (0344),
a shared-service centre, against the real broker and database with coa-adapter and
duo-adapter running (the chain of ``test_dossier_bron_intake_pip``). Before the hand-over
Utrecht sees nothing (404, as for an unknown id); Utrecht asks, Amsterdam reads the request
addressed to it and answers with its package (its own dossier closed, still its own); Utrecht
reads the package and the parts it links, nothing else, and opens its own dossier from it;
each gemeente's staff read their own dossier only; the events go to the other gemeente, thin,
under the sending gemeente's OIN; each privacy officer's report holds only its gemeente's
lines."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from keten_contracts.clients import Doel, Functie
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from keten_core.auth import Party
from tests.integration import test_dossier_bron_intake_pip as pip_keten
from tests.integration.test_dossier_bron import (
    ADRES,
    AMSTERDAM,
    AMSTERDAM_OIN,
    BSN,
    UTRECHT_OIN,
    Keten,
    auth,
    until,
)
from tests.integration.test_dossier_bron_inzage import PRIVACY_AMSTERDAM, PRIVACY_UTRECHT
from tests.integration.test_dossier_bron_opdrachten import B1, _met_pip, _opdracht
from tests.support import read_to_end

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

T = "nl.inburgering."
MEDEWERKER = Functie.MEDEWERKER_INBURGERING
BEIDE = frozenset({Doel.UITVOERING_INBURGERING, Doel.VERHUIZING_OVERDRACHT})


def medewerker(client_id: str, oin: str, namens: str) -> Party:
    return Party(
        client_id=client_id,
        service="dossier-bron",
        oin=oin,
        rol=Rol.GEMEENTE,
        functie=MEDEWERKER,
        namens=namens,
        doelen=BEIDE,
        secret=f"{client_id}-secret-0123456789abcdef-0123456789",
    )


# The staff of both gemeenten, with the hand-over purpose besides their regie.
OUD = medewerker("amsterdam-verhuizing", AMSTERDAM_OIN, "0363")
NIEUW = medewerker("utrecht-verhuizing", UTRECHT_OIN, "0344")
# A third gemeente (not served here) may read nothing of it.
DERDE = medewerker("rotterdam-verhuizing", "00000001002204060000", "0599")
BRP = {
    "bsn": BSN,
    "voornamen": "Amal",
    "geslachtsnaam": "Haddad",
    "geboortedatum": "1994-05-17",
    "adres": {
        "straat": "Oudegracht",
        "huisnummer": "1",
        "postcode": "3511AA",
        "woonplaats": "Utrecht",
    },
    "doelgroep": "asielstatushouder",
}


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    # One dossier-bron for both gemeenten (a shared-service centre).
    async with pip_keten.keten(
        postgres_server_url,
        kafka_bootstrap_servers,
        extra=[OUD, NIEUW, DERDE, PRIVACY_AMSTERDAM, PRIVACY_UTRECHT],
        gemeenten={"0363": AMSTERDAM_OIN, "0344": UTRECHT_OIN},
    ) as k:
        yield k


async def _get(chain: Keten, pad: str, who: Party) -> Any:
    return await chain.bron.get(f"/api/v1{pad}", auth=auth(who))


async def _post(chain: Keten, pad: str, body: Any, who: Party) -> Any:
    return await chain.bron.post(f"/api/v1{pad}", json=body, auth=auth(who))


def _reden(answer: Any) -> str:
    assert answer.status_code == 422, answer.text
    return str(answer.json()["reden"])


async def test_a_move_hands_over_the_package_and_each_gemeente_keeps_its_own_dossier(
    chain: Keten, kafka_bootstrap_servers: str
):
    oud_id = await _met_pip(chain)
    b1 = await _opdracht(chain, oud_id, B1)
    await chain.plicht(BSN, "asielstatushouder")
    await until(
        lambda: chain.query("bron", "SELECT 1 FROM dossier WHERE inburgeringsplicht_id IS NOT NULL")
    )
    oud = (await _get(chain, f"/dossiers/{oud_id}", OUD)).json()
    plicht = oud["inburgeringsplichtId"]
    [pip_v1] = [r["pip_id"] for r in await chain.query("bron", "SELECT pip_id FROM pip_versie")]
    [intake] = [r["intake_id"] for r in await chain.query("bron", "SELECT intake_id FROM intake")]

    # Before the hand-over Utrecht sees nothing: 404, as for an unknown id.
    for pad in (f"/dossiers/{oud_id}", f"/pips/{pip_v1}", "/overdrachten/ovd-onbekend"):
        assert (await _get(chain, pad, NIEUW)).status_code == 404, pad
    assert await chain.zoek(BSN, NIEUW) == []

    # Utrecht asks Amsterdam.
    verzoek = {"vorigeGemeentecode": "0363", "inburgeringsplichtId": plicht, "datum": "2026-09-01"}
    assert (
        _reden(
            await _post(
                chain, "/overdrachtsverzoeken", {**verzoek, "vorigeGemeentecode": "0344"}, NIEUW
            )
        )
        == "zelfde-gemeente"
    )
    gevraagd = await _post(chain, "/overdrachtsverzoeken", verzoek, NIEUW)
    assert gevraagd.status_code == 201, gevraagd.text
    ovz = gevraagd.json()["overdrachtsverzoekId"]
    assert gevraagd.json()["gemeentecode"] == "0344"
    # Amsterdam reads the request addressed to it; nobody else does.
    assert (await _get(chain, f"/overdrachtsverzoeken/{ovz}", OUD)).json()[
        "inburgeringsplichtId"
    ] == plicht
    assert (await _get(chain, f"/overdrachtsverzoeken/{ovz}", DERDE)).status_code == 404
    # Still nothing of Amsterdam's dossier for Utrecht, and only Amsterdam answers.
    assert (await _get(chain, f"/overdrachten/{ovz}/pips/{pip_v1}", NIEUW)).status_code == 404
    assert (
        await _post(
            chain, f"/overdrachtsverzoeken/{ovz}/overdracht", {"datum": "2026-09-08"}, NIEUW
        )
    ).status_code == 404

    answered = await _post(
        chain, f"/overdrachtsverzoeken/{ovz}/overdracht", {"datum": "2026-09-08"}, OUD
    )
    assert answered.status_code == 201, answered.text
    pakket = answered.json()
    ovd = pakket["overdrachtId"]
    links = {(o["soort"], o["resourceId"]) for o in pakket["onderdelen"]}
    assert links == {("intake", intake), ("pip", pip_v1), ("opdracht", b1)}
    again = await _post(
        chain, f"/overdrachtsverzoeken/{ovz}/overdracht", {"datum": "2026-09-08"}, OUD
    )
    assert again.status_code == 409

    # The events: the request to Amsterdam under Utrecht's OIN, the package to Utrecht under
    # Amsterdam's, thin; the package keyed by Amsterdam's dossier.
    records = await read_to_end(kafka_bootstrap_servers, chain.prefix + TOPICS["gemeente"])
    events = {
        dict(r.headers)["ce_type"].decode().removeprefix(T).removesuffix(".v1"): r for r in records
    }
    aangevraagd = events["overdracht.aangevraagd"]
    assert dict(aangevraagd.headers)["ce_gemeentecode"] == b"0363"
    assert UTRECHT_OIN in dict(aangevraagd.headers)["ce_source"].decode()
    assert json.loads(aangevraagd.value) == {
        "overdrachtsverzoekId": ovz,
        "inburgeringsplichtId": plicht,
    }
    overgedragen = events["verhuizing.overgedragen"]
    assert dict(overgedragen.headers)["ce_gemeentecode"] == b"0344"
    assert AMSTERDAM_OIN in dict(overgedragen.headers)["ce_source"].decode()
    assert overgedragen.key.decode() == oud_id
    assert json.loads(overgedragen.value) == {"overdrachtId": ovd, "overdrachtsverzoekId": ovz}
    # The old dossier's CBS view gained its hand-over date: Amsterdam's SWI supplier is told,
    # keyed and routed by the old dossier, with nothing but its id.
    gewijzigd = events["dossier.gewijzigd"]
    assert dict(gewijzigd.headers)["ce_gemeentecode"] == b"0363"
    assert gewijzigd.key.decode() == oud_id
    assert json.loads(gewijzigd.value) == {"dossierId": oud_id}
    assert BSN.encode() not in b"".join(r.value for r in records)

    # Utrecht reads the package and the parts it links, never the old dossier.
    assert (await _get(chain, f"/overdrachten/{ovd}", NIEUW)).status_code == 200
    assert (await _get(chain, f"/overdrachten/{ovd}", OUD)).status_code == 404
    assert (await _get(chain, f"/overdrachten/{ovd}", DERDE)).status_code == 404
    pip = await _get(chain, f"/overdrachten/{ovd}/pips/{pip_v1}", NIEUW)
    assert pip.status_code == 200 and pip.json()["leerroute"] == "b1-route"
    assert (await _get(chain, f"/overdrachten/{ovd}/intakes/{intake}", NIEUW)).status_code == 200
    opdracht = await _get(chain, f"/overdrachten/{ovd}/opdrachten/{b1}", NIEUW)
    assert opdracht.status_code == 200 and opdracht.json()["uren"] == 600
    assert (await _get(chain, f"/overdrachten/{ovd}/pips/{intake}", NIEUW)).status_code == 404
    assert (await _get(chain, f"/overdrachten/{ovd}/pips/{pip_v1}", DERDE)).status_code == 404
    assert (await _get(chain, f"/dossiers/{oud_id}", NIEUW)).status_code == 404
    # Amsterdam's dossier is closed: kept, read by its own staff, never changed again (the new
    # gemeente's dossier carries on), for every kind of write.
    for pad, body in (
        (f"/dossiers/{oud_id}/pip/wijzigingen", {"datum": "2026-09-10", "intensiteitUren": 500}),
        (f"/dossiers/{oud_id}/intake/uitnodigingen", {"datum": "2026-09-10"}),
        (f"/dossiers/{oud_id}/opdrachten", {**B1, "beoogdeStart": "2026-10-01"}),
    ):
        dicht = await _post(chain, pad, body, OUD)
        assert dicht.status_code == 409, (pad, dicht.text)
        assert dicht.json()["reden"] == "dossier-gesloten"

    # Amsterdam keeps its own dossier, closed.
    gesloten = await _get(chain, f"/dossiers/{oud_id}", AMSTERDAM)
    assert gesloten.status_code == 200 and gesloten.json()["status"] == "overgedragen"

    # Utrecht opens its own dossier from the package, with its BRP data.
    fout = await _post(chain, f"/overdrachten/{ovd}/overname", {**BRP, "bsn": "999999990"}, NIEUW)
    assert _reden(fout) == "bsn-past-niet-bij-overdracht" and "999999990" not in fout.text
    assert (await _post(chain, f"/overdrachten/{ovd}/overname", BRP, OUD)).status_code == 404
    overgenomen = await _post(chain, f"/overdrachten/{ovd}/overname", BRP, NIEUW)
    assert overgenomen.status_code == 201, overgenomen.text
    nieuw = overgenomen.json()
    nieuw_id = nieuw["dossierId"]
    assert nieuw_id != oud_id and nieuw["gemeentecode"] == "0344"
    assert nieuw["inburgeringsplichtId"] == plicht and nieuw["status"] == "actief"
    assert nieuw["adres"]["woonplaats"] == "Utrecht"
    # Its id is the key the request's event already had.
    assert aangevraagd.key.decode() == nieuw_id

    # Each gemeente reads its own dossier only.
    assert [d["dossierId"] for d in await chain.zoek(BSN, NIEUW)] == [nieuw_id]
    assert [d["dossierId"] for d in await chain.zoek(BSN, OUD)] == [oud_id]
    assert (await _get(chain, f"/dossiers/{nieuw_id}", OUD)).status_code == 404
    assert (await _get(chain, f"/dossiers/{nieuw_id}", NIEUW)).status_code == 200
    assert (await _get(chain, f"/dossiers/{oud_id}", OUD)).json()["adres"] == ADRES

    # Each privacy officer sees its own gemeente's lines: Amsterdam the hand-over reads of its
    # parts by Utrecht, Utrecht the reads of its own dossier; neither the other's staff's.
    rapport_a = (await _post(chain, "/inzageverzoeken", {"bsn": BSN}, PRIVACY_AMSTERDAM)).json()
    rapport_u = (await _post(chain, "/inzageverzoeken", {"bsn": BSN}, PRIVACY_UTRECHT)).json()
    regels_a = {(r["clientId"], r["doel"], r.get("resourceId")) for r in rapport_a["verwerkingen"]}
    regels_u = {(r["clientId"], r["doel"], r.get("resourceId")) for r in rapport_u["verwerkingen"]}
    assert ("utrecht-verhuizing", "verhuizing-overdracht", pip_v1) in regels_a
    assert ("utrecht-verhuizing", "uitvoering-inburgering", nieuw_id) in regels_u
    assert all(rid != nieuw_id for _, _, rid in regels_a)
    assert all(rid not in (oud_id, pip_v1, b1, intake) for _, _, rid in regels_u)


async def test_a_person_who_moves_back_reopens_the_first_gemeentes_dossier(
    chain: Keten, kafka_bootstrap_servers: str
):
    """Amsterdam -> Utrecht -> Amsterdam: one dossier per person per gemeente, so Amsterdam
    takes the person over into its own dossier of before, which is its regie again (no longer
    closed, and no hand-over date in its view: the SWI delivers the person again)."""
    oud_id = await _met_pip(chain)
    await chain.plicht(BSN, "asielstatushouder")
    await until(
        lambda: chain.query("bron", "SELECT 1 FROM dossier WHERE inburgeringsplicht_id IS NOT NULL")
    )
    plicht = (await _get(chain, f"/dossiers/{oud_id}", OUD)).json()["inburgeringsplichtId"]

    async def verhuis(van: Party, naar: Party, code_van: str, datum: str, brp: Any) -> str:
        verzoek = await _post(
            chain,
            "/overdrachtsverzoeken",
            {"vorigeGemeentecode": code_van, "inburgeringsplichtId": plicht, "datum": datum},
            naar,
        )
        assert verzoek.status_code == 201, verzoek.text
        pakket = await _post(
            chain,
            f"/overdrachtsverzoeken/{verzoek.json()['overdrachtsverzoekId']}/overdracht",
            {"datum": datum},
            van,
        )
        assert pakket.status_code == 201, pakket.text
        overname = await _post(
            chain, f"/overdrachten/{pakket.json()['overdrachtId']}/overname", brp, naar
        )
        assert overname.status_code == 201, overname.text
        return str(overname.json()["dossierId"])

    utrecht_id = await verhuis(OUD, NIEUW, "0363", "2026-09-08", BRP)
    assert (await _get(chain, f"/dossiers/{oud_id}", OUD)).json()["overgedragenOp"] == "2026-09-08"
    # Utrecht's own part, so it has something to hand back.
    uitnodiging = await _post(
        chain, f"/dossiers/{utrecht_id}/intake/uitnodigingen", {"datum": "2026-09-20"}, NIEUW
    )
    assert uitnodiging.status_code == 201, uitnodiging.text

    terug_id = await verhuis(NIEUW, OUD, "0344", "2026-11-02", {**BRP, "adres": ADRES})
    assert terug_id == oud_id
    terug = (await _get(chain, f"/dossiers/{oud_id}", OUD)).json()
    assert terug["status"] == "actief" and "overgedragenOp" not in terug
    assert terug["adres"] == ADRES
    utrecht = (await _get(chain, f"/dossiers/{utrecht_id}", NIEUW)).json()
    assert utrecht["status"] == "overgedragen" and utrecht["overgedragenOp"] == "2026-11-02"
    # Amsterdam's regie again: its writes are no longer refused as on a closed dossier.
    weer = await _post(
        chain, f"/dossiers/{oud_id}/intake/uitnodigingen", {"datum": "2026-11-10"}, OUD
    )
    assert weer.status_code != 409, weer.text

    # The SWI supplier is told each time the dossier's CBS view changed: at the hand-over and
    # at the return.
    records = await read_to_end(kafka_bootstrap_servers, chain.prefix + TOPICS["gemeente"])
    gewijzigd = [
        r.key.decode()
        for r in records
        if dict(r.headers)["ce_type"] == f"{T}dossier.gewijzigd.v1".encode()
    ]
    assert gewijzigd.count(oud_id) == 2 and gewijzigd.count(utrecht_id) == 1
