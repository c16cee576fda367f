"""Issue 8 item 4 (contracts 0.2, rules 3, 4): the verhuizing hand-over.

Seed 002_774eb578c0679392.txt (section 4.5): the new gemeente "[moet] contact zoeken met de
gemeente van vertrek en de overdracht initiëren"; seed 004_e8b3bff006360911.txt (section 4.2.4,
note 20, art. 9.4 lid 4 Besluit): the old college gives "het persoonlijk plan inburgering en
participatie", "de voortgang van de inburgeringsplicht" and "uitgevoerde handhaving".
Sequence: duo.verhuizing.gemeld (to the new gemeente) -> gemeente.overdracht.aangevraagd (new
-> old; gemeentecode = OLD) -> the old gemeente's package (overdracht) ->
gemeente.verhuizing.overgedragen (old -> new; gemeentecode = NEW).
"""

from __future__ import annotations

import pytest

from keten_contracts.classification import Classificatie, field_tags
from keten_contracts.events import get_event_type
from keten_contracts.parties import Rol
from keten_contracts.policy import may_read, may_receive, project, project_voor_overdracht
from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import (
    Dossier,
    Handhavingsmaatregel,
    Intake,
    Onderdeelsoort,
    Overdracht,
    Overdrachtsverzoek,
    Pip,
    Voortgang,
)

T = "nl.inburgering."
GEMELD = T + "verhuizing.gemeld.v1"
AANGEVRAAGD = T + "overdracht.aangevraagd.v1"
OVERGEDRAGEN = T + "verhuizing.overgedragen.v1"
OUD, NIEUW, DERDE = "0363", "0599", "0518"


def _example(name, model, **kw):
    return model.model_validate({**get_resource(name).example, **kw})


VERZOEK = _example("overdrachtsverzoek", Overdrachtsverzoek)  # new 0599 asks old 0363
PAKKET = _example("overdracht", Overdracht)  # old 0363 hands over to 0599
DOSSIER = _example("dossier", Dossier, status="overgedragen", overgedragenAan=NIEUW)
INTAKE = _example("intake", Intake)
PIP = _example("pip", Pip)
VOORTGANG = _example("voortgang", Voortgang)
BOETE = _example("handhavingsmaatregel", Handhavingsmaatregel)


def _receives(type_str, gemeentecode, event_gemeentecode):
    return may_receive(
        Rol.GEMEENTE,
        type_str,
        recipient_gemeentecode=gemeentecode,
        event_gemeentecode=event_gemeentecode,
    )


def _thin(type_str):
    et = get_event_type(type_str)
    assert not et.personal_data
    assert {t.classificatie for t in field_tags(et.data_model).values()} == {Classificatie.GEEN}
    return et


# --- sequence and routing -----------------------------------------------------------------


def test_the_sequence_request_package_overgedragen_is_linked_by_ids():
    gemeld, aangevraagd, overgedragen = map(_thin, (GEMELD, AANGEVRAAGD, OVERGEDRAGEN))
    # DUO -> new: the person reference the new gemeente puts in its request.
    assert gemeld.producers == {Rol.DUO} and gemeld.recipients == {Rol.GEMEENTE}
    assert VERZOEK.inburgeringsplicht_id == gemeld.example()["data"]["inburgeringsplichtId"]
    # new -> old: the request, at the new gemeente's source.
    assert aangevraagd.producers == aangevraagd.recipients == {Rol.GEMEENTE}
    assert aangevraagd.resource == "overdrachtsverzoek"
    assert set(aangevraagd.data_model.model_fields) == {
        "overdrachtsverzoek_id",
        "inburgeringsplicht_id",
    }
    # old -> new: the package answers the request, and overgedragen points at the package.
    assert PAKKET.overdrachtsverzoek_id == VERZOEK.overdrachtsverzoek_id
    assert (PAKKET.gemeentecode, PAKKET.nieuwe_gemeentecode) == (
        VERZOEK.vorige_gemeentecode,
        VERZOEK.gemeentecode,
    )
    assert overgedragen.resource == "overdracht"
    assert set(overgedragen.data_model.model_fields) == {"overdracht_id", "overdrachtsverzoek_id"}
    data = overgedragen.example()["data"]
    assert data["overdrachtsverzoekId"] == VERZOEK.overdrachtsverzoek_id
    assert data["overdrachtId"] == PAKKET.overdracht_id


def test_the_request_goes_to_the_old_gemeente_and_overgedragen_to_the_new():
    # The request carries the OLD gemeente's code (the recipient): only the old one gets it.
    assert _receives(AANGEVRAAGD, OUD, VERZOEK.vorige_gemeentecode)
    assert not _receives(AANGEVRAAGD, NIEUW, VERZOEK.vorige_gemeentecode)
    assert not _receives(AANGEVRAAGD, DERDE, VERZOEK.vorige_gemeentecode)
    # overgedragen carries the NEW gemeente's code.
    assert _receives(OVERGEDRAGEN, NIEUW, PAKKET.nieuwe_gemeentecode)
    assert not _receives(OVERGEDRAGEN, OUD, PAKKET.nieuwe_gemeentecode)
    for rol in (Rol.DUO, Rol.CBS, Rol.TAALAANBIEDER):
        assert not may_receive(rol, AANGEVRAAGD) and not may_receive(rol, OVERGEDRAGEN)


def test_a_hand_over_is_between_two_gemeenten():
    with pytest.raises(ValueError, match="two different gemeenten"):
        _example("overdrachtsverzoek", Overdrachtsverzoek, vorigeGemeentecode=NIEUW)
    with pytest.raises(ValueError, match="two different gemeenten"):
        _example("overdracht", Overdracht, nieuweGemeentecode=OUD)


# --- who reads what -----------------------------------------------------------------------


def test_the_old_gemeente_reads_the_request_addressed_to_it_only():
    assert project_voor_overdracht("overdrachtsverzoek", VERZOEK, gemeentecode=OUD) is not None
    assert project_voor_overdracht("overdrachtsverzoek", VERZOEK, gemeentecode=DERDE) is None
    assert project_voor_overdracht("overdrachtsverzoek", VERZOEK, gemeentecode=None) is None


def test_the_new_gemeente_reads_the_package_for_its_own_request_only():
    view = project_voor_overdracht("overdracht", PAKKET, gemeentecode=NIEUW, verzoek=VERZOEK)
    assert view is not None and len(view.onderdelen) == len(PAKKET.onderdelen)
    assert project_voor_overdracht("overdracht", PAKKET, gemeentecode=NIEUW) is None
    assert (
        project_voor_overdracht("overdracht", PAKKET, gemeentecode=DERDE, verzoek=VERZOEK) is None
    )
    other = _example("overdrachtsverzoek", Overdrachtsverzoek, overdrachtsverzoekId="ovz-other")
    assert project_voor_overdracht("overdracht", PAKKET, gemeentecode=NIEUW, verzoek=other) is None


@pytest.mark.parametrize(
    ("resource", "instance"),
    [("intake", INTAKE), ("pip", PIP), ("voortgang", VOORTGANG), ("handhavingsmaatregel", BOETE)],
)
def test_the_new_gemeente_reads_a_linked_part_for_the_hand_over(resource, instance):
    # Outside the hand-over the wall holds: the old gemeente's part is not the new one's.
    assert project(resource, Rol.GEMEENTE, instance, same_gemeente=False) is None
    view = project_voor_overdracht(resource, instance, gemeentecode=NIEUW, pakket=PAKKET)
    assert view is not None
    assert project_voor_overdracht(resource, instance, gemeentecode=DERDE, pakket=PAKKET) is None
    assert project_voor_overdracht(resource, instance, gemeentecode=NIEUW) is None


def test_a_part_the_package_does_not_link_is_not_read():
    unlinked = _example("pip", Pip, pipId="pip-9999", versie=3)
    assert project_voor_overdracht("pip", unlinked, gemeentecode=NIEUW, pakket=PAKKET) is None


def test_the_old_dossier_is_not_handed_over_wholesale():
    # No link to the dossier can exist, the package holds no personal dossier field, and the
    # dossier itself is never served for the hand-over (the old gemeente keeps it).
    assert "dossier" not in {s.value for s in Onderdeelsoort}
    assert not set(Overdracht.model_fields) & {
        "dossier_id",
        "bsn",
        "voornamen",
        "geslachtsnaam",
        "geboortedatum",
        "adres",
        "telefoon",
        "email",
    }
    assert project_voor_overdracht("dossier", DOSSIER, gemeentecode=NIEUW, pakket=PAKKET) is None
    assert project("dossier", Rol.GEMEENTE, DOSSIER, same_gemeente=False) is None
    assert get_event_type(OVERGEDRAGEN).resource != "dossier"


# --- dossier links, voortgang -------------------------------------------------------------


def test_a_dossier_links_its_parts_for_the_linked_gemeente_only():
    dossier = _example(
        "dossier",
        Dossier,
        onderdelen=[
            {"soort": "intake", "resourceId": "int-7a10"},
            {"soort": "pip", "resourceId": "pip-7f3c2a", "versie": 1},
            {"soort": "opdracht", "resourceId": "opd-3a91"},
            {"soort": "handhavingsmaatregel", "resourceId": "hm-2b77"},
            {"soort": "voortgang", "resourceId": "vg-5a12"},
        ],
    )
    assert {link.soort.value for link in dossier.onderdelen} == {s.value for s in Onderdeelsoort}
    for link in dossier.onderdelen:
        get_resource(link.soort.value)  # each link names a resource a reader can fetch
    assert may_read(Rol.GEMEENTE, "dossier", "onderdelen", same_gemeente=True)
    assert not may_read(Rol.DUO, "dossier", "onderdelen")
    assert not may_read(Rol.CBS, "dossier", "onderdelen")


def test_voortgang_is_a_resource_at_the_gemeente_with_hours():
    rd = get_resource("voortgang")
    assert rd.owner is Rol.GEMEENTE and rd.bron == "dossier-bron"
    assert "uren_gerealiseerd_totaal" in Voortgang.model_fields
    assert may_read(Rol.GEMEENTE, "voortgang", "urenGerealiseerdTotaal", same_gemeente=True)
    assert not may_read(Rol.DUO, "voortgang", "urenGerealiseerdTotaal")
