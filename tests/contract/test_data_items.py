"""Issue 8 items 7-10 (contracts 0.2): the data items and return flows the chain missed.

One test per item: the field exists, carries the right classification and retention, and the
right roles read it; the events that announce it are thin and reach the right party.
"""

from __future__ import annotations

import pytest

from keten_contracts.classification import Bewaartermijn, Classificatie, field_tags, tags_of
from keten_contracts.envelope import EXT_AANBIEDEROIN, EXT_AANBIEDERSOORT, EXT_GEMEENTECODE
from keten_contracts.events import get_event_type
from keten_contracts.parties import AANBIEDER_ROLLEN, Rol
from keten_contracts.policy import may_read, may_receive, view_model
from keten_contracts.resources import get_resource
from keten_contracts.resources.coa import Klantprofiel, Nareisprofiel
from keten_contracts.resources.gemeente import MbOnderdeel, Opdracht, Urenverantwoording

T = "nl.inburgering."
VIJF = Bewaartermijn.VIJF_JAAR_NA_EINDE_PLICHT
JAAR50 = Bewaartermijn.VIJFTIG_JAAR


def _tags(model, name):
    return tags_of(model.model_fields[name])


def _assert_thin(type_str: str) -> None:
    et = get_event_type(type_str)
    assert not et.personal_data
    classes = {t.classificatie for t in field_tags(et.data_model).values()}
    assert classes == {Classificatie.GEEN}, type_str


# --- item 7: urenverantwoording ----------------------------------------------------------

UREN_ITEMS = [
    "uren_aanwezig",
    "uren_verzuim_geoorloofd",
    "uren_verzuim_ongeoorloofd",
    "uren_participatie_voor_pip",
]


@pytest.mark.parametrize("name", UREN_ITEMS)
def test_urenverantwoording_carries_the_item_duo_needs(name):
    # Seed 002 sections 3.4.7 and 4.8: attendance, (un)excused absence, Z-route hours before
    # the PIP apart; readable by the same readers as the totals.
    tags = _tags(Urenverantwoording, name)
    totals = _tags(Urenverantwoording, "uren_taal")
    assert tags.classificatie is Classificatie.PERSOONSGEGEVEN
    assert tags.bewaartermijn is VIJF
    assert tags.lezers == totals.lezers == {Rol.GEMEENTE, Rol.DUO}
    assert may_read(Rol.DUO, "urenverantwoording", name)
    assert not Urenverantwoording.model_fields[name].is_required()
    view = view_model("urenverantwoording", Rol.DUO)
    assert view is not None and name in view.model_fields


def test_urenverantwoording_example_still_validates_with_the_new_items():
    rd = get_resource("urenverantwoording")
    full = {
        **rd.example,
        "urenAanwezig": 900,
        "urenVerzuimGeoorloofd": 25,
        "urenVerzuimOngeoorloofd": 15,
        "urenParticipatieVoorPip": 40,
    }
    parsed = Urenverantwoording.model_validate(full)
    assert parsed.uren_verzuim_ongeoorloofd == 15
    assert parsed.uren_participatie_voor_pip == 40


# --- item 8: klantprofiel contact data and nareisprofiel ----------------------------------


@pytest.mark.parametrize(
    ("name", "bewaartermijn"),
    [("adres", JAAR50), ("telefoonnummer", VIJF), ("mailadres", VIJF)],
)
def test_klantprofiel_has_the_contact_data_of_appendix_b(name, bewaartermijn):
    # Seed 004 bijlage B: "naw, BSN, telefoonnummer, mailadres"; art. 9.9: address 50 years,
    # phone and e-mail 5 years.
    tags = _tags(Klantprofiel, name)
    assert tags.classificatie is Classificatie.IDENTIFICEREND
    assert tags.bewaartermijn is bewaartermijn
    assert tags.lezers == {Rol.COA, Rol.GEMEENTE}
    assert may_read(Rol.GEMEENTE, "klantprofiel", name, same_gemeente=True)
    assert not may_read(Rol.GEMEENTE, "klantprofiel", name, same_gemeente=False)
    assert not may_read(Rol.DUO, "klantprofiel", name)


def test_klantprofiel_names_stay_fifty_years():
    for name in ("voornamen", "geslachtsnaam"):
        assert _tags(Klantprofiel, name).bewaartermijn is JAAR50


def test_klantprofiel_carries_a_nareisprofiel_that_coa_notifies_thinly():
    tags = _tags(Klantprofiel, "nareisprofiel")
    assert tags.lezers == {Rol.COA, Rol.GEMEENTE}
    assert tags.bewaartermijn is VIJF
    for name, t in field_tags(Nareisprofiel).items():
        assert t.bewaartermijn is not JAAR50, name
    example = Klantprofiel.model_validate(
        {
            **get_resource("klantprofiel").example,
            "nareisprofiel": {"relatieTotReferent": "partner", "aankomstdatum": "2025-08-01"},
        }
    )
    assert example.nareisprofiel is not None
    et = get_event_type(T + "nareisprofiel.aangeboden.v1")
    assert et.producers == {Rol.COA} and et.recipients == {Rol.GEMEENTE}
    assert et.resource == "klantprofiel"
    assert et.routing_extensions == {EXT_GEMEENTECODE}
    _assert_thin(et.type)
    assert may_receive(
        Rol.GEMEENTE, et.type, recipient_gemeentecode="0363", event_gemeentecode="0363"
    )
    assert not may_receive(
        Rol.GEMEENTE, et.type, recipient_gemeentecode="0344", event_gemeentecode="0363"
    )


# --- item 9: termijn and current target level for the taalaanbieder -----------------------

TAAL_ITEMS = ["termijn_begindatum", "termijn_einddatum", "huidig_taalniveau_doel"]


@pytest.mark.parametrize("name", TAAL_ITEMS)
def test_opdracht_gives_taal_and_z_aanbieder_the_termijn_and_current_level(name):
    # Seed 001: "de intensiteit en de termijn van de leerroute, alsmede wijzigingen daarvan".
    tags = _tags(Opdracht, name)
    assert tags.lezers == {Rol.GEMEENTE, Rol.TAALAANBIEDER, Rol.Z_ROUTE_AANBIEDER}
    assert tags.bewaartermijn is VIJF
    for rol in AANBIEDER_ROLLEN:
        readable = rol in {Rol.TAALAANBIEDER, Rol.Z_ROUTE_AANBIEDER}
        assert may_read(rol, "opdracht", name) is readable, (rol, name)
    assert not may_read(Rol.DUO, "opdracht", name)
    assert not may_read(Rol.CBS, "opdracht", name)


def test_an_afschaling_reaches_the_taalaanbieder_of_the_opdracht():
    # The PIP change goes to DUO and CBS; the aanbieder learns it through the opdracht change,
    # routed to it alone, and reads the new target level when it fetches the opdracht.
    afgeschaald = get_event_type(T + "leerroute.afgeschaald.v1")
    assert afgeschaald.resource == "pip"
    gewijzigd = get_event_type(T + "opdracht.gewijzigd.v1")
    assert gewijzigd.resource == "opdracht"
    assert {Rol.TAALAANBIEDER, Rol.Z_ROUTE_AANBIEDER} <= gewijzigd.recipients
    assert {EXT_AANBIEDERSOORT, EXT_AANBIEDEROIN} <= gewijzigd.routing_extensions
    _assert_thin(gewijzigd.type)
    oin = "00000003273280410000"
    assert may_receive(
        Rol.TAALAANBIEDER,
        gewijzigd.type,
        recipient_oin=oin,
        event_aanbiedersoort=Rol.TAALAANBIEDER,
        event_aanbiederoin=oin,
    )
    opdracht = Opdracht.model_validate(
        {
            **get_resource("opdracht").example,
            "pipVersie": 4,
            "huidigTaalniveauDoel": "A2",
            "termijnBegindatum": "2025-07-15",
            "termijnEinddatum": "2028-07-15",
        }
    )
    view = view_model("opdracht", Rol.TAALAANBIEDER)
    assert view is not None
    seen = view.model_validate({n: getattr(opdracht, n) for n in view.model_fields})
    assert seen.huidig_taalniveau_doel == "A2"  # type: ignore[attr-defined]
    assert seen.pip_versie == 4  # type: ignore[attr-defined]
    assert str(seen.termijn_einddatum) == "2028-07-15"  # type: ignore[attr-defined]


# --- item 10: return flows of MB providers and the LBT taker ------------------------------


@pytest.mark.parametrize("name", ["lbt_toetsdatum", "lbt_uitslag", "mb_onderdelen"])
def test_return_flow_items_are_on_the_opdracht_for_the_gemeente_only(name):
    tags = _tags(Opdracht, name)
    assert tags.classificatie is Classificatie.PERSOONSGEGEVEN
    assert tags.bewaartermijn is VIJF
    assert tags.lezers == {Rol.GEMEENTE}
    for rol in set(Rol) - {Rol.GEMEENTE}:
        assert not may_read(rol, "opdracht", name), (rol, name)


def test_mb_report_holds_codes_and_dates_only():
    for name, t in field_tags(MbOnderdeel).items():
        assert t.classificatie is Classificatie.PERSOONSGEGEVEN, name
    annotations = {n: f.annotation for n, f in MbOnderdeel.model_fields.items()}
    assert str not in annotations.values()  # no free text ("gespreksverslag")


@pytest.mark.parametrize(
    "type_str",
    [T + "mb-rapportage.ontvangen.v1", T + "lbt-resultaat.ontvangen.v1"],
)
def test_return_flow_events_are_thin_from_the_gemeente_source(type_str):
    et = get_event_type(type_str)
    assert et.producers == {Rol.GEMEENTE}
    assert et.recipients == {Rol.GEMEENTE}
    assert et.resource == "opdracht"
    assert EXT_GEMEENTECODE in et.routing_extensions
    _assert_thin(type_str)
    assert set(et.data_model.model_fields) == {"opdracht_id"}
    example = et.example()
    assert example["dataref"].endswith("/opdrachten/" + example["subject"])
    # Not for the provider that reported, nor for anyone else.
    for rol in AANBIEDER_ROLLEN | {Rol.DUO, Rol.CBS, Rol.COA}:
        assert not may_receive(rol, type_str)
