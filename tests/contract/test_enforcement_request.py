"""Issue 8 item 3 (contracts 0.2, rules 3, 4): DUO reads gemeente enforcement only on request.

Seed 002_774eb578c0679392.txt (section 4.7): "De door de gemeente opgelegde boetes in het kader
van de inspanningsverplichting hoeven niet te worden gedeeld met DUO. Indien het nodig is om
deze gegevens te delen, neemt DUO contact op met de gemeente [...] Dit zijn incidentele
verzoeken." Seed 001_6bf09e723ef6bb05.txt (row "Minister van SZW/DUO", item s): "Door gemeente
opgelegde boetes, informatie over bezwaar en beroep"; warnings are not in DUO's list.
"""

from __future__ import annotations

import pytest

from keten_contracts.classification import Classificatie, field_tags
from keten_contracts.envelope import EXT_GEMEENTECODE
from keten_contracts.events import all_event_types, get_event_type
from keten_contracts.parties import Rol
from keten_contracts.policy import (
    may_read,
    may_receive,
    project,
    project_op_verzoek,
    readable_fields,
    view_model,
)
from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import Handhavingsmaatregel, Handhavingsverzoek

VERZOEK_TYPE = "nl.inburgering.handhavingsverzoek.ingediend.v1"
IBP = "ibp-5c7d21"


def _maatregel(**kw) -> Handhavingsmaatregel:
    return Handhavingsmaatregel.model_validate(
        {**get_resource("handhavingsmaatregel").example, **kw}
    )


def _verzoek(**kw) -> Handhavingsverzoek:
    return Handhavingsverzoek.model_validate({**get_resource("handhavingsverzoek").example, **kw})


BOETE = _maatregel()  # hm-2b77, a fine with rechtsmiddel
WAARSCHUWING = _maatregel(
    handhavingsmaatregelId="hm-2b76", soort="waarschuwing", bedragInCenten=None
)


def _op_verzoek(maatregel, verzoek, *, gemeentecode="0363", ibp=IBP):
    return project_op_verzoek(
        maatregel, verzoek, gemeentecode=gemeentecode, inburgeringsplicht_id=ibp
    )


# --- no standing read ----------------------------------------------------------------------


@pytest.mark.parametrize("field", list(Handhavingsmaatregel.model_fields))
def test_duo_has_no_standing_read_of_any_maatregel_field(field):
    assert not may_read(Rol.DUO, "handhavingsmaatregel", field)


def test_duo_gets_no_view_and_no_projection_of_a_fine_or_warning_without_a_request():
    assert readable_fields("handhavingsmaatregel", Rol.DUO) == []
    assert view_model("handhavingsmaatregel", Rol.DUO) is None
    assert project("handhavingsmaatregel", Rol.DUO, BOETE) is None
    assert project("handhavingsmaatregel", Rol.DUO, WAARSCHUWING) is None
    assert _op_verzoek(BOETE, None) is None


def test_duo_receives_no_gemeente_enforcement_event():
    for et in all_event_types():
        if et.resource == "handhavingsmaatregel":
            assert Rol.DUO not in et.recipients, et.type
            assert not may_receive(Rol.DUO, et.type)


def test_cbs_still_reads_the_swi_items():
    # Seed 001, row CBS: "Waarschuwingen: aantal; reden" and "Boetes: aantal; reden; hoogte".
    assert {"soort", "reden", "bedrag_in_centen"} <= set(
        readable_fields("handhavingsmaatregel", Rol.CBS)
    )


# --- the request --------------------------------------------------------------------------


def test_the_request_event_is_thin_from_duo_to_the_gemeente_asked():
    et = get_event_type(VERZOEK_TYPE)
    assert et.producers == {Rol.DUO}
    assert et.recipients == {Rol.GEMEENTE}
    assert et.resource == "handhavingsverzoek"
    assert get_resource("handhavingsverzoek").owner is Rol.DUO
    assert EXT_GEMEENTECODE in et.routing_extensions
    assert not et.personal_data
    assert {t.classificatie for t in field_tags(et.data_model).values()} == {Classificatie.GEEN}
    assert set(et.data_model.model_fields) == {"handhavingsverzoek_id", "inburgeringsplicht_id"}
    assert may_receive(
        Rol.GEMEENTE, VERZOEK_TYPE, recipient_gemeentecode="0363", event_gemeentecode="0363"
    )
    assert not may_receive(
        Rol.GEMEENTE, VERZOEK_TYPE, recipient_gemeentecode="0599", event_gemeentecode="0363"
    )
    assert not may_receive(Rol.CBS, VERZOEK_TYPE)


def test_a_fine_named_in_the_request_is_served_with_its_objection_and_appeal_data():
    fine = _maatregel(rechtsmiddel="bezwaar")
    view = _op_verzoek(fine, _verzoek())
    assert view is not None
    assert view.rechtsmiddel == "bezwaar"
    assert view.bedrag_in_centen == fine.bedrag_in_centen
    assert view.handhavingsmaatregel_id == "hm-2b77"
    assert "dossier_id" not in type(view).model_fields  # minimisation


def test_a_request_by_person_reference_names_all_fines_of_that_person():
    by_person = _verzoek(handhavingsmaatregelIds=[])
    assert _op_verzoek(BOETE, by_person) is not None
    assert _op_verzoek(BOETE, by_person, ibp="ibp-other") is None


@pytest.mark.parametrize(
    ("verzoek_kw", "call_kw"),
    [
        ({"handhavingsmaatregelIds": ["hm-0000"]}, {}),  # names another fine
        ({}, {"gemeentecode": "0599"}),  # addressed to another gemeente
        ({}, {"gemeentecode": None}),  # serving gemeente unknown
        ({}, {"ibp": "ibp-other"}),  # the fine is another person's
        ({}, {"ibp": None}),  # person unknown
    ],
)
def test_a_fine_the_request_does_not_name_is_not_served(verzoek_kw, call_kw):
    assert _op_verzoek(BOETE, _verzoek(**verzoek_kw), **call_kw) is None


@pytest.mark.parametrize("ids", [["hm-2b76"], []])
def test_a_warning_is_never_served_even_when_named(ids):
    assert _op_verzoek(WAARSCHUWING, _verzoek(handhavingsmaatregelIds=ids)) is None
