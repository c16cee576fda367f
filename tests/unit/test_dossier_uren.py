"""The summing of reported hours (``dossier_bron.uren``): attended hours per period, absence
beside them, a correction superseding the report it names (counted once), and no two counting
reports over the same days."""

from __future__ import annotations

from datetime import date

import pytest

from dossier_bron.uren import Urenmelding, Urentelling, geldende, overlappende, per_opdracht, tel


def _m(
    rid: str,
    aanwezig: int,
    *,
    opdracht: str = "opd-1",
    maand: int = 3,
    corrigeert: str | None = None,
    geoorloofd: int = 0,
    ongeoorloofd: int = 0,
) -> Urenmelding:
    return Urenmelding(
        rapport_id=rid,
        opdracht_id=opdracht,
        periode_van=date(2026, maand, 1),
        periode_tot=date(2026, maand, 28),
        uren_aanwezig=aanwezig,
        uren_afwezig_geoorloofd=geoorloofd,
        uren_afwezig_ongeoorloofd=ongeoorloofd,
        corrigeert=corrigeert,
    )


def test_attended_hours_are_summed_and_absence_is_kept_beside_them():
    totaal = tel(
        [_m("r1", 40, geoorloofd=4, ongeoorloofd=2), _m("r2", 36, maand=4, ongeoorloofd=8)]
    )
    assert totaal == Urentelling(76, 4, 10, ("r1", "r2"))


def test_a_correction_supersedes_the_report_it_names_so_its_hours_count_once():
    meldingen = [_m("r1", 40), _m("r2", 30, maand=4), _m("r1b", 44, corrigeert="r1")]
    assert tel(meldingen) == Urentelling(74, 0, 0, ("r2", "r1b"))
    # A chain: the last correction counts, both earlier versions are kept but not counted.
    meldingen.append(_m("r1c", 20, corrigeert="r1b"))
    assert [m.rapport_id for m in geldende(meldingen)] == ["r2", "r1c"]
    assert tel(meldingen).aanwezig == 50


def test_per_opdracht_keeps_each_opdrachts_hours_apart():
    meldingen = [_m("a1", 40), _m("b1", 100, opdracht="opd-2"), _m("a1b", 42, corrigeert="a1")]
    totalen = per_opdracht(meldingen)
    assert totalen["opd-1"].aanwezig == 42 and totalen["opd-2"].aanwezig == 100
    assert sum((t for t in totalen.values()), Urentelling()).aanwezig == 142


def test_a_period_already_reported_overlaps_unless_it_is_the_one_corrected():
    meldingen = [_m("r1", 40), _m("r2", 30, maand=4)]
    assert overlappende(date(2026, 3, 15), date(2026, 4, 2), meldingen) == ["r1", "r2"]
    assert overlappende(date(2026, 3, 28), date(2026, 3, 28), meldingen) == ["r1"]
    assert overlappende(date(2026, 5, 1), date(2026, 5, 31), meldingen) == []
    assert overlappende(date(2026, 3, 1), date(2026, 3, 28), meldingen, behalve="r1") == []
    # A superseded report no longer blocks its period: its correction does.
    meldingen.append(_m("r1b", 44, corrigeert="r1"))
    assert overlappende(date(2026, 3, 1), date(2026, 3, 28), meldingen) == ["r1b"]


def test_a_report_is_well_formed():
    with pytest.raises(ValueError, match="before"):
        Urenmelding("r", "o", date(2026, 3, 2), date(2026, 3, 1), 1)
    with pytest.raises(ValueError, match="negative"):
        Urenmelding("r", "o", date(2026, 3, 1), date(2026, 3, 1), -1)


def test_hours_up_to_a_peildatum_count_the_periods_ended_by_then():
    meldingen = [_m("r1", 40), _m("r2", 30, maand=4), _m("r1b", 44, corrigeert="r1")]
    assert tel(meldingen, date(2026, 3, 28)) == Urentelling(44, 0, 0, ("r1b",))
    assert tel(meldingen, date(2026, 4, 27)).aanwezig == 44
    assert tel(meldingen, date(2026, 4, 28)).aanwezig == 74
    assert tel(meldingen, date(2026, 2, 28)) == Urentelling()


def test_hours_must_fit_in_the_clock_hours_of_their_period():
    from dossier_bron.uren import past_in_periode

    maart = (date(2026, 3, 1), date(2026, 3, 31))  # 31 days: 744 clock hours
    assert past_in_periode(*maart, 744, 40)
    assert not past_in_periode(*maart, 745, 40)
    assert not past_in_periode(*maart, 48, 9_000)
    assert past_in_periode(date(2026, 3, 1), date(2026, 3, 1), 24)
    assert not past_in_periode(date(2026, 3, 1), date(2026, 3, 1), 25)
