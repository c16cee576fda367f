"""Contracts 0.2, "Tests that can fail": the policy fails closed on missing context, for every
role, resource, field and context (hypothesis), and the BSN follows the task for every
(aanbieder, soort) pair and both gemeente BSN settings (exhaustive).

``test_policy.py`` checks the walls with the gemeente context alone and
``test_policy_bsn_task.py`` the BSN per (role, soort) under the law's maximum; these add the
full context (soort, gemeentecode, BSN policy, wire names, doelgroep) and the gemeente's own
BSN setting.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keten_contracts.classification import tags_of
from keten_contracts.common import Doelgroep, Opdrachtsoort
from keten_contracts.parties import (
    AANBIEDER_ROLLEN,
    GEEN_BSN_ROLLEN,
    OPDRACHTTAKEN,
    Rol,
    bsn_past_bij_taak,
)
from keten_contracts.policy import (
    WETTELIJK_MAXIMUM,
    BsnBeleid,
    may_read,
    may_read_doelgroep,
    project,
    project_doelgroep,
    readable_fields,
    view_model,
)
from keten_contracts.resources import all_resources, get_resource

EIGEN = "0363"  # the gemeente of the example opdracht
ANDERE = "0344"
SOORTEN = [s.value for s in Opdrachtsoort]

ROLES = st.sampled_from(list(Rol))
RESOURCES = st.sampled_from([rd.name for rd in all_resources()])
# The gemeente context that does not open the wall: another gemeente, or not stated.
GEEN_EIGEN_GEMEENTE = st.sampled_from([None, False])
# Row context as a caller might pass it: missing, valid, unknown or malformed.
OPDRACHTSOORTEN = st.sampled_from([None, *SOORTEN, "onbekend", ""])
GEMEENTECODES = st.one_of(st.none(), st.from_regex(r"\A\d{4}\Z"), st.sampled_from(["363", "x"]))
BELEID = st.one_of(
    st.none(),
    st.builds(BsnBeleid, st.frozensets(st.sampled_from([EIGEN, ANDERE, "0599"]), max_size=3)),
)
DOELGROEPEN = st.sampled_from([None, *(d.value for d in Doelgroep)])


@st.composite
def resource_fields(draw: st.DrawFn) -> tuple[str, str]:
    """A field of a resource, by its Python or its wire name (the policy takes both)."""
    resource = draw(RESOURCES)
    model = get_resource(resource).model
    name = draw(st.sampled_from(list(model.model_fields)))
    wire = model.model_fields[name].alias or name
    return resource, draw(st.sampled_from([name, wire]))


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, object]:
    return {
        "opdrachtsoort": draw(OPDRACHTSOORTEN),
        "gemeentecode": draw(GEMEENTECODES),
        "bsn_beleid": draw(BELEID),
    }


def _example(resource: str):
    rd = get_resource(resource)
    return rd.model.model_validate(dict(rd.example))


# --- the wall between gemeenten ---------------------------------------------------------------


@given(resource_fields(), GEEN_EIGEN_GEMEENTE, contexts(), DOELGROEPEN)
def test_a_gemeente_reads_nothing_unless_it_states_it_is_the_linked_one(
    resource_field, same_gemeente, context, doelgroep
):
    resource, field = resource_field
    g = Rol.GEMEENTE
    # Whatever the row says (soort, gemeente, BSN policy, doelgroep): no True, no read.
    assert not may_read(g, resource, field, same_gemeente=same_gemeente, **context)
    assert not may_read_doelgroep(
        g, resource, field, doelgroep=doelgroep, same_gemeente=same_gemeente, **context
    )
    assert readable_fields(resource, g, same_gemeente=same_gemeente, **context) == []
    assert view_model(resource, g, same_gemeente=same_gemeente) is None


@given(RESOURCES, GEEN_EIGEN_GEMEENTE, BELEID, DOELGROEPEN)
def test_project_serves_a_gemeente_nothing_without_same_gemeente(
    resource, same_gemeente, beleid, doelgroep
):
    instance = _example(resource)
    ctx = {"same_gemeente": same_gemeente, "bsn_beleid": beleid}
    assert project(resource, Rol.GEMEENTE, instance, **ctx) is None
    assert project_doelgroep(resource, Rol.GEMEENTE, instance, doelgroep=doelgroep, **ctx) is None
    # Not vacuous: stated, the linked gemeente is served every example.
    assert project(resource, Rol.GEMEENTE, instance, same_gemeente=True, bsn_beleid=beleid)


# --- row-dependent opdracht fields --------------------------------------------------------------

OPDRACHT_FIELDS = list(get_resource("opdracht").model.model_fields)
OPDRACHT_LEZERS = sorted(AANBIEDER_ROLLEN | {Rol.DUO})


def _soorten_van(rol: Rol) -> list[str]:
    """The soorten an opdracht read by ``rol`` can have: an aanbieder holds only opdrachten of
    its kind (the model refuses a mismatch); DUO is asked about every soort."""
    if rol is Rol.DUO:
        return SOORTEN
    return [s for s, taak in OPDRACHTTAKEN.items() if rol in taak.uitvoerders]


def _answers(rol: Rol, field: str, rows: list[dict[str, object]]) -> set[bool]:
    return {may_read(rol, "opdracht", field, **row) for row in rows}


def _soort_afhankelijk(rol: Rol) -> list[str]:
    """Fields whose answer for ``rol`` changes with the soort (gemeente and policy fixed)."""
    rows = [{"opdrachtsoort": s, "gemeentecode": EIGEN} for s in _soorten_van(rol)]
    return [f for f in OPDRACHT_FIELDS if len(_answers(rol, f, rows)) > 1]


def _gemeente_afhankelijk(rol: Rol) -> list[str]:
    """Fields whose answer for ``rol`` changes with the ordering gemeente's BSN policy."""
    uit = BsnBeleid(frozenset({EIGEN}))
    return [
        f
        for f in OPDRACHT_FIELDS
        if any(
            len(
                _answers(
                    rol,
                    f,
                    [
                        {"opdrachtsoort": s, "gemeentecode": EIGEN, "bsn_beleid": b}
                        for b in (None, uit)
                    ],
                )
            )
            > 1
            for s in _soorten_van(rol)
        )
    ]


def test_the_row_dependent_fields_are_what_the_law_makes_them():
    # Not vacuous: DUO's whole read depends on the soort (leerroute courses only), an
    # aanbieder's BSN on the soort or the gemeente (language part, gemeente's setting).
    duo_read = set(readable_fields("opdracht", Rol.DUO, opdrachtsoort="b1-cursus"))
    assert duo_read and set(_soort_afhankelijk(Rol.DUO)) == duo_read
    assert _gemeente_afhankelijk(Rol.TAALAANBIEDER) == ["bsn"]
    assert _gemeente_afhankelijk(Rol.Z_ROUTE_AANBIEDER) == ["bsn"]
    for rol in GEEN_BSN_ROLLEN:
        assert _gemeente_afhankelijk(rol) == []


ROW_DEPENDENT = [
    pytest.param(rol, field, id=f"{rol.value}:{field}")
    for rol in OPDRACHT_LEZERS
    for field in sorted(set(_soort_afhankelijk(rol)) | set(_gemeente_afhankelijk(rol)))
]


@pytest.mark.parametrize(("rol", "field"), ROW_DEPENDENT)
@given(same_gemeente=st.sampled_from([None, True, False]), beleid=BELEID)
def test_an_opdracht_without_its_soort_is_refused_for_row_dependent_fields(
    rol, field, same_gemeente, beleid
):
    ctx = {"same_gemeente": same_gemeente, "bsn_beleid": beleid}
    for code in (None, EIGEN):
        assert not may_read(rol, "opdracht", field, gemeentecode=code, **ctx)
    assert not may_read(rol, "opdracht", field, opdrachtsoort="onbekend", gemeentecode=EIGEN, **ctx)
    if field in _gemeente_afhankelijk(rol):
        # And without the ordering gemeente, whatever the soort.
        for soort in _soorten_van(rol):
            assert not may_read(rol, "opdracht", field, opdrachtsoort=soort, **ctx)


@pytest.mark.parametrize(
    ("rol", "soort"),
    [
        pytest.param(rol, soort, id=f"{rol.value}:{soort}")
        for rol in sorted(AANBIEDER_ROLLEN)
        for soort in SOORTEN
        if rol not in OPDRACHTTAKEN[soort].uitvoerders
    ],
)
def test_an_aanbieder_reads_nothing_of_an_opdracht_for_another_kind(rol, soort):
    assert readable_fields("opdracht", rol, opdrachtsoort=soort, gemeentecode=EIGEN) == []


# --- the BSN ---------------------------------------------------------------------------------

BSN_FIELDS = [
    (rd.name, name)
    for rd in all_resources()
    for name, info in rd.model.model_fields.items()
    if tags_of(info).bsn
]


@given(
    st.sampled_from(sorted(GEEN_BSN_ROLLEN)),
    st.sampled_from(BSN_FIELDS),
    st.sampled_from([None, True, False]),
    contexts(),
)
def test_a_role_without_bsn_ground_never_reads_a_bsn(rol, resource_field, same_gemeente, ctx):
    resource, field = resource_field
    assert not may_read(rol, resource, field, same_gemeente=same_gemeente, **ctx)


@pytest.mark.parametrize("soort", [None, *SOORTEN, "onbekend"])
@pytest.mark.parametrize("rol", sorted(GEEN_BSN_ROLLEN))
def test_no_soort_gives_a_role_without_bsn_ground_the_opdracht_bsn(rol, soort):
    for code, beleid in itertools.product((None, EIGEN), (None, WETTELIJK_MAXIMUM)):
        assert not may_read(
            rol, "opdracht", "bsn", opdrachtsoort=soort, gemeentecode=code, bsn_beleid=beleid
        )
        view = readable_fields(
            "opdracht", rol, opdrachtsoort=soort, gemeentecode=code, bsn_beleid=beleid
        )
        assert "bsn" not in view


BELEIDEN = {
    "wettelijk-maximum": WETTELIJK_MAXIMUM,
    "geen-bsn-voor-aanbieders": BsnBeleid(frozenset({EIGEN})),
}


@pytest.mark.parametrize("beleid", list(BELEIDEN), ids=list(BELEIDEN))
@pytest.mark.parametrize("soort", SOORTEN)
@pytest.mark.parametrize("rol", sorted(AANBIEDER_ROLLEN))
def test_the_opdracht_bsn_for_every_aanbieder_soort_and_gemeente_setting(rol, soort, beleid):
    bsn_beleid = BELEIDEN[beleid]
    for code in (EIGEN, ANDERE):
        expected = bsn_past_bij_taak(rol, soort) and bsn_beleid.geeft_bsn_aan_aanbieders(code)
        answer = may_read(
            rol, "opdracht", "bsn", opdrachtsoort=soort, gemeentecode=code, bsn_beleid=bsn_beleid
        )
        assert answer == expected, f"{rol.value}, {soort}, gemeente {code}, {beleid}"
    if rol not in OPDRACHTTAKEN[soort].uitvoerders:
        return  # no such opdracht can exist (the model refuses the kind mismatch)
    # What the source serves agrees with the answer, for the example gemeente.
    rd = get_resource("opdracht")
    data = {**rd.example, "soort": soort, "aanbiedersoort": rol.value}
    if not bsn_past_bij_taak(rol, soort):
        data["bsn"] = None
    instance = rd.model.model_validate(data)
    shown = project("opdracht", rol, instance, bsn_beleid=bsn_beleid)
    assert shown is not None
    served = getattr(shown, "bsn", None)
    expected = bsn_past_bij_taak(rol, soort) and bsn_beleid.geeft_bsn_aan_aanbieders(EIGEN)
    assert (served is not None) == expected
    if expected:
        assert served == instance.bsn
