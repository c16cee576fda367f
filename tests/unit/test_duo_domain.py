"""DUO's rules (services/duo_adapter/domain.py), each against the source it comes from."""

from __future__ import annotations

from datetime import date

import pytest

from duo_adapter import domain
from keten_contracts.common import Doelgroep, Leerroute
from keten_contracts.resources.duo import (
    SIGNAALCODELIJST,
    Omvang,
    Ontheffingsomvang,
    Signaalklasse,
    Termijnsoort,
)

# --- the termijn: PIP date + 3 years (seed 002 section 3.4.3) ------------------------------


def test_the_termijn_ends_three_years_after_the_pip_date() -> None:
    assert domain.termijn_einde(date(2025, 7, 15)) == date(2028, 7, 15)


def test_a_pip_on_29_february_ends_on_28_february() -> None:
    assert domain.termijn_einde(date(2024, 2, 29)) == date(2027, 2, 28)


def test_map_and_pvt_deadlines_are_the_termijn_end_and_no_map_in_the_onderwijsroute() -> None:
    b1 = domain.termijnen_bij_pip(date(2025, 7, 15), Leerroute.B1)
    assert b1 == {
        Termijnsoort.INBURGERINGSPLICHT: date(2028, 7, 15),
        Termijnsoort.MAP: date(2028, 7, 15),
        Termijnsoort.PVT: date(2028, 7, 15),
    }
    onderwijs = domain.termijnen_bij_pip(date(2025, 7, 15), Leerroute.ONDERWIJSROUTE)
    assert Termijnsoort.MAP not in onderwijs and Termijnsoort.PVT in onderwijs


# --- a late offer (seed 002 sections 3.4.4 and 4.8) -----------------------------------------


def test_an_offer_on_the_last_day_of_the_three_months_is_in_time() -> None:
    assert not domain.te_laat_aanbod(date(2025, 7, 15), date(2025, 10, 15))
    assert domain.ambtshalve_verlenging(date(2025, 7, 15), date(2025, 10, 15)) is None


def test_a_later_offer_extends_the_termijn_by_the_delay() -> None:
    assert domain.te_laat_aanbod(date(2025, 7, 15), date(2025, 10, 16))
    verlenging = domain.ambtshalve_verlenging(date(2025, 7, 15), date(2025, 11, 14))
    assert verlenging is not None
    assert verlenging.uiterste_aanboddatum == date(2025, 10, 15)
    assert verlenging.vertraging_dagen == 30
    assert verlenging.nieuwe_einddatum == date(2028, 8, 14)


def test_only_asielstatushouders_are_owed_an_offer() -> None:
    assert domain.krijgt_aanbod(Doelgroep.ASIELSTATUSHOUDER)
    assert not domain.krijgt_aanbod(Doelgroep.GEZINSMIGRANT)
    assert not domain.krijgt_aanbod(Doelgroep.OVERIGE_MIGRANT)


def test_three_months_is_calendar_months_not_ninety_days() -> None:
    # 30 November + 3 months is 28 February (no 30 February): 1 March is late.
    assert not domain.te_laat_aanbod(date(2025, 11, 30), date(2026, 2, 28))
    assert domain.te_laat_aanbod(date(2025, 11, 30), date(2026, 3, 1))


# --- registration within 10 workdays (seed 002 section 4.4), Algemene termijnenwet ----------


def test_ten_workdays_skip_bevrijdingsdag_and_hemelvaartsdag_2026() -> None:
    pip = date(2026, 4, 30)  # a Thursday
    # Workdays after it: 1 May, 4 May, (5 May Bevrijdingsdag), 6-8, 11-13, (14 May
    # Hemelvaartsdag), 15, 18 May = the 10th. Counting weekends only, 14 May would be the 10th.
    assert not domain.te_laat_geregistreerd(pip, date(2026, 5, 15))
    assert not domain.te_laat_geregistreerd(pip, date(2026, 5, 18))
    assert domain.te_laat_geregistreerd(pip, date(2026, 5, 19))


def test_a_registration_on_the_day_or_before_the_event_is_in_time() -> None:
    assert not domain.te_laat_geregistreerd(date(2026, 3, 2), date(2026, 3, 2))
    assert not domain.te_laat_geregistreerd(date(2026, 3, 2), date(2026, 2, 20))


def test_a_late_registration_raises_its_own_informatief_signaal_about_that_resource() -> None:
    # Code list version 2: the data arrived (late); nothing is asked of the gemeente.
    soorten = (
        ("pip", "pip"),
        ("pip-wijziging", "pip"),
        ("inburgeringsaanbod", "inburgeringsaanbod"),
        ("map", "map"),
        ("pvt", "pvt"),
    )
    for soort, betreft in soorten:
        definitie = SIGNAALCODELIJST[domain.signaalcode_te_laat(soort)]
        assert definitie.klasse is Signaalklasse.INFORMATIEF
        assert definitie.betreft.value == betreft
        assert definitie.code.value.endswith("-te-laat-geregistreerd")


# --- the plicht needs a BSN (seed 002 section 3.2) ------------------------------------------


@pytest.mark.parametrize("bsn", [None, ""])
def test_no_plicht_without_a_bsn(bsn: str | None) -> None:
    with pytest.raises(domain.GeenBsn):
        domain.vereist_bsn(bsn)
    assert domain.vereist_bsn("111222333") == "111222333"


# --- vrijstelling, ontheffing, vestiging ------------------------------------------------------


def test_only_a_full_vrijstelling_or_ontheffing_ends_the_plicht() -> None:
    assert domain.beeindigt_plicht(Omvang.GEHEEL)
    assert domain.beeindigt_plicht(Ontheffingsomvang.GEHEEL)
    assert not domain.beeindigt_plicht(Omvang.GEDEELTELIJK)
    assert not domain.beeindigt_plicht(Ontheffingsomvang.AANGEPASTE_EXAMENOMSTANDIGHEDEN)


def test_duo_notifies_the_brp_registration_of_gezins_and_overige_migranten_only() -> None:
    assert domain.meldt_vestiging(Doelgroep.GEZINSMIGRANT)
    assert domain.meldt_vestiging(Doelgroep.OVERIGE_MIGRANT)
    assert not domain.meldt_vestiging(Doelgroep.ASIELSTATUSHOUDER)


def test_ids_are_opaque_and_prefixed() -> None:
    a, b = domain.nieuw_id("ibpg"), domain.nieuw_id("ibpg")
    assert a != b and a.startswith("ibpg-") and len(a) == 21
