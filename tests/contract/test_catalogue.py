"""The catalogue entries are complete and consistent with the envelope profile."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from keten_contracts.envelope import (
    EXT_AANBIEDEROIN,
    EXT_AANBIEDERSOORT,
    EXT_ABONNEEOIN,
    EXT_GEMEENTECODE,
    EXTENSIONS,
    TYPE_PATTERN,
    EnvelopeAttributes,
)
from keten_contracts.events import TOPICS, all_event_types, get_event_type, topic_for
from keten_contracts.events.catalogue import EXAMPLE_PARTITIONKEYS, Sleutel, producers_of_domain
from keten_contracts.parties import AANBIEDER_ROLLEN, Rol
from keten_contracts.resources import RESOURCES
from keten_contracts.validation import check_event

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
    # A notice about a subscription goes to its owner, named by OIN, whatever its role.
    assert (EXT_ABONNEEOIN in et.routing_extensions) == et.beheer
    if et.beheer:
        assert et.routing_extensions == {EXT_ABONNEEOIN}
        return
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
        get_event_type("nl.inburgering.pip.verzonnen.v1")


def test_issue_list_of_exchanges_is_covered():
    # The exchanges issue 4 names, one type each at least, from the domain that produces it
    # (NL GOV CloudEvents 1.1: the type names no organisation; the topic says who produced it).
    names = [
        ("coa", "koppeling.vastgesteld"),
        ("coa", "klantprofiel.aangeboden"),
        ("coa", "klantprofiel.gewijzigd"),
        ("coa", "warme-overdracht.gehouden"),
        ("coa", "vestiging.gemeld"),
        ("duo", "inburgeringsplicht.vastgesteld"),
        ("duo", "inburgeringsplicht.gewijzigd"),
        ("duo", "inburgeringsplicht.beeindigd"),
        ("duo", "doelgroep.gewijzigd"),
        ("duo", "recht-maatschappelijke-begeleiding.vastgesteld"),
        ("duo", "termijn.vastgesteld"),
        ("duo", "termijn.gewijzigd"),
        ("duo", "vrijstelling.verleend"),
        ("duo", "ontheffing.verleend"),
        ("duo", "lbt-uitslag.vastgesteld"),
        ("duo", "examenresultaat.vastgesteld"),
        ("duo", "diploma.uitgereikt"),
        ("duo", "certificaat.toegekend"),
        ("duo", "verlenging.besloten"),
        ("duo", "resultaatsverplichting.boete.opgelegd"),
        ("gemeente", "intake-uitnodiging.verstuurd"),
        ("gemeente", "intake.afgerond"),
        ("gemeente", "pip.vastgesteld"),
        ("gemeente", "pip.gewijzigd"),
        ("gemeente", "inburgeringsaanbod.gedaan"),
        ("gemeente", "opdracht.verstrekt"),
        ("gemeente", "opdracht.gewijzigd"),
        ("gemeente", "map.gestart"),
        ("gemeente", "map.afgerond"),
        ("gemeente", "map.niet-afgerond"),
        ("gemeente", "pvt.gestart"),
        ("gemeente", "pvt.afgerond"),
        ("gemeente", "pvt.niet-afgerond"),
        ("gemeente", "leerroute.gewisseld"),
        ("gemeente", "leerroute.afgeschaald"),
        ("gemeente", "inspanningsverplichting.waarschuwing.gegeven"),
        ("gemeente", "inspanningsverplichting.boete.opgelegd"),
        ("gemeente", "verhuizing.overgedragen"),
        ("gemeente", "voortgang-rapport.ontvangen"),
        ("gemeente", "resultaat-rapport.ontvangen"),
        ("gemeente", "advies-rapport.ontvangen"),
        ("gemeente", "z-route-resultaat-rapport.ontvangen"),
        ("cbs", "swi-levering.aangemaakt"),
    ]
    for domain, name in names:
        et = get_event_type(f"nl.inburgering.{name}.v1")
        assert et.domain == domain and et.topic == f"nl.inburgering.{domain}", et.type


def test_no_event_says_a_medical_request_was_filed():
    # Only outcomes of vrijstelling/ontheffing exist; no request or refusal type.
    for et in TYPES:
        if ".ontheffing." in et.type or ".vrijstelling." in et.type:
            assert et.type.endswith(".verleend.v1")
        assert "medisch" not in et.type and "aanvraag" not in et.type


# NL GOV profile for CloudEvents 1.1 ----------------------------------------------------------
PARTY_NAMES = {"coa", "duo", "cbs", "gemeente", "gemeenten", "aanbieder", "ind", "svb", "uwv"}


@pytest.mark.parametrize("et", TYPES, ids=lambda et: et.type)
def test_a_type_names_no_organisation(et):
    # "Names of organizations SHOULD NOT be used" (type attribute); the rename also holds for
    # hyphenated parts ("duo-boete" would name DUO as much as "duo.boete").
    segments = et.type.removeprefix("nl.inburgering.").rsplit(".v", 1)[0].split(".")
    words = {word for segment in segments for word in segment.split("-")}
    assert not words & PARTY_NAMES, et.type


def test_type_names_are_unique_and_have_their_own_topic_and_key():
    assert len({et.type for et in TYPES}) == len(TYPES)
    keys = {
        "coa": Sleutel.STATUSHOUDER,
        "duo": Sleutel.INBURGERINGSPLICHTIGE,
        "gemeente": Sleutel.DOSSIER,
        "cbs": Sleutel.LEVERING,
        "notificaties": Sleutel.ABONNEMENT,
    }
    for et in TYPES:
        # The topic is the catalogue's own field, not parsed from the name.
        assert et.topic == TOPICS[et.domain] and et.domain not in et.type.split(".")
        assert et.sleutel is keys[et.domain], et.type
        assert "committed" in et.time_meaning


def test_an_entry_without_topic_or_key_is_refused():
    et = TYPES[0]
    with pytest.raises(ValueError, match="topic"):
        replace(et, topic="nl.inburgering.elders")
    with pytest.raises(ValueError, match="sleutel"):
        replace(et, sleutel=None)


def test_the_example_keys_by_the_person_and_validates():
    for et in TYPES:
        example = et.example()
        assert example["partitionkey"] == EXAMPLE_PARTITIONKEYS[et.sleutel]
        data = example.pop("data")
        assert check_event(example, data) == [], et.type
