"""The pure rules of art. 9.9 Besluit inburgering in dossier-bron's retention job: when the
5 years are over, which dossier columns and history rows are 5-year data, which tables hang
on a dossier (and in which order they can be emptied)."""

from __future__ import annotations

from datetime import date

import pytest

from dossier_bron import bewaartermijnen as b
from dossier_bron import models  # noqa: F401  (the tables on Base.metadata)
from keten_contracts.classification import Bewaartermijn
from keten_core.db import Base

VIJFTIG = Bewaartermijn.VIJFTIG_JAAR
VIJF = Bewaartermijn.VIJF_JAAR_NA_EINDE_PLICHT


def test_five_years_after_the_end_of_the_plicht_or_the_death_whichever_comes_first():
    assert b.vervaldatum(date(2026, 6, 15)) == date(2031, 6, 15)
    assert b.vervaldatum(date(2026, 6, 15), overleden_op=date(2026, 1, 2)) == date(2031, 1, 2)
    assert b.vervaldatum(date(2026, 6, 15), overleden_op=date(2027, 1, 2)) == date(2031, 6, 15)
    # Never a day early: 29 February counts on to 1 March.
    assert b.vervaldatum(date(2028, 2, 29)) == date(2033, 3, 1)


def test_nothing_goes_before_the_five_years_are_over_or_while_the_plicht_runs():
    einde = date(2026, 6, 15)
    assert not b.vervallen(einde, date(2031, 6, 14))
    assert b.vervallen(einde, date(2031, 6, 15))
    assert not b.vervallen(None, date(2099, 1, 1))


def test_the_dossier_columns_take_their_class_from_the_contract():
    kolommen = [c.name for c in Base.metadata.tables["dossier"].columns]
    klassen = b.dossierkolommen(kolommen)
    # Art. 9.9 items a-e.
    for kolom in ("bsn", "voornamen", "geslachtsnaam", "geboortedatum", "adres"):
        assert klassen[kolom] is VIJFTIG, kolom
    for kolom in (
        "telefoon",
        "email",
        "doelgroep",
        "vestigingsdatum",
        "status",
        "recht_maatschappelijke_begeleiding",
    ):
        assert klassen[kolom] is VIJF, kolom
    for kolom in ("dossier_id", "gemeentecode", "koppeling_id", "inburgeringsplicht_id"):
        assert klassen[kolom] is Bewaartermijn.NVT, kolom


def test_a_dossier_column_nobody_classified_stops_the_job():
    with pytest.raises(LookupError):
        b.dossierkolommen(["geloofsovertuiging"])


def test_history_rows_of_five_year_fields_go_and_of_fifty_year_fields_stay():
    assert b.feit_vervalt("telefoon") and b.feit_vervalt("doelgroep")
    assert b.feit_vervalt("rechtMaatschappelijkeBegeleiding")
    assert not b.feit_vervalt("bsn") and not b.feit_vervalt("voornamen")
    assert not b.feit_vervalt("adres") and not b.feit_vervalt("geboortedatum")
    assert not b.feit_vervalt("koppelingId")  # an opaque id, no personal data


def test_every_table_that_hangs_on_a_dossier_is_emptied_children_first():
    tabellen = [t.name for t in b.te_wissen_tabellen(list(Base.metadata.sorted_tables))]
    for naam in ("intake", "pip_versie", "opdracht", "aanbieder_rapport", "overdracht"):
        assert naam in tabellen
    for naam in ("dossier", "dossier_feit", "bewaartermijn", "keten_verwerkingslog"):
        assert naam not in tabellen
    assert tabellen.index("aanbieder_rapport") < tabellen.index("opdracht")
    if "inburgeringsaanbod" in tabellen:  # rests on a PIP version
        assert tabellen.index("inburgeringsaanbod") < tabellen.index("pip_versie")
