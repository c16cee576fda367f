"""The privacy officer's subject-access report at dossier-bron, against the real broker and
database with coa-adapter and duo-adapter running (the chain of ``test_dossier_bron_opdrachten``):
reads and writes by the gemeente's staff, DUO and a taalaanbieder, and another gemeente's
refused attempt, show up with their purposes; the report holds no BSN and no pseudonym, is
itself logged, and the BSN (in the POST body) never reaches a URL or a log line; another
gemeente's privacy officer gets 404, like for an unknown person; the officer reads no dossier
data and a medewerker gets no report."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from keten_contracts.clients import Doel, Functie
from keten_contracts.parties import Rol
from tests.integration import test_dossier_bron_intake_pip as pip_keten
from tests.integration.test_dossier_bron import (
    AMSTERDAM,
    AMSTERDAM_OIN,
    BSN,
    UTRECHT,
    UTRECHT_OIN,
    Keten,
    auth,
    party,
)
from tests.integration.test_dossier_bron_intake_pip import DUO_BIJ_BRON
from tests.integration.test_dossier_bron_opdrachten import B1, TAALSCHOOL, _met_pip, _opdracht

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

FG = {"functie": Functie.PRIVACYFUNCTIONARIS}
PRIVACY_AMSTERDAM = party(
    "dossier-bron", "fg-0363", AMSTERDAM_OIN, Rol.GEMEENTE, Doel.INZAGEVERZOEK, namens="0363", **FG
)
PRIVACY_UTRECHT = party(
    "dossier-bron", "fg-0344", UTRECHT_OIN, Rol.GEMEENTE, Doel.INZAGEVERZOEK, namens="0344", **FG
)
PSEUDONIEM = re.compile(r"[0-9a-f]{64}")


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    # The intake/PIP chain, with the taalschool and both privacy officers at dossier-bron.
    async with pip_keten.keten(
        postgres_server_url,
        kafka_bootstrap_servers,
        extra=[TAALSCHOOL, PRIVACY_AMSTERDAM, PRIVACY_UTRECHT],
    ) as k:
        yield k


async def _inzage(chain: Keten, who: Any, body: Any) -> Any:
    return await chain.bron.post("/api/v1/inzageverzoeken", json=body, auth=auth(who))


async def test_the_report_shows_who_processed_the_persons_data_and_why_for_the_own_gemeente_only(
    chain: Keten,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
):
    did = await _met_pip(chain)
    b1 = await _opdracht(chain, did, B1)
    for who, pad in (
        (AMSTERDAM, f"/dossiers/{did}"),
        (DUO_BIJ_BRON, f"/dossiers/{did}"),
        (TAALSCHOOL, f"/opdrachten/{b1}"),
    ):
        answer = await chain.bron.get(f"/api/v1{pad}", auth=auth(who))
        assert answer.status_code == 200, answer.text
    assert (await chain.bron.get(f"/api/v1/dossiers/{did}", auth=auth(UTRECHT))).status_code == 404

    caplog.set_level(logging.DEBUG)
    capfd.readouterr()
    answer = await _inzage(chain, PRIVACY_AMSTERDAM, {"bsn": BSN})
    assert answer.status_code == 200, answer.text
    rapport = answer.json()
    assert rapport["gemeentecode"] == "0363"
    regels = {
        (r["clientId"], r["doel"], r["uitkomst"], r["resource"], r.get("resourceId"))
        for r in rapport["verwerkingen"]
    }
    assert ("amsterdam", "uitvoering-inburgering", "geleverd", "dossier", did) in regels
    assert ("duo-bij-0363", "plicht-en-termijnen", "geleverd", "dossier", did) in regels
    assert ("taalschool", "opdracht-uitvoering", "geleverd", "opdracht", b1) in regels
    assert ("utrecht", "uitvoering-inburgering", "geweigerd", "dossier", did) in regels
    # The changes too: the PIP the medewerker decided (its answer was served and logged).
    assert any(
        r["resource"] == "pip" and r["clientId"] == "amsterdam" for r in rapport["verwerkingen"]
    )
    duo = next(
        r
        for r in rapport["verwerkingen"]
        if r["clientId"] == "duo-bij-0363" and r["resource"] == "dossier"
    )
    assert duo["rol"] == "duo" and duo["oin"] == DUO_BIJ_BRON.oin and "bsn" in duo["velden"]
    eigen = next(r for r in rapport["verwerkingen"] if r["clientId"] == "amsterdam")
    assert eigen["functie"] == "medewerker-inburgering" and eigen["gebruiker"] == "medewerker-1"
    # No BSN, no pseudonym in the report; the BSN went in the body only, and no log line of
    # this request carries it.
    assert BSN not in answer.text and not PSEUDONIEM.search(answer.text)
    assert BSN not in str(answer.request.url)
    logged = caplog.text + "".join(capfd.readouterr())
    assert "inzageverzoeken" in logged  # the access line is there, without the BSN
    assert BSN not in logged

    # The report is itself logged on the dossier: the next one shows it.
    again = (await _inzage(chain, PRIVACY_AMSTERDAM, {"bsn": BSN})).json()
    assert ("fg-0363", "inzageverzoek", "geleverd") in {
        (r["clientId"], r["doel"], r["uitkomst"]) for r in again["verwerkingen"]
    }
    rows = await chain.query("bron", "SELECT * FROM keten_verwerkingslog")
    assert all(BSN not in str(row.values()) for row in rows)

    # Another gemeente's officer: the answer of an unknown person. Same for an unknown BSN.
    other = await _inzage(chain, PRIVACY_UTRECHT, {"bsn": BSN})
    assert other.status_code == 404 and BSN not in other.text
    assert other.headers["content-type"] == "application/problem+json"
    assert (await _inzage(chain, PRIVACY_AMSTERDAM, {"bsn": "999999990"})).status_code == 404
    # The officer reads the log, not the dossier; a medewerker gets no report.
    officer = await chain.bron.get(f"/api/v1/dossiers/{did}", auth=auth(PRIVACY_AMSTERDAM))
    assert officer.status_code == 403
    assert (await _inzage(chain, AMSTERDAM, {"bsn": BSN})).status_code == 403
    # A BSN in the URL is no way in; an unknown field is refused without echoing it.
    assert (
        await chain.bron.post(f"/api/v1/inzageverzoeken?bsn={BSN}", auth=auth(PRIVACY_AMSTERDAM))
    ).status_code == 422
    extra = await _inzage(chain, PRIVACY_AMSTERDAM, {"bsn": BSN, "naam": "Amal Haddad"})
    assert extra.status_code in (400, 422) and "Amal" not in extra.text
