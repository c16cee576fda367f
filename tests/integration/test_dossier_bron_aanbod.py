"""dossier-bron's inburgeringsaanbod against the real broker and database, with duo-adapter
running as a real service (the chain of ``test_dossier_bron_intake_pip``): the offer is made
on the current PIP version (not on an unknown or superseded one, not before the PIP's date),
only by the linked gemeente's medewerker inburgering, once; the thin
``inburgeringsaanbod.gedaan`` is keyed by the dossier; DUO fetches the offer under its own
purpose (logged at the source) and, the offer being later than three months after the PIP,
extends the termijn ex officio."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from keten_contracts.events.catalogue import TOPICS
from tests.integration.test_dossier_bron import AMSTERDAM, BSN, UTRECHT, Keten, auth, until
from tests.integration.test_dossier_bron_intake_pip import (
    DUO_BIJ_BRON,
    KLANTMANAGER,
    PIP,
    _afgeronde_intake,
    _dossier,
    _post,
    _reden,
    keten,
)
from tests.support import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

T = "nl.inburgering."


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    async with keten(postgres_server_url, kafka_bootstrap_servers) as k:
        yield k


async def test_the_offer_rests_on_the_current_pip_and_duo_reads_it_under_its_own_purpose(
    chain: Keten, kafka_bootstrap_servers: str
):
    await chain.plicht(BSN, "asielstatushouder")
    did = await _dossier(chain)
    await until(
        lambda: chain.query("bron", "SELECT 1 FROM dossier WHERE inburgeringsplicht_id IS NOT NULL")
    )
    # No PIP, no offer to make.
    zonder = await _post(chain, "/pips/pip-onbekend/inburgeringsaanbod", {})
    assert zonder.status_code == 404

    await _afgeronde_intake(chain, did)
    v1 = await _post(chain, f"/dossiers/{did}/pip", {**PIP, "intensiteitUren": 600})
    assert v1.status_code == 201, v1.text
    v2 = await _post(
        chain, f"/dossiers/{did}/pip/wijzigingen", {"datum": "2026-02-01", "intensiteitUren": 500}
    )
    assert v2.status_code == 201, v2.text
    aanbod_pad = f"/pips/{v2.json()['pipId']}/inburgeringsaanbod"
    # Not on a superseded version: the offer carries out the PIP as it stands.
    oud = await _post(
        chain, f"/pips/{v1.json()['pipId']}/inburgeringsaanbod", {"datumAanbod": "2026-06-01"}
    )
    assert oud.status_code == 409 and oud.json()["reden"] == "pip-niet-actueel"

    # The wall between gemeenten and the one inside: 404 and 403, nothing stored.
    assert (await _post(chain, aanbod_pad, {"datumAanbod": "2026-06-01"}, UTRECHT)).status_code == (
        404
    )
    assert (
        await _post(chain, aanbod_pad, {"datumAanbod": "2026-06-01"}, KLANTMANAGER)
    ).status_code == 403
    # The offer follows the PIP (2026-01-15).
    assert _reden(await _post(chain, aanbod_pad, {"datumAanbod": "2026-01-10"})) == (
        "aanbod-voor-pip"
    )
    assert await chain.query("bron", "SELECT 1 FROM inburgeringsaanbod") == []

    # 2026-06-01 is more than three months after the PIP: late, but not refused.
    gedaan = await _post(chain, aanbod_pad, {"datumAanbod": "2026-06-01"})
    assert gedaan.status_code == 201, gedaan.text
    aanbod = gedaan.json()
    assert aanbod["pipId"] == v2.json()["pipId"] and aanbod["datumAanbod"] == "2026-06-01"
    nogmaals = await _post(chain, aanbod_pad, {"datumAanbod": "2026-06-02"})
    assert nogmaals.status_code == 409 and nogmaals.json()["reden"] == "aanbod-al-gedaan"

    lezen = f"/api/v1/inburgeringsaanbiedingen/{aanbod['inburgeringsaanbodId']}"
    gelezen = await chain.bron.get(lezen, auth=auth(AMSTERDAM))
    assert gelezen.status_code == 200 and gelezen.json() == aanbod
    assert (await chain.bron.get(lezen, auth=auth(UTRECHT))).status_code == 404
    eigen = await chain.bron.get(lezen, auth=auth(KLANTMANAGER))
    # Participatiewet staff are not registered for this read's purpose (the regie).
    assert eigen.status_code == 403

    # One thin event, keyed by the dossier.
    records = await read_all(kafka_bootstrap_servers, chain.prefix + TOPICS["gemeente"], 5)
    gedane = [
        r
        for r in records
        if dict(r.headers)["ce_type"] == f"{T}inburgeringsaanbod.gedaan.v1".encode()
    ]
    assert len(gedane) == 1
    assert gedane[0].key.decode() == did
    assert json.loads(gedane[0].value) == {
        "inburgeringsaanbodId": aanbod["inburgeringsaanbodId"],
        "pipId": aanbod["pipId"],
    }

    # duo-adapter fetched it at the source, under its own purpose (logged there) ...
    [bij_duo] = await until(
        lambda: chain.query(
            "duo", "SELECT inburgeringsaanbod_id, datum_aanbod FROM duo_gemeente_aanbod"
        ),
        timeout_s=45,
    )
    assert bij_duo["inburgeringsaanbod_id"] == aanbod["inburgeringsaanbodId"]
    assert str(bij_duo["datum_aanbod"]) == "2026-06-01"
    reads: list[Any] = await chain.query(
        "bron",
        "SELECT doel, uitkomst FROM keten_verwerkingslog WHERE client_id = :c AND "
        "resource = 'inburgeringsaanbod'",
        c=DUO_BIJ_BRON.client_id,
    )
    assert {"doel": "plicht-en-termijnen", "uitkomst": "geleverd"} in reads
    # ... and, the offer being late, extended the termijn ex officio.
    [verlenging] = await until(
        lambda: chain.query("duo", "SELECT ambtshalve FROM duo_verlenging"), timeout_s=45
    )
    assert verlenging["ambtshalve"] is True
