"""dossier-bron's begeleidingen and the doelgroep choice against the real broker and database,
with coa-adapter and duo-adapter running as real services (as in ``test_dossier_bron``):
maatschappelijke begeleiding only with DUO's right; financieel ontzorgen only for an
asielstatushouder on bijstand, starting within 6 months of settling; voortgangsgesprekken for
gezinsmigranten; the doelgroep choice once, and only then DUO is told; thin events keyed by the
dossier on the gemeente topic.

``keten`` here is shared by the signalen and deadline-watch tests: dossier-bron runs with a
sandbox clock (the process's clock, moved by the tests) and knows duo-adapter's API root
(``KETEN_DUO_BRON_URL``) for the signalen work list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import Any

import pytest

from keten_contracts.clients import Doel
from keten_contracts.events.catalogue import TOPICS
from keten_contracts.parties import Rol
from tests.integration.test_dossier_bron import (
    ADRES,
    AMSTERDAM,
    BSN,
    BSN_GEZIN,
    CASEMANAGER,
    DUO_TESTER,
    UTRECHT,
    Keten,
    auth,
    party,
    until,
)
from tests.integration.test_dossier_bron import keten as basis_keten
from tests.integration.test_dossier_bron_intake_pip import DUO_BIJ_BRON, KLANTMANAGER
from tests.support import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

T = "nl.inburgering."
# CBS's client at dossier-bron: it reads begeleidingen for the SWI (its own purpose).
CBS_BIJ_BRON = party(
    "dossier-bron", "cbs-swi", "00000001003214345000", Rol.CBS, Doel.STATISTIEK_SWI
)


def keten(postgres_server_url: str, bootstrap: str) -> AbstractAsyncContextManager[Keten]:
    """coa-adapter, duo-adapter and a dossier-bron for Amsterdam (0363) with a sandbox clock
    and duo-adapter's root configured for the signalen work list."""
    return basis_keten(
        postgres_server_url,
        bootstrap,
        bron_partijen=[AMSTERDAM, UTRECHT, KLANTMANAGER, DUO_BIJ_BRON, CBS_BIJ_BRON],
        duo_leest_bron=DUO_BIJ_BRON,
        sandbox=True,
        signalen=True,
    )


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    async with keten(postgres_server_url, kafka_bootstrap_servers) as k:
        yield k


async def post(chain: Keten, path: str, body: Any, who: Any = AMSTERDAM) -> Any:
    return await chain.bron.post(f"/api/v1{path}", json=body, auth=auth(who))


def reden(answer: Any) -> str:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    return str(answer.json()["reden"])


async def asiel_dossier(
    chain: Keten, *, plicht: bool = True, vestigingsdatum: str | None = None
) -> str:
    """An asielstatushouder's dossier (COA's koppeling), with DUO's plicht (and so DUO's right
    to maatschappelijke begeleiding) when ``plicht``, settled on ``vestigingsdatum``."""
    sh = await chain.statushouder(BSN, "0363")
    [dossier] = await until(lambda: chain.zoek(BSN))
    if plicht:
        await chain.plicht(BSN, "asielstatushouder")
        await until(
            lambda: chain.query(
                "bron",
                "SELECT 1 FROM dossier WHERE bsn = :b AND recht_maatschappelijke_begeleiding",
                b=BSN,
            )
        )
    if vestigingsdatum is not None:
        await chain.control(
            chain.coa,
            CASEMANAGER,
            f"/control/v1/statushouders/{sh['statushouderId']}/vertrek",
            {"vestigingsdatum": vestigingsdatum},
        )
        await until(
            lambda: chain.query(
                "bron",
                "SELECT 1 FROM dossier WHERE bsn = :b AND vestigingsdatum = :v",
                b=BSN,
                v=date.fromisoformat(vestigingsdatum),
            )
        )
    return str(dossier["dossierId"])


async def gezins_dossier(chain: Keten) -> str:
    """A gezinsmigrant's dossier: DUO's plicht and BRP registration, then the gemeente
    registers the BRP data."""
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
    registered = await post(chain, "/dossiers/persoonsgegevens", persoon)
    assert registered.status_code == 200, registered.text
    return str(registered.json()["dossierId"])


async def gemeente_events(chain: Keten, bootstrap: str, count: int) -> list[dict[str, Any]]:
    """The gemeente topic's events as (type, key, data)."""
    import json

    records = await read_all(bootstrap, chain.prefix + TOPICS["gemeente"], count)
    return [
        {
            "type": dict(r.headers)["ce_type"].decode().removeprefix(T).removesuffix(".v1"),
            "key": r.key.decode(),
            "data": json.loads(r.value),
        }
        for r in records
    ]


async def test_maatschappelijke_begeleiding_only_for_whom_duo_set_the_right(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await asiel_dossier(chain, plicht=False)
    start = {"soort": "maatschappelijke-begeleiding", "startdatum": "2026-02-01"}
    # COA's koppeling alone: DUO has not set the right (yet).
    assert reden(await post(chain, f"/dossiers/{did}/begeleidingen", start)) == (
        "geen-recht-maatschappelijke-begeleiding"
    )
    assert await chain.query("bron", "SELECT 1 FROM begeleiding") == []

    await chain.plicht(BSN, "asielstatushouder")  # DUO: recht op maatschappelijke begeleiding
    await until(
        lambda: chain.query(
            "bron", "SELECT 1 FROM dossier WHERE recht_maatschappelijke_begeleiding"
        )
    )
    started = await post(chain, f"/dossiers/{did}/begeleidingen", start)
    assert started.status_code == 201, started.text
    beg = started.json()
    assert beg["soort"] == "maatschappelijke-begeleiding" and beg["dossierId"] == did
    assert "einddatum" not in beg
    bid = beg["begeleidingId"]
    # One running period per kind.
    again = await post(chain, f"/dossiers/{did}/begeleidingen", start)
    assert again.status_code == 409, again.text

    # An end before the start is the contract's own rule: refused, nothing changes.
    verkeerd = await post(chain, f"/begeleidingen/{bid}/beeindigen", {"einddatum": "2026-01-01"})
    assert verkeerd.status_code == 422, verkeerd.text
    ended = await post(chain, f"/begeleidingen/{bid}/beeindigen", {"einddatum": "2026-08-01"})
    assert ended.status_code == 200, ended.text
    assert ended.json()["einddatum"] == "2026-08-01"
    twice = await post(chain, f"/begeleidingen/{bid}/beeindigen", {"einddatum": "2026-08-02"})
    assert twice.status_code == 409

    # Stored for the SWI reader, and read at the events' dataref.
    read = await chain.bron.get(f"/api/v1/begeleidingen/{bid}", auth=auth(AMSTERDAM))
    assert read.status_code == 200 and read.json()["einddatum"] == "2026-08-01"
    # CBS reads it for the SWI under its own purpose (the kit projects its view).
    cbs = await chain.bron.get(f"/api/v1/begeleidingen/{bid}", auth=auth(CBS_BIJ_BRON))
    assert cbs.status_code == 200, cbs.text
    assert cbs.json()["soort"] == "maatschappelijke-begeleiding"
    other = await chain.bron.get(f"/api/v1/begeleidingen/{bid}", auth=auth(UTRECHT))
    assert other.status_code == 404
    lijst = await chain.bron.get(f"/api/v1/dossiers/{did}/begeleidingen", auth=auth(AMSTERDAM))
    assert [b["begeleidingId"] for b in lijst.json()] == [bid]
    # Participatiewet staff write no inburgering data (rule 13).
    pw = await post(chain, f"/dossiers/{did}/begeleidingen", start, who=KLANTMANAGER)
    assert pw.status_code == 403

    events = await gemeente_events(chain, kafka_bootstrap_servers, 2)
    assert [(e["type"], e["key"]) for e in events] == [
        ("begeleiding.gestart", did),
        ("begeleiding.beeindigd", did),
    ]
    assert all(e["data"] == {"begeleidingId": bid, "dossierId": did} for e in events)


async def test_financieel_ontzorgen_within_6_months_for_asielstatushouders_on_bijstand(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await asiel_dossier(chain, vestigingsdatum="2026-01-05")
    pad = f"/dossiers/{did}/begeleidingen"
    ontzorgen = {"soort": "financieel-ontzorgen", "bijstand": True}
    # Seed 001 task 6: "tijdens de eerste 6 maanden van hun verblijf in de gemeente".
    laat = await post(chain, pad, {**ontzorgen, "startdatum": "2026-07-05"})
    assert reden(laat) == "ontzorgen-buiten-eerste-zes-maanden"
    geen_bijstand = await post(
        chain, pad, {**ontzorgen, "bijstand": False, "startdatum": "2026-02-01"}
    )
    assert reden(geen_bijstand) == "ontzorgen-alleen-bij-bijstand"
    op_tijd = await post(chain, pad, {**ontzorgen, "startdatum": "2026-07-04"})
    assert op_tijd.status_code == 201, op_tijd.text
    # Stimuleren financiële zelfredzaamheid: its own period beside it (seed 002 section 4.1).
    stimuleren = await post(
        chain, pad, {"soort": "stimuleren-financiele-zelfredzaamheid", "startdatum": "2026-03-01"}
    )
    assert stimuleren.status_code == 201, stimuleren.text
    # A voortgangsgesprek is registered for gezins- and overige migranten, not here.
    gesprek = await post(chain, f"/dossiers/{did}/voortgangsgesprekken", {"datum": "2026-03-01"})
    assert reden(gesprek) == "voortgangsgesprek-alleen-gezins-of-overige-migrant"

    gid = await gezins_dossier(chain)
    gezin = await post(
        chain, f"/dossiers/{gid}/begeleidingen", {**ontzorgen, "startdatum": "2026-02-01"}
    )
    assert reden(gezin) == "ontzorgen-alleen-asielstatushouder"
    gehouden = await post(chain, f"/dossiers/{gid}/voortgangsgesprekken", {"datum": "2026-03-01"})
    assert gehouden.status_code == 201, gehouden.text
    assert gehouden.json()["soort"] == "voortgangsgesprek"

    rows = await chain.query("bron", "SELECT dossier_id, soort FROM begeleiding ORDER BY soort")
    assert rows == [
        {"dossier_id": did, "soort": "financieel-ontzorgen"},
        {"dossier_id": did, "soort": "stimuleren-financiele-zelfredzaamheid"},
        {"dossier_id": gid, "soort": "voortgangsgesprek"},
    ]
    events = await gemeente_events(chain, kafka_bootstrap_servers, 3)
    assert sorted((e["type"], e["key"]) for e in events) == sorted(
        [
            ("begeleiding.gestart", did),
            ("begeleiding.gestart", did),
            ("voortgangsgesprek.gehouden", gid),
        ]
    )


async def test_the_doelgroep_choice_is_made_once_and_only_then_duo_is_told(
    chain: Keten, kafka_bootstrap_servers: str
):
    did = await asiel_dossier(chain, vestigingsdatum="2026-01-05")
    keuze = await post(chain, f"/dossiers/{did}/doelgroepkeuze", {"datum": "2026-02-01"})
    assert keuze.status_code == 201, keuze.text
    assert keuze.json()["afzienRechtenAsielstatushouder"] is True
    tweede = await post(chain, f"/dossiers/{did}/doelgroepkeuze", {"datum": "2026-03-01"})
    assert reden(tweede) == "doelgroepkeuze-al-gemaakt"
    # DUO reads the choice at the dossier (its view holds the field).
    duo = await chain.bron.get(f"/api/v1/dossiers/{did}", auth=auth(DUO_BIJ_BRON))
    assert duo.status_code == 200 and duo.json()["afzienRechtenAsielstatushouder"] is True
    # Without the asiel rights there is no financieel ontzorgen.
    ontzorgen = await post(
        chain,
        f"/dossiers/{did}/begeleidingen",
        {"soort": "financieel-ontzorgen", "bijstand": True, "startdatum": "2026-02-01"},
    )
    assert reden(ontzorgen) == "ontzorgen-alleen-asielstatushouder"

    gid = await gezins_dossier(chain)
    gezin = await post(chain, f"/dossiers/{gid}/doelgroepkeuze", {"datum": "2026-02-01"})
    assert reden(gezin) == "doelgroepkeuze-alleen-asielstatushouder"

    assert await chain.query("bron", "SELECT dossier_id FROM doelgroepkeuze") == [
        {"dossier_id": did}
    ]
    events = await gemeente_events(chain, kafka_bootstrap_servers, 1)
    assert [(e["type"], e["key"], e["data"]) for e in events] == [
        ("doelgroepkeuze.vastgelegd", did, {"dossierId": did})
    ]
