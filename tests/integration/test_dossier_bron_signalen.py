"""The gemeente's work list of DUO signalen at dossier-bron, against a real running duo-adapter
(driven through its control API) on the real broker and database: the list is read at DUO's
source with the gemeente's credential and shows the caller's gemeente's open signalen with
the gemeente's dossier; ticking one off at dossier-bron ticks it off at DUO (who: the staff
member's user reference), it leaves the list and DUO emits ``signaal.afgehandeld``; another
gemeente sees none and cannot tick one off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from keten_contracts.events.catalogue import TOPICS
from tests.integration.test_dossier_bron import (
    AMSTERDAM,
    BSN,
    DUO_TESTER,
    UTRECHT,
    Keten,
    auth,
    until,
)
from tests.integration.test_dossier_bron_begeleiding import asiel_dossier, keten, post
from tests.integration.test_dossier_bron_intake_pip import KLANTMANAGER
from tests.support import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

T = "nl.inburgering."


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    async with keten(postgres_server_url, kafka_bootstrap_servers) as k:
        yield k


async def werkvoorraad(chain: Keten, who: Any = AMSTERDAM) -> list[dict[str, Any]]:
    answer = await chain.bron.get("/api/v1/duo-signalen", auth=auth(who))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def test_a_ticked_off_signaal_leaves_the_work_list_and_duo_announces_it(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await asiel_dossier(chain, plicht=False)
    pid = await chain.plicht(BSN, "asielstatushouder")
    await until(
        lambda: chain.query("bron", "SELECT 1 FROM dossier WHERE inburgeringsplicht_id IS NOT NULL")
    )
    pad = f"/control/inburgeringsplichtigen/{pid}/signalen"
    eerste = await chain.control(chain.duo, DUO_TESTER, pad, {"code": "pip-aanleveren"})
    tweede = await chain.control(chain.duo, DUO_TESTER, pad, {"code": "map-gegevens-aanleveren"})
    ids = {eerste["signaalId"], tweede["signaalId"]}

    lijst = await werkvoorraad(chain)
    ons = [s for s in lijst if s["signaalId"] in ids]
    assert {s["code"] for s in ons} == {"pip-aanleveren", "map-gegevens-aanleveren"}
    # The gemeente's dossier is filled in (DUO did not know it).
    assert all(s["dossierId"] == did and s["status"] == "open" for s in ons)
    assert all(s["gemeentecode"] == "0363" for s in lijst)

    # Another gemeente's staff: nothing listed, and no tick-off (404, as for an unknown id).
    assert await werkvoorraad(chain, UTRECHT) == []
    vreemd = await post(chain, f"/duo-signalen/{eerste['signaalId']}/afhandelen", {}, UTRECHT)
    assert vreemd.status_code == 404, vreemd.text
    assert vreemd.headers["content-type"] == "application/problem+json"
    # Participatiewet staff are not registered for the purpose.
    pw = await post(chain, f"/duo-signalen/{eerste['signaalId']}/afhandelen", {}, KLANTMANAGER)
    assert pw.status_code == 403
    onbekend = await post(chain, "/duo-signalen/sig-onbekend/afhandelen", {})
    assert onbekend.status_code == 404

    afgevinkt = await post(chain, f"/duo-signalen/{eerste['signaalId']}/afhandelen", {})
    assert afgevinkt.status_code == 200, afgevinkt.text
    assert afgevinkt.json()["status"] == "afgehandeld"
    assert afgevinkt.json()["afgehandeldDoor"] == "medewerker-1"
    opnieuw = await post(chain, f"/duo-signalen/{eerste['signaalId']}/afhandelen", {})
    assert opnieuw.status_code == 409

    # It leaves the open list at once (the list is read at DUO's source); the other stays.
    na = {s["signaalId"] for s in await werkvoorraad(chain)}
    assert eerste["signaalId"] not in na and tweede["signaalId"] in na
    # DUO holds who ticked it off and announces it.
    [rij] = await chain.query(
        "duo",
        "SELECT status, afgehandeld_door FROM duo_signaal WHERE signaal_id = :s",
        s=eerste["signaalId"],
    )
    assert rij == {"status": "afgehandeld", "afgehandeld_door": "medewerker-1"}

    async def afgehandeld() -> list[Any]:
        records = await read_all(kafka_bootstrap_servers, chain.prefix + TOPICS["duo"], 1)
        return [
            r
            for r in records
            if dict(r.headers)["ce_type"].decode() == T + "signaal.afgehandeld.v1"
        ]

    [event] = await until(afgehandeld)
    assert eerste["signaalId"] in event.value.decode()
    assert BSN not in event.value.decode()

    # Every read at dossier-bron is in its processing log (the kit), the refusal included.
    log = await chain.query(
        "bron",
        "SELECT client_id, uitkomst, resource_id FROM keten_verwerkingslog "
        "WHERE resource = 'signaal'",
    )
    assert {
        "client_id": "amsterdam",
        "uitkomst": "geleverd",
        "resource_id": eerste["signaalId"],
    } in log
    assert {
        "client_id": "utrecht",
        "uitkomst": "geweigerd",
        "resource_id": eerste["signaalId"],
    } in log
