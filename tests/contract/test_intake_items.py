"""Issue 8 item 5 (contracts 0.2, rules 5, 6): the brede intake and PIP items the chain missed.

One test per item: the field exists, is a code (no free text that could hold health data),
carries the right classification and retention, and only the linked gemeente reads it (no seed
lists the items for DUO, CBS or an aanbieder); the PVT intensity keeps the PVT agreements'
readers (gemeente and DUO).
"""

from __future__ import annotations

import typing
from enum import StrEnum

import pytest
from pydantic import BaseModel

from keten_contracts.classification import Bewaartermijn, Classificatie, field_tags, tags_of
from keten_contracts.parties import Rol
from keten_contracts.policy import may_read, view_model
from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import Intake, Pip

VIJF = Bewaartermijn.VIJF_JAAR_NA_EINDE_PLICHT


def _leaf_types(annotation) -> set:
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    return {t for a in args for t in _leaf_types(a)}


def _no_free_text(model: type[BaseModel], name: str) -> None:
    """The item is a code list, a number, a date or a bool, or a model made of those."""
    for leaf in _leaf_types(model.model_fields[name].annotation) - {type(None)}:
        if isinstance(leaf, type) and issubclass(leaf, BaseModel):
            for inner in leaf.model_fields:
                _no_free_text(leaf, inner)
            continue
        assert leaf is not str, f"{model.__name__}.{name} is free text"
        assert isinstance(leaf, type), (model.__name__, name, leaf)
        is_code = issubclass(leaf, StrEnum | int | bool)
        assert is_code or leaf.__name__ in {"date", "datetime"}, (model.__name__, name, leaf)


def _gemeente_only(model: type[BaseModel], resource: str, name: str) -> None:
    tags = tags_of(model.model_fields[name])
    assert tags.classificatie is Classificatie.PERSOONSGEGEVEN
    assert tags.bewaartermijn is VIJF
    assert tags.lezers == {Rol.GEMEENTE}
    assert not model.model_fields[name].is_required()
    assert may_read(Rol.GEMEENTE, resource, name, same_gemeente=True)
    assert not may_read(Rol.GEMEENTE, resource, name, same_gemeente=False)
    for rol in set(Rol) - {Rol.GEMEENTE}:
        assert not may_read(rol, resource, name), (rol, name)
    _no_free_text(model, name)


# (field, a valid wire value) per intake item; seed in the comment in resources/gemeente.py
INTAKE_ITEMS = {
    # seed 002 section 3.4.1: "c. de mate van zelfredzaamheid" (a legal minimum)
    "zelfredzaamheid": ("zelfredzaamheid", "beperkt-zelfredzaam"),
    # seed 001 taak 4: "werkervaring land van herkomst"
    "werkervaring_herkomst": ("werkervaringHerkomst", {"jaren": 6, "beroepsniveau": "middelbaar"}),
    # seed 001 taak 4: "(evt. gewaardeerd diploma)"; seed 004 bijlage B
    "gewaardeerd_diploma": ("gewaardeerdDiploma", {"nlqfNiveau": 6, "gewaardeerdOp": "2025-05-02"}),
    # seed 001 taak 4: "gezinssituatie, sociaal netwerk"
    "gezinssituatie": ("gezinssituatie", "met-partner-met-kinderen"),
    "sociaal_netwerk": ("sociaalNetwerk", "beperkt"),
    # seed 004 bijlage B: "Gegevens uit de voor-inburgering (geactualiseerd)"
    "voorinburgering": (
        "voorinburgering",
        {
            "klantprofielVersie": 3,
            "bijgewerktOp": "2025-06-17",
            "spreekvaardigheidNt2": "A2",
            "introductiemodulesAfgerond": ["kennis-nederlandse-maatschappij"],
            "afgerond": True,
        },
    ),
    # seed 004 bijlage B: "Onderbouwing keuze Z-route (resultaten van onderzoek brede intake)"
    "onderbouwing_z_route": ("onderbouwingZRoute", ["b1-niet-haalbaar", "alfabetisering"]),
}


@pytest.mark.parametrize("name", list(INTAKE_ITEMS))
def test_intake_carries_the_item_for_the_linked_gemeente_only(name):
    _gemeente_only(Intake, "intake", name)
    view = view_model("intake", Rol.GEMEENTE, same_gemeente=True)
    assert view is not None and name in view.model_fields
    cbs = view_model("intake", Rol.CBS)
    assert cbs is None or name not in cbs.model_fields
    wire, value = INTAKE_ITEMS[name]
    parsed = Intake.model_validate({**get_resource("intake").example, wire: value})
    assert getattr(parsed, name)


def test_zelfredzaamheid_is_a_degree_not_a_story():
    # Seed 001: "Gemeenten moeten nadenken hoe dit in verhouding staat tot het registreren van
    # gezondheidsgegevens": a degree as a code, nothing about why.
    annotation = Intake.model_fields["zelfredzaamheid"].annotation
    (enum,) = _leaf_types(annotation) - {type(None)}
    assert {m.value for m in enum} >= {"zelfredzaam", "niet-zelfredzaam"}


def test_personal_circumstances_take_no_health_part():
    # Only gezinssituatie and sociaal netwerk of "persoonlijke omstandigheden (fysieke en
    # mentale gezondheid, gezinssituatie, sociaal netwerk)" (seed 001 taak 4).
    for model in (Intake, Pip):
        for name in model.model_fields:
            assert "omstandigheden" not in name
            assert "gezondheid" not in name


# --- PIP (seed 001 taak 7) ----------------------------------------------------------------


def test_pip_holds_the_agreement_on_voorschoolse_educatie():
    # "Afspraken over deelname van kind aan voorschoolse educatie": one code per child.
    _gemeente_only(Pip, "pip", "voorschoolse_educatie")
    parsed = Pip.model_validate(
        {**get_resource("pip").example, "voorschoolseEducatie": ["deelname", "aanmelding"]}
    )
    assert [str(v) for v in parsed.voorschoolse_educatie] == ["deelname", "aanmelding"]
    with pytest.raises(ValueError):
        Pip.model_validate({**get_resource("pip").example, "voorschoolseEducatie": ["Sara, 3"]})


def test_pip_holds_the_pvt_intensity_for_gemeente_and_duo():
    # "De intensiteit van het participatieverklaringstraject": on the PVT agreements, which
    # the gemeente and DUO read.
    tags = tags_of(Pip.model_fields["pvt_afspraken"])
    assert tags.lezers == {Rol.GEMEENTE, Rol.DUO}
    (afspraken,) = _leaf_types(Pip.model_fields["pvt_afspraken"].annotation) - {type(None)}
    field = afspraken.model_fields["intensiteit_uren"]
    assert "participatieverklaringstraject" in (field.description or "")
    assert field_tags(afspraken)["intensiteit_uren"].bewaartermijn is VIJF
    example = get_resource("pip").example
    parsed = Pip.model_validate(
        {**example, "pvtAfspraken": {**example["pvtAfspraken"], "intensiteitUren": 16}}
    )
    assert parsed.pvt_afspraken is not None and parsed.pvt_afspraken.intensiteit_uren == 16
    view = view_model("pip", Rol.DUO)
    assert view is not None and "pvt_afspraken" in view.model_fields
    schema = view.model_json_schema(by_alias=True)
    assert "participatieverklaringstraject" in str(schema)
