"""Current schemas against the released ones, and the rules that decide what is breaking."""

from __future__ import annotations

import copy

from keten_contracts.versioning import (
    breaking_changes,
    compared_schemas,
    released_schemas,
    released_version,
    unannounced_breaking_changes,
)

BASE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["pipId", "versie"],
    "properties": {
        "pipId": {"type": "string", "pattern": "^[a-z-]+$", "maxLength": 100},
        "versie": {"type": "integer", "minimum": 1},
        "leerroute": {"anyOf": [{"$ref": "#/$defs/Leerroute"}, {"type": "null"}], "default": None},
        "doelen": {"type": "array", "items": {"type": "string", "maxLength": 500}},
    },
    "$defs": {"Leerroute": {"type": "string", "enum": ["b1-route", "onderwijsroute", "z-route"]}},
}


def changed(mutate) -> list[str]:
    new = copy.deepcopy(BASE)
    mutate(new)
    return breaking_changes(BASE, new)


def test_no_unannounced_breaking_change_against_the_release():
    assert released_version() is not None, "no released snapshot in keten_contracts/released"
    assert released_schemas(), "released snapshot is empty"
    assert unannounced_breaking_changes() == {}


def test_every_released_schema_still_exists_or_is_announced():
    current = compared_schemas()
    missing = set(released_schemas()) - set(current)
    assert not missing or unannounced_breaking_changes() == {}


def test_identical_schema_is_compatible():
    assert breaking_changes(BASE, copy.deepcopy(BASE)) == []


def test_removing_a_field_is_breaking():
    assert changed(lambda s: s["properties"].pop("leerroute")) == ["leerroute: property removed"]


def test_adding_a_required_field_is_breaking_an_optional_one_is_not():
    def add_required(s):
        s["properties"]["dossierId"] = {"type": "string"}
        s["required"].append("dossierId")

    assert changed(add_required) == ["dossierId: new required property"]
    assert changed(lambda s: s["properties"].update(dossierId={"type": "string"})) == []


def test_required_changes_both_ways_are_breaking():
    assert changed(lambda s: s["required"].append("leerroute")) == [
        "leerroute: became required property"
    ]
    assert changed(lambda s: s["required"].remove("versie")) == [
        "versie: no longer required (consumers rely on it)"
    ]


def test_narrowing_a_type_is_breaking_widening_is_not():
    assert changed(lambda s: s["properties"]["versie"].update(type="string"))
    assert changed(lambda s: s["properties"]["versie"].update(type="number")) == []
    # Optional -> non-null drops null.
    narrowed = changed(lambda s: s["properties"].update(leerroute={"$ref": "#/$defs/Leerroute"}))
    assert narrowed == ["leerroute: type narrowed, no longer accepts type:null"]


def test_enum_values_removed_is_breaking_added_is_not():
    assert changed(lambda s: s["$defs"]["Leerroute"]["enum"].remove("z-route")) == [
        'leerroute: type narrowed, no longer accepts value:"z-route"'
    ]
    assert changed(lambda s: s["$defs"]["Leerroute"]["enum"].append("nieuwe-route")) == []


def test_tightened_constraints_are_breaking_loosened_are_not():
    assert changed(lambda s: s["properties"]["pipId"].update(maxLength=50))
    assert changed(lambda s: s["properties"]["pipId"].update(pattern="^[a-z]+$"))
    assert changed(lambda s: s["properties"]["versie"].update(minimum=2))
    assert changed(lambda s: s["properties"]["doelen"]["items"].update(maxLength=10)) == [
        "doelen[]: maxLength tightened (500 -> 10)"
    ]
    assert changed(lambda s: s["properties"]["pipId"].update(maxLength=200)) == []
    assert changed(lambda s: s["properties"]["pipId"].update(description="new words")) == []


def test_forbidding_additional_properties_is_breaking():
    old = {**copy.deepcopy(BASE), "additionalProperties": True}
    assert breaking_changes(old, BASE) == [": additional properties newly forbidden"]


def test_an_announced_change_passes_and_a_v2_type_coexists():
    released = {"events/nl.inburgering.x.y.gedaan.v1.json": BASE}
    current = {"events/nl.inburgering.x.y.gedaan.v2.json": BASE}
    assert unannounced_breaking_changes(released, current, {}) == {
        "events/nl.inburgering.x.y.gedaan.v1.json": [
            "removed (announce it, or keep it next to its successor)"
        ]
    }
    announced = {"events/nl.inburgering.x.y.gedaan.v1.json": "removed in 2.0, see CHANGELOG"}
    assert unannounced_breaking_changes(released, current, announced) == {}
    both = {**current, **released}
    assert unannounced_breaking_changes(released, both, {}) == {}
