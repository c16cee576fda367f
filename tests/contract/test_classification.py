"""Every field is classified; events carry no personal data (except the named aanbieder
reports); no field can hold health data or religion; retention follows art. 9.9 Besluit."""

from __future__ import annotations

import json

import pytest

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
FIFTY_YEAR_NAMES = {"bsn", "voornamen", "geslachtsnaam", "geboortedatum", "adres", "woonplaats"}


@pytest.mark.parametrize("model", sorted(ALL_MODELS, key=lambda m: m.__name__))
def test_every_field_is_tagged_and_none_is_special_category(model):
    tags = field_tags(model)  # raises LookupError for an untagged field
    for name, tag in tags.items():
        assert tag.classificatie is not Classificatie.BIJZONDER, name
        assert not any(word in name.lower() for word in FORBIDDEN_WORDS), name
        if tag.classificatie is Classificatie.GEEN:
            assert tag.bewaartermijn is Bewaartermijn.NVT
        if name in FIFTY_YEAR_NAMES:
            assert tag.classificatie is Classificatie.IDENTIFICEREND
            assert tag.bewaartermijn is Bewaartermijn.VIJFTIG_JAAR, name
        assert (name == "bsn") == tag.bsn, f"{model.__name__}.{name}: BSN marker"


@pytest.mark.parametrize("et", all_event_types(), ids=lambda et: et.type)
def test_event_data_carries_no_personal_data_unless_a_named_report(et):
    schema = event_schema(et)
    classes = {prop["x-classificatie"] for prop in schema["properties"].values()}
    if et.personal_data:
        assert et.domain == "aanbieder"
        # Even the fat reports identify nobody: the opdracht id correlates.
        assert Classificatie.IDENTIFICEREND.value not in classes
        assert Classificatie.PERSOONSGEGEVEN.value in classes
    else:
        assert classes == {Classificatie.GEEN.value}, et.type
    text = json.dumps(schema).lower()
    for word in ("bsn", "naam", "adres", "geboortedatum", *FORBIDDEN_WORDS):
        assert f'"{word}' not in text, f"{et.type} has a field starting with {word!r}"


def test_tags_show_in_every_rendered_schema():
    for rel, schema in json_schemas().items():
        for name, prop in schema.get("properties", {}).items():
            assert "x-classificatie" in prop and "x-bewaartermijn" in prop, f"{rel}: {name}"


def test_retention_of_vrijstelling_and_ontheffing_data_is_fifty_years():
    for resource in ("vrijstelling", "ontheffing", "diploma"):
        model = next(r.model for r in all_resources() if r.name == resource)
        for name, tag in field_tags(model).items():
            if tag.classificatie.is_persoonsgegeven:
                assert tag.bewaartermijn is Bewaartermijn.VIJFTIG_JAAR, f"{resource}.{name}"


def test_the_helper_refuses_special_category_and_inconsistent_tags():
    with pytest.raises(ValueError, match="special category"):
        veld("health", Classificatie.BIJZONDER)
    with pytest.raises(ValueError, match="retention"):
        veld("id", Classificatie.GEEN, bewaartermijn=Bewaartermijn.VIJFTIG_JAAR)
