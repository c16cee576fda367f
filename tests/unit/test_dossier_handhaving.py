"""The gemeente's enforcement rules (services/dossier_bron/handhaving.py), each against its seed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier_bron.handhaving import (
    BoeteVoorstel,
    Maatregel,
    ParticipatiewetSanctie,
    Weigeringsreden,
    beoordeel_boete,
    beoordeel_intakeboete,
    intake_zonder_medewerking,
    intakeboete_mogelijk,
    is_intakereden,
    opbouw_rang,
    participatiewet_sanctie,
)
from keten_contracts.resources.gemeente import (
    Handhavingsmaatregel,
    Maatregelreden,
    Maatregelsoort,
)

PIP = date(2025, 1, 15)
EINDE = date(2028, 1, 15)
PIP_REDEN = Maatregelreden.PIP_AFSPRAKEN_NIET_NAGEKOMEN
_INTAKE = Maatregelreden.NIET_VERSCHENEN_INTAKE


def voorstel(
    datum: date,
    euro: int,
    *,
    verwijtbaar: bool = True,
    participatiewet: str | None = None,
    reden: Maatregelreden = PIP_REDEN,
) -> BoeteVoorstel:
    return BoeteVoorstel(datum, reden, euro * 100, verwijtbaar, participatiewet)


def boete(datum: date, euro: int, reden: Maatregelreden = PIP_REDEN) -> Maatregel:
    return Maatregel(datum, Maatregelsoort.BOETE, reden, euro * 100)


def waarschuwing(datum: date, reden: Maatregelreden = PIP_REDEN) -> Maatregel:
    return Maatregel(datum, Maatregelsoort.WAARSCHUWING, reden)


def beoordeel(voorgaande: list[Maatregel], nieuw: BoeteVoorstel, **kwargs):
    return beoordeel_boete(voorgaande, nieuw, termijn_start=PIP, termijn_einde=EINDE, **kwargs)


# --- the caps: EUR 800 per offence, EUR 2,400 per termijn on the SUM (seed 004 3.2.6) ------


def test_700_700_700_accepted_then_the_sum_is_capped_at_2400() -> None:
    """The issue's acceptance sequence. 2,100 + 300 is exactly the seed's 2,400 ("Het maximale
    boetebedrag [...] is € 2.400"), so 300 is allowed; 400 is what crosses the cap."""
    voorgaande: list[Maatregel] = []
    for maand in (2, 4, 6):
        besluit = beoordeel(voorgaande, voorstel(date(2025, maand, 1), 700))
        assert besluit.toegestaan
        voorgaande.append(boete(date(2025, maand, 1), 700))

    te_veel = beoordeel(voorgaande, voorstel(date(2025, 8, 1), 400))
    assert te_veel.weigeringsreden is Weigeringsreden.BOVEN_MAXIMUM_PER_TERMIJN
    assert te_veel.maximum_in_centen == 300_00
    assert beoordeel(voorgaande, voorstel(date(2025, 8, 1), 200)).toegestaan
    assert beoordeel(voorgaande, voorstel(date(2025, 8, 1), 300)).toegestaan

    voorgaande.append(boete(date(2025, 8, 1), 300))
    een_cent = BoeteVoorstel(date(2025, 9, 1), PIP_REDEN, 1, True)
    assert beoordeel(voorgaande, een_cent).weigeringsreden is (
        Weigeringsreden.BOVEN_MAXIMUM_PER_TERMIJN
    )


def test_800_per_offence_is_allowed_and_one_cent_more_is_not() -> None:
    assert beoordeel([], voorstel(date(2025, 3, 1), 800)).toegestaan
    # Literal amounts: the test must not follow a changed constant.
    meer = BoeteVoorstel(date(2025, 3, 1), PIP_REDEN, 800_01, True)
    assert beoordeel([], meer).weigeringsreden is Weigeringsreden.BOVEN_MAXIMUM_PER_OVERTREDING


def test_only_fines_inside_this_termijn_count_towards_the_cap() -> None:
    # Fines of an earlier termijn (or intake fines before the PIP) do not use up this one;
    # warnings carry no amount.
    voorgaande = [
        boete(date(2024, 6, 1), 800),
        boete(date(2024, 7, 1), 800),
        boete(date(2024, 8, 1), 800),
        waarschuwing(date(2025, 2, 1)),
    ]
    assert beoordeel(voorgaande, voorstel(date(2025, 3, 1), 800)).toegestaan


def test_a_fine_outside_the_termijn_is_refused() -> None:
    assert beoordeel([], voorstel(PIP - timedelta(days=1), 100)).weigeringsreden is (
        Weigeringsreden.BUITEN_TERMIJN
    )
    assert beoordeel([], voorstel(PIP, 100)).toegestaan
    assert beoordeel([], voorstel(EINDE, 100)).toegestaan
    assert beoordeel([], voorstel(EINDE + timedelta(days=1), 100)).weigeringsreden is (
        Weigeringsreden.BUITEN_TERMIJN
    )


def test_a_fine_of_nothing_is_refused() -> None:
    assert beoordeel([], voorstel(date(2025, 3, 1), 0)).weigeringsreden is (
        Weigeringsreden.BEDRAG_ONGELDIG
    )


# --- no fine without culpability (seed 002 4.7, Awb 5:41) --------------------------------


def test_no_fine_without_culpability() -> None:
    besluit = beoordeel([], voorstel(date(2025, 3, 1), 100, verwijtbaar=False))
    assert besluit.weigeringsreden is Weigeringsreden.GEEN_VERWIJTBAARHEID
    assert besluit.maximum_in_centen == 0
    intake = voorstel(date(2024, 12, 1), 250, verwijtbaar=False, reden=_INTAKE)
    assert beoordeel_intakeboete(intake, 2).weigeringsreden is (
        Weigeringsreden.GEEN_VERWIJTBAARHEID
    )


# --- no fine where the Participatiewet sanctioned the same conduct (seed 002 4.2, 003 5.4) -


def test_no_fine_for_conduct_the_participatiewet_already_sanctioned() -> None:
    besluit = beoordeel([], voorstel(date(2025, 3, 1), 100, participatiewet="pw-1"))
    assert besluit.weigeringsreden is Weigeringsreden.AL_GESANCTIONEERD_PARTICIPATIEWET
    intake = voorstel(date(2024, 12, 1), 250, participatiewet="pw-1", reden=_INTAKE)
    assert beoordeel_intakeboete(intake, 2).weigeringsreden is (
        Weigeringsreden.AL_GESANCTIONEERD_PARTICIPATIEWET
    )


def test_a_recorded_warning_with_the_marker_converts_from_the_contract() -> None:
    maatregel = Handhavingsmaatregel(
        handhavingsmaatregel_id="hhm-1",
        dossier_id="dos-1",
        soort=Maatregelsoort.WAARSCHUWING,
        datum=date(2025, 3, 1),
        reden=PIP_REDEN,
        verwijtbaar=True,
        participatiewet_maatregel_id="pw-1",
    )
    assert Maatregel.uit_contract(maatregel) == Maatregel(
        date(2025, 3, 1), Maatregelsoort.WAARSCHUWING, PIP_REDEN, None, True, "pw-1"
    )


# --- the opbouw restarts after 12 months without offence (seed 002 4.7, seed 003 5.4) -----


def test_offences_build_up_in_a_series() -> None:
    voorgaande = [waarschuwing(date(2025, 2, 1)), boete(date(2025, 5, 1), 100)]
    assert opbouw_rang([], date(2025, 2, 1)) == 1
    assert opbouw_rang(voorgaande, date(2025, 9, 1)) == 3


def test_12_months_minus_a_day_continues_the_opbouw() -> None:
    voorgaande = [boete(date(2025, 2, 1), 100), boete(date(2025, 3, 1), 100)]
    assert opbouw_rang(voorgaande, date(2026, 2, 28)) == 3


def test_exactly_12_months_restarts_the_opbouw() -> None:
    voorgaande = [boete(date(2025, 2, 1), 100), boete(date(2025, 3, 1), 100)]
    assert opbouw_rang(voorgaande, date(2026, 3, 1)) == 1
    assert opbouw_rang(voorgaande, date(2026, 9, 1)) == 1


def test_a_restart_in_the_past_counts_from_the_new_series() -> None:
    voorgaande = [
        boete(date(2025, 2, 1), 100),
        boete(date(2025, 3, 1), 100),
        boete(date(2026, 4, 1), 100),  # 13 months later: a new series starts here
    ]
    assert opbouw_rang(voorgaande, date(2026, 6, 1)) == 2


def test_intake_offences_are_not_part_of_the_pip_opbouw() -> None:
    voorgaande = [boete(date(2024, 12, 1), 250, _INTAKE), waarschuwing(date(2024, 11, 1), _INTAKE)]
    assert opbouw_rang(voorgaande, date(2025, 3, 1)) == 1


def test_the_staffel_follows_the_opbouw_and_restarts_with_it() -> None:
    # Illustrative staffel (the seeds give none): EUR 200, 500, then 800.
    staffel = [200_00, 500_00, 800_00]
    voorgaande = [boete(date(2025, 2, 1), 200), boete(date(2025, 4, 1), 500)]

    derde = beoordeel(voorgaande, voorstel(date(2025, 6, 1), 800), staffel=staffel)
    assert derde.toegestaan
    assert derde.rang == 3

    na_een_jaar = beoordeel(voorgaande, voorstel(date(2026, 4, 1), 500), staffel=staffel)
    assert na_een_jaar.rang == 1
    assert na_een_jaar.weigeringsreden is Weigeringsreden.BOVEN_MAXIMUM_VOOR_OPBOUW
    assert na_een_jaar.maximum_in_centen == 200_00

    net_niet = beoordeel(voorgaande, voorstel(date(2026, 3, 31), 500), staffel=staffel)
    assert net_niet.rang == 3
    assert net_niet.toegestaan


def test_a_staffel_never_lifts_a_fine_above_800() -> None:
    besluit = beoordeel([], voorstel(date(2025, 3, 1), 900), staffel=[1_000_00])
    assert besluit.weigeringsreden is Weigeringsreden.BOVEN_MAXIMUM_PER_OVERTREDING
    assert besluit.maximum_in_centen == 800_00


# --- the brede intake: 3 invitations, EUR 250 from the second miss (seeds 001, 002, 004) ---


@pytest.mark.parametrize(("gemist", "zonder"), [(0, False), (2, False), (3, True), (4, True)])
def test_after_3_missed_invitations_the_intake_is_completed_without_the_person(
    gemist: int, zonder: bool
) -> None:
    assert intake_zonder_medewerking(gemist) is zonder


def test_a_first_missed_invitation_gets_a_warning_not_a_fine() -> None:
    assert not intakeboete_mogelijk(1)
    assert intakeboete_mogelijk(2)
    intake = voorstel(date(2024, 12, 1), 250, reden=_INTAKE)
    assert beoordeel_intakeboete(intake, 1).weigeringsreden is (
        Weigeringsreden.NOG_GEEN_TWEEDE_OPROEP_GEMIST
    )
    assert beoordeel_intakeboete(intake, 2).toegestaan
    assert beoordeel_intakeboete(intake, 3).toegestaan


def test_the_intake_fine_is_at_most_250() -> None:
    assert beoordeel_intakeboete(voorstel(date(2024, 12, 1), 250, reden=_INTAKE), 2).toegestaan
    meer = BoeteVoorstel(date(2024, 12, 1), _INTAKE, 250_01, True)
    besluit = beoordeel_intakeboete(meer, 2)
    assert besluit.weigeringsreden is Weigeringsreden.BOVEN_MAXIMUM_PER_OVERTREDING
    assert besluit.maximum_in_centen == 250_00


def test_each_fine_goes_through_its_own_rule() -> None:
    with pytest.raises(ValueError, match="intake offence"):
        beoordeel([], voorstel(date(2025, 3, 1), 250, reden=_INTAKE))
    with pytest.raises(ValueError, match="no intake offence"):
        beoordeel_intakeboete(voorstel(date(2025, 3, 1), 250), 2)


# --- property: whatever is proposed, the accepted fines respect both caps ------------------
# (literal amounts, from seed 004 section 3.2.6: the property must not follow a changed constant)

_voorstellen = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=EINDE.toordinal() - PIP.toordinal()),
        # The boundaries often, so a few proposals already press against both caps.
        st.one_of(
            st.sampled_from([0, 1, 300_00, 700_00, 799_99, 800_00, 800_01]),
            st.integers(min_value=-100, max_value=2_000_00),
        ),
        st.booleans(),
        st.sampled_from(
            [
                Maatregelreden.PIP_AFSPRAKEN_NIET_NAGEKOMEN,
                Maatregelreden.MAP_NIET_MEEWERKEN,
                Maatregelreden.PVT_NIET_MEEWERKEN,
            ]
        ),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(
    _voorstellen,
    st.one_of(
        st.none(),
        st.lists(
            st.one_of(st.sampled_from([800_00, 1_200_00]), st.integers(0, 1_200_00)),
            min_size=1,
            max_size=4,
        ),
    ),
)
def test_accepted_fines_never_exceed_800_each_or_2400_per_termijn(
    reeks: list[tuple[int, int, bool, Maatregelreden]], staffel: list[int] | None
) -> None:
    aanvaard: list[Maatregel] = []
    for dag, centen, verwijtbaar, reden in sorted(reeks):
        datum = PIP + timedelta(days=dag)
        nieuw = BoeteVoorstel(datum, reden, centen, verwijtbaar)
        besluit = beoordeel(aanvaard, nieuw, staffel=staffel)
        if besluit.toegestaan:
            aanvaard.append(Maatregel(datum, Maatregelsoort.BOETE, reden, centen, verwijtbaar))
        assert besluit.maximum_in_centen <= 800_00
    assert all(0 < m.bedrag_in_centen <= 800_00 for m in aanvaard)
    assert all(m.verwijtbaar for m in aanvaard)
    assert sum(m.bedrag_in_centen for m in aanvaard) <= 2_400_00


# --- one intake fine per missed invitation from the second (seed 002 section 4.7) ----------


def test_each_missed_invitation_from_the_second_is_fined_once() -> None:
    """Seed 001 taak 3: the first miss earns a warning, each later miss a fine; seed 002
    section 4.7: "iemand [kan] niet twee keer voor eenzelfde feit beboet worden"."""
    intake = voorstel(date(2024, 12, 1), 250, reden=_INTAKE)
    assert beoordeel_intakeboete(intake, 2, 0).toegestaan
    assert beoordeel_intakeboete(intake, 2, 1).weigeringsreden is (
        Weigeringsreden.GEMISTE_OPROEPEN_AL_BEBOET
    )
    assert beoordeel_intakeboete(intake, 3, 1).toegestaan
    assert beoordeel_intakeboete(intake, 3, 2).weigeringsreden is (
        Weigeringsreden.GEMISTE_OPROEPEN_AL_BEBOET
    )
    with pytest.raises(ValueError):
        beoordeel_intakeboete(intake, 3, -1)


# --- the Participatiewet measure for the same conduct (seed 002 section 4.2) ---------------


def _pw(
    besluitdatum: date, gedraging: Maatregelreden = Maatregelreden.MAP_NIET_MEEWERKEN
) -> ParticipatiewetSanctie:
    return ParticipatiewetSanctie("pwm-1", gedraging, besluitdatum)


def test_a_participatiewet_measure_for_the_same_conduct_stops_the_fine() -> None:
    datum = date(2026, 6, 1)
    reden = Maatregelreden.MAP_NIET_MEEWERKEN
    assert participatiewet_sanctie([_pw(date(2026, 5, 1))], reden, datum) == "pwm-1"
    # Decided after the conduct: the benefit was still lowered for it.
    assert participatiewet_sanctie([_pw(date(2026, 7, 1))], reden, datum) == "pwm-1"
    # Less than 12 months before: the same series.
    assert participatiewet_sanctie([_pw(date(2025, 6, 2))], reden, datum) == "pwm-1"


def test_other_conduct_or_a_measure_12_months_back_does_not_stop_the_fine() -> None:
    datum = date(2026, 6, 1)
    assert (
        participatiewet_sanctie([_pw(date(2026, 5, 1))], Maatregelreden.PVT_NIET_MEEWERKEN, datum)
        is None
    )
    # "12 maanden of langer" apart is a new series (seed 002 section 4.7).
    assert (
        participatiewet_sanctie([_pw(date(2025, 6, 1))], Maatregelreden.MAP_NIET_MEEWERKEN, datum)
        is None
    )
    assert participatiewet_sanctie([], Maatregelreden.MAP_NIET_MEEWERKEN, datum) is None


def test_the_found_measure_refuses_the_fine_through_the_common_rule() -> None:
    pw_id = participatiewet_sanctie(
        [_pw(date(2026, 5, 1))], Maatregelreden.MAP_NIET_MEEWERKEN, date(2026, 6, 1)
    )
    nieuw = voorstel(
        date(2026, 6, 1), 100, reden=Maatregelreden.MAP_NIET_MEEWERKEN, participatiewet=pw_id
    )
    besluit = beoordeel_boete(
        [], nieuw, termijn_start=date(2026, 1, 15), termijn_einde=date(2029, 1, 15)
    )
    assert besluit.weigeringsreden is Weigeringsreden.AL_GESANCTIONEERD_PARTICIPATIEWET


def test_intake_reasons_are_told_apart() -> None:
    assert is_intakereden(Maatregelreden.NIET_VERSCHENEN_INTAKE)
    assert is_intakereden(Maatregelreden.NIET_MEEWERKEN_INTAKE)
    assert not is_intakereden(Maatregelreden.MAP_NIET_MEEWERKEN)
    assert not is_intakereden(PIP_REDEN)
