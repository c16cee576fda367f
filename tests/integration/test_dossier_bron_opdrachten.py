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
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from dossier_bron.main import MIGRATIONS
from keten_contracts.clients import Doel
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from keten_core.auth import PartyRegistry
from keten_core.db import Base, create_engine, migrate
from keten_core.testing import fresh_database
from tests.integration import test_dossier_bron_intake_pip as pip_keten
from tests.integration.test_dossier_bron import AMSTERDAM, BSN, UTRECHT, Keten, auth, party
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
async def chain(
    postgres_server_url: str, kafka_bootstrap_servers: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Keten]:
    # The chain of the intake/PIP tests, with the aanbieders in dossier-bron's registry (the
    # one that holds DUO's client there).
    def registry(parties: Any = (), **kw: Any) -> PartyRegistry:
        parties = list(parties)
        if pip_keten.DUO_BIJ_BRON in parties:
            parties += [TAALSCHOOL, MAP_BUREAU, ANDER_MAP]
        return PartyRegistry(parties, **kw)

    monkeypatch.setattr(pip_keten, "PartyRegistry", registry)
    async with pip_keten.keten(postgres_server_url, kafka_bootstrap_servers) as k:
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
        for needle in (marker, sleutel):
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
        assert marker.encode() not in blob and sleutel.encode() not in blob
    # No log line (stdlib logging and whatever reached stdout/stderr).
    out, err = capfd.readouterr()
    for text_ in (caplog.text, out, err):
        assert marker not in text_ and sleutel not in text_
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
        assert marker not in blob and sleutel not in blob


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


async def test_the_opdrachten_migration_creates_exactly_what_the_models_declare(
    postgres_server_url: str,
):
    tabellen = ("opdracht", "aanbieder_rapport")

    def ours(name: Any, kind: str, parent: Any) -> bool:
        return kind != "table" or str(name) in tabellen

    def ours_object(obj: Any, name: Any, kind: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if kind == "table" else getattr(obj, "table", None)
        return table is None or str(table.name) in tabellen

    async with fresh_database(postgres_server_url) as url:
        engine = create_engine(url)
        try:
            await migrate(engine, [MIGRATIONS])

            def diff(connection: Any) -> Any:
                context = MigrationContext.configure(
                    connection, opts={"include_name": ours, "include_object": ours_object}
                )
                return compare_metadata(context, Base.metadata)

            async with engine.connect() as connection:
                differences = await connection.run_sync(diff)
        finally:
            await engine.dispose()
    assert differences == []
