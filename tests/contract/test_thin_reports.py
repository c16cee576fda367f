"""Issue 8 item A: thin events, no exception. The aanbieder reports are resources at the
gemeente's source (validated per kind, a BSN only where rule 1 allows it); the events are thin."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel, ValidationError

from keten_contracts.classification import Classificatie, field_tags
from keten_contracts.events import all_event_types, get_event_type
from keten_contracts.parties import Rol
from keten_contracts.policy import may_receive
from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import (
    AdviesRapport,
    ResultaatRapport,
    TrajectBeeindigdRapport,
    TrajectGestartRapport,
    VoortgangRapport,
    ZRouteResultaatRapport,
)

RAPPORTEN = (
    TrajectGestartRapport,
    VoortgangRapport,
    ResultaatRapport,
    AdviesRapport,
    ZRouteResultaatRapport,
    TrajectBeeindigdRapport,
)
# report kind -> (resource, event type, a field of the kind with a bad value)
KINDS = {
    "traject-gestart": ("gerealiseerdeStartdatum", "gisteren"),
    "voortgang": ("inspanning", "matig"),
    "resultaat": ("soort", "herkansing"),
    "advies": ("onderbouwing", []),
    "z-route-resultaat": ("urenTaalGerealiseerd", -1),
    "traject-beeindigd": ("redenNietAfgerond", "ziekte"),
}
BSN = "111222333"


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if model in seen:
        return
    seen.add(model)
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            tp = stack.pop()
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                _models(tp, seen)
            stack.extend(typing.get_args(tp))


@pytest.mark.parametrize("et", all_event_types(), ids=lambda et: et.type)
def test_no_event_data_holds_personal_data_anywhere(et):
    # No exception: walk the data model and every model nested in it.
    seen: set[type[BaseModel]] = set()
    _models(et.data_model, seen)
    for model in seen:
        for name, tag in field_tags(model).items():
            assert tag.classificatie is Classificatie.GEEN, f"{et.type}: {model.__name__}.{name}"
    assert not et.personal_data


def _example(kind: str) -> dict:
    return dict(get_resource(f"{kind}-rapport").example)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_report_event_is_thin_and_for_the_ordering_gemeente_only(kind):
    et = get_event_type(f"nl.inburgering.{kind}-rapport.ontvangen.v1")
    assert et.resource == f"{kind}-rapport"
    assert et.resource_def.bron == "dossier-bron"
    assert et.producers == {Rol.GEMEENTE}
    assert set(et.data_model.model_fields) == {"rapport_id", "opdracht_id", "dossier_id", "versie"}
    assert et.subject_field == "rapportId"
    assert et.recipients == {Rol.GEMEENTE}
    assert may_receive(
        Rol.GEMEENTE, et.type, recipient_gemeentecode="0363", event_gemeentecode="0363"
    )
    assert not may_receive(
        Rol.GEMEENTE, et.type, recipient_gemeentecode="0599", event_gemeentecode="0363"
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_report_resource_validates_its_kind(kind):
    rd = get_resource(f"{kind}-rapport")
    rd.model.model_validate(_example(kind))
    field, bad = KINDS[kind]
    with pytest.raises(ValidationError):
        rd.model.model_validate({**_example(kind), field: bad})
    with pytest.raises(ValidationError):  # a field of another kind is refused
        rd.model.model_validate({**_example(kind), "nietVanDezeSoort": 1})


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_report_resource_refuses_a_bsn_where_the_task_does_not_allow_it(kind):
    rd = get_resource(f"{kind}-rapport")
    # The language part of a leerroute, by a kind that carries it out: a BSN may be there.
    rd.model.model_validate({**_example(kind), "bsn": BSN})
    # A MAP opdracht (rule 1: no BSN for MAP): the report on it holds none.
    if kind in ("advies", "z-route-resultaat"):
        # These kinds are not submitted by a MAP aanbieder at all.
        with pytest.raises(ValidationError, match="is not submitted by"):
            rd.model.model_validate(
                {**_example(kind), "opdrachtsoort": "map", "aanbiedersoort": "map-aanbieder"}
            )
        return
    geen_bsn = {**_example(kind), "opdrachtsoort": "map", "aanbiedersoort": "map-aanbieder"}
    rd.model.model_validate(geen_bsn)
    with pytest.raises(ValidationError, match="holds no BSN"):
        rd.model.model_validate({**geen_bsn, "bsn": BSN})


def test_a_report_kind_refuses_an_aanbieder_that_does_not_submit_it():
    with pytest.raises(ValidationError, match="is not submitted by"):
        AdviesRapport.model_validate(
            {
                **_example("advies"),
                "opdrachtsoort": "pvt",
                "aanbiedersoort": "pvt-aanbieder",
            }
        )
    with pytest.raises(ValidationError, match="is not for a"):
        VoortgangRapport.model_validate({**_example("voortgang"), "opdrachtsoort": "map"})
