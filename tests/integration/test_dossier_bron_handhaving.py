"""dossier-bron's enforcement and the MAP/PVT outcomes against the real broker and database (the
chain of ``test_dossier_bron_intake_pip``): the gemeente gives warnings and imposes fines by the
law's rules (EUR 800 per offence, EUR 2,400 per termijn on the sum, inclusive; the intake fine
of EUR 250 only from the second missed invitation, once per missed invitation; no fine without
culpability or where the Participatiewet already sanctioned the conduct; the opbouw restarts
after 12 months without offence), with the dossier locked so that concurrent fines cannot both
pass the cap; the klantmanager Participatiewet records the Participatiewet measure and reads
the fines but imposes none; MAP and PVT start and end with thin events keyed by the dossier,
and DUO reads them under its own purpose."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from keten_contracts.clients import Doel
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from tests.integration import test_dossier_bron_intake_pip as pip_keten
from tests.integration.test_dossier_bron import (
    AMSTERDAM,
    BSN,
    DUO_OIN,
    DUO_TESTER,
    UTRECHT,
    Keten,
    auth,
    party,
    until,
)
from tests.integration.test_dossier_bron_intake_pip import (
    DUO_BIJ_BRON,
    KLANTMANAGER,
    PIP,
    _afgeronde_intake,
    _dossier,
    _post,
    _reden,
)
from tests.support import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

T = "nl.inburgering."
PIP_REDEN = "pip-afspraken-niet-nagekomen"


# DUO's client at dossier-bron for its incidental requests (seed 002 section 4.7).
DUO_VERZOEK = party(
    "dossier-bron", "duo-handhaving-0363", DUO_OIN, Rol.DUO, Doel.HANDHAVINGSVERZOEK
)


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    # The chain of the intake/PIP tests, with DUO's request client at dossier-bron.
    async with pip_keten.keten(
        postgres_server_url, kafka_bootstrap_servers, extra=[DUO_VERZOEK]
    ) as k:
        yield k


async def _met_pip(chain: Keten) -> str:
    """A dossier whose PIP of 2026-01-15 starts the termijn (to 2029-01-15)."""
    did = await _dossier(chain)
    await _afgeronde_intake(chain, did)
    pip = await _post(chain, f"/dossiers/{did}/pip", {**PIP, "intensiteitUren": 600})
    assert pip.status_code == 201, pip.text
    return did


def boete(datum: str, euro: int, reden: str = PIP_REDEN, **extra: Any) -> dict[str, Any]:
    return {
        "soort": "boete",
        "datum": datum,
        "reden": reden,
        "bedragInCenten": euro * 100,
        "verwijtbaar": True,
        **extra,
    }


def waarschuwing(datum: str, reden: str = PIP_REDEN, **extra: Any) -> dict[str, Any]:
    return {"soort": "waarschuwing", "datum": datum, "reden": reden, "verwijtbaar": True, **extra}


async def _maatregel(chain: Keten, did: str, body: dict[str, Any], who: Any = AMSTERDAM) -> Any:
    return await _post(chain, f"/dossiers/{did}/handhavingsmaatregelen", body, who)


def _ok(answer: Any) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _type(record: Any) -> str:
    return dict(record.headers)["ce_type"].decode().removeprefix(T).removesuffix(".v1")


async def _boetes_in_db(chain: Keten, did: str) -> list[int]:
    rows = await chain.query(
        "bron",
        "SELECT bedrag_in_centen FROM handhavingsmaatregel WHERE dossier_id = :d "
        "AND soort = 'boete' ORDER BY datum",
        d=did,
    )
    return [r["bedrag_in_centen"] for r in rows]


async def test_fines_stay_within_800_per_offence_and_2400_per_termijn_inclusive(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await _met_pip(chain)

    # Seed 004 section 3.2.6: "€ 800 per overtreding".
    te_hoog = await _maatregel(chain, did, boete("2026-02-01", 801))
    assert _reden(te_hoog) == "boven-maximum-per-overtreding"
    assert te_hoog.json()["maximumInCenten"] == 800_00
    # The PIP's agreements hold within the termijn only (2026-01-15 .. 2029-01-15).
    assert _reden(await _maatregel(chain, did, boete("2026-01-14", 100))) == "buiten-termijn"

    for datum in ("2026-02-01", "2026-03-01", "2026-04-01"):
        assert _ok(await _maatregel(chain, did, boete(datum, 700)))["bedragInCenten"] == 700_00
    # "Het maximale boetebedrag [...] gedurende de inburgeringstermijn [...] is € 2.400": 2,100
    # imposed, so 400 more would pass it and is refused, naming what is still allowed.
    boven = await _maatregel(chain, did, boete("2026-05-01", 400))
    assert _reden(boven) == "boven-maximum-per-termijn"
    assert boven.json()["maximumInCenten"] == 300_00
    assert BSN not in boven.text
    # The maximum itself may be reached (inclusive).
    precies = _ok(await _maatregel(chain, did, boete("2026-05-01", 300)))
    assert await _boetes_in_db(chain, did) == [700_00, 700_00, 700_00, 300_00]
    vol = await _maatregel(chain, did, {**boete("2026-06-01", 0), "bedragInCenten": 1})
    assert _reden(vol) == "boven-maximum-per-termijn"
    assert "maximumInCenten" not in vol.json()

    # A warning carries no amount and is not capped.
    assert _reden(
        await _maatregel(chain, did, {**waarschuwing("2026-06-01"), "bedragInCenten": 100})
    ) == ("bedrag-bij-waarschuwing")
    gewaarschuwd = _ok(await _maatregel(chain, did, waarschuwing("2026-06-01")))

    # Another gemeente gets the answer of an unknown dossier, and stores nothing.
    assert (await _maatregel(chain, did, boete("2026-06-02", 10), UTRECHT)).status_code == 404
    assert len(await _boetes_in_db(chain, did)) == 4

    lijst = await chain.bron.get(
        f"/api/v1/dossiers/{did}/handhavingsmaatregelen", auth=auth(AMSTERDAM)
    )
    assert [m["soort"] for m in _ok(lijst)] == ["boete"] * 4 + ["waarschuwing"]
    een = await chain.bron.get(
        f"/api/v1/handhavingsmaatregelen/{precies['handhavingsmaatregelId']}", auth=auth(AMSTERDAM)
    )
    assert _ok(een)["bedragInCenten"] == 300_00

    # Thin events, keyed by the dossier: 4 fines and 1 warning (after the intake and PIP's).
    records = await read_all(kafka_bootstrap_servers, chain.prefix + TOPICS["gemeente"], 8)
    ours = [r for r in records if _type(r).startswith("inspanningsverplichting.")]
    assert [_type(r) for r in ours] == ["inspanningsverplichting.boete.opgelegd"] * 4 + [
        "inspanningsverplichting.waarschuwing.gegeven"
    ]
    assert {r.key.decode() for r in ours} == {did}
    assert json.loads(ours[-1].value) == {
        "handhavingsmaatregelId": gewaarschuwd["handhavingsmaatregelId"],
        "dossierId": did,
    }
    assert all(set(json.loads(r.value)) == {"handhavingsmaatregelId", "dossierId"} for r in ours)


async def test_concurrent_fines_cannot_together_pass_the_termijn_cap(chain: Keten):
    did = await _met_pip(chain)
    # Four fines of 700 at once: only three fit in 2,400 (the dossier row is locked while the
    # earlier fines are counted, so the fourth sees the other three).
    answers = await asyncio.gather(
        *(_maatregel(chain, did, boete(f"2026-0{m}-01", 700)) for m in (2, 3, 4, 5))
    )
    assert sorted(a.status_code for a in answers) == [201, 201, 201, 422]
    assert sum(await _boetes_in_db(chain, did)) == 2_100_00


async def test_the_opbouw_restarts_after_12_months_without_an_offence(chain: Keten):
    did = await _met_pip(chain)
    # Seed 002 section 4.7: "Als er zich tussen twee overtredingen van de afspraken in het PIP
    # een periode van 12 maanden of langer bevindt, begint de opbouw opnieuw." A warning marks
    # an offence as much as a fine.
    for body in (
        waarschuwing("2026-02-01"),
        boete("2026-03-01", 100),
        boete("2027-02-28", 100),  # 12 months less a day after the last offence
        boete("2028-02-28", 100),  # exactly 12 months later: a new series
        waarschuwing("2028-03-01"),
    ):
        _ok(await _maatregel(chain, did, body))
    besluiten = await chain.bron.get(
        f"/api/v1/dossiers/{did}/handhavingsmaatregelen/besluiten", auth=auth(AMSTERDAM)
    )
    assert besluiten.status_code == 200, besluiten.text
    rangen = [
        (b["handhavingsmaatregel"]["datum"], b["gebaseerdOp"]["opbouwRang"])
        for b in besluiten.json()
    ]
    assert rangen == [
        ("2026-02-01", 1),
        ("2026-03-01", 2),
        ("2027-02-28", 3),
        ("2028-02-28", 1),
        ("2028-03-01", 2),
    ]
    eerste = besluiten.json()[0]
    assert eerste["gebaseerdOp"]["termijn"] == {"start": "2026-01-15", "einde": "2029-01-15"}
    # The grounds are the medewerker inburgering's: the klantmanager reads the measures only.
    km = await chain.bron.get(
        f"/api/v1/dossiers/{did}/handhavingsmaatregelen/besluiten", auth=auth(KLANTMANAGER)
    )
    assert km.status_code == 403


async def test_no_fine_without_culpability_nor_after_a_participatiewet_sanction(chain: Keten):
    did = await _met_pip(chain)
    # Seed 002 section 4.7 (Awb 5:41): no culpability, no fine; a warning may still be given.
    geen = await _maatregel(chain, did, {**boete("2026-03-01", 100), "verwijtbaar": False})
    assert _reden(geen) == "geen-verwijtbaarheid"
    _ok(await _maatregel(chain, did, {**waarschuwing("2026-03-01"), "verwijtbaar": False}))

    # The Participatiewet measure is the klantmanager's to record (rule 13): the medewerker
    # inburgering cannot, and the klantmanager imposes no inburgering fine.
    pw_pad = f"/dossiers/{did}/participatiewet-maatregelen"
    pw_body = {"gedraging": "map-niet-meewerken", "besluitdatum": "2026-05-01"}
    assert (await _post(chain, pw_pad, pw_body, AMSTERDAM)).status_code == 403
    assert (await _post(chain, pw_pad, pw_body, UTRECHT)).status_code == 403
    pw = _ok(await _post(chain, pw_pad, pw_body, KLANTMANAGER))
    km_boete = await _maatregel(
        chain, did, boete("2026-06-01", 100, "pvt-niet-meewerken"), KLANTMANAGER
    )
    assert km_boete.status_code == 403

    # Seed 002 section 4.2: no fine when "zijn of haar uitkering al voor dezelfde gedrag is
    # verlaagd": found by the conduct, or named by the clerk.
    dubbel = await _maatregel(chain, did, boete("2026-06-01", 100, "map-niet-meewerken"))
    assert _reden(dubbel) == "al-gesanctioneerd-participatiewet"
    genoemd = await _maatregel(
        chain,
        did,
        boete(
            "2026-06-01",
            100,
            "pvt-niet-meewerken",
            participatiewetMaatregelId=pw["participatiewetMaatregelId"],
        ),
    )
    assert _reden(genoemd) == "al-gesanctioneerd-participatiewet"
    onbekend = await _maatregel(
        chain, did, waarschuwing("2026-06-01", participatiewetMaatregelId="pwm-bestaat-niet")
    )
    assert _reden(onbekend) == "participatiewet-maatregel-onbekend"
    assert await _boetes_in_db(chain, did) == []
    # Other conduct may be fined, and the same conduct 12 months or more after the benefit was
    # lowered (a new series); a warning records the link.
    _ok(await _maatregel(chain, did, boete("2026-06-01", 100, "pvt-niet-meewerken")))
    _ok(await _maatregel(chain, did, boete("2027-05-01", 100, "map-niet-meewerken")))
    link = _ok(
        await _maatregel(
            chain,
            did,
            waarschuwing(
                "2026-06-02",
                "map-niet-meewerken",
                participatiewetMaatregelId=pw["participatiewetMaatregelId"],
            ),
        )
    )
    assert link["participatiewetMaatregelId"] == pw["participatiewetMaatregelId"]

    # Each functie reads the other law's data but writes only its own (seed 002 section 4.2).
    pw_lezen = f"/api/v1/participatiewet-maatregelen/{pw['participatiewetMaatregelId']}"
    assert _ok(await chain.bron.get(pw_lezen, auth=auth(AMSTERDAM)))["gedraging"] == (
        "map-niet-meewerken"
    )
    assert (await chain.bron.get(pw_lezen, auth=auth(UTRECHT))).status_code == 404
    km_lijst = await chain.bron.get(
        f"/api/v1/dossiers/{did}/handhavingsmaatregelen", auth=auth(KLANTMANAGER)
    )
    assert len(_ok(km_lijst)) == 4


async def test_the_intake_fine_follows_the_missed_invitations(chain: Keten):
    did = await _dossier(chain)
    uitnodigen = f"/dossiers/{did}/intake/uitnodigingen"
    intake_id = ""
    for datum in ("2026-01-05", "2026-01-19", "2026-02-02"):
        intake_id = _ok(await _post(chain, uitnodigen, {"datum": datum}))["intakeId"]

    async def gemist(n: int) -> None:
        _ok(
            await chain.bron.put(
                f"/api/v1/intakes/{intake_id}/uitnodigingen/{n}/aanwezigheid",
                json={"verschenen": False},
                auth=auth(AMSTERDAM),
            )
        )

    intakeboete = boete("2026-01-20", 250, "niet-verschenen-intake")
    await gemist(1)
    # Seed 001 taak 3: the first miss earns a warning; seed 004: a fine "ook na een tweede
    # oproep".
    _ok(await _maatregel(chain, did, waarschuwing("2026-01-06", "niet-verschenen-intake")))
    assert _reden(await _maatregel(chain, did, intakeboete)) == "nog-geen-tweede-oproep-gemist"
    await gemist(2)
    te_hoog = await _maatregel(chain, did, {**intakeboete, "bedragInCenten": 250_01})
    assert _reden(te_hoog) == "boven-maximum-per-overtreding"
    assert te_hoog.json()["maximumInCenten"] == 250_00
    _ok(await _maatregel(chain, did, intakeboete))
    # One fine per missed invitation from the second: the second miss is fined once.
    tweede = await _maatregel(chain, did, {**intakeboete, "datum": "2026-01-21"})
    assert _reden(tweede) == "gemiste-oproepen-al-beboet"
    await gemist(3)
    _ok(await _maatregel(chain, did, {**intakeboete, "datum": "2026-02-03"}))
    assert await _boetes_in_db(chain, did) == [250_00, 250_00]
    besluiten = await chain.bron.get(
        f"/api/v1/dossiers/{did}/handhavingsmaatregelen/besluiten", auth=auth(AMSTERDAM)
    )
    assert [b["gebaseerdOp"].get("gemisteUitnodigingen") for b in besluiten.json()] == [1, 2, 3]
    # A PIP offence needs a PIP (none yet).
    assert _reden(await _maatregel(chain, did, boete("2026-03-01", 100))) == "geen-pip"


START = {
    "startGepland": "2026-03-01",
    "startGerealiseerd": "2026-03-08",
    "uitersteDatumGepland": "2027-07-15",
}


async def test_map_and_pvt_start_and_end_with_thin_events_and_duo_reads_them(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await _met_pip(chain)
    assert (
        await _post(chain, f"/dossiers/{did}/map-trajecten", START, KLANTMANAGER)
    ).status_code == 403
    assert (await _post(chain, f"/dossiers/{did}/map-trajecten", START, UTRECHT)).status_code == 404
    mapt = _ok(await _post(chain, f"/dossiers/{did}/map-trajecten", START))
    map_id = mapt["mapId"]
    assert mapt["startGerealiseerd"] == "2026-03-08" and "afgerond" not in mapt
    assert (await _post(chain, f"/dossiers/{did}/map-trajecten", START)).status_code == 409
    pvt_id = _ok(await _post(chain, f"/dossiers/{did}/pvt-trajecten", START))["pvtId"]

    # Not done: reason and culpability both (a fine may rest on a culpable one).
    map_af = f"/map-trajecten/{map_id}/afronding"
    half = await _post(chain, map_af, {"afgerond": False, "redenNietAfgerond": "niet-verschenen"})
    assert _reden(half) == "reden-of-verwijtbaarheid-ontbreekt"
    assert _reden(
        await _post(chain, map_af, {"afgerond": False, "datumAfgerond": "2026-09-01"})
    ) == ("niet-afgerond-met-datum")
    niet = {"afgerond": False, "redenNietAfgerond": "niet-verschenen", "verwijtbaar": True}
    assert (await _post(chain, map_af, niet, KLANTMANAGER)).status_code == 403
    gedaan = _ok(await _post(chain, map_af, niet))
    assert gedaan["afgerond"] is False and gedaan["verwijtbaar"] is True
    assert (await _post(chain, map_af, niet)).status_code == 409
    # A fine for not cooperating with the MAP records the outcome it rests on.
    _ok(await _maatregel(chain, did, boete("2026-09-15", 100, "map-niet-meewerken")))
    [besluit] = _ok(
        await chain.bron.get(
            f"/api/v1/dossiers/{did}/handhavingsmaatregelen/besluiten", auth=auth(AMSTERDAM)
        )
    )
    assert besluit["gebaseerdOp"]["map"] == {
        "trajectId": map_id,
        "afgerond": False,
        "redenNietAfgerond": "niet-verschenen",
        "verwijtbaar": True,
    }

    # Done: the date, not before the start, and nothing of "not done".
    pvt_af = f"/pvt-trajecten/{pvt_id}/afronding"
    assert _reden(await _post(chain, pvt_af, {"afgerond": True})) == "datum-afgerond-ontbreekt"
    vroeg = await _post(chain, pvt_af, {"afgerond": True, "datumAfgerond": "2026-03-07"})
    assert _reden(vroeg) == "afgerond-voor-start"
    tegen = {"afgerond": True, "datumAfgerond": "2026-09-01", "verwijtbaar": False}
    assert _reden(await _post(chain, pvt_af, tegen)) == "afgerond-met-reden"
    assert _ok(await _post(chain, pvt_af, {"afgerond": True, "datumAfgerond": "2026-09-01"}))[
        "datumAfgerond"
    ] == ("2026-09-01")

    # DUO reads both under its own purpose (seed 001, row "Minister van SZW/DUO": MAP and PVT
    # gehaald ja/nee, datum, redenen, verwijtbaar), logged at the source; another gemeente not.
    duo_map = _ok(await chain.bron.get(f"/api/v1/map-trajecten/{map_id}", auth=auth(DUO_BIJ_BRON)))
    assert duo_map["verwijtbaar"] is True and duo_map["redenNietAfgerond"] == "niet-verschenen"
    assert (
        _ok(await chain.bron.get(f"/api/v1/pvt-trajecten/{pvt_id}", auth=auth(DUO_BIJ_BRON)))[
            "afgerond"
        ]
        is True
    )
    assert (
        await chain.bron.get(f"/api/v1/map-trajecten/{map_id}", auth=auth(UTRECHT))
    ).status_code == 404
    assert (
        await chain.bron.get(f"/api/v1/pvt-trajecten/{map_id}", auth=auth(AMSTERDAM))
    ).status_code == 404
    reads = await chain.query(
        "bron",
        "SELECT resource, doel, uitkomst FROM keten_verwerkingslog WHERE client_id = :c",
        c=DUO_BIJ_BRON.client_id,
    )
    assert {"resource": "map", "doel": "plicht-en-termijnen", "uitkomst": "geleverd"} in reads

    records = await read_all(kafka_bootstrap_servers, chain.prefix + TOPICS["gemeente"], 7)
    ours = [r for r in records if _type(r).split(".")[0] in ("map", "pvt")]
    assert [_type(r) for r in ours] == [
        "map.gestart",
        "pvt.gestart",
        "map.niet-afgerond",
        "pvt.afgerond",
    ]
    assert {r.key.decode() for r in ours} == {did}
    assert [json.loads(r.value) for r in ours] == [
        {"mapId": map_id, "dossierId": did},
        {"pvtId": pvt_id, "dossierId": did},
        {"mapId": map_id, "dossierId": did},
        {"pvtId": pvt_id, "dossierId": did},
    ]


async def test_duo_reads_the_fines_its_request_names_and_never_a_warning(chain: Keten):
    pid = await chain.plicht(BSN, "asielstatushouder")
    did = await _met_pip(chain)
    await until(
        lambda: chain.query(
            "bron",
            "SELECT 1 FROM dossier WHERE dossier_id = :d AND inburgeringsplicht_id IS NOT NULL",
            d=did,
        )
    )
    f1 = _ok(await _maatregel(chain, did, boete("2026-02-01", 100)))["handhavingsmaatregelId"]
    f2 = _ok(await _maatregel(chain, did, boete("2026-03-01", 200)))["handhavingsmaatregelId"]
    w = _ok(await _maatregel(chain, did, waarschuwing("2026-04-01")))["handhavingsmaatregelId"]

    async def verzoek(ids: list[str]) -> list[Any]:
        """DUO files a request at its source; dossier-bron fetches it on the event; DUO reads
        the answer at dossier-bron."""
        hvz = await chain.control(
            chain.duo,
            DUO_TESTER,
            f"/control/inburgeringsplichtigen/{pid}/handhavingsverzoeken",
            {"handhavingsmaatregelIds": ids},
        )
        hid = hvz["handhavingsverzoekId"]
        await until(
            lambda: chain.query(
                "bron", "SELECT 1 FROM handhavingsverzoek WHERE handhavingsverzoek_id = :h", h=hid
            ),
            timeout_s=45,
        )
        pad = f"/api/v1/handhavingsverzoeken/{hid}/handhavingsmaatregelen"
        # Only DUO, only under this purpose (rules 3, 4).
        for ander in (AMSTERDAM, DUO_BIJ_BRON):
            assert (await chain.bron.get(pad, auth=auth(ander))).status_code == 403
        return list(_ok(await chain.bron.get(pad, auth=auth(DUO_VERZOEK))))

    # Objection and appeal are recorded on a fine, moving on only (Awb: bezwaar, then beroep).
    rechtsmiddel = f"/api/v1/handhavingsmaatregelen/{f1}/rechtsmiddel"

    async def put(pad: str, waarde: str, who: Any = AMSTERDAM) -> Any:
        return await chain.bron.put(pad, json={"rechtsmiddel": waarde}, auth=auth(who))

    assert (await put(rechtsmiddel, "bezwaar", KLANTMANAGER)).status_code == 403
    assert _ok(await put(rechtsmiddel, "bezwaar"))["rechtsmiddel"] == "bezwaar"
    assert _reden(await put(rechtsmiddel, "bezwaar")) == "rechtsmiddel-niet-verder"
    assert _reden(await put(rechtsmiddel, "geen")) == "rechtsmiddel-niet-verder"
    assert _reden(await put(f"/api/v1/handhavingsmaatregelen/{w}/rechtsmiddel", "bezwaar")) == (
        "geen-boete"
    )

    # Seed 001 (DUO row, item s): "Door gemeente opgelegde boetes, informatie over bezwaar en
    # beroep": the fine named, in DUO's view (not the gemeente's dossier id).
    [eerste] = await verzoek([f1])
    assert eerste == {
        "handhavingsmaatregelId": f1,
        "soort": "boete",
        "datum": "2026-02-01",
        "reden": PIP_REDEN,
        "bedragInCenten": 100_00,
        "verwijtbaar": True,
        "rechtsmiddel": "bezwaar",
    }
    # Naming none: every fine of the person; a warning never, even when named.
    assert {m["handhavingsmaatregelId"] for m in await verzoek([])} == {f1, f2}
    assert await verzoek([w]) == []
    # No standing read of the measures for DUO.
    een = await chain.bron.get(f"/api/v1/handhavingsmaatregelen/{f1}", auth=auth(DUO_VERZOEK))
    assert een.status_code == 403
    reads = await chain.query(
        "bron",
        "SELECT doel, uitkomst, resource_id FROM keten_verwerkingslog WHERE client_id = :c "
        "AND uitkomst = 'geleverd'",
        c=DUO_VERZOEK.client_id,
    )
    assert {(r["doel"], r["resource_id"]) for r in reads} == {
        ("handhavingsverzoek", f1),
        ("handhavingsverzoek", f2),
    }
