"""The brede intake's rules (``dossier_bron.intake``), the invitation letter (no BSN) and the
operations of the intake and PIP writes in the OpenAPI document."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from dossier_bron.brief import render_uitnodiging
from dossier_bron.intake import IntakeWeigering, beoordeel_afronding, beoordeel_uitnodiging
from dossier_bron.main import openapi_document


def _u(*verschenen: bool | None) -> list[dict[str, object]]:
    return [
        {"datum": f"2026-01-0{i + 1}", "volgnummer": i + 1, "verschenen": v}
        for i, v in enumerate(verschenen)
    ]


def test_at_most_three_invitations():
    # Seed 001 taak 3: "na 3 oproepen" the intake is completed without the person.
    assert beoordeel_uitnodiging(_u(), False) is None
    assert beoordeel_uitnodiging(_u(False, False), False) is None
    assert beoordeel_uitnodiging(_u(False, False, None), False) is (
        IntakeWeigering.MAX_UITNODIGINGEN
    )
    assert beoordeel_uitnodiging(_u(True), False) is IntakeWeigering.AL_VERSCHENEN
    assert beoordeel_uitnodiging(_u(False), True) is IntakeWeigering.AL_AFGEROND


@pytest.mark.parametrize(
    ("verschenen", "zonder", "reden"),
    [
        ((False, False, False), True, None),
        ((False, False, None), True, IntakeWeigering.TE_WEINIG_GEMIST),
        ((False, False), True, IntakeWeigering.TE_WEINIG_GEMIST),
        ((False, True), False, None),
        ((False, False, False), False, IntakeWeigering.NIET_VERSCHENEN),
    ],
)
def test_completion_without_the_person_only_after_three_missed_invitations(
    verschenen: tuple[bool | None, ...], zonder: bool, reden: IntakeWeigering | None
):
    assert beoordeel_afronding(_u(*verschenen), False, zonder) is reden


def test_the_invitation_letter_names_the_person_and_the_date_and_holds_no_bsn():
    pdf = render_uitnodiging(
        voornamen="Amal",
        geslachtsnaam="Haddad",
        adres={"straat": "Dam", "huisnummer": "1", "postcode": "1012JS", "woonplaats": "A'dam"},
        datum=date(2026, 2, 2),
        volgnummer=3,
        kenmerk="int-0a1b2c",
    )
    tekst = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Amal Haddad" in tekst and "2026-02-02" in tekst and "3 van 3" in tekst
    # No nine-digit run anywhere (a BSN is nine digits).
    assert re.search(r"\d{9}", tekst.replace(" ", "")) is None


NIEUW = {
    "intake-uitnodigen",
    "intake-aanwezigheid-vastleggen",
    "intake-uitnodigingsbrief",
    "intake-afronden",
    "intake-lezen",
    "pip-vaststellen",
    "pip-wijzigen",
    "leerroute-wisselen",
    "leerroute-afschalen",
    "pip-lezen",
    "pip-versies",
}


def test_the_intake_and_pip_operations_have_ids_and_problem_responses():
    document = openapi_document()
    ops = {
        op["operationId"]: op
        for path, item in document["paths"].items()
        for op in item.values()
        if path.startswith("/api/")
    }
    assert NIEUW <= set(ops)
    for name in NIEUW:
        for status in ("401", "403", "404", "422"):
            assert "application/problem+json" in ops[name]["responses"][status]["content"], name
    # The PIP is served at the contract's path (the dataref of the pip.* events).
    assert "/api/v1/pips/{pipId}" in document["paths"]
