"""The klantprofiel PDF (coa_adapter.pdf) prints the caller's view and nothing else."""

from __future__ import annotations

import io

from pypdf import PdfReader

from coa_adapter.pdf import render_klantprofiel
from keten_contracts.access import Rij, Toegang, projecteer
from keten_contracts.clients import Client, Doel, Functie
from keten_contracts.parties import Rol
from keten_contracts.resources import get_resource

PROFIEL = get_resource("klantprofiel").model.model_validate(
    {
        **get_resource("klantprofiel").example,
        "mailadres": "amal@example.org",
        "nareisprofiel": {"relatieTotReferent": "partner"},
    }
)
AMSTERDAM = Client(
    client_id="amsterdam",
    service="coa-adapter",
    oin="00000001002564440000",
    rol=Rol.GEMEENTE,
    functie=Functie.MEDEWERKER_INBURGERING,
    namens="0363",
    doelen=frozenset({Doel.UITVOERING_INBURGERING}),
)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def gemeente_view():
    view = projecteer(
        Toegang(AMSTERDAM, Doel.UITVOERING_INBURGERING),
        "klantprofiel",
        PROFIEL,
        Rij(gemeentecode="0363"),
    )
    assert view is not None
    return view


def test_the_pdf_holds_every_field_of_the_view_and_the_casemanager_last():
    text = text_of(render_klantprofiel(gemeente_view()))
    for value in ("Amal", "Haddad", "111222333", "amal@example.org", "partner", "boekhouder"):
        assert value in text
    assert "Relatie tot referent" in text and "Gevolgde opleidingen" in text
    assert text.rindex("J. de Vries") > text.index("Haddad")  # "Onderaan het klantprofiel"


def test_a_field_the_view_hides_is_not_in_the_pdf():
    # A narrower view, as the read kit returns it for a caller who may not see these fields:
    # the hidden fields are empty in the view.
    narrower = gemeente_view().model_copy(
        update={"bsn": None, "mailadres": None, "nareisprofiel": None}
    )
    text = text_of(render_klantprofiel(narrower))
    assert "Haddad" in text
    for hidden in ("111222333", "Bsn", "amal@example.org", "Mailadres", "partner", "Nareis"):
        assert hidden not in text


def test_markup_in_the_profile_is_printed_as_text():
    view = gemeente_view().model_copy(update={"ambities": "<b>eigen zaak</b> & meer"})
    assert "<b>eigen zaak</b> & meer" in text_of(render_klantprofiel(view))
