"""cbs-leverancier's rules without servers: quarters and their cut-off, which registrations a
version of a quarter is built from, the record at the peildatum, its order, and retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from cbs_leverancier import domain
from cbs_leverancier.domain import Bronversie
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.swi.codelijsten import Cursusdeelname, Trajectstatus

BSN_A = "111222333"
BSN_B = "222333443"


def view(resource: str, **fields: Any) -> Any:
    model = view_model(resource, Rol.CBS, same_gemeente=True)
    assert model is not None
    return model.model_validate(fields)


_teller = iter(range(1, 10_000))


def versie(
    resource: str,
    resource_id: str,
    geregistreerd: datetime,
    *,
    dossier_id: str = "dos-a",
    ontvangen: datetime | None = None,
    **fields: Any,
) -> Bronversie:
    return Bronversie(
        volgnummer=next(_teller),
        resource=resource,
        resource_id=resource_id,
        dossier_id=dossier_id,
        geregistreerd_op=geregistreerd,
        ontvangen_op=ontvangen or geregistreerd,
        view=view(resource, **fields),
    )


def dossier(dossier_id: str, bsn: str, moment: datetime, **extra: Any) -> Bronversie:
    return versie(
        "dossier",
        dossier_id,
        moment,
        dossier_id=dossier_id,
        dossierId=dossier_id,
        gemeentecode=extra.pop("gemeentecode", "0363"),
        bsn=bsn,
        doelgroep="asielstatushouder",
        **extra,
    )


def waarschuwing(mid: str, datum: str, moment: datetime, **kw: Any) -> Bronversie:
    return versie(
        "handhavingsmaatregel",
        mid,
        moment,
        handhavingsmaatregelId=mid,
        dossierId=kw.pop("dossier_id", "dos-a"),
        soort="waarschuwing",
        datum=datum,
        reden="niet-verschenen-intake",
        **kw,
    )


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


# --- quarters ---------------------------------------------------------------------------------


def test_a_quarter_runs_from_its_first_day_to_its_peildatum():
    assert domain.kwartaal_van(date(2026, 3, 31)) == "2026-Q1"
    assert domain.kwartaal_van(date(2026, 4, 1)) == "2026-Q2"
    assert domain.kwartaal_van(date(2026, 12, 31)) == "2026-Q4"
    assert domain.kwartaal_begin("2026-Q3") == date(2026, 7, 1)
    assert domain.peildatum("2026-Q1") == date(2026, 3, 31)
    assert domain.peildatum("2026-Q4") == date(2026, 12, 31)
    with pytest.raises(ValueError, match="not a quarter"):
        domain.peildatum("2026-Q5")


def test_the_cut_off_is_midnight_in_the_netherlands_at_the_start_of_the_next_quarter():
    # 1 April is summer time (UTC+2): the cut-off is 31 March 22:00 UTC.
    assert domain.afsluitmoment("2026-Q1") == datetime(2026, 3, 31, 22, tzinfo=UTC)
    # 1 January is winter time (UTC+1).
    assert domain.afsluitmoment("2025-Q4") == datetime(2025, 12, 31, 23, tzinfo=UTC)
    cut = domain.afsluitmoment("2026-Q1")
    assert not domain.mag_bevriezen("2026-Q1", cut - timedelta(seconds=1))
    assert domain.mag_bevriezen("2026-Q1", cut)


def test_versions_count_up_from_one_and_never_reuse_a_number():
    assert domain.volgende_versie([]) == 1
    assert domain.volgende_versie([1]) == 2
    assert domain.volgende_versie([1, 3]) == 4  # not 3: a number is never given twice


def test_a_quarter_is_kept_five_years_from_its_first_day():
    assert domain.bewaren_tot("2026-Q2") == date(2031, 4, 1)


# --- which registrations a version uses -------------------------------------------------------


def gekozen(versies: list[Bronversie], *, moment: datetime, correctie: bool) -> set[int]:
    return {
        v.volgnummer
        for v in domain.kies_versies(versies, "2026-Q1", moment=moment, correctie=correctie)
    }


def test_version_1_is_what_was_registered_before_the_cut_off():
    d1 = dossier("dos-a", BSN_A, at("2026-02-01"))
    w1 = waarschuwing("hm-1", "2026-03-10", at("2026-03-10"))
    # Registered after the cut-off, about March: a late correction, not part of version 1.
    w2 = waarschuwing("hm-2", "2026-03-20", at("2026-04-10"))
    chosen = gekozen([d1, w1, w2], moment=at("2026-05-01"), correctie=False)
    assert chosen == {d1.volgnummer, w1.volgnummer}


def test_a_correction_takes_a_late_registration_of_a_fact_dated_in_the_quarter():
    d1 = dossier("dos-a", BSN_A, at("2026-02-01"))
    w2 = waarschuwing("hm-2", "2026-03-20", at("2026-04-10"))
    assert gekozen([d1, w2], moment=at("2026-05-01"), correctie=True) == {
        d1.volgnummer,
        w2.volgnummer,
    }


def test_a_correction_leaves_out_the_next_quarters_changes():
    d1 = dossier("dos-a", BSN_A, at("2026-02-01"))
    # Dated in Q2: the next quarter's fact.
    w3 = waarschuwing("hm-3", "2026-04-12", at("2026-04-12"))
    # A status without a date (MAP completed), registered after the cut-off: the next quarter.
    m1 = versie(
        "map",
        "map-1",
        at("2026-03-01"),
        mapId="map-1",
        dossierId="dos-a",
        startGerealiseerd="2026-02-15",
    )
    m2 = versie(
        "map",
        "map-1",
        at("2026-04-20"),
        mapId="map-1",
        dossierId="dos-a",
        startGerealiseerd="2026-02-15",
        afgerond=True,
    )
    chosen = gekozen([d1, w3, m1, m2], moment=at("2026-05-01"), correctie=True)
    assert chosen == {d1.volgnummer, m1.volgnummer}


def test_a_corrected_date_of_the_quarter_replaces_the_earlier_version():
    p1 = versie(
        "pip",
        "pip-1",
        at("2026-03-10"),
        pipId="pip-1",
        dossierId="dos-a",
        versie=1,
        vaststellingsdatum="2026-03-10",
        leerroute="b1-route",
    )
    p1b = versie(
        "pip",
        "pip-1",
        at("2026-04-03"),
        pipId="pip-1",
        dossierId="dos-a",
        versie=1,
        vaststellingsdatum="2026-03-03",
        leerroute="b1-route",
    )
    assert gekozen([p1, p1b], moment=at("2026-05-01"), correctie=False) == {p1.volgnummer}
    assert gekozen([p1, p1b], moment=at("2026-05-01"), correctie=True) == {p1b.volgnummer}


def test_only_what_was_received_before_the_freeze_counts_so_a_version_rebuilds():
    d1 = dossier("dos-a", BSN_A, at("2026-02-01"))
    # Registered in March but received only after the freeze of version 1.
    laat = waarschuwing("hm-9", "2026-03-30", at("2026-03-30"), ontvangen=at("2026-04-02"))
    freeze = at("2026-04-01", 8)
    assert gekozen([d1, laat], moment=freeze, correctie=False) == {d1.volgnummer}
    assert gekozen([d1, laat], moment=at("2026-04-03"), correctie=False) == {
        d1.volgnummer,
        laat.volgnummer,
    }


# --- the record at the peildatum --------------------------------------------------------------


def records(versies: list[Bronversie], gemeentecode: str = "0363") -> list[Any]:
    return domain.bouw_records(versies, gemeentecode=gemeentecode, kwartaal="2026-Q1")


def test_records_are_sorted_by_bsn_then_dossier_id_and_only_the_gemeentes_own():
    versies = [
        dossier("dos-z", BSN_A, at("2026-02-01")),
        dossier("dos-b", BSN_B, at("2026-02-01")),
        dossier("dos-u", "333444553", at("2026-02-01"), gemeentecode="0344"),
    ]
    assert [r.dossier_id for r in records(versies)] == ["dos-z", "dos-b"]
    assert [r.persoon.bsn for r in records(versies)] == [BSN_A, BSN_B]
    assert [r.dossier_id for r in records(versies, "0344")] == ["dos-u"]


def test_nothing_dated_after_the_peildatum_is_in_a_record():
    versies = [
        dossier("dos-a", BSN_A, at("2026-02-01"), vestigingsdatum="2026-04-02"),
        waarschuwing("hm-1", "2026-03-10", at("2026-03-10")),
        waarschuwing("hm-2", "2026-04-10", at("2026-03-10")),
        versie(
            "begeleiding",
            "beg-1",
            at("2026-01-05"),
            begeleidingId="beg-1",
            dossierId="dos-a",
            soort="maatschappelijke-begeleiding",
            startdatum="2026-01-05",
            einddatum="2026-06-30",
        ),
        versie(
            "pvt",
            "pvt-1",
            at("2026-03-01"),
            pvtId="pvt-1",
            dossierId="dos-a",
            startGerealiseerd="2026-04-15",
        ),
        versie(
            "opdracht",
            "op-1",
            at("2026-03-01"),
            opdrachtId="op-1",
            dossierId="dos-a",
            gemeentecode="0363",
            soort="b1-cursus",
            aanbiedersoort="taalaanbieder",
            aanbiederNaam="Taalschool Noord",
            status="gestart",
            gerealiseerdeStart="2026-04-06",
        ),
    ]
    [record] = records(versies)
    assert record.persoon.vestigingsdatum is None
    assert [w.datum for w in record.handhaving.waarschuwingen] == [date(2026, 3, 10)]
    assert record.begeleiding.maatschappelijke_begeleiding.einddatum is None  # still running
    assert record.pvt.status is Trajectstatus.GEPLAND and record.pvt.startdatum is None
    [cursus] = record.cursussen
    assert cursus.deelname is Cursusdeelname.AANGEMELD and cursus.startdatum is None
    assert all(d <= date(2026, 3, 31) for d in record.datums())


def test_the_pip_is_the_first_version_s_date_the_current_route_and_each_change():
    versies = [
        dossier("dos-a", BSN_A, at("2026-01-02")),
        versie(
            "pip",
            "pip-1",
            at("2026-01-10"),
            pipId="pip-1",
            dossierId="dos-a",
            versie=1,
            vaststellingsdatum="2026-01-10",
            leerroute="onderwijsroute",
        ),
        versie(
            "pip",
            "pip-2",
            at("2026-02-10"),
            pipId="pip-2",
            dossierId="dos-a",
            versie=2,
            vaststellingsdatum="2026-01-10",
            leerroute="b1-route",
            wijziging={
                "soort": "leerroute-gewisseld",
                "datum": "2026-02-10",
                "vorigeLeerroute": "onderwijsroute",
            },
        ),
    ]
    [record] = records(versies)
    assert record.pip.vaststellingsdatum == date(2026, 1, 10)
    assert record.pip.leerroute.name == "B1_ROUTE"
    assert [w.datum for w in record.pip.wijzigingen] == [date(2026, 2, 10)]


# --- who is in a quarter: the end of the plicht and the hand-over after a move ---------------


def _dossiers_in(versies: list[Bronversie], kwartaal: str, gemeentecode: str = "0363") -> list[str]:
    return [
        r.dossier_id
        for r in domain.bouw_records(versies, gemeentecode=gemeentecode, kwartaal=kwartaal)
    ]


@pytest.mark.parametrize(
    ("veld", "datum", "in_q1", "in_q2"),
    [
        # Ended within Q1: still in Q1 (the end is a fact of Q1), gone from Q2 on.
        ("eindePlicht", "2026-02-15", True, False),
        # Ended on Q2's first day: it had not ended at that day's start, so Q2 still has it.
        ("eindePlicht", "2026-04-01", True, True),
        # Ended on Q1's peildatum: in Q1, not in Q2.
        ("eindePlicht", "2026-03-31", True, False),
        # Ended before Q1: in neither.
        ("eindePlicht", "2025-12-31", False, False),
        # The same for the hand-over to the new gemeente after a move.
        ("overgedragenOp", "2026-02-15", True, False),
        ("overgedragenOp", "2026-04-01", True, True),
        ("overgedragenOp", "2025-11-30", False, False),
    ],
)
def test_a_dossier_is_in_a_quarter_until_its_plicht_ended_or_it_was_handed_over(
    veld: str, datum: str, in_q1: bool, in_q2: bool
):
    d = dossier("dos-a", BSN_A, at("2025-10-01"), **{veld: datum})
    assert domain.in_levering(d.view, gemeentecode="0363", kwartaal="2026-Q1") is in_q1
    assert domain.in_levering(d.view, gemeentecode="0363", kwartaal="2026-Q2") is in_q2
    assert _dossiers_in([d], "2026-Q1") == (["dos-a"] if in_q1 else [])
    assert _dossiers_in([d], "2026-Q2") == (["dos-a"] if in_q2 else [])
    # Still never another gemeente's.
    assert not domain.in_levering(d.view, gemeentecode="0344", kwartaal="2026-Q1")


def test_without_an_end_or_a_hand_over_a_dossier_stays_in_every_quarter():
    d = dossier("dos-a", BSN_A, at("2025-10-01"))
    for kwartaal in ("2026-Q1", "2026-Q4", "2031-Q2"):
        assert _dossiers_in([d], kwartaal) == ["dos-a"]


def test_after_a_move_the_old_gemeente_delivers_until_the_quarter_of_the_hand_over():
    # The old gemeente's dossier, handed over on 20 May; the new gemeente's own dossier of the
    # same person (another dossier id) opened from the package on 25 May.
    oud = dossier("dos-oud", BSN_A, at("2026-01-10"))
    oud_overgedragen = dossier("dos-oud", BSN_A, at("2026-05-20"), overgedragenOp="2026-05-20")
    nieuw = dossier("dos-nieuw", BSN_A, at("2026-05-25"), gemeentecode="0344")
    versies = [oud, oud_overgedragen, nieuw]

    def levering(kwartaal: str, gemeentecode: str) -> list[str]:
        moment = domain.afsluitmoment(kwartaal) + timedelta(hours=9)
        keuze = domain.kies_versies(versies, kwartaal, moment=moment, correctie=False)
        return _dossiers_in(keuze, kwartaal, gemeentecode)

    assert levering("2026-Q1", "0363") == ["dos-oud"] and levering("2026-Q1", "0344") == []
    # The quarter of the move: both (each gemeente had the person in that quarter).
    assert levering("2026-Q2", "0363") == ["dos-oud"]
    assert levering("2026-Q2", "0344") == ["dos-nieuw"]
    # From the next quarter on only the new gemeente.
    assert levering("2026-Q3", "0363") == []
    assert levering("2026-Q3", "0344") == ["dos-nieuw"]


def test_the_end_of_the_plicht_is_a_dated_fact_for_versions_and_corrections():
    d1 = dossier("dos-a", BSN_A, at("2025-10-01"))
    # The plicht ended on 20 March; dossier-bron registered it only on 10 April (after Q1's
    # cut-off): a late fact of Q1, the record stays in Q1 (it ended within Q1) ...
    d2 = dossier("dos-a", BSN_A, at("2026-04-10"), eindePlicht="2026-03-20")
    assert gekozen([d1, d2], moment=at("2026-05-01"), correctie=True) == {d2.volgnummer}
    assert gekozen([d1, d2], moment=at("2026-05-01"), correctie=False) == {d1.volgnummer}
    for correctie in (False, True):
        keuze = domain.kies_versies(
            [d1, d2], "2026-Q1", moment=at("2026-05-01"), correctie=correctie
        )
        assert _dossiers_in(keuze, "2026-Q1") == ["dos-a"]
    # ... and Q2's version 1 (built after Q2's cut-off) leaves it out.
    q2 = domain.kies_versies([d1, d2], "2026-Q2", moment=at("2026-07-01"), correctie=False)
    assert _dossiers_in(q2, "2026-Q2") == []
    # An end before the quarter registered late: Q1's version 1 could not know it; its
    # correction (the end dated before the peildatum) leaves the person out.
    d3 = dossier("dos-a", BSN_A, at("2026-04-10"), eindePlicht="2025-12-15")
    v1 = domain.kies_versies([d1, d3], "2026-Q1", moment=at("2026-04-01", 8), correctie=False)
    v2 = domain.kies_versies([d1, d3], "2026-Q1", moment=at("2026-05-01"), correctie=True)
    assert _dossiers_in(v1, "2026-Q1") == ["dos-a"]
    assert _dossiers_in(v2, "2026-Q1") == []
    # An end dated after Q1's peildatum is Q2's fact: no Q1 correction takes it.
    d4 = dossier("dos-a", BSN_A, at("2026-04-10"), eindePlicht="2026-04-05")
    assert gekozen([d1, d4], moment=at("2026-05-01"), correctie=True) == {d1.volgnummer}
