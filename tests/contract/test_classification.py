"""Every field is classified; events carry no personal data (except the named aanbieder
reports); no field can hold health data or religion; retention follows art. 9.9 Besluit."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from keten_contracts.classification import (
    Bewaartermijn,
    Classificatie,
    field_tags,
    nested_models,
    veld,
)
from keten_contracts.events import all_event_types
from keten_contracts.render import event_schema, json_schemas
from keten_contracts.resources import all_resources
from keten_contracts.resources.coa import Klantprofiel
from keten_contracts.resources.duo import Diploma, Inburgeringsplicht, Ontheffing, Vrijstelling
from keten_contracts.resources.gemeente import Adres, Contactgegevens, Dossier, Opdracht
from tests.contract.test_thin_reports import RAPPORTEN

ALL_MODELS = {
    m
    for model in [et.data_model for et in all_event_types()] + [r.model for r in all_resources()]
    for m in nested_models(model)
}
# Names that would hint at special-category data (health, religion) or a medical request.
FORBIDDEN_WORDS = (
    "gezond",
    "medisch",
    "medic",
    "ziekte",
    "ziek",
    "diagnose",
    "beperking",
    "handicap",
    "psych",
    "zorgbehoefte",
    "religie",
    "geloof",
    "levensbeschouw",
    "health",
    "religion",
)
# Art. 9.9 Besluit inburgering, as seed 001 (VNG Handreiking gegevensverwerking,
# "Bewaartermijnen nieuwe Wet inburgering") lists it: "de bewaartermijn voor de volgende
# gegevens [is] 50 jaar". Each item -> the fields that carry it (model, Python field name).
# "Alle andere gegevens worden 5 jaar na beëindiging inburgeringsplicht of na overlijden van
# de inburgeringsplichtige, verwijderd": no field outside this table carries 50 years.
ART_9_9: dict[str, set[tuple[type[BaseModel], str]]] = {
    "a BSN": {
        (Dossier, "bsn"),
        (Opdracht, "bsn"),
        (Klantprofiel, "bsn"),
        (Inburgeringsplicht, "bsn"),
        # thin reports: a report on the language part of a leerroute may name the person
        *((m, "bsn") for m in RAPPORTEN),
    },
    "b naamgegevens": {
        (Dossier, "voornamen"),
        (Dossier, "geslachtsnaam"),
        (Contactgegevens, "voornamen"),
        (Contactgegevens, "geslachtsnaam"),
        (Klantprofiel, "voornamen"),
        (Klantprofiel, "geslachtsnaam"),
    },
    "c adresgegevens": {
        (Dossier, "adres"),
        (Contactgegevens, "adres"),
        (Klantprofiel, "adres"),
        (Adres, "straat"),
        (Adres, "huisnummer"),
        (Adres, "postcode"),
    },
    "d woonplaats": {(Adres, "woonplaats")},
    "e geboortedatum": {(Dossier, "geboortedatum"), (Klantprofiel, "geboortedatum")},
    "f gegevens over gehele of gedeeltelijke vrijstelling": {
        (Vrijstelling, "omvang"),
        (Vrijstelling, "onderdelen"),
        (Vrijstelling, "besluitdatum"),
    },
    "g gegevens over een ontheffing": {
        (Ontheffing, "omvang"),
        (Ontheffing, "onderdelen"),
        (Ontheffing, "besluitdatum"),
    },
    "h datum en wijze waarop aan de inburgeringsplicht is voldaan": {
        (Inburgeringsplicht, "datum_voldaan"),
        (Inburgeringsplicht, "wijze_voldaan"),
        (Diploma, "soort"),
        (Diploma, "datum"),
    },
}
FIFTY_YEAR_FIELDS = {(m.__name__, name) for fields in ART_9_9.values() for m, name in fields}
# Models that are wholly about one item: every personal-data field in them carries it.
WHOLLY_ART_9_9 = {
    "f gegevens over gehele of gedeeltelijke vrijstelling": Vrijstelling,
    "g gegevens over een ontheffing": Ontheffing,
}


@pytest.mark.parametrize("model", sorted(ALL_MODELS, key=lambda m: m.__name__))
def test_every_field_is_tagged_and_none_is_special_category(model):
    tags = field_tags(model)  # raises LookupError for an untagged field
    for name, tag in tags.items():
        assert tag.classificatie is not Classificatie.BIJZONDER, name
        assert not any(word in name.lower() for word in FORBIDDEN_WORDS), name
        if tag.classificatie is Classificatie.GEEN:
            assert tag.bewaartermijn is Bewaartermijn.NVT
        assert (name == "bsn") == tag.bsn, f"{model.__name__}.{name}: BSN marker"


@pytest.mark.parametrize("et", all_event_types(), ids=lambda et: et.type)
def test_event_data_carries_no_personal_data(et):
    # thin reports -- no exception (architecture.md principle 2).
    schema = event_schema(et)
    classes = {prop["x-classificatie"] for prop in schema["properties"].values()}
    assert not et.personal_data, et.type
    assert classes == {Classificatie.GEEN.value}, et.type
    text = json.dumps(schema).lower()
    for word in ("bsn", "naam", "adres", "geboortedatum", *FORBIDDEN_WORDS):
        assert f'"{word}' not in text, f"{et.type} has a field starting with {word!r}"


def test_tags_show_in_every_rendered_schema():
    for rel, schema in json_schemas().items():
        for name, prop in schema.get("properties", {}).items():
            assert "x-classificatie" in prop and "x-bewaartermijn" in prop, f"{rel}: {name}"


@pytest.mark.parametrize("item", sorted(ART_9_9))
def test_each_art_9_9_item_is_kept_fifty_years(item):
    for model, name in ART_9_9[item]:
        assert model in ALL_MODELS, f"{model.__name__} is no contract model"
        tag = field_tags(model)[name]
        assert tag.bewaartermijn is Bewaartermijn.VIJFTIG_JAAR, f"{model.__name__}.{name}"
        assert tag.classificatie.is_persoonsgegeven, f"{model.__name__}.{name}"
    if item in WHOLLY_ART_9_9:
        model = WHOLLY_ART_9_9[item]
        personal = {n for n, t in field_tags(model).items() if t.classificatie.is_persoonsgegeven}
        assert personal == {name for m, name in ART_9_9[item] if m is model}, model.__name__


def test_every_bsn_field_is_item_a():
    bsn_fields = {(m, n) for m in ALL_MODELS for n, t in field_tags(m).items() if t.bsn}
    assert bsn_fields == ART_9_9["a BSN"]


@pytest.mark.parametrize("model", sorted(ALL_MODELS, key=lambda m: m.__name__))
def test_no_other_field_is_kept_fifty_years(model):
    # ALL_MODELS holds every model nested in an event or resource (nested_models walks them).
    for name, tag in field_tags(model).items():
        if (model.__name__, name) in FIFTY_YEAR_FIELDS:
            continue
        assert tag.bewaartermijn is not Bewaartermijn.VIJFTIG_JAAR, (
            f"{model.__name__}.{name} is kept 50 years but holds no item of art. 9.9 Besluit"
        )


def _fifty_year_properties(node: object, model: str | None, found: set[tuple[str, str]]) -> None:
    if isinstance(node, dict):
        model = str(node.get("title", model)) if "properties" in node else model
        for name, prop in (node.get("properties") or {}).items():
            if isinstance(prop, dict) and prop.get("x-bewaartermijn") == "50-jaar":
                found.add((str(model), name))
        for value in node.values():
            _fifty_year_properties(value, model, found)
    elif isinstance(node, list):
        for value in node:
            _fifty_year_properties(value, model, found)


def test_no_other_rendered_property_is_kept_fifty_years():
    # The same rule on what vendors read: every rendered schema, walked recursively ($defs too).
    wire_names = {
        (m.__name__, m.model_fields[name].alias or name)
        for fields in ART_9_9.values()
        for m, name in fields
    }
    found: set[tuple[str, str]] = set()
    for rel, schema in json_schemas().items():
        if rel.startswith("views/"):
            continue  # views copy the resource fields under another title; checked above
        _fifty_year_properties(schema, None, found)
    assert found == wire_names


def test_the_helper_refuses_special_category_and_inconsistent_tags():
    with pytest.raises(ValueError, match="special category"):
        veld("health", Classificatie.BIJZONDER)
    with pytest.raises(ValueError, match="retention"):
        veld("id", Classificatie.GEEN, bewaartermijn=Bewaartermijn.VIJFTIG_JAAR)
