"""Rule 13: the client registry (functie, mandate and purposes per client_id).

Seed 002_774eb578c0679392.txt (section 4.2): "de medewerker inburgering mag gegevens
betreffende de Participatiewet raadplegen, maar niet wijzigen. Andersom mag de klantmanager
Participatiewet geen gegevens wijzigen die zijn vastgelegd in het kader van de nieuwe Wet
inburgering." Functie and mandate come from here, never from token claims.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from keten_contracts.clients import (
    GEMEENTEFUNCTIES,
    TOEGESTANE_DOELEN,
    Client,
    ClientRegistry,
    Doel,
    Functie,
    toegestane_doelen,
)
from keten_contracts.parties import Rol

SSC_OIN = "00000009876543210000"


def _entry(**kw: Any) -> dict[str, Any]:
    return {
        "client_id": "ssc-west-0363-inburgering",
        "service": "dossier-bron",
        "oin": SSC_OIN,
        "rol": "gemeente",
        "functie": "medewerker-inburgering",
        "namens": "0363",
        "doelen": ["uitvoering-inburgering"],
        **kw,
    }


def test_a_gemeente_client_needs_its_mandated_gemeente():
    with pytest.raises(ValidationError, match="needs namens"):
        Client.model_validate(_entry(namens=None))
    with pytest.raises(ValidationError):
        Client.model_validate(_entry(namens="363"))  # not a gemeentecode
    assert Client.model_validate(_entry()).namens == "0363"


def test_only_a_gemeente_client_acts_namens_a_gemeente():
    duo = {"rol": "duo", "functie": "organisatie", "doelen": ["plicht-en-termijnen"]}
    with pytest.raises(ValidationError, match="namens is for gemeente clients only"):
        Client.model_validate(_entry(**duo))
    assert Client.model_validate(_entry(**duo, namens=None)).namens is None


def test_the_functie_fits_the_rol():
    # A gemeente client must say which side of the wall it is on.
    with pytest.raises(ValidationError, match="medewerker-inburgering or a"):
        Client.model_validate(_entry(functie="organisatie"))
    # Other organisations have the one implicit functie (the default).
    for functie in GEMEENTEFUNCTIES:
        with pytest.raises(ValidationError, match="for gemeente clients only"):
            Client.model_validate(
                _entry(rol="cbs", functie=functie, namens=None, doelen=["statistiek-swi"])
            )
    cbs = _entry(rol="cbs", namens=None, doelen=["statistiek-swi"])
    del cbs["functie"]
    assert Client.model_validate(cbs).functie is Functie.ORGANISATIE


def _combinaties() -> list[tuple[Rol, Functie, Doel]]:
    return [(rol, functie, doel) for rol in Rol for functie in Functie for doel in Doel]


@pytest.mark.parametrize("rol,functie,doel", _combinaties())
def test_the_purposes_fit_rol_and_functie(rol: Rol, functie: Functie, doel: Doel):
    entry = _entry(
        rol=rol.value,
        functie=functie.value,
        namens="0363" if rol is Rol.GEMEENTE else None,
        doelen=[doel.value],
    )
    fits_functie = (functie in GEMEENTEFUNCTIES) == (rol is Rol.GEMEENTE)
    if fits_functie and doel in toegestane_doelen(rol, functie):
        assert Client.model_validate(entry).doelen == {doel}
    else:
        with pytest.raises(ValidationError):
            Client.model_validate(entry)


def test_named_purpose_rules():
    # CBS only for the statistics; the klantmanager never for DUO's request or the regie;
    # DUO's request is DUO's.
    assert toegestane_doelen(Rol.CBS, Functie.ORGANISATIE) == {Doel.STATISTIEK_SWI}
    km = toegestane_doelen(Rol.GEMEENTE, Functie.KLANTMANAGER_PARTICIPATIEWET)
    assert km == {Doel.UITVOERING_PARTICIPATIEWET}
    assert all(
        Doel.HANDHAVINGSVERZOEK not in doelen
        for (rol, _), doelen in TOEGESTANE_DOELEN.items()
        if rol is not Rol.DUO
    )
    with pytest.raises(ValidationError, match="do not fit"):
        Client.model_validate(_entry(doelen=["uitvoering-inburgering", "statistiek-swi"]))
    with pytest.raises(ValidationError):
        Client.model_validate(_entry(doelen=[]))  # no purpose, no client


def test_the_registry_holds_no_secret():
    with pytest.raises(ValidationError, match="secret"):
        Client.model_validate(_entry(secret="x" * 40))


def test_the_registry_refuses_a_client_id_twice():
    a = Client.model_validate(_entry())
    b = Client.model_validate(_entry(namens="0599"))  # same client_id, other mandate
    with pytest.raises(ValueError, match="registered twice"):
        ClientRegistry([a, b])


def test_an_ssc_has_one_client_id_per_mandated_gemeente():
    registry = ClientRegistry.from_config(
        {
            "clients": [
                _entry(),
                _entry(client_id="ssc-west-0599-inburgering", namens="0599"),
                _entry(
                    client_id="ssc-west-0363-participatiewet",
                    functie="klantmanager-participatiewet",
                    doelen=["uitvoering-participatiewet"],
                ),
            ]
        }
    )
    assert len(registry) == 3 and "ssc-west-0599-inburgering" in registry
    a = registry.resolve("ssc-west-0363-inburgering")
    b = registry.resolve("ssc-west-0599-inburgering")
    assert a is not None and b is not None
    assert a.oin == b.oin == SSC_OIN  # the SSC's own OIN for both mandates
    assert (a.namens, b.namens) == ("0363", "0599")
    assert {c.functie for c in registry} == {
        Functie.MEDEWERKER_INBURGERING,
        Functie.KLANTMANAGER_PARTICIPATIEWET,
    }


def test_resolve_fails_closed():
    registry = ClientRegistry.from_config(json.dumps([_entry()]))
    assert registry.resolve("ssc-west-0363-inburgering", service="dossier-bron") is not None
    assert registry.resolve("ssc-west-0363-inburgering", service="duo-adapter") is None
    assert registry.resolve("onbekend") is None
    assert registry.resolve(None) is None
    assert registry.resolve("") is None
    with pytest.raises(ValueError, match="unknown registry key"):
        ClientRegistry.from_config({"clients": [], "clientz": []})
