"""COA's rules (coa_adapter.domain): the frozen profile, the events per moment, re-linking."""

from __future__ import annotations

import pytest

from coa_adapter import domain
from coa_adapter.domain import Melding, Regelovertreding
from keten_contracts.common import Aanbiedmoment
from keten_contracts.events.catalogue import get_event_type
from keten_contracts.parties import Rol

ALLE = (
    domain.BIJ_KOPPELING
    + domain.BIJ_WARME_OVERDRACHT_GEPLAND
    + domain.BIJ_WARME_OVERDRACHT_GEHOUDEN
    + domain.BIJ_VESTIGING
)


def test_the_three_moments_offer_the_klantprofiel_after_their_own_event():
    assert domain.BIJ_KOPPELING == (
        Melding(domain.KOPPELING_VASTGESTELD),
        Melding(domain.KLANTPROFIEL_AANGEBODEN, Aanbiedmoment.KOPPELING),
    )
    assert domain.BIJ_WARME_OVERDRACHT_GEPLAND == (Melding(domain.WARME_OVERDRACHT_GEPLAND),)
    assert domain.BIJ_WARME_OVERDRACHT_GEHOUDEN == (
        Melding(domain.WARME_OVERDRACHT_GEHOUDEN),
        Melding(domain.KLANTPROFIEL_AANGEBODEN, Aanbiedmoment.WARME_OVERDRACHT),
    )
    assert domain.BIJ_VESTIGING == (
        Melding(domain.VESTIGING_GEMELD),
        Melding(domain.KLANTPROFIEL_AANGEBODEN, Aanbiedmoment.VESTIGING),
    )
    # Each of the three aanbiedmomenten exactly once.
    momenten = [m.aanbiedmoment for m in ALLE if m.aanbiedmoment is not None]
    assert sorted(momenten) == sorted(Aanbiedmoment)


def test_every_type_is_a_coa_event_of_the_catalogue():
    for melding in (
        *ALLE,
        Melding(domain.KLANTPROFIEL_GEWIJZIGD),
        Melding(domain.NAREISPROFIEL_AANGEBODEN),
    ):
        entry = get_event_type(melding.type)
        assert entry.producers == frozenset({Rol.COA})
        # Only the offer carries a moment, and it must.
        assert ("aanbiedmoment" in entry.data_model.model_fields) == (
            melding.aanbiedmoment is not None
        )


def test_a_profile_is_frozen_after_vertrek_from_the_azc():
    domain.controleer_wijzigbaar(vertrokken=False)
    with pytest.raises(Regelovertreding, match="frozen"):
        domain.controleer_wijzigbaar(vertrokken=True)


@pytest.mark.parametrize(
    ("gekoppeld", "gewijzigd", "nareis", "verwacht"),
    [
        (True, True, False, (domain.KLANTPROFIEL_GEWIJZIGD,)),
        (True, True, True, (domain.KLANTPROFIEL_GEWIJZIGD, domain.NAREISPROFIEL_AANGEBODEN)),
        (True, False, False, ()),  # nothing changed: no new version, no event
        (False, True, True, ()),  # not linked: no gemeente to tell yet
    ],
)
def test_a_change_emits_gewijzigd_and_a_nareisprofiel_its_own_offer(
    gekoppeld, gewijzigd, nareis, verwacht
):
    meldingen = domain.meldingen_bij_wijziging(
        gekoppeld=gekoppeld, gewijzigd=gewijzigd, nareisprofiel_gewijzigd=nareis
    )
    assert tuple(m.type for m in meldingen) == verwacht


def test_relinking_moves_the_koppeling_only_while_in_the_azc():
    first = domain.controleer_herkoppeling(
        huidige_gemeentecode=None, nieuwe_gemeentecode="0363", vertrokken=False
    )
    assert first is False  # nothing to withdraw
    again = domain.controleer_herkoppeling(
        huidige_gemeentecode="0363", nieuwe_gemeentecode="0344", vertrokken=False
    )
    assert again is True  # the old koppeling is withdrawn
    with pytest.raises(Regelovertreding, match="already linked"):
        domain.controleer_herkoppeling(
            huidige_gemeentecode="0363", nieuwe_gemeentecode="0363", vertrokken=False
        )
    with pytest.raises(Regelovertreding, match="left the AZC"):
        domain.controleer_herkoppeling(
            huidige_gemeentecode="0363", nieuwe_gemeentecode="0344", vertrokken=True
        )


def test_warme_overdracht_and_vestiging_need_a_koppeling_and_the_azc():
    domain.controleer_warme_overdracht_plannen(gekoppeld=True, vertrokken=False)
    domain.controleer_vestiging(gekoppeld=True, vertrokken=False)
    for check in (domain.controleer_warme_overdracht_plannen, domain.controleer_vestiging):
        with pytest.raises(Regelovertreding):
            check(gekoppeld=False, vertrokken=False)
        with pytest.raises(Regelovertreding):
            check(gekoppeld=True, vertrokken=True)
    domain.controleer_warme_overdracht_houden(
        al_gehouden=False, bij_huidige_koppeling=True, vertrokken=False
    )
    for feiten in (
        {"al_gehouden": True, "bij_huidige_koppeling": True, "vertrokken": False},
        {"al_gehouden": False, "bij_huidige_koppeling": False, "vertrokken": False},
        {"al_gehouden": False, "bij_huidige_koppeling": True, "vertrokken": True},
    ):
        with pytest.raises(Regelovertreding):
            domain.controleer_warme_overdracht_houden(**feiten)
