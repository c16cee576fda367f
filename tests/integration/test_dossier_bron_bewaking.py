"""dossier-bron's deadline watch against the real broker and database, with the chain clock
moved (``keten_core.clock``, sandbox): an overdue PIP is listed for the gemeente and announced
once (``termijnoverschrijding.geconstateerd``, keyed by the dossier), however often the watch
runs (the CronJob command's ``run_once`` and the service's ``POST /termijnbewaking``); a PIP
still on time is not; a PIP registered more than 10 workdays after its date and a missing
inburgeringsaanbod 3 months after the PIP are found as well."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import pytest

from dossier_bron.bewaking import run_once
from dossier_bron.domain import Gemeenten
from keten_core import clock
from keten_core.clock import AMSTERDAM
from tests.integration.test_dossier_bron import (
    AMSTERDAM as AMSTERDAM_STAF,
)
from tests.integration.test_dossier_bron import (
    AMSTERDAM_OIN,
    BSN_UTRECHT,
    CASEMANAGER,
    UTRECHT,
    Keten,
    auth,
    settings,
    until,
)
from tests.integration.test_dossier_bron_begeleiding import (
    asiel_dossier,
    gemeente_events,
    keten,
    post,
)
from tests.integration.test_dossier_bron_intake_pip import PIP, _afgeronde_intake

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
async def chain(postgres_server_url: str, kafka_bootstrap_servers: str) -> AsyncIterator[Keten]:
    async with keten(postgres_server_url, kafka_bootstrap_servers) as k:
        yield k


def op(dag: date) -> None:
    """Move the chain clock (dossier-bron's sandbox clock, the process's) to ``dag``, 10:00."""
    clock.get_clock().set(datetime(dag.year, dag.month, dag.day, 10, tzinfo=AMSTERDAM))


async def lijst(chain: Keten, who: Any = AMSTERDAM_STAF) -> list[dict[str, Any]]:
    answer = await chain.bron.get("/api/v1/termijnoverschrijdingen", auth=auth(who))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def cronjob(chain: Keten, bootstrap: str) -> list[str]:
    """The CronJob's run (``python -m dossier_bron.bewaking``) on dossier-bron's database."""
    return await run_once(
        settings(chain.databases["bron"], bootstrap, 0, chain.prefix, sandbox=True),
        Gemeenten({"0363": AMSTERDAM_OIN}),
    )


async def test_an_overdue_pip_is_listed_and_announced_once_an_on_time_one_not(
    chain: Keten, kafka_bootstrap_servers: str
):
    op(date(2026, 1, 5))
    # A: settled Monday 5 January 2026, no PIP: the 10 weeks end Monday 16 March.
    laat = await asiel_dossier(chain, vestigingsdatum="2026-01-05")
    # B: settled 1 March 2026: its 10 weeks run to Monday 11 May (10 May is a Sunday).
    sh = await chain.statushouder(BSN_UTRECHT, "0363")
    await chain.control(
        chain.coa,
        CASEMANAGER,
        f"/control/v1/statushouders/{sh['statushouderId']}/vertrek",
        {"vestigingsdatum": "2026-03-01"},
    )
    [b] = await until(
        lambda: chain.query(
            "bron",
            "SELECT dossier_id FROM dossier WHERE bsn = :b AND vestigingsdatum IS NOT NULL",
            b=BSN_UTRECHT,
        )
    )
    op_tijd = str(b["dossier_id"])

    # The last day of the 10 weeks: nothing is overdue yet.
    op(date(2026, 3, 16))
    assert await cronjob(chain, kafka_bootstrap_servers) == []
    assert await lijst(chain) == []

    # A day later A's PIP is overdue; B's is not.
    op(date(2026, 3, 17))
    [nieuw] = await cronjob(chain, kafka_bootstrap_servers)
    [item] = await lijst(chain)
    assert item == {
        "termijnoverschrijdingId": nieuw,
        "dossierId": laat,
        "termijn": "pip-na-brp-inschrijving",
        "referentiedatum": "2026-01-05",
        "uitersteDatum": "2026-03-16",
        "geconstateerdOp": "2026-03-17",
    }
    gelezen = await chain.bron.get(
        f"/api/v1/termijnoverschrijdingen/{nieuw}", auth=auth(AMSTERDAM_STAF)
    )
    assert gelezen.status_code == 200 and gelezen.json() == item
    # Another gemeente's staff see none of it.
    assert await lijst(chain, UTRECHT) == []
    vreemd = await chain.bron.get(f"/api/v1/termijnoverschrijdingen/{nieuw}", auth=auth(UTRECHT))
    assert vreemd.status_code == 404

    # Running again (the CronJob the next day, or "check now") announces nothing twice.
    op(date(2026, 3, 18))
    assert await cronjob(chain, kafka_bootstrap_servers) == []
    nu = await post(chain, "/termijnbewaking", {})
    assert nu.status_code == 200 and nu.json() == []
    assert len(await lijst(chain)) == 1

    # A's PIP comes late (already announced: nothing new) but is registered the same day, and
    # A gets its offer on 1 May, within 3 months: neither is overdue.
    await _afgeronde_intake(chain, laat)
    pip_a = await post(
        chain,
        f"/dossiers/{laat}/pip",
        {**PIP, "vaststellingsdatum": "2026-03-18", "intensiteitUren": 600},
    )
    assert pip_a.status_code == 201, pip_a.text
    aanbod_a = await post(
        chain, f"/pips/{pip_a.json()['pipId']}/inburgeringsaanbod", {"datumAanbod": "2026-05-01"}
    )
    assert aanbod_a.status_code == 201, aanbod_a.text
    assert (await post(chain, "/termijnbewaking", {})).json() == []

    # B gets its PIP dated 2 March but registered on 20 March: more than 10 workdays later
    # (the 10th workday after 2 March is 16 March), so DUO got it late.
    op(date(2026, 3, 20))
    await _afgeronde_intake(chain, op_tijd)
    pip = await post(
        chain,
        f"/dossiers/{op_tijd}/pip",
        {**PIP, "vaststellingsdatum": "2026-03-02", "intensiteitUren": 600},
    )
    assert pip.status_code == 201, pip.text
    gevonden = await post(chain, "/termijnbewaking", {})
    assert gevonden.status_code == 200, gevonden.text
    assert [(i["dossierId"], i["termijn"], i.get("betreftId")) for i in gevonden.json()] == [
        (op_tijd, "pip-registratie", pip.json()["pipId"])
    ]

    # 3 months after B's PIP (2 June) without an inburgeringsaanbod: overdue from 3 June.
    op(date(2026, 6, 2))
    assert (await post(chain, "/termijnbewaking", {})).json() == []
    op(date(2026, 6, 3))
    aanbod = (await post(chain, "/termijnbewaking", {})).json()
    assert [(i["dossierId"], i["termijn"], i["uitersteDatum"]) for i in aanbod] == [
        (op_tijd, "inburgeringsaanbod-na-pip", "2026-06-02")
    ]
    # A's offer came within its 3 months (PIP 18 March): nothing new after they end either.
    op(date(2026, 6, 19))
    assert (await post(chain, "/termijnbewaking", {})).json() == []
    assert {(i["dossierId"], i["termijn"]) for i in await lijst(chain)} == {
        (laat, "pip-na-brp-inschrijving"),
        (op_tijd, "pip-registratie"),
        (op_tijd, "inburgeringsaanbod-na-pip"),
    }

    # Each announced exactly once, keyed by its dossier, thin.
    events = [
        e
        for e in await gemeente_events(chain, kafka_bootstrap_servers, 10)
        if e["type"] == "termijnoverschrijding.geconstateerd"
    ]
    assert sorted((e["key"], e["data"]["termijnoverschrijdingId"]) for e in events) == sorted(
        (i["dossierId"], i["termijnoverschrijdingId"]) for i in await lijst(chain)
    )
    assert all(set(e["data"]) == {"termijnoverschrijdingId", "dossierId"} for e in events)
