"""The pure parts of ``keten demo`` (``keten_core.demo_keten``) and its sample subscriber; the
whole demo runs in ``tests/integration/test_keten_demo.py``."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from examples.webhook_ontvanger.app import melding
from keten_core.clock import AMSTERDAM
from keten_core.demo_keten import (
    REIZEN,
    REIZEN_OP_VOLGORDE,
    Stap,
    Waarneming,
    afsluitmoment,
    demo_parties,
    kort_type,
    kwartaal,
    sandbox_tijd,
    scenario_env,
    stap_tekst,
    toon_reis,
)
from keten_core.scenario import laad_scenario


@pytest.mark.parametrize("reis", REIZEN_OP_VOLGORDE, ids=lambda r: r.bestand)
def test_the_demo_journeys_are_valid_scenarios_with_credentials_the_demo_provides(reis) -> None:
    scenario = laad_scenario(REIZEN / reis.bestand)
    secrets = {p["client_id"]: p["secret"] for p in demo_parties()}
    secrets |= {c: f"{c}-secret" for c in ("coa-beheer", "duo-beheer", "amsterdam-medewerker")}
    env = scenario_env(secrets)
    for client in scenario.clients.values():
        assert client.client_id_env in env and client.secret_env in env


def test_demo_parties_are_gemeente_clients_of_their_own_gemeente() -> None:
    by_id = {p["client_id"]: p for p in demo_parties()}
    assert by_id["rotterdam-bij-duo"]["namens"] == "0599"
    assert by_id["amsterdam-bij-coa"]["service"] == "coa-adapter"
    assert all(p["rol"] == "gemeente" for p in by_id.values())


def test_quarter_and_its_cut_off() -> None:
    assert kwartaal(date(2026, 6, 15)) == "2026-Q2"
    assert kwartaal(date(2026, 1, 1)) == "2026-Q1"
    assert afsluitmoment("2026-Q2") == datetime(2026, 7, 1, tzinfo=AMSTERDAM)
    assert afsluitmoment("2026-Q4") == datetime(2027, 1, 1, tzinfo=AMSTERDAM)


def test_runner_lines_become_timeline_text() -> None:
    regel = "step  3  line  56 [COA links]  coa-adapter koppelen: POST /control/v1/x -> 200  ok"
    assert stap_tekst(regel) == "coa-adapter koppelen: POST /control/v1/x -> 200"
    klok = "klok vooruit P4M: coa-adapter 2026-05-15T09:00:00+02:00, duo-adapter 2026-05-15T09:00"
    assert sandbox_tijd(klok, "-") == "2026-05-15 09:00"
    assert sandbox_tijd("klok herstel: coa-adapter 2026-11-30T22:00:00+01:00", "x") == "wall clock"
    assert kort_type("nl.inburgering.termijn.vastgesteld.v1") == "termijn.vastgesteld"


def test_a_step_table_counts_repeats_and_shortens_ids() -> None:
    lezing = Waarneming(
        "lezing", "bron", "koppeling", "kop-4ec3cc33abac42c4b11a1be7937e0666", 2.0,
        waar="coa-adapter", view="gemeente", doel="uitvoering-inburgering", gebruiker="-",
        uitkomst="geleverd",
    )  # fmt: skip
    melding_ = Waarneming("melding", "gemeente", "koppeling.vastgesteld", "kop-1", 3.0)
    stap = Stap(3, "COA links", "coa-adapter koppelen -> 200", "2026-01-15 09:00")
    stap.waarnemingen = [lezing, melding_, lezing]
    regels = toon_reis("Asielstatushouder", [stap])
    assert any("call: coa-adapter koppelen -> 200" in r for r in regels)
    [gelezen] = [r for r in regels if "read by" in r]
    assert "kop-4ec3cc33…" in gelezen and gelezen.endswith("geleverd ×2")
    # Notifications first, then reads.
    assert [r.split()[0] for r in regels if r.split()[:1] in (["notified"], ["read"])] == [
        "notified",
        "read",
    ]


def test_the_subscriber_keeps_the_envelope_and_only_ids_of_data() -> None:
    event = {
        "id": "e1",
        "type": "nl.inburgering.termijn.vastgesteld.v1",
        "subject": "trm-1",
        "partitionkey": "ibpg-1",
        "gemeentecode": "0363",
        "data": {"inburgeringsplichtId": "ibp-1", "bsn": "111222333", "versie": 2},
    }
    kept = melding(event, 1.0)
    assert kept["data"] == {"inburgeringsplichtId": "ibp-1", "versie": 2}
    assert "111222333" not in str(kept)
