"""dossier-bron's opdrachten and aanbieder reports against the real broker and database (the
chain of ``test_dossier_bron_intake_pip``, plus aanbieders at dossier-bron): the gemeente gives
an opdracht to one aanbieder of a kind that carries out its soort, routed to that aanbieder;
the aanbieder reads it (the BSN only for the language part of a leerroute) and reports on it;
a MAP aanbieder's report with a BSN is refused and leaves no trace in any table, log line,
span or event; nobody reports on another's opdracht; a retried POST with the same
Idempotency-Key stores and counts once; the report event arrives thin, keyed by the dossier."""

from __future__ import annotations

import json
import logging
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from keten_contracts.clients import Doel
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from tests.integration import test_dossier_bron_intake_pip as pip_keten
from tests.integration.test_dossier_bron import (
    ADRES,
    AMSTERDAM,
    BSN,
    BSN_GEZIN,
    DUO_TESTER,
    UTRECHT,
    Keten,
    auth,
    party,
    until,
)
from tests.integration.test_dossier_bron_intake_pip import (
    PIP,
    _afgeronde_intake,
    _dossier,
    _post,
    _reden,
)
from tests.support import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

T = "nl.inburgering."
TAAL_OIN = "00000003273280410000"
MAP_OIN = "00000003273280420000"
MAP2_OIN = "00000003273280430000"
TAALSCHOOL = party(
    "dossier-bron", "taalschool", TAAL_OIN, Rol.TAALAANBIEDER, Doel.OPDRACHT_UITVOERING
)
MAP_BUREAU = party(
    "dossier-bron", "map-bureau", MAP_OIN, Rol.MAP_AANBIEDER, Doel.OPDRACHT_UITVOERING
)
ANDER_MAP = party(
    "dossier-bron", "ander-map-bureau", MAP2_OIN, Rol.MAP_AANBIEDER, Doel.OPDRACHT_UITVOERING
)
TAAL2_OIN = "00000003273280450000"
MB_OIN = "00000003273280460000"
LBT_OIN = "00000003273280470000"
ANDERE_TAALSCHOOL = party(
    "dossier-bron", "andere-taalschool", TAAL2_OIN, Rol.TAALAANBIEDER, Doel.OPDRACHT_UITVOERING
)
MB_STICHTING = party(
    "dossier-bron", "mb-stichting", MB_OIN, Rol.MB_AANBIEDER, Doel.OPDRACHT_UITVOERING
)
LBT_AFNEMER = party(
    "dossier-bron", "lbt-afnemer", LBT_OIN, Rol.LBT_AFNEMER, Doel.OPDRACHT_UITVOERING
)

B1 = {
    "soort": "b1-cursus",
    "aanbiedersoort": "taalaanbieder",
    "aanbiederOin": TAAL_OIN,
    "aanbiederNaam": "Taalschool Amstel",
    "beoogdeStart": "2026-02-01",
    "uren": 600,
}
MAP = {
    "soort": "map",
    "aanbiedersoort": "map-aanbieder",
    "aanbiederOin": MAP_OIN,
    "aanbiederNaam": "MAP Bureau Noord",
    "beoogdeStart": "2026-03-01",
    "uitersteDatum": "2027-01-15",
}
VOORTGANG = {
    "periodeVan": "2026-03-01",
    "periodeTot": "2026-03-31",
    "urenGepland": 48,
    "urenAanwezig": 40,
    "urenAfwezigGeoorloofd": 4,
    "urenAfwezigOngeoorloofd": 4,
    "urenGerealiseerdTotaal": 40,
    "inspanning": "voldoende",
}


def unieke_bsn() -> str:
    """A fresh valid BSN (elfproef) that occurs nowhere else: the marker."""
    while True:
        digits = [random.randint(0, 9) for _ in range(8)]
        som = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        laatste = som % 11
        if laatste <= 9 and digits[0] != 0:
            bsn = "".join(map(str, digits)) + str(laatste)
            if bsn not in {BSN}:
                return bsn


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    # The chain of the intake/PIP tests, with the aanbieders at dossier-bron.
    async with pip_keten.keten(
        postgres_server_url,
        kafka_bootstrap_servers,
        extra=[TAALSCHOOL, MAP_BUREAU, ANDER_MAP, ANDERE_TAALSCHOOL, MB_STICHTING, LBT_AFNEMER],
    ) as k:
        yield k


async def _met_pip(chain: Keten) -> str:
    did = await _dossier(chain)
    await _afgeronde_intake(chain, did)
    pip = await _post(chain, f"/dossiers/{did}/pip", {**PIP, "intensiteitUren": 600})
    assert pip.status_code == 201, pip.text
    return did


async def _opdracht(chain: Keten, did: str, body: dict[str, Any]) -> str:
    answer = await _post(chain, f"/dossiers/{did}/opdrachten", body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["opdrachtId"])


async def _rapport(chain: Keten, opdracht_id: str, kind: str, body: Any, who: Any, key: str) -> Any:
    return await chain.bron.post(
        f"/api/v1/opdrachten/{opdracht_id}/{kind}en",
        json=body,
        auth=auth(who),
        headers={"Idempotency-Key": key},
    )


async def _gemeente_records(chain: Keten, bootstrap: str, count: int) -> list[Any]:
    return await read_all(bootstrap, chain.prefix + TOPICS["gemeente"], count)


def _type(record: Any) -> str:
    return dict(record.headers)["ce_type"].decode().removeprefix(T).removesuffix(".v1")


async def test_an_opdracht_goes_to_one_aanbieder_of_its_kind_and_the_bsn_only_to_the_taalaanbieder(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await _met_pip(chain)
    # OPDRACHTTAKEN: a MAP is no taalaanbieder's task.
    verkeerd = await _post(
        chain,
        f"/dossiers/{did}/opdrachten",
        {**MAP, **{"aanbiedersoort": "taalaanbieder", "aanbiederOin": TAAL_OIN}},
    )
    assert _reden(verkeerd) == "aanbieder-past-niet-bij-opdracht"
    assert (await _post(chain, f"/dossiers/{did}/opdrachten", MAP, UTRECHT)).status_code == 404

    b1 = await _opdracht(chain, did, B1)
    map_id = await _opdracht(chain, did, MAP)

    taal = await chain.bron.get(f"/api/v1/opdrachten/{b1}", auth=auth(TAALSCHOOL))
    assert taal.status_code == 200, taal.text
    assert taal.json()["bsn"] == BSN and taal.json()["uren"] == 600
    # The MAP aanbieder reads its own opdracht, never with a BSN, and not the taalschool's.
    mapview = await chain.bron.get(f"/api/v1/opdrachten/{map_id}", auth=auth(MAP_BUREAU))
    assert mapview.status_code == 200, mapview.text
    assert "bsn" not in mapview.json() and BSN not in mapview.text
    assert mapview.json()["uitersteDatum"] == "2027-01-15"
    assert (
        await chain.bron.get(f"/api/v1/opdrachten/{b1}", auth=auth(MAP_BUREAU))
    ).status_code == 404
    assert (
        await chain.bron.get(f"/api/v1/opdrachten/{map_id}", auth=auth(ANDER_MAP))
    ).status_code == 404
    gemeente = await chain.bron.get(f"/api/v1/opdrachten/{map_id}", auth=auth(AMSTERDAM))
    assert gemeente.status_code == 200 and "bsn" not in gemeente.json()

    # opdracht.verstrekt, routed to that one aanbieder, keyed by the dossier.
    records = await _gemeente_records(chain, kafka_bootstrap_servers, 5)
    verstrekt = [r for r in records if _type(r) == "opdracht.verstrekt"]
    assert [json.loads(r.value)["opdrachtId"] for r in verstrekt] == [b1, map_id]
    routing = [
        (dict(r.headers)["ce_aanbiedersoort"], dict(r.headers)["ce_aanbiederoin"])
        for r in verstrekt
    ]
    assert routing == [(b"taalaanbieder", TAAL_OIN.encode()), (b"map-aanbieder", MAP_OIN.encode())]
    assert {r.key.decode() for r in verstrekt} == {did}


async def _geen_spoor(
    chain: Keten,
    records: list[Any],
    needles: tuple[str, ...],
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """None of ``needles`` in any column of any table, the gemeente topic's ``records``, any log
    line or any span."""
    # No table of the dossier-bron database: every column of every table, as text.
    kolommen = await chain.query(
        "bron",
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    )
    assert {k["table_name"] for k in kolommen} >= {
        "aanbieder_rapport",
        "keten_verwerkingslog",
        "keten_outbox",
    }
    for k in kolommen:
        for needle in needles:
            hits = await chain.query(
                "bron",
                f'SELECT count(*) AS n FROM "{k["table_name"]}" '
                f'WHERE "{k["column_name"]}"::text LIKE :m',
                m=f"%{needle}%",
            )
            assert hits[0]["n"] == 0, (k, needle)
    # No event on the gemeente topic (headers and values).
    for r in records:
        blob = (r.value or b"") + b"".join(v for _, v in r.headers) + (r.key or b"")
        assert not any(n.encode() in blob for n in needles)
    # No log line (stdlib logging and whatever reached stdout/stderr).
    out, err = capfd.readouterr()
    for text_ in (caplog.text, out, err):
        assert not any(n in text_ for n in needles)
    # No span: names, attributes, events.
    spans = span_exporter.get_finished_spans()
    assert spans, "no spans recorded: the check below would prove nothing"
    for span in spans:
        blob = json.dumps(
            [
                span.name,
                dict(span.attributes or {}),
                [dict(e.attributes or {}) for e in span.events],
            ],
            default=str,
        )
        assert not any(n in blob for n in needles)


async def test_a_map_aanbieders_report_with_a_bsn_is_refused_and_leaves_no_trace(
    chain: Keten,
    kafka_bootstrap_servers: str,
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
):
    caplog.set_level(logging.DEBUG)
    did = await _met_pip(chain)
    map_id = await _opdracht(chain, did, MAP)
    marker = unieke_bsn()

    refused = await _rapport(
        chain,
        map_id,
        "voortgang-rapport",
        {**VOORTGANG, "bsn": marker},
        MAP_BUREAU,
        f"sleutel-{uuid.uuid4().hex}",
    )
    assert _reden(refused) == "bsn-niet-toegestaan"
    assert marker not in refused.text
    # Also the key the aanbieder chose for the refused report is nowhere.
    sleutel = refused.request.headers["Idempotency-Key"]

    # A valid report after it: the service did go on writing (so the scans below see rows).
    ok = await _rapport(chain, map_id, "voortgang-rapport", VOORTGANG, MAP_BUREAU, "ok-0000001")
    assert ok.status_code == 201, ok.text
    records = await _gemeente_records(chain, kafka_bootstrap_servers, 5)
    assert "voortgang-rapport.ontvangen" in [_type(r) for r in records]

    await _geen_spoor(chain, records, (marker, sleutel), span_exporter, caplog, capfd)


async def test_a_report_with_a_medical_attachment_is_refused_and_leaves_no_trace(
    chain: Keten,
    kafka_bootstrap_servers: str,
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
):
    """Special-category data (a medical statement, AVG art. 9) has no field in any report: a
    report that carries one is refused with 422 naming the field, never its content, and the
    content reaches no table, log line, span or event."""
    caplog.set_level(logging.DEBUG)
    did = await _met_pip(chain)
    taal_id = await _opdracht(chain, did, B1)
    marker = f"MARKER-medisch-{uuid.uuid4().hex[:12]}"
    bijlage = {"soort": "medische-verklaring", "bestandsnaam": f"{marker}.pdf", "inhoud": marker}

    refused = await _rapport(
        chain,
        taal_id,
        "voortgang-rapport",
        {**VOORTGANG, "medischeBijlage": bijlage},
        TAALSCHOOL,
        f"sleutel-{uuid.uuid4().hex}",
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "medischeBijlage" in refused.text and marker not in refused.text
    sleutel = refused.request.headers["Idempotency-Key"]

    ok = await _rapport(chain, taal_id, "voortgang-rapport", VOORTGANG, TAALSCHOOL, "ok-0000002")
    assert ok.status_code == 201, ok.text
    records = await _gemeente_records(chain, kafka_bootstrap_servers, 5)
    assert "voortgang-rapport.ontvangen" in [_type(r) for r in records]
    await _geen_spoor(chain, records, (marker, sleutel), span_exporter, caplog, capfd)


async def test_reports_only_on_ones_own_opdracht_and_a_retry_counts_once(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await _met_pip(chain)
    b1 = await _opdracht(chain, did, B1)
    map_id = await _opdracht(chain, did, MAP)

    # Another MAP aanbieder (same kind) cannot report on this one's opdracht: 404, nothing kept.
    ander = await _rapport(chain, map_id, "voortgang-rapport", VOORTGANG, ANDER_MAP, "ander-001")
    assert ander.status_code == 404
    # Nor the taalschool on the MAP bureau's.
    assert (
        await _rapport(chain, map_id, "voortgang-rapport", VOORTGANG, TAALSCHOOL, "taal-0001")
    ).status_code == 404
    assert await chain.query("bron", "SELECT 1 FROM aanbieder_rapport") == []
    # More hours than March has (744): a typing error, refused before anything is counted.
    te_veel = await _rapport(
        chain,
        map_id,
        "voortgang-rapport",
        {**VOORTGANG, "urenAanwezig": 745},
        MAP_BUREAU,
        "te-veel-0001",
    )
    assert _reden(te_veel) == "uren-passen-niet-in-periode"
    assert await chain.query("bron", "SELECT 1 FROM aanbieder_rapport") == []

    # The taalaanbieder may carry the BSN of its B1 opdracht (art. 9.10 Besluit).
    first = await _rapport(
        chain, b1, "voortgang-rapport", {**VOORTGANG, "bsn": BSN}, TAALSCHOOL, "retry-0001"
    )
    assert first.status_code == 201, first.text
    again = await _rapport(
        chain, b1, "voortgang-rapport", {**VOORTGANG, "bsn": BSN}, TAALSCHOOL, "retry-0001"
    )
    assert again.status_code == 201 and again.json() == first.json()
    anders = await _rapport(
        chain, b1, "voortgang-rapport", {**VOORTGANG, "urenAanwezig": 44}, TAALSCHOOL, "retry-0001"
    )
    assert anders.status_code == 409
    # An advies is no MAP aanbieder's report (validated for its kind).
    advies = {
        "advies": "afschalen-naar-a2",
        "onderbouwing": ["minstens-600-uur-gevolgd"],
        "urenGerealiseerdTotaal": 640,
    }
    assert (
        _reden(await _rapport(chain, map_id, "advies-rapport", advies, MAP_BUREAU, "advies-001"))
        == "rapportsoort-niet-voor-aanbieder"
    )

    # Read back by the gemeente: one report, its hours counted once.
    lijst = await chain.bron.get(
        f"/api/v1/opdrachten/{b1}/voortgang-rapporten", auth=auth(AMSTERDAM)
    )
    assert lijst.status_code == 200, lijst.text
    assert len(lijst.json()) == 1
    assert sum(r["urenAanwezig"] for r in lijst.json()) == 40
    rid = first.json()["rapportId"]
    een = await chain.bron.get(f"/api/v1/voortgang-rapporten/{rid}", auth=auth(AMSTERDAM))
    assert een.status_code == 200 and een.json()["opdrachtsoort"] == "b1-cursus"
    assert (
        await chain.bron.get(f"/api/v1/voortgang-rapporten/{rid}", auth=auth(TAALSCHOOL))
    ).status_code in (403, 404)

    # One thin event for the report, keyed by the dossier, ids only.
    records = await _gemeente_records(chain, kafka_bootstrap_servers, 6)
    rapporten = [r for r in records if _type(r) == "voortgang-rapport.ontvangen"]
    assert len(rapporten) == 1
    [event] = rapporten
    assert event.key.decode() == did
    assert json.loads(event.value) == {
        "rapportId": rid,
        "opdrachtId": b1,
        "dossierId": did,
        "versie": 1,
    }
    assert dict(event.headers)["ce_gemeentecode"] == b"0363"


def _voortgang(van: str, tot: str, aanwezig: int, totaal: int) -> dict[str, Any]:
    return {
        **VOORTGANG,
        "periodeVan": van,
        "periodeTot": tot,
        "urenGepland": aanwezig,
        "urenAanwezig": aanwezig,
        "urenAfwezigGeoorloofd": 0,
        "urenAfwezigOngeoorloofd": 0,
        "urenGerealiseerdTotaal": totaal,
    }


async def _correctie(chain: Keten, rapport_id: str, body: Any, who: Any, key: str) -> Any:
    return await chain.bron.post(
        f"/api/v1/voortgang-rapporten/{rapport_id}/correcties",
        json=body,
        auth=auth(who),
        headers={"Idempotency-Key": key},
    )


async def _uren(chain: Keten, did: str) -> dict[str, Any]:
    answer = await chain.bron.get(f"/api/v1/dossiers/{did}/uren", auth=auth(AMSTERDAM))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_only_the_gemeente_changes_or_ends_an_opdracht_and_an_ended_one_takes_no_reports(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await _met_pip(chain)
    b1 = await _opdracht(chain, did, B1)
    pad = f"/api/v1/opdrachten/{b1}"
    voor = await _rapport(chain, b1, "voortgang-rapport", VOORTGANG, TAALSCHOOL, "voor-einde-01")
    assert voor.status_code == 201, voor.text

    # Changing: the gemeente only (the aanbieder is not registered for the regie purpose),
    # and only its own gemeente's opdracht.
    wijziging = {"uren": 700, "beoogdeEinddatum": "2027-06-30"}
    assert (
        await chain.bron.post(f"{pad}/wijzigingen", json=wijziging, auth=auth(TAALSCHOOL))
    ).status_code == 403
    assert (
        await _post(chain, f"/opdrachten/{b1}/wijzigingen", wijziging, UTRECHT)
    ).status_code == 404
    assert _reden(await _post(chain, f"/opdrachten/{b1}/wijzigingen", {})) == "geen-wijziging"
    gewijzigd = await _post(chain, f"/opdrachten/{b1}/wijzigingen", wijziging)
    assert gewijzigd.status_code == 200, gewijzigd.text
    assert gewijzigd.json()["uren"] == 700 and gewijzigd.json()["status"] == "verstrekt"
    taal = await chain.bron.get(pad, auth=auth(TAALSCHOOL))
    assert taal.json()["uren"] == 700 and taal.json()["beoogdeEinddatum"] == "2027-06-30"

    # Ending: the gemeente only, with a reason code.
    einde = {"datum": "2026-06-01", "reden": "leerroute-gewisseld"}
    assert (
        await chain.bron.post(f"{pad}/beeindiging", json=einde, auth=auth(TAALSCHOOL))
    ).status_code == 403
    assert (await _post(chain, f"/opdrachten/{b1}/beeindiging", einde, UTRECHT)).status_code == 404
    beeindigd = await _post(chain, f"/opdrachten/{b1}/beeindiging", einde)
    assert beeindigd.status_code == 200, beeindigd.text
    assert beeindigd.json()["status"] == "beeindigd"
    [rij] = await chain.query(
        "bron",
        "SELECT status, einde_reden, beeindigd_op FROM opdracht WHERE opdracht_id = :o",
        o=b1,
    )
    assert (rij["status"], rij["einde_reden"], str(rij["beeindigd_op"])) == (
        "beeindigd",
        "leerroute-gewisseld",
        "2026-06-01",
    )

    # An ended opdracht takes no new report and no correction; nothing is stored.
    na = await _rapport(
        chain,
        b1,
        "voortgang-rapport",
        _voortgang("2026-04-01", "2026-04-30", 30, 70),
        TAALSCHOOL,
        "na-einde-001",
    )
    assert na.status_code == 409, na.text
    assert na.headers["content-type"] == "application/problem+json"
    assert na.json()["reden"] == "opdracht-beeindigd"
    correctie = await _correctie(
        chain,
        voor.json()["rapportId"],
        {**VOORTGANG, "urenAanwezig": 44},
        TAALSCHOOL,
        "na-einde-002",
    )
    assert correctie.status_code == 409 and correctie.json()["reden"] == "opdracht-beeindigd"
    # A retry of the report accepted before the end still gets its first receipt (counted once).
    retry = await _rapport(chain, b1, "voortgang-rapport", VOORTGANG, TAALSCHOOL, "voor-einde-01")
    assert retry.status_code == 201 and retry.json() == voor.json()
    rapporten = await chain.query(
        "bron", "SELECT rapport_id FROM aanbieder_rapport WHERE opdracht_id = :o", o=b1
    )
    assert [r["rapport_id"] for r in rapporten] == [voor.json()["rapportId"]]
    # Nor is it changed or ended again.
    again = await _post(chain, f"/opdrachten/{b1}/wijzigingen", {"uren": 800})
    assert again.status_code == 409 and again.json()["reden"] == "opdracht-beeindigd"
    assert (await _post(chain, f"/opdrachten/{b1}/beeindiging", einde)).status_code == 409

    # opdracht.gewijzigd and opdracht.beeindigd, routed to that one aanbieder, thin.
    records = await _gemeente_records(chain, kafka_bootstrap_servers, 7)
    levenscyclus = [r for r in records if _type(r) in ("opdracht.gewijzigd", "opdracht.beeindigd")]
    assert [_type(r) for r in levenscyclus] == ["opdracht.gewijzigd", "opdracht.beeindigd"]
    for r in levenscyclus:
        assert json.loads(r.value) == {"opdrachtId": b1}
        assert r.key.decode() == did
        assert dict(r.headers)["ce_aanbiederoin"] == TAAL_OIN.encode()
        assert dict(r.headers)["ce_aanbiedersoort"] == b"taalaanbieder"


async def test_a_correction_supersedes_the_report_so_the_hours_count_once_also_for_afschaling(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await _met_pip(chain)
    b1 = await _opdracht(chain, did, B1)
    maart = await _rapport(
        chain,
        b1,
        "voortgang-rapport",
        _voortgang("2026-02-01", "2026-05-31", 400, 400),
        TAALSCHOOL,
        "uren-maart-01",
    )
    assert maart.status_code == 201, maart.text
    mid = maart.json()["rapportId"]

    # The same period again as a new report would count twice: refused, correct it instead.
    dubbel = await _rapport(
        chain,
        b1,
        "voortgang-rapport",
        _voortgang("2026-05-01", "2026-06-30", 100, 500),
        TAALSCHOOL,
        "uren-dubbel-1",
    )
    assert dubbel.status_code == 409 and dubbel.json()["reden"] == "periode-al-gerapporteerd"

    gecorrigeerd = _voortgang("2026-02-01", "2026-05-31", 500, 500)
    # Only the aanbieder that submitted it corrects a report: another taalschool, or another
    # kind, gets the answer of an unknown report, and nothing is stored.
    for ander in (ANDERE_TAALSCHOOL, MAP_BUREAU):
        refused = await _correctie(chain, mid, gecorrigeerd, ander, f"ander-{ander.client_id}")
        assert refused.status_code == 404, refused.text
    # Nor as another kind of report.
    verkeerd = await chain.bron.post(
        f"/api/v1/resultaat-rapporten/{mid}/correcties",
        json={"soort": "tussentijds", "datum": "2026-05-31", "behaald": True},
        auth=auth(TAALSCHOOL),
        headers={"Idempotency-Key": "verkeerd-001"},
    )
    assert verkeerd.status_code == 404
    assert len(await chain.query("bron", "SELECT 1 FROM aanbieder_rapport")) == 1

    correctie = await _correctie(chain, mid, gecorrigeerd, TAALSCHOOL, "correctie-01")
    assert correctie.status_code == 201, correctie.text
    assert correctie.json()["versie"] == 2 and correctie.json()["corrigeert"] == mid
    cid = correctie.json()["rapportId"]
    # A retried correction: the first receipt, nothing stored twice.
    retry = await _correctie(chain, mid, gecorrigeerd, TAALSCHOOL, "correctie-01")
    assert retry.status_code == 201 and retry.json() == correctie.json()
    # The original is kept (both are readable) but corrected once only.
    lijst = await chain.bron.get(
        f"/api/v1/opdrachten/{b1}/voortgang-rapporten", auth=auth(AMSTERDAM)
    )
    assert sorted(r["rapportId"] for r in lijst.json()) == sorted([mid, cid])
    tweede = await _correctie(chain, mid, gecorrigeerd, TAALSCHOOL, "correctie-02")
    assert tweede.status_code == 409 and tweede.json()["reden"] == "rapport-al-gecorrigeerd"

    # Counted once: 500, not 400 + 500.
    uren = await _uren(chain, did)
    assert uren["taalurenAanwezig"] == 500
    assert uren["opdrachten"] == [
        {
            "opdrachtId": b1,
            "soort": "b1-cursus",
            "taaldeel": True,
            "urenAanwezig": 500,
            "urenAfwezigGeoorloofd": 0,
            "urenAfwezigOngeoorloofd": 0,
            "rapporten": [cid],
        }
    ]
    assert (
        await chain.bron.get(f"/api/v1/dossiers/{did}/uren", auth=auth(UTRECHT))
    ).status_code == 404
    assert (
        await chain.bron.get(f"/api/v1/dossiers/{did}/uren", auth=auth(TAALSCHOOL))
    ).status_code == 403

    # The afschaling rests on the counted hours: 500 (900 if the correction counted twice).
    afschalen = f"/dossiers/{did}/pip/afschaling"
    assert _reden(await _post(chain, afschalen, {"datum": "2026-07-01"})) == "te-weinig-uren"
    juni = await _rapport(
        chain,
        b1,
        "voortgang-rapport",
        _voortgang("2026-06-01", "2026-06-30", 100, 600),
        TAALSCHOOL,
        "uren-juni-001",
    )
    assert juni.status_code == 201, juni.text
    v2 = await _post(chain, afschalen, {"datum": "2026-07-01"})
    assert v2.status_code == 201, v2.text
    versies = await chain.bron.get(f"/api/v1/dossiers/{did}/pip/versies", auth=auth(AMSTERDAM))
    grond = versies.json()[1]["gebaseerdOp"]
    assert grond["urenGevolgd"] == 600
    assert sorted(grond["urenRapporten"]) == sorted([cid, juni.json()["rapportId"]])

    # The correction is announced like a report, with its version.
    records = await _gemeente_records(chain, kafka_bootstrap_servers, 7)
    ontvangen = [json.loads(r.value) for r in records if _type(r) == "voortgang-rapport.ontvangen"]
    assert [(e["rapportId"], e["versie"]) for e in ontvangen] == [
        (mid, 1),
        (cid, 2),
        (juni.json()["rapportId"], 1),
    ]


async def test_mb_and_lbt_return_flows_register_on_their_opdracht(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await _met_pip(chain)
    mb = await _opdracht(
        chain,
        did,
        {
            "soort": "maatschappelijke-begeleiding",
            "aanbiedersoort": "mb-aanbieder",
            "aanbiederOin": MB_OIN,
            "aanbiederNaam": "Stichting Welkom",
            "beoogdeStart": "2026-02-01",
        },
    )
    lbt = await _opdracht(
        chain,
        did,
        {
            "soort": "leerbaarheidstoets",
            "aanbiedersoort": "lbt-afnemer",
            "aanbiederOin": LBT_OIN,
            "aanbiederNaam": "Toetsbureau",
            "beoogdeStart": "2026-01-08",
        },
    )
    rapportage = {
        "onderdelen": [
            {"soort": "hulp-start-inburgering", "startdatum": "2026-02-01"},
            {
                "soort": "praktische-hulp-basisvoorzieningen",
                "startdatum": "2026-02-01",
                "einddatum": "2026-03-01",
            },
        ]
    }
    uitslag = {"toetsdatum": "2026-01-08", "uitslag": "b1-haalbaar"}

    async def put(opdracht: str, kind: str, body: Any, who: Any) -> Any:
        return await chain.bron.put(
            f"/api/v1/opdrachten/{opdracht}/{kind}", json=body, auth=auth(who)
        )

    # Only the holder, of the kind that reports it: the LBT taker cannot report MB parts on
    # the MB opdracht (not its opdracht), the MB provider no LBT result on its own.
    assert (await put(mb, "mb-rapportage", rapportage, LBT_AFNEMER)).status_code == 404
    assert _reden(await put(mb, "lbt-resultaat", uitslag, MB_STICHTING)) == (
        "rapportsoort-niet-voor-aanbieder"
    )
    # No BSN travels with an MB report (seed 001: the MB provider may not use it).
    marker = unieke_bsn()
    met_bsn = await put(mb, "mb-rapportage", {**rapportage, "bsn": marker}, MB_STICHTING)
    assert met_bsn.status_code in (400, 422) and marker not in met_bsn.text

    for _ in range(2):  # the second PUT is a retry: nothing changes, nothing announced
        ok = await put(mb, "mb-rapportage", rapportage, MB_STICHTING)
        assert ok.status_code == 200, ok.text
        assert "bsn" not in ok.json()
        ok = await put(lbt, "lbt-resultaat", uitslag, LBT_AFNEMER)
        assert ok.status_code == 200, ok.text

    gemeente_mb = await chain.bron.get(f"/api/v1/opdrachten/{mb}", auth=auth(AMSTERDAM))
    assert gemeente_mb.json()["mbOnderdelen"] == rapportage["onderdelen"]
    gemeente_lbt = await chain.bron.get(f"/api/v1/opdrachten/{lbt}", auth=auth(AMSTERDAM))
    assert gemeente_lbt.json()["lbtToetsdatum"] == "2026-01-08"
    assert gemeente_lbt.json()["lbtUitslag"] == "b1-haalbaar"
    # The result is the gemeente's to read: the LBT taker reads its own opdracht without it.
    assert (
        "lbtUitslag"
        not in (await chain.bron.get(f"/api/v1/opdrachten/{lbt}", auth=auth(LBT_AFNEMER))).json()
    )

    records = await _gemeente_records(chain, kafka_bootstrap_servers, 6)
    terug = [
        r for r in records if _type(r) in ("mb-rapportage.ontvangen", "lbt-resultaat.ontvangen")
    ]
    assert [(_type(r), json.loads(r.value)) for r in terug] == [
        ("mb-rapportage.ontvangen", {"opdrachtId": mb}),
        ("lbt-resultaat.ontvangen", {"opdrachtId": lbt}),
    ]
    assert {r.key.decode() for r in terug} == {did}


async def test_start_and_completion_reports_announce_the_leerroute_for_the_language_part(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await _met_pip(chain)
    b1 = await _opdracht(chain, did, B1)
    map_id = await _opdracht(chain, did, MAP)
    gestart = {"gerealiseerdeStartdatum": "2026-02-15", "redenLateStart": "wachtlijst"}
    for opdracht, who in ((b1, TAALSCHOOL), (map_id, MAP_BUREAU)):
        answer = await _rapport(
            chain, opdracht, "traject-gestart-rapport", gestart, who, f"start-{opdracht}"
        )
        assert answer.status_code == 201, answer.text
    b1_view = await chain.bron.get(f"/api/v1/opdrachten/{b1}", auth=auth(AMSTERDAM))
    assert b1_view.json()["status"] == "gestart"
    assert b1_view.json()["gerealiseerdeStart"] == "2026-02-15"
    klaar = await _rapport(
        chain,
        b1,
        "traject-beeindigd-rapport",
        {"einddatum": "2027-05-01", "afgerond": True},
        TAALSCHOOL,
        "klaar-b1-0001",
    )
    assert klaar.status_code == 201, klaar.text
    b1_view = await chain.bron.get(f"/api/v1/opdrachten/{b1}", auth=auth(AMSTERDAM))
    assert b1_view.json()["status"] == "afgerond"

    records = await _gemeente_records(chain, kafka_bootstrap_servers, 10)
    leerroute = [r for r in records if _type(r).startswith("leerroute.")]
    # Only for the language part (the B1 course), not for the MAP.
    assert [(_type(r), json.loads(r.value)) for r in leerroute] == [
        ("leerroute.gestart", {"opdrachtId": b1}),
        ("leerroute.afgerond", {"opdrachtId": b1}),
    ]
    assert {r.key.decode() for r in leerroute} == {did}


async def test_duo_gets_the_reported_language_hours_on_request_under_its_own_purpose(
    chain: Keten, kafka_bootstrap_servers: str
):
    await chain.plicht(BSN, "asielstatushouder")
    did = await _met_pip(chain)
    await until(
        lambda: chain.query("bron", "SELECT 1 FROM dossier WHERE inburgeringsplicht_id IS NOT NULL")
    )
    b1 = await _opdracht(chain, did, B1)
    voorjaar = {
        **_voortgang("2026-02-01", "2026-05-31", 400, 400),
        "urenAfwezigGeoorloofd": 4,
        "urenAfwezigOngeoorloofd": 2,
    }
    eerste = await _rapport(chain, b1, "voortgang-rapport", voorjaar, TAALSCHOOL, "uv-voorjaar")
    juni = _voortgang("2026-06-01", "2026-06-30", 100, 480)
    assert (
        await _rapport(chain, b1, "voortgang-rapport", juni, TAALSCHOOL, "uv-juni-0001")
    ).status_code == 201
    correctie = await _correctie(
        chain,
        eerste.json()["rapportId"],
        {**voorjaar, "urenAanwezig": 380, "urenAfwezigGeoorloofd": 8},
        TAALSCHOOL,
        "uv-correctie",
    )
    assert correctie.status_code == 201, correctie.text

    pad = f"/dossiers/{did}/urenverantwoordingen"
    vraag = {"peildatum": "2026-05-31", "reden": "verlenging"}
    assert (await _post(chain, pad, vraag, UTRECHT)).status_code == 404
    assert (
        await chain.bron.post(f"/api/v1{pad}", json=vraag, auth=auth(TAALSCHOOL))
    ).status_code == 403
    # The hours are counted at the source, not stated by the caller.
    assert (await _post(chain, pad, {**vraag, "urenTaal": 900})).status_code in (400, 422)
    geleverd = await _post(chain, pad, vraag)
    assert geleverd.status_code == 201, geleverd.text
    uv = geleverd.json()
    # Up to the peildatum: the corrected spring (June not yet), counted once.
    assert (
        uv["urenTaal"],
        uv["urenAanwezig"],
        uv["urenVerzuimGeoorloofd"],
        uv["urenVerzuimOngeoorloofd"],
        uv["reden"],
    ) == (390, 380, 8, 2, "verlenging")

    records = await _gemeente_records(chain, kafka_bootstrap_servers, 8)
    [event] = [r for r in records if _type(r) == "urenverantwoording.aangeleverd"]
    assert event.key.decode() == did
    assert json.loads(event.value) == {
        "urenverantwoordingId": uv["urenverantwoordingId"],
        "dossierId": did,
    }
    # duo-adapter fetched it at the source under its own purpose (logged there).
    [bij_duo] = await until(
        lambda: chain.query("duo", "SELECT uren_taal, reden FROM duo_gemeente_uren"),
        timeout_s=45,
    )
    assert bij_duo == {"uren_taal": 390, "reden": "verlenging"}
    reads = await chain.query(
        "bron",
        "SELECT doel, uitkomst FROM keten_verwerkingslog WHERE client_id = :c AND "
        "resource = 'urenverantwoording'",
        c=pip_keten.DUO_BIJ_BRON.client_id,
    )
    assert {"doel": "plicht-en-termijnen", "uitkomst": "geleverd"} in reads
    assert (
        await chain.bron.get(
            f"/api/v1/urenverantwoordingen/{uv['urenverantwoordingId']}", auth=auth(UTRECHT)
        )
    ).status_code == 404


async def test_no_language_hours_are_delivered_for_a_gezinsmigrant(chain: Keten):
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
    # Seed 002 section 3.4.4: "Bij gezinsmigranten geven de instellingen de uren taal door
    # aan DUO."
    geweigerd = await _post(
        chain,
        f"/dossiers/{did}/urenverantwoordingen",
        {"peildatum": "2026-05-31", "reden": "verlenging"},
    )
    assert _reden(geweigerd) == "geen-taaluren-voor-doelgroep"
    assert await chain.query("bron", "SELECT 1 FROM urenverantwoording") == []
