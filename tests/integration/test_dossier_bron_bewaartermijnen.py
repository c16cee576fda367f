"""dossier-bron's retention job (art. 9.9 Besluit inburgering) against the real broker and
database, with coa-adapter and duo-adapter running as real services (the chain of
``test_dossier_bron_intake_pip``): DUO ends the plicht (``inburgeringsplicht.beeindigd``),
dossier-bron records when the 5 years start; with the chain's clock moved, the job removes
nothing a day before the 5 years are over, and on the day exactly the 5-year data: the 5-year
columns of the dossier, their history rows, and every table hanging on the dossier, while the
50-year items (BSN, name, address, date of birth; the date and way the plicht was met) stay. A
dry run reports the same counts and changes nothing; the report holds no personal data or id;
a second run finds nothing left."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import Any

import pytest

from dossier_bron import bewaartermijnen
from keten_core import clock
from keten_core.db import create_engine
from tests.integration.test_dossier_bron import BSN, Keten, until
from tests.integration.test_dossier_bron_intake_pip import DUO_TESTER as DUO
from tests.integration.test_dossier_bron_intake_pip import (
    PIP,
    _afgeronde_intake,
    _dossier,
    _post,
    keten,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

EINDE = date(2026, 6, 15)  # the diploma's date: the plicht is met and ends
VIJF_JAAR_LATER = datetime.fromisoformat("2031-06-15T10:00:00+02:00")
DAG_ERVOOR = datetime.fromisoformat("2031-06-14T10:00:00+02:00")
TELLINGEN = (
    "SELECT (SELECT count(*) FROM intake) AS intake,"
    " (SELECT count(*) FROM pip_versie) AS pip,"
    " (SELECT count(*) FROM dossier_feit) AS feiten"
)


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    async with keten(postgres_server_url, kafka_bootstrap_servers) as k:
        yield k


@pytest.fixture
def verzetbare_klok() -> Iterator[clock.Clock]:
    previous = clock.use_clock(clock.Clock(sandbox=True))
    try:
        yield clock.get_clock()
    finally:
        clock.use_clock(previous)


async def _beeindigde_plicht(chain: Keten) -> str:
    did = await _dossier(chain)
    await _afgeronde_intake(chain, did)
    pip = await _post(chain, f"/dossiers/{did}/pip", {**PIP, "intensiteitUren": 600})
    assert pip.status_code == 201, pip.text
    pid = await chain.plicht(BSN, "asielstatushouder")
    await until(
        lambda: chain.query("bron", "SELECT 1 FROM dossier WHERE inburgeringsplicht_id IS NOT NULL")
    )
    await chain.control(
        chain.duo,
        DUO,
        f"/control/inburgeringsplichtigen/{pid}/diplomas",
        {"soort": "inburgeringsdiploma", "datum": EINDE.isoformat()},
    )
    await until(lambda: chain.query("bron", "SELECT 1 FROM bewaartermijn"))
    return did


async def _dossier_rij(chain: Keten, did: str) -> dict[str, Any]:
    [rij] = await chain.query("bron", "SELECT * FROM dossier WHERE dossier_id = :d", d=did)
    return rij


async def test_retention_removes_exactly_the_five_year_data_once_the_five_years_are_over(
    chain: Keten, verzetbare_klok: clock.Clock, capsys: pytest.CaptureFixture[str]
):
    did = await _beeindigde_plicht(chain)
    [termijn] = await chain.query("bron", "SELECT * FROM bewaartermijn")
    assert termijn["dossier_id"] == did and termijn["einde_plicht"] == EINDE
    assert termijn["reden"] == "voldaan" and termijn["wijze_voldaan"] == "inburgeringsdiploma"
    voor = await _dossier_rij(chain, did)
    assert voor["doelgroep"] == "asielstatushouder" and voor["status"] == "actief"
    [tellingen] = await chain.query("bron", TELLINGEN)
    assert tellingen["intake"] == 1 and tellingen["pip"] == 1
    feiten_voor = await chain.query("bron", "SELECT veld FROM dossier_feit ORDER BY id")

    engine = create_engine(chain.databases["bron"])
    try:
        # A day before the 5 years are over: nothing, also in a run.
        verzetbare_klok.set(DAG_ERVOOR)
        rapport = await bewaartermijnen.opschonen(engine, uitvoeren=True)
        assert rapport.dossiers == 0 and rapport.als_json()["tabellen"] == {}
        assert await _dossier_rij(chain, did) == voor
        assert await chain.query("bron", TELLINGEN) == [tellingen]
        # Nor may a run be told a later date than today.
        with pytest.raises(ValueError):
            await bewaartermijnen.opschonen(engine, uitvoeren=True, peildatum=EINDE.replace(2031))

        # On the day: a dry run reports and changes nothing.
        verzetbare_klok.set(VIJF_JAAR_LATER)
        droog = await bewaartermijnen.opschonen(engine, uitvoeren=False)
        assert droog.dossiers == 1 and not droog.uitgevoerd
        assert await _dossier_rij(chain, did) == voor
        assert await chain.query("bron", TELLINGEN) == [tellingen]
        # The command an SSC schedules prints the same report (a dry run by default).
        await asyncio.to_thread(
            bewaartermijnen.main,
            ["--database-url", chain.databases["bron"], "--peildatum", "2031-06-15"],
        )
        uitvoer = json.loads(capsys.readouterr().out)
        assert uitvoer["tabellen"] == droog.als_json()["tabellen"]

        run = await bewaartermijnen.opschonen(engine, uitvoeren=True)
        assert run.als_json()["tabellen"] == droog.als_json()["tabellen"]
        tekst = json.dumps(run.als_json())
        for geheim in (BSN, did, "Amal", "Haddad", "Dam"):
            assert geheim not in tekst

        na = await _dossier_rij(chain, did)
        # The 50-year items a-e stay ...
        for kolom in ("bsn", "voornamen", "geslachtsnaam", "geboortedatum", "adres"):
            assert na[kolom] == voor[kolom], kolom
        for kolom in ("dossier_id", "gemeentecode", "koppeling_id", "inburgeringsplicht_id"):
            assert na[kolom] == voor[kolom], kolom
        # ... the 5-year columns go.
        assert na["doelgroep"] is None and na["vestigingsdatum"] is None
        assert na["recht_maatschappelijke_begeleiding"] is None
        assert na["status"] == "afgesloten"
        gewist = run.als_json()["tabellen"]["dossier"]["veldenGewist"]
        assert {"doelgroep", "status", "recht_maatschappelijke_begeleiding"} <= set(gewist)
        assert not {"bsn", "voornamen", "geslachtsnaam", "geboortedatum", "adres"} & set(gewist)

        # The history keeps only the rows of 50-year fields and opaque ids.
        feiten_na = {r["veld"] for r in await chain.query("bron", "SELECT veld FROM dossier_feit")}
        assert feiten_na == {
            r["veld"]
            for r in feiten_voor
            if r["veld"]
            in {"bsn", "voornamen", "geslachtsnaam", "geboortedatum", "adres", "koppelingId"}
            | {"inburgeringsplichtId", "klantprofielId"}
        }
        assert "doelgroep" in {r["veld"] for r in feiten_voor} - feiten_na
        # Everything else of the dossier is gone; item h stays with the retention record.
        [leeg] = await chain.query("bron", TELLINGEN)
        assert leeg["intake"] == 0 and leeg["pip"] == 0
        assert run.als_json()["tabellen"]["intake"] == {"rijenVerwijderd": 1}
        [termijn] = await chain.query("bron", "SELECT * FROM bewaartermijn")
        assert termijn["datum_voldaan"] == EINDE and termijn["opgeschoond_op"] is not None

        # A second run finds nothing left to do.
        again = await bewaartermijnen.opschonen(engine, uitvoeren=True)
        assert again.dossiers == 0
    finally:
        await engine.dispose()
