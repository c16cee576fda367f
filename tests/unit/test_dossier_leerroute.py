"""The leerroute rules of the PIP (services/dossier_bron/leerroute.py), each against its seed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dossier_bron.leerroute import (
    Intensiteitseis,
    Weigeringsreden,
    beoordeel_afschaling,
    beoordeel_intensiteit,
    beoordeel_wissel,
    mag_afschalen,
    mag_wisselen,
    termijn_einde,
    termijn_start,
    vereiste_intensiteit,
)
from keten_contracts.common import Doelgroep, Leerroute, Taalniveau

B1 = Leerroute.B1
Z = Leerroute.Z_ROUTE
ONDERWIJS = Leerroute.ONDERWIJSROUTE
ASIEL = Doelgroep.ASIELSTATUSHOUDER

PIP = date(2025, 3, 10)
ANDERHALF_JAAR = date(2026, 9, 10)

# --- the PIP date starts the termijn (seed 002 3.4.3) ------------------------------------


def test_the_pip_date_starts_the_termijn_of_three_years() -> None:
    assert termijn_start(PIP) == PIP
    assert termijn_einde(PIP) == date(2028, 3, 10)
    assert termijn_einde(date(2024, 2, 29)) == date(2027, 2, 28)


# --- switch until 1.5 years; out of the onderwijsroute the whole termijn (seed 002 3.4.4) --


def test_a_switch_on_the_day_1_5_years_after_the_start_is_allowed() -> None:
    assert mag_wisselen(B1, Z, PIP, ANDERHALF_JAAR)
    assert mag_wisselen(Z, B1, PIP, PIP)


def test_a_switch_the_day_after_1_5_years_is_refused() -> None:
    besluit = beoordeel_wissel(B1, Z, PIP, ANDERHALF_JAAR + timedelta(days=1))
    assert besluit.weigeringsreden is Weigeringsreden.NA_WISSELTERMIJN
    assert not mag_wisselen(Z, B1, PIP, date(2027, 1, 1))


def test_out_of_the_onderwijsroute_a_late_switch_is_allowed_until_the_termijn_ends() -> None:
    assert mag_wisselen(ONDERWIJS, B1, PIP, date(2027, 12, 1))
    assert mag_wisselen(ONDERWIJS, B1, PIP, termijn_einde(PIP))
    te_laat = termijn_einde(PIP) + timedelta(days=1)
    assert beoordeel_wissel(ONDERWIJS, B1, PIP, te_laat).weigeringsreden is (
        Weigeringsreden.NA_EINDE_TERMIJN
    )


def test_an_extended_termijn_keeps_the_onderwijsroute_open_longer() -> None:
    verlengd = date(2028, 9, 10)
    assert mag_wisselen(ONDERWIJS, B1, PIP, date(2028, 6, 1), verlengd)
    assert not mag_wisselen(B1, Z, PIP, date(2028, 6, 1), verlengd)


def test_a_late_switch_into_the_onderwijsroute_is_refused() -> None:
    assert beoordeel_wissel(B1, ONDERWIJS, PIP, date(2027, 1, 1)).weigeringsreden is (
        Weigeringsreden.NA_WISSELTERMIJN
    )


def test_no_switch_to_the_same_route_or_before_the_termijn() -> None:
    assert beoordeel_wissel(B1, B1, PIP, PIP).weigeringsreden is Weigeringsreden.GEEN_WISSEL
    assert beoordeel_wissel(B1, Z, PIP, PIP - timedelta(days=1)).weigeringsreden is (
        Weigeringsreden.VOOR_START_TERMIJN
    )


# --- afschaling B1 -> A2 only after 600 hours (seed 002 3.4.4 and 4.4, seed 003 5.3.6.2) ---


@pytest.mark.parametrize(("uren", "mag"), [(0, False), (400, False), (599, False), (600, True)])
def test_afschaling_only_after_600_hours(uren: int, mag: bool) -> None:
    assert mag_afschalen(uren) is mag


def test_afschaling_after_400_hours_is_refused_with_its_reason() -> None:
    besluit = beoordeel_afschaling(Taalniveau.B1, Taalniveau.A2, 400)
    assert besluit.weigeringsreden is Weigeringsreden.TE_WEINIG_UREN
    assert beoordeel_afschaling(Taalniveau.B1, Taalniveau.A2, 600).toegestaan


def test_afschaling_is_only_b1_to_a2() -> None:
    assert beoordeel_afschaling(Taalniveau.A2, Taalniveau.A1, 900).weigeringsreden is (
        Weigeringsreden.ALLEEN_B1_NAAR_A2
    )
    assert beoordeel_afschaling(Taalniveau.B1, Taalniveau.A1, 900).weigeringsreden is (
        Weigeringsreden.ALLEEN_B1_NAAR_A2
    )
    with pytest.raises(ValueError, match="negative"):
        mag_afschalen(-1)


# --- intensiteit: B1 required, Z-route 800, onderwijsroute none; asiel only (seed 002 3.4.4,
# --- seed 001 taak 7 = contracts rule 14) ----------------------------------------------------


@pytest.mark.parametrize(
    ("leerroute", "eis"),
    [
        (B1, Intensiteitseis.VERPLICHT),
        (Z, Intensiteitseis.VAST),
        (ONDERWIJS, Intensiteitseis.NIET_VEREIST),
    ],
)
def test_the_intensity_per_leerroute_for_asielstatushouders(
    leerroute: Leerroute, eis: Intensiteitseis
) -> None:
    assert vereiste_intensiteit(leerroute, ASIEL) is eis


@pytest.mark.parametrize("doelgroep", [Doelgroep.GEZINSMIGRANT, Doelgroep.OVERIGE_MIGRANT])
@pytest.mark.parametrize("leerroute", list(Leerroute))
def test_no_intensity_for_other_target_groups(doelgroep: Doelgroep, leerroute: Leerroute) -> None:
    assert vereiste_intensiteit(leerroute, doelgroep) is Intensiteitseis.VERBODEN
    assert beoordeel_intensiteit(leerroute, doelgroep, None).toegestaan
    assert beoordeel_intensiteit(leerroute, doelgroep, 800).weigeringsreden is (
        Weigeringsreden.GEEN_INTENSITEIT_VOOR_DOELGROEP
    )


def test_b1_needs_hours_the_gemeente_chooses() -> None:
    assert beoordeel_intensiteit(B1, ASIEL, None).weigeringsreden is (
        Weigeringsreden.INTENSITEIT_VERPLICHT
    )
    assert beoordeel_intensiteit(B1, ASIEL, 0).weigeringsreden is (
        Weigeringsreden.INTENSITEIT_VERPLICHT
    )
    assert beoordeel_intensiteit(B1, ASIEL, 800).toegestaan
    assert beoordeel_intensiteit(B1, ASIEL, 2000).toegestaan


def test_the_z_route_is_800_hours() -> None:
    assert beoordeel_intensiteit(Z, ASIEL, 800).toegestaan
    for uren in (None, 799, 801):
        assert beoordeel_intensiteit(Z, ASIEL, uren).weigeringsreden is (
            Weigeringsreden.INTENSITEIT_NIET_800
        )


def test_the_onderwijsroute_needs_no_intensity() -> None:
    assert beoordeel_intensiteit(ONDERWIJS, ASIEL, None).toegestaan
    assert beoordeel_intensiteit(ONDERWIJS, ASIEL, 1000).toegestaan


def test_a_pip_version_is_dated_after_the_law_after_its_predecessor_and_not_far_ahead():
    from dossier_bron.leerroute import beoordeel_versiedatum

    vandaag = date(2026, 11, 30)
    assert beoordeel_versiedatum(date(2022, 1, 1), None, vandaag) is None
    assert beoordeel_versiedatum(date(2021, 12, 31), None, vandaag) == "voor-inwerkingtreding"
    assert beoordeel_versiedatum(date(736, 1, 6), date(2026, 1, 15), vandaag) == (
        "voor-inwerkingtreding"
    )
    assert beoordeel_versiedatum(date(2026, 1, 14), date(2026, 1, 15), vandaag) == (
        "voor-vorige-versie"
    )
    assert beoordeel_versiedatum(date(2026, 1, 15), date(2026, 1, 15), vandaag) is None
    assert beoordeel_versiedatum(date(2027, 11, 30), None, vandaag) is None
    assert beoordeel_versiedatum(date(2027, 12, 1), None, vandaag) == "te-ver-vooruit"
