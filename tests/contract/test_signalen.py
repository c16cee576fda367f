"""Issue 8 item 6 (contracts 0.2, rules 5, 6): DUO signalen (seed 002 section 3.1).

"Een signaal wordt afgegeven als er nieuwe relevante informatie beschikbaar is of als er van de
gemeente actie is gewenst voor het aanleveren van gegevens"; "Doel is dat signalen kunnen worden
afgevinkt en daarmee op afgehandeld worden gezet". The code list is the chain's own (DUO's codes
are not public) and versioned; the signaal lives at DUO's source, where the gemeente ticks it
off, so DUO's source emits both events.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from keten_contracts.classification import Classificatie, field_tags
from keten_contracts.envelope import EXT_GEMEENTECODE
from keten_contracts.events import all_event_types, get_event_type
from keten_contracts.parties import Rol
from keten_contracts.policy import may_read, may_receive, view_model
from keten_contracts.resources import RESOURCES, get_resource
from keten_contracts.resources.duo import (
    SIGNAALCODELIJST,
    SIGNAALCODELIJST_VERSIE,
    Signaal,
    SignaalBetreft,
    Signaalcode,
    Signaalklasse,
    Signaalstatus,
)

T = "nl.inburgering."
AANGEMAAKT = T + "signaal.aangemaakt.v1"
AFGEHANDELD = T + "signaal.afgehandeld.v1"
OPEN = {
    **get_resource("signaal").example,
    "status": "open",
    "afgehandeldDoor": None,
    "afgehandeldOp": None,
}


# --- the code list -----------------------------------------------------------------------


def test_code_list_is_versioned_and_every_code_defined_once():
    assert isinstance(SIGNAALCODELIJST_VERSIE, int) and SIGNAALCODELIJST_VERSIE >= 1
    assert set(SIGNAALCODELIJST) == set(Signaalcode)
    assert len({c.value for c in Signaalcode}) == len(Signaalcode)
    for code, definitie in SIGNAALCODELIJST.items():
        assert definitie.code is code
        assert 1 <= definitie.sinds_versie <= SIGNAALCODELIJST_VERSIE
        assert definitie.omschrijving


def test_code_list_has_both_classes():
    klassen = {d.klasse for d in SIGNAALCODELIJST.values()}
    assert klassen == {Signaalklasse.INFORMATIEF, Signaalklasse.ACTIE_VEREIST}


def test_every_code_concerns_a_resource_of_the_catalogue():
    for definitie in SIGNAALCODELIJST.values():
        assert definitie.betreft.value in RESOURCES, definitie
    assert {b.value for b in SignaalBetreft} <= set(RESOURCES)
    # An action DUO needs is data the gemeente delivers: a gemeente resource. New information
    # is DUO's own, except the news that a gemeente's delivery came late (code list v2).
    for d in SIGNAALCODELIJST.values():
        owner = get_resource(d.betreft.value).owner
        if d.klasse is Signaalklasse.ACTIE_VEREIST:
            assert owner is Rol.GEMEENTE, d
        elif owner is Rol.GEMEENTE:
            assert d.code.value.endswith("-te-laat-geregistreerd") and d.sinds_versie == 2, d
        else:
            assert owner is Rol.DUO, d


def test_a_signaal_names_its_code_list_version_and_matches_the_code():
    assert Signaal.model_validate(OPEN).codelijst_versie == 1
    for wrong in (
        {"codelijstVersie": SIGNAALCODELIJST_VERSIE + 1},
        {"codelijstVersie": 0},
        {"klasse": "informatief"},  # pip-aanleveren is actie-vereist
        {"betreft": "termijn"},
        {"code": "onbekend"},
    ):
        with pytest.raises(ValidationError):
            Signaal.model_validate({**OPEN, **wrong})


# --- the states --------------------------------------------------------------------------


def test_open_signaal_has_no_afhandeling():
    signaal = Signaal.model_validate(OPEN)
    assert signaal.status is Signaalstatus.OPEN
    with pytest.raises(ValidationError):
        Signaal.model_validate({**OPEN, "afgehandeldDoor": "usr-1"})
    with pytest.raises(ValidationError):
        Signaal.model_validate({**OPEN, "afgehandeldOp": "2025-08-21T10:15:00+02:00"})


def test_afgehandeld_signaal_says_who_and_when():
    signaal = Signaal.model_validate(get_resource("signaal").example)
    assert signaal.status is Signaalstatus.AFGEHANDELD
    assert signaal.afgehandeld_door and signaal.afgehandeld_op
    afgehandeld = {**OPEN, "status": "afgehandeld"}
    for missing in ({}, {"afgehandeldDoor": "usr-1"}, {"afgehandeldOp": "2025-08-21T10:15:00Z"}):
        with pytest.raises(ValidationError):
            Signaal.model_validate({**afgehandeld, **missing})
    with pytest.raises(ValidationError):  # ticked off before it was raised
        Signaal.model_validate(
            {**afgehandeld, "afgehandeldDoor": "usr-1", "afgehandeldOp": "2025-08-19T10:00:00Z"}
        )
    assert {s.value for s in Signaalstatus} == {"open", "afgehandeld"}


def test_who_is_a_user_reference_not_a_name():
    # An opaque id (no spaces, so no "J. de Vries"), never a BSN.
    with pytest.raises(ValidationError):
        Signaal.model_validate(
            {**get_resource("signaal").example, "afgehandeldDoor": "J. de Vries"}
        )
    assert not any("naam" in name for name in Signaal.model_fields)


# --- resource, readers -------------------------------------------------------------------


def test_signaal_is_a_duo_resource_with_an_opaque_person_reference():
    rd = get_resource("signaal")
    assert rd.owner is Rol.DUO and rd.bron == "duo-adapter"
    assert rd.model is Signaal
    tags = field_tags(Signaal)
    for name in ("signaal_id", "inburgeringsplicht_id", "dossier_id", "betreft_id"):
        assert tags[name].classificatie is Classificatie.GEEN, name
    for name in ("bsn", "voornamen", "geslachtsnaam", "geboortedatum", "adres"):
        assert name not in Signaal.model_fields


def test_signaal_is_read_by_duo_and_the_linked_gemeente_only():
    for name in Signaal.model_fields:
        assert may_read(Rol.DUO, "signaal", name)
        assert may_read(Rol.GEMEENTE, "signaal", name, same_gemeente=True)
        assert not may_read(Rol.GEMEENTE, "signaal", name, same_gemeente=False)
        assert not may_read(Rol.GEMEENTE, "signaal", name)
        for rol in set(Rol) - {Rol.DUO, Rol.GEMEENTE}:
            assert not may_read(rol, "signaal", name), (rol, name)
    assert view_model("signaal", Rol.CBS) is None


# --- events ------------------------------------------------------------------------------


@pytest.mark.parametrize("type_str", [AANGEMAAKT, AFGEHANDELD])
def test_signaal_events_are_thin_and_go_from_duo_to_the_linked_gemeente(type_str):
    et = get_event_type(type_str)
    assert et.producers == {Rol.DUO} and et.recipients == {Rol.GEMEENTE}
    assert et.topic == "nl.inburgering.duo"
    assert et.resource == "signaal"
    assert et.routing_extensions == {EXT_GEMEENTECODE}
    assert not et.personal_data
    assert set(et.data_model.model_fields) == {"signaal_id", "inburgeringsplicht_id"}
    assert {t.classificatie for t in field_tags(et.data_model).values()} == {Classificatie.GEEN}
    example = et.example()
    assert example["dataref"].endswith("/signalen/" + example["subject"])
    assert may_receive(
        Rol.GEMEENTE, type_str, recipient_gemeentecode="0363", event_gemeentecode="0363"
    )
    assert not may_receive(
        Rol.GEMEENTE, type_str, recipient_gemeentecode="0344", event_gemeentecode="0363"
    )
    for rol in set(Rol) - {Rol.GEMEENTE}:
        assert not may_receive(rol, type_str), rol


def test_afhandeling_is_emitted_by_duos_source_not_by_the_gemeente():
    # The gemeente ticks the signaal off at DUO's source; only DUO's source knows the state.
    types = {et.type for et in all_event_types()}
    assert AFGEHANDELD in types
    et = get_event_type(AFGEHANDELD)
    assert et.producers == {Rol.DUO} and et.topic == "nl.inburgering.duo"
