"""dossier-bron's opdracht and report shapes without I/O: an opdracht's BSN comes from the
dossier only for the language part of a leerroute (seed 001: "Voor alle andere taken mogen de
aanbieders bij de uitvoering hun taken niet het BSN gebruiken"), and a report body never
carries the fields the source sets from the opdracht (the aanbieder cannot steer routing)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from dossier_bron.models import DossierRij, OpdrachtRij
from dossier_bron.opdrachten import RAPPORTSOORTEN, _indiening, als_opdracht
from keten_contracts.parties import OPDRACHTTAKEN, bsn_past_bij_taak

BSN = "111222333"


def _dossier() -> DossierRij:
    nu = datetime(2026, 1, 1, tzinfo=UTC)
    return DossierRij(
        dossier_id="dos-1",
        gemeentecode="0363",
        bsn=BSN,
        doelgroep="asielstatushouder",
        status="open",
        voornamen="Amal",
        geslachtsnaam="Haddad",
        geboortedatum=date(1994, 5, 17),
        adres={"straat": "Dam", "huisnummer": "1", "postcode": "1012JS", "woonplaats": "A"},
        geopend_op=nu,
        gewijzigd_op=nu,
    )


@pytest.mark.parametrize(
    ("soort", "kind"),
    [(s, sorted(t.uitvoerders)[0]) for s, t in OPDRACHTTAKEN.items()],
)
def test_an_opdracht_carries_the_bsn_only_for_the_language_part(soort: str, kind: str):
    opdracht = OpdrachtRij(
        opdracht_id="opd-1",
        dossier_id="dos-1",
        soort=soort,
        aanbiedersoort=str(kind),
        aanbieder_oin="00000003273280410000",
        status="verstrekt",
        gegevens={"aanbiederNaam": "X", "beoogdeStart": "2026-02-01", "pipVersie": 1},
    )
    contract = als_opdracht(opdracht, _dossier())
    assert (contract.bsn == BSN) is bsn_past_bij_taak(kind, soort)
    if soort in ("map", "pvt", "maatschappelijke-begeleiding", "leerbaarheidstoets"):
        assert contract.bsn is None


@pytest.mark.parametrize("resource", sorted(RAPPORTSOORTEN))
def test_a_report_body_holds_no_routing_field(resource: str):
    body = _indiening(resource, RAPPORTSOORTEN[resource])
    fields = set(body.model_fields)
    assert not fields & {
        "rapport_id",
        "versie",
        "opdracht_id",
        "dossier_id",
        "gemeentecode",
        "opdrachtsoort",
        "aanbiedersoort",
    }
    assert "bsn" in fields  # allowed in the shape; the task decides per opdracht
    with pytest.raises(ValidationError):
        body.model_validate({"gemeentecode": "0344"})
