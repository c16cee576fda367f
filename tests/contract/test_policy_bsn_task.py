"""Issue 8, rule 1: the BSN follows the task, not the kind of aanbieder.

Seed 001 (001_6bf09e723ef6bb05.txt): "Taalaanbieders mogen dus het BSN van de
inburgeringsplichtige gebruiken bij de uitvoering van hun taak. Voor alle andere taken mogen de
aanbieders bij de uitvoering hun taken niet het BSN gebruiken." Seed 003 shows a gemeente that
gives no BSN to cursusinstellingen at all (``BsnBeleid``, stricter only).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from keten_contracts.common import Opdrachtsoort
from keten_contracts.parties import AANBIEDER_ROLLEN, OPDRACHTTAKEN, Rol
from keten_contracts.policy import WETTELIJK_MAXIMUM, BsnBeleid, may_read, project
from keten_contracts.resources import get_resource

SOORTEN = [s.value for s in Opdrachtsoort]
# The only (aanbieder, soort) pairs with a BSN: the language part of a leerroute.
BSN_PAREN = {
    (Rol.TAALAANBIEDER, "b1-cursus"),
    (Rol.TAALAANBIEDER, "onderwijsroute"),
    (Rol.TAALAANBIEDER, "taalschakeltraject"),
    (Rol.Z_ROUTE_AANBIEDER, "z-route"),
}
GEMEENTECODES = st.from_regex(r"\A\d{4}\Z")


def _opdracht(**changes):
    rd = get_resource("opdracht")
    return rd.model.model_validate({**rd.example, **changes})


def test_every_soort_has_one_task_entry():
    assert set(OPDRACHTTAKEN) == set(SOORTEN)
    for soort in ("map", "pvt", "maatschappelijke-begeleiding", "leerbaarheidstoets"):
        assert not OPDRACHTTAKEN[soort].taaldeel


@pytest.mark.parametrize("soort", SOORTEN)
@pytest.mark.parametrize("rol", list(Rol))
def test_the_bsn_for_every_role_and_soort(rol, soort):
    answer = may_read(rol, "opdracht", "bsn", opdrachtsoort=soort, gemeentecode="0363")
    if rol is Rol.GEMEENTE:
        assert not answer  # the wall: no same_gemeente stated
        assert may_read(
            rol, "opdracht", "bsn", same_gemeente=True, opdrachtsoort=soort, gemeentecode="0363"
        )
    else:
        assert answer == ((rol, soort) in BSN_PAREN)
    # Missing row context fails closed for every aanbieder.
    if rol.is_aanbieder:
        assert not may_read(rol, "opdracht", "bsn", opdrachtsoort=soort)
        assert not may_read(rol, "opdracht", "bsn", gemeentecode="0363")


@pytest.mark.parametrize("soort", SOORTEN)
@pytest.mark.parametrize("rol", sorted(AANBIEDER_ROLLEN))
def test_the_opdracht_refuses_a_kind_mismatch_and_a_bsn_outside_the_language_task(rol, soort):
    fits = rol in OPDRACHTTAKEN[soort].uitvoerders
    if fits:
        _opdracht(soort=soort, aanbiedersoort=rol.value, bsn=None)
    else:
        with pytest.raises(ValidationError, match="is not for a"):
            _opdracht(soort=soort, aanbiedersoort=rol.value, bsn=None)
    if (rol, soort) in BSN_PAREN:
        assert _opdracht(soort=soort, aanbiedersoort=rol.value).bsn is not None
    else:
        with pytest.raises(ValidationError):
            _opdracht(soort=soort, aanbiedersoort=rol.value)


def test_a_taalaanbieder_gets_no_bsn_for_a_map_opdracht_whatever_the_kind():
    # The case of issue 8: a MAP opdracht for a taalaanbieder used to validate with a BSN.
    with pytest.raises(ValidationError):
        _opdracht(soort="map", aanbiedersoort="taalaanbieder")
    with pytest.raises(ValidationError):
        _opdracht(soort="maatschappelijke-begeleiding", aanbiedersoort="z-route-aanbieder")
    assert not may_read(
        Rol.TAALAANBIEDER, "opdracht", "bsn", opdrachtsoort="map", gemeentecode="0363"
    )


def test_the_gemeente_switch_turns_the_bsn_off_for_its_aanbieders_only():
    beleid = BsnBeleid.from_config({"geenBsnVoorAanbieders": ["0363"]})
    opdracht = _opdracht()  # b1-cursus for a taalaanbieder of 0363, with a BSN
    assert project("opdracht", Rol.TAALAANBIEDER, opdracht).bsn == opdracht.bsn
    hidden = project("opdracht", Rol.TAALAANBIEDER, opdracht, bsn_beleid=beleid)
    assert hidden is not None and hidden.bsn is None
    assert hidden.cursusnaam == opdracht.cursusnaam  # the rest of the opdracht still served
    other = _opdracht(gemeentecode="0344")
    assert project("opdracht", Rol.TAALAANBIEDER, other, bsn_beleid=beleid).bsn == other.bsn
    kw = {"opdrachtsoort": "b1-cursus", "bsn_beleid": beleid}
    assert not may_read(Rol.TAALAANBIEDER, "opdracht", "bsn", gemeentecode="0363", **kw)
    assert may_read(Rol.TAALAANBIEDER, "opdracht", "bsn", gemeentecode="0344", **kw)
    # The gemeente itself keeps its BSN: the switch is about aanbieders.
    assert may_read(Rol.GEMEENTE, "opdracht", "bsn", same_gemeente=True, gemeentecode="0363", **kw)


def test_the_configuration_is_checked():
    assert BsnBeleid.from_config(None) == WETTELIJK_MAXIMUM == BsnBeleid.from_config({})
    with pytest.raises(ValueError, match="unknown"):
        BsnBeleid.from_config({"geenBsnVoorAanbieder": ["0363"]})  # typo
    with pytest.raises(ValueError, match="gemeentecode"):
        BsnBeleid.from_config({"geenBsnVoorAanbieders": ["363"]})
    with pytest.raises(ValueError):
        BsnBeleid.from_config({"geenBsnVoorAanbieders": "0363"})


@given(
    st.sampled_from(list(Rol)),
    st.sampled_from(SOORTEN),
    GEMEENTECODES,
    st.frozensets(GEMEENTECODES, max_size=5),
    st.sampled_from([True, False, None]),
)
def test_a_gemeente_switch_can_only_make_it_stricter(rol, soort, code, uit, same_gemeente):
    beleid = BsnBeleid(uit)
    ctx = {"same_gemeente": same_gemeente, "opdrachtsoort": soort, "gemeentecode": code}
    strict = may_read(rol, "opdracht", "bsn", bsn_beleid=beleid, **ctx)
    if strict:
        assert may_read(rol, "opdracht", "bsn", **ctx)
    if rol.is_aanbieder and code in uit:
        assert not strict
