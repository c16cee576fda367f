"""dossier-bron's pure rules for the deadline watch (``termijnbewaking``) and for begeleiding
and the doelgroep choice (``begeleiding``), each against its seed (quoted in the modules)."""

from __future__ import annotations

from datetime import date

import pytest

from dossier_bron.begeleiding import (
    beoordeel_doelgroepkeuze,
    beoordeel_start,
    beoordeel_voortgangsgesprek,
    rechten_asielstatushouder,
)
from dossier_bron.termijnbewaking import (
    aanbod_overschreden,
    pip_overschreden,
    registratie_overschreden,
    te_laat,
)
from keten_contracts.common import Doelgroep
from keten_contracts.resources.gemeente import Begeleidingsoort, BewaakteTermijn

ASIEL = Doelgroep.ASIELSTATUSHOUDER
GEZIN = Doelgroep.GEZINSMIGRANT

# Monday 5 January 2026 + 10 weeks = Monday 16 March 2026.
BRP = date(2026, 1, 5)
PIP_UITERST = date(2026, 3, 16)


# --- PIP within 10 weeks of the BRP registration ---------------------------------------------


def test_a_pip_on_the_last_day_of_the_10_weeks_is_on_time():
    assert pip_overschreden(BRP, PIP_UITERST, date(2026, 6, 1)) is None


def test_a_pip_a_day_after_the_10_weeks_is_overdue():
    found = pip_overschreden(BRP, date(2026, 3, 17), date(2026, 6, 1))
    assert found is not None
    assert found.termijn is BewaakteTermijn.PIP_NA_BRP_INSCHRIJVING
    assert (found.referentiedatum, found.uiterste_datum) == (BRP, PIP_UITERST)


def test_no_pip_is_overdue_only_after_the_last_day():
    assert pip_overschreden(BRP, None, PIP_UITERST) is None
    assert pip_overschreden(BRP, None, date(2026, 3, 17)) is not None


def test_no_brp_registration_runs_no_pip_term():
    assert pip_overschreden(None, None, date(2030, 1, 1)) is None


def test_ten_weeks_ending_on_a_saturday_run_to_monday():
    # Art. 1 lid 1 Atw: Saturday 3 Jan + 10 weeks = Saturday 14 March -> Monday 16 March.
    found = pip_overschreden(date(2026, 1, 3), None, date(2026, 3, 17))
    assert found is not None and found.uiterste_datum == date(2026, 3, 16)
    assert pip_overschreden(date(2026, 1, 3), None, date(2026, 3, 16)) is None


# --- inburgeringsaanbod within 3 months of the PIP -------------------------------------------


def test_an_offer_on_the_last_day_of_the_3_months_is_on_time():
    # 16 March + 3 months = Tuesday 16 June 2026.
    assert aanbod_overschreden(ASIEL, PIP_UITERST, date(2026, 6, 16), date(2026, 9, 1)) is None


def test_an_offer_after_3_months_or_none_past_them_is_overdue():
    late = aanbod_overschreden(ASIEL, PIP_UITERST, date(2026, 6, 17), date(2026, 9, 1))
    assert late is not None and late.termijn is BewaakteTermijn.INBURGERINGSAANBOD_NA_PIP
    assert late.uiterste_datum == date(2026, 6, 16)
    assert aanbod_overschreden(ASIEL, PIP_UITERST, None, date(2026, 6, 16)) is None
    assert aanbod_overschreden(ASIEL, PIP_UITERST, None, date(2026, 6, 17)) is not None


def test_a_gezinsmigrant_gets_no_offer_so_no_deadline():
    assert aanbod_overschreden(GEZIN, PIP_UITERST, None, date(2030, 1, 1)) is None
    assert aanbod_overschreden(ASIEL, None, None, date(2030, 1, 1)) is None


# --- registration within 10 workdays ---------------------------------------------------------


def test_registration_on_the_10th_workday_is_on_time_the_11th_late():
    # Monday 16 March + 10 workdays = Monday 30 March 2026.
    assert registratie_overschreden(PIP_UITERST, date(2026, 3, 30)) is None
    late = registratie_overschreden(PIP_UITERST, date(2026, 3, 31))
    assert late is not None and late.termijn is BewaakteTermijn.PIP_REGISTRATIE
    assert late.uiterste_datum == date(2026, 3, 30)


def test_registration_counts_workdays_not_easter():
    # Friday 27 March 2026: Goede Vrijdag (3 April) and Tweede Paasdag (6 April) do not
    # count (art. 3 Atw), so the 10th workday is Tuesday 14 April.
    assert registratie_overschreden(date(2026, 3, 27), date(2026, 4, 14)) is None
    assert registratie_overschreden(date(2026, 3, 27), date(2026, 4, 15)) is not None


def test_te_laat():
    assert not te_laat(date(2026, 1, 10), date(2026, 1, 10), date(2027, 1, 1))
    assert te_laat(date(2026, 1, 10), date(2026, 1, 11), date(2026, 1, 11))
    assert not te_laat(date(2026, 1, 10), None, date(2026, 1, 10))
    assert te_laat(date(2026, 1, 10), None, date(2026, 1, 11))


# --- begeleiding -----------------------------------------------------------------------------

VESTIGING = date(2026, 1, 5)


def _start(soort: Begeleidingsoort, **kw: object) -> str | None:
    values: dict[str, object] = {
        "doelgroep": ASIEL,
        "afgezien": False,
        "recht_maatschappelijke_begeleiding": True,
        "vestigingsdatum": VESTIGING,
        "startdatum": date(2026, 2, 1),
        "bijstand": True,
    }
    values.update(kw)
    return beoordeel_start(soort, **values)  # type: ignore[arg-type]


MB = Begeleidingsoort.MAATSCHAPPELIJKE_BEGELEIDING
ONTZORGEN = Begeleidingsoort.FINANCIEEL_ONTZORGEN
STIMULEREN = Begeleidingsoort.STIMULEREN_FINANCIELE_ZELFREDZAAMHEID


@pytest.mark.parametrize("recht", [False, None])
def test_maatschappelijke_begeleiding_needs_duos_right(recht: bool | None):
    assert _start(MB, recht_maatschappelijke_begeleiding=recht) == (
        "geen-recht-maatschappelijke-begeleiding"
    )
    assert _start(MB) is None


def test_ontzorgen_only_in_the_first_6_months_after_settling():
    assert _start(ONTZORGEN, startdatum=VESTIGING) is None
    assert _start(ONTZORGEN, startdatum=date(2026, 7, 4)) is None
    assert _start(ONTZORGEN, startdatum=date(2026, 7, 5)) == "ontzorgen-buiten-eerste-zes-maanden"
    assert _start(ONTZORGEN, startdatum=date(2026, 1, 4)) == "ontzorgen-buiten-eerste-zes-maanden"
    assert _start(ONTZORGEN, vestigingsdatum=None) == "ontzorgen-nog-niet-gevestigd"


def test_ontzorgen_only_for_asielstatushouders_on_bijstand():
    assert _start(ONTZORGEN, doelgroep=GEZIN) == "ontzorgen-alleen-asielstatushouder"
    assert _start(ONTZORGEN, afgezien=True) == "ontzorgen-alleen-asielstatushouder"
    assert _start(ONTZORGEN, bijstand=False) == "ontzorgen-alleen-bij-bijstand"
    assert _start(ONTZORGEN, bijstand=None) == "ontzorgen-alleen-bij-bijstand"


def test_stimuleren_is_its_own_period_without_the_ontzorgen_conditions():
    assert _start(STIMULEREN, doelgroep=GEZIN, bijstand=None, vestigingsdatum=None) is None


def test_voortgangsgesprekken_for_gezins_and_overige_migranten():
    assert beoordeel_voortgangsgesprek(GEZIN, False) is None
    assert beoordeel_voortgangsgesprek(Doelgroep.OVERIGE_MIGRANT, False) is None
    assert beoordeel_voortgangsgesprek(ASIEL, True) is None  # opted out of the asiel rights
    assert beoordeel_voortgangsgesprek(ASIEL, False) is not None


def test_the_doelgroep_choice_is_an_asielstatushouders_and_once():
    assert beoordeel_doelgroepkeuze(ASIEL, False) is None
    assert beoordeel_doelgroepkeuze(ASIEL, True) == "doelgroepkeuze-al-gemaakt"
    assert beoordeel_doelgroepkeuze(GEZIN, False) == "doelgroepkeuze-alleen-asielstatushouder"
    assert rechten_asielstatushouder(ASIEL, False)
    assert not rechten_asielstatushouder(ASIEL, True)
    assert not rechten_asielstatushouder(GEZIN, False)
