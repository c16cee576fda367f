"""The catalogue entries are complete and consistent with the envelope profile."""

from __future__ import annotations

import re

import pytest

from keten_contracts.envelope import (
    EXT_AANBIEDEROIN,
    EXT_AANBIEDERSOORT,
    EXT_GEMEENTECODE,
    EXTENSIONS,
    TYPE_PATTERN,
    EnvelopeAttributes,
)
from keten_contracts.events import TOPICS, all_event_types, get_event_type, topic_for
from keten_contracts.events.catalogue import producers_of_domain
from keten_contracts.parties import AANBIEDER_ROLLEN, Rol
from keten_contracts.resources import RESOURCES

TYPES = all_event_types()
IDS = [et.type for et in TYPES]


@pytest.mark.parametrize("et", TYPES, ids=IDS)
def test_entry_is_complete_and_consistent(et):
    assert re.fullmatch(TYPE_PATTERN, et.type)
    assert et.type.endswith(f".v{et.major}")
    assert et.domain in TOPICS
    assert topic_for(et.type) == f"nl.inburgering.{et.domain}"
    assert et.producers and et.producers <= producers_of_domain(et.domain)
    assert et.recipients and not (et.recipients & et.producers - {Rol.GEMEENTE})
    assert et.resource in RESOURCES
    assert et.subject_field in et.data_model.model_json_schema(by_alias=True)["properties"]
    assert et.routing_extensions <= EXTENSIONS
    assert len(et.description) > 20


@pytest.mark.parametrize("et", TYPES, ids=IDS)
def test_example_is_a_valid_event_of_its_type(et):
    example = et.example()
    attributes = {k: v for k, v in example.items() if k != "data"}
    EnvelopeAttributes.model_validate(attributes)
    et.data_model.model_validate(example["data"])
    assert example["subject"] == example["data"][et.subject_field]
    assert example["dataref"].endswith(f"/{et.resource_def.collection}/{example['subject']}")
    assert example["dataschema"] == et.dataschema


@pytest.mark.parametrize("et", TYPES, ids=IDS)
def test_routing_extensions_follow_the_recipients(et):
    # Anything a gemeente may receive needs its code for the wall; opdracht events name one
    # aanbieder by kind and OIN.
    if Rol.GEMEENTE in et.recipients or et.producers == {Rol.GEMEENTE}:
        assert EXT_GEMEENTECODE in et.routing_extensions
    reaches_aanbieder = bool(et.recipients & AANBIEDER_ROLLEN)
    assert (EXT_AANBIEDERSOORT in et.routing_extensions) == reaches_aanbieder
    assert (EXT_AANBIEDEROIN in et.routing_extensions) == reaches_aanbieder


def test_no_event_type_is_fat():
    # thin reports -- principle 2 without exception: the aanbieder reports are thin gemeente
    # events now, and no aanbieder-domain type is left.
    assert [et.type for et in TYPES if et.personal_data] == []
    assert [et.type for et in TYPES if et.domain == "aanbieder"] == []


def test_lookup_rejects_unknown_types():
    with pytest.raises(KeyError, match="unknown event type"):
        get_event_type("nl.inburgering.gemeente.pip.verzonnen.v1")


def test_issue_list_of_exchanges_is_covered():
    # The exchanges issue 4 names, one type each at least.
    names = {
        "coa.koppeling.vastgesteld",
        "coa.klantprofiel.aangeboden",
        "coa.klantprofiel.gewijzigd",
        "coa.warme-overdracht.gehouden",
        "coa.vestiging.gemeld",
        "duo.inburgeringsplicht.vastgesteld",
        "duo.inburgeringsplicht.gewijzigd",
        "duo.inburgeringsplicht.beeindigd",
        "duo.doelgroep.gewijzigd",
        "duo.recht-maatschappelijke-begeleiding.vastgesteld",
        "duo.termijn.vastgesteld",
        "duo.termijn.gewijzigd",
        "duo.vrijstelling.verleend",
        "duo.ontheffing.verleend",
        "duo.lbt-uitslag.vastgesteld",
        "duo.examenresultaat.vastgesteld",
        "duo.diploma.uitgereikt",
        "duo.certificaat.toegekend",
        "duo.verlenging.besloten",
        "duo.boete.opgelegd",
        "gemeente.intake-uitnodiging.verstuurd",
        "gemeente.intake.afgerond",
        "gemeente.pip.vastgesteld",
        "gemeente.pip.gewijzigd",
        "gemeente.inburgeringsaanbod.gedaan",
        "gemeente.opdracht.verstrekt",
        "gemeente.opdracht.gewijzigd",
        "gemeente.map.gestart",
        "gemeente.map.afgerond",
        "gemeente.map.niet-afgerond",
        "gemeente.pvt.gestart",
        "gemeente.pvt.afgerond",
        "gemeente.pvt.niet-afgerond",
        "gemeente.leerroute.gewisseld",
        "gemeente.leerroute.afgeschaald",
        "gemeente.waarschuwing.gegeven",
        "gemeente.boete.opgelegd",
        "gemeente.verhuizing.overgedragen",
        "gemeente.voortgang-rapport.ontvangen",
        "gemeente.resultaat-rapport.ontvangen",
        "gemeente.advies-rapport.ontvangen",
        "gemeente.z-route-resultaat-rapport.ontvangen",
        "cbs.levering.aangemaakt",
    }
    for name in names:
        get_event_type(f"nl.inburgering.{name}.v1")


def test_no_event_says_a_medical_request_was_filed():
    # Only outcomes of vrijstelling/ontheffing exist; no request or refusal type.
    for et in TYPES:
        if ".ontheffing." in et.type or ".vrijstelling." in et.type:
            assert et.type.endswith(".verleend.v1")
        assert "medisch" not in et.type and "aanvraag" not in et.type
