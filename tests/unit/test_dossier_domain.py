"""dossier-bron's rules for opening a dossier (``dossier_bron.domain``), without servers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from dossier_bron.domain import (
    Feit,
    Gemeenten,
    Herkomst,
    feiten_uit_klantprofiel,
    feiten_uit_koppeling,
    feiten_uit_plicht,
    gewijzigd,
    nieuw_id,
)
from keten_contracts.resources import coa, duo
from keten_contracts.resources.gemeente import Adres

MOMENT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
AMSTERDAM_OIN = "00000001002564440000"


def herkomst(resource: str = "klantprofiel") -> Herkomst:
    return Herkomst("coa-adapter", resource, "kp-1", MOMENT, versie=2)


def profiel(**extra: object) -> coa.Klantprofiel:
    return coa.Klantprofiel.model_validate(
        {
            "klantprofielId": "kp-1",
            "koppelingId": "kop-1",
            "versie": 2,
            "aanbiedmoment": "koppeling",
            "bevroren": False,
            "bsn": "111222333",
            "voornamen": "Amal",
            "geslachtsnaam": "Haddad",
            "geboortedatum": "1994-05-17",
            "coaContactpersoon": {"naam": "Jannie de Vries"},
            **extra,
        }
    )


def test_only_the_gemeenten_configured_are_served():
    gemeenten = Gemeenten.uit_json(json.dumps({"0363": AMSTERDAM_OIN}))
    assert gemeenten.bedient("0363")
    assert not gemeenten.bedient("0344")
    assert not gemeenten.bedient(None)
    assert gemeenten.oin("0363") == AMSTERDAM_OIN
    assert not Gemeenten.uit_json(None).bedient("0363")


@pytest.mark.parametrize(
    "config", [{"363": AMSTERDAM_OIN}, {"0363": "123"}, {"0363": "0000000100256444000x"}]
)
def test_a_wrong_gemeente_configuration_is_refused(config):
    with pytest.raises(ValueError):
        Gemeenten(config)


def test_every_fact_of_the_klantprofiel_carries_its_source_and_empty_fields_are_no_facts():
    feiten = feiten_uit_klantprofiel(
        profiel(
            adres={
                "straat": "Dam",
                "huisnummer": "1",
                "postcode": "1012JS",
                "woonplaats": "Amsterdam",
            }
        ),
        herkomst(),
    )
    by_veld = {f.veld: f for f in feiten}
    assert set(by_veld) == {"bsn", "voornamen", "geslachtsnaam", "geboortedatum", "adres"}
    assert by_veld["geboortedatum"].waarde == "1994-05-17"
    assert by_veld["adres"].waarde["postcode"] == "1012JS"
    assert all(f.herkomst == herkomst() for f in feiten)
    # No phone in the profile: no fact that would erase one another source gave.
    assert "telefoon" not in by_veld


def test_the_koppeling_and_the_plicht_give_their_ids_and_duos_decisions():
    koppeling = coa.Koppeling(
        koppeling_id="kop-1",
        gemeentecode="0363",
        koppeldatum=date(2026, 11, 1),
        status=coa.Koppelingstatus.GEKOPPELD,
        azc_locatie="AZC Budel",
        klantprofiel_id="kp-1",
        coa_contactpersoon=coa.Contactpersoon(naam="Jannie"),
    )
    assert {f.veld: f.waarde for f in feiten_uit_koppeling(koppeling, herkomst("koppeling"))} == {
        "koppelingId": "kop-1",
        "klantprofielId": "kp-1",
    }
    plicht = duo.Inburgeringsplicht(
        inburgeringsplicht_id="ibp-1",
        gemeentecode="0363",
        bsn="111222333",
        status=duo.Plichtstatus.VASTGESTELD,
        vastgesteld_op=date(2026, 11, 2),
        doelgroep="gezinsmigrant",
        recht_maatschappelijke_begeleiding=False,
    )
    feiten = {f.veld: f.waarde for f in feiten_uit_plicht(plicht, herkomst("inburgeringsplicht"))}
    assert feiten == {
        "inburgeringsplichtId": "ibp-1",
        "bsn": "111222333",
        "doelgroep": "gezinsmigrant",
        "rechtMaatschappelijkeBegeleiding": False,
    }


def test_a_repeated_value_is_no_change():
    adres = Adres(straat="Dam", huisnummer="1", postcode="1012JS", woonplaats="Amsterdam")
    [feit] = [
        f for f in feiten_uit_klantprofiel(profiel(adres=adres), herkomst()) if f.veld == "adres"
    ]
    assert not gewijzigd(feit.waarde, feit)
    assert gewijzigd(None, feit)
    assert gewijzigd("Amal", Feit("voornamen", "Amal Sara", herkomst()))


def test_ids_are_opaque():
    assert nieuw_id().startswith("dos-") and nieuw_id() != nieuw_id()
