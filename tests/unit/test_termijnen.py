"""Workdays per the Algemene termijnenwet: the library's Dutch calendar adjusted to art. 3,
counting workdays and extending a term per art. 1."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keten_core.termijnen import (
    feestdagen,
    is_feestdag,
    is_werkdag,
    plus_werkdagen,
    verleng_tot_werkdag,
    werkdagen_tussen,
)


def test_5_mei_2026_is_no_workday_although_the_general_calendar_only_has_it_every_fifth_year():
    bevrijdingsdag = date(2026, 5, 5)
    assert bevrijdingsdag.weekday() == 1  # a Tuesday
    # The raw library's public Dutch calendar differs: this test proves the adjustment.
    assert bevrijdingsdag not in holidays.country_holidays("NL", years=2026)
    assert not is_werkdag(bevrijdingsdag)
    assert feestdagen(2026)[bevrijdingsdag] == "Bevrijdingsdag"
    assert not is_werkdag(date(2027, 5, 5))  # and every year, not only lustrum years


def test_goede_vrijdag_is_on_a_par_with_the_feestdagen_by_art_3_lid_2():
    # "Voor de toepassing van deze wet wordt de Goede Vrijdag met de in het vorige lid
    # genoemde dagen gelijkgesteld."
    goede_vrijdag = date(2026, 4, 3)
    assert goede_vrijdag.weekday() == 4
    assert not is_werkdag(goede_vrijdag)
    assert is_werkdag(date(2026, 4, 2))  # Witte Donderdag is an ordinary workday


def test_koningsdag_is_the_day_the_birthday_is_celebrated_saturday_26_april_when_27_is_a_sunday():
    assert date(2025, 4, 27).weekday() == 6
    dagen_2025 = feestdagen(2025)
    assert dagen_2025[date(2025, 4, 26)] == "Koningsdag"
    assert date(2025, 4, 27) not in dagen_2025
    # On a weekday it is 27 April, and no workday.
    assert feestdagen(2026)[date(2026, 4, 27)] == "Koningsdag"
    assert not is_werkdag(date(2026, 4, 27))


def test_the_sundays_the_law_does_not_list_are_no_feestdagen_but_no_workdays_either():
    eerste_paasdag, eerste_pinksterdag = date(2026, 4, 5), date(2026, 5, 24)
    assert eerste_paasdag in holidays.country_holidays("NL", years=2026)
    assert not is_feestdag(eerste_paasdag)
    assert not is_feestdag(eerste_pinksterdag)
    assert not is_werkdag(eerste_paasdag)
    assert not is_werkdag(eerste_pinksterdag)


def test_the_year_table_2026_lists_exactly_the_atw_days():
    assert feestdagen(2026) == {
        date(2026, 1, 1): "Nieuwjaarsdag",
        date(2026, 4, 3): "Goede vrijdag",
        date(2026, 4, 6): "Tweede paasdag",
        date(2026, 4, 27): "Koningsdag",
        date(2026, 5, 5): "Bevrijdingsdag",
        date(2026, 5, 14): "Hemelvaartsdag",
        date(2026, 5, 25): "Tweede pinksterdag",
        date(2026, 12, 25): "Eerste kerstdag",
        date(2026, 12, 26): "Tweede kerstdag",
    }


def test_two_feestdagen_on_one_day_share_the_entry():
    assert feestdagen(2016)[date(2016, 5, 5)] == "Bevrijdingsdag; Hemelvaartsdag"


def test_ten_workdays_across_hemelvaartsdag_and_pinksteren_2026():
    event = date(2026, 5, 8)  # Friday
    # 11, 12, 13 | 14 Hemelvaartsdag | 15 | 18-22 | 23-24 weekend | 25 Tweede pinksterdag | 26
    assert plus_werkdagen(event, 10) == date(2026, 5, 26)
    assert werkdagen_tussen(event, date(2026, 5, 26)) == 10
    assert werkdagen_tussen(event, date(2026, 5, 25)) == 9


def test_the_ten_workday_rule_registered_later_than_the_tenth_workday_is_late():
    event = date(2026, 5, 8)
    tiende = plus_werkdagen(event, 10)
    assert werkdagen_tussen(event, tiende) == 10  # on the 10th workday: in time
    assert werkdagen_tussen(event, tiende + timedelta(days=1)) == 11  # the next: late
    # The event day itself never counts, whether or not it is a workday.
    assert werkdagen_tussen(event, event) == 0
    assert plus_werkdagen(date(2026, 5, 9), 1) == date(2026, 5, 11)  # from a Saturday
    assert plus_werkdagen(date(2026, 5, 8), 1) == date(2026, 5, 11)  # from a Friday


def test_counting_back_and_zero():
    assert plus_werkdagen(date(2026, 5, 26), -10) == date(2026, 5, 8)
    assert werkdagen_tussen(date(2026, 5, 26), date(2026, 5, 8)) == -10
    # Backwards too "van" is excluded and "tot" included: 1 Jan 2000 was a Saturday.
    assert plus_werkdagen(date(2000, 1, 1), -1) == date(1999, 12, 31)
    assert werkdagen_tussen(date(2000, 1, 1), date(1999, 12, 31)) == -1
    assert plus_werkdagen(date(2026, 5, 9), 0) == date(2026, 5, 9)


def test_art_1_a_term_ending_on_saturday_is_extended_to_monday():
    assert verleng_tot_werkdag(date(2026, 3, 7)) == date(2026, 3, 9)
    assert verleng_tot_werkdag(date(2026, 3, 8)) == date(2026, 3, 9)  # Sunday too
    assert verleng_tot_werkdag(date(2026, 3, 9)) == date(2026, 3, 9)  # a workday stays
    # Over a feestdag: Saturday before Pinksteren to Tuesday, Goede Vrijdag past Easter.
    assert verleng_tot_werkdag(date(2026, 5, 23)) == date(2026, 5, 26)
    assert verleng_tot_werkdag(date(2026, 4, 3)) == date(2026, 4, 7)
    assert verleng_tot_werkdag(date(2026, 12, 25)) == date(2026, 12, 28)


def test_outside_the_calendar_span_it_refuses_rather_than_guesses():
    with pytest.raises(ValueError, match="1966-2100"):
        is_werkdag(date(2101, 1, 3))
    with pytest.raises(ValueError):
        feestdagen(1964)


days = st.dates(min_value=date(1970, 1, 1), max_value=date(2090, 12, 31))


@given(days, st.integers(min_value=-400, max_value=400))
def test_plus_and_between_agree(dag: date, n: int):
    uitkomst = plus_werkdagen(dag, n)
    assert werkdagen_tussen(dag, uitkomst) == n
    if n:
        assert is_werkdag(uitkomst)


@given(days)
def test_a_workday_is_a_weekday_without_feestdag(dag: date):
    assert is_werkdag(dag) == (dag.weekday() < 5 and not is_feestdag(dag))
    verlengd = verleng_tot_werkdag(dag)
    assert is_werkdag(verlengd)
    assert all(not is_werkdag(dag + timedelta(days=i)) for i in range((verlengd - dag).days))
