"""Issue 8, item 14: the two target groups.

Seed 001 (001_6bf09e723ef6bb05.txt, taak 7): "Intensiteit leerroute wordt alleen vastgelegd
voor de doelgroep asielstatushouders (niet voor gezinsmigranten en overige migranten)." Seed 002
(002_774eb578c0679392.txt, section 4.7): "De gemeente ontvangt geen informatie over de taal
inspanningen van de gezins- of overige migrant. De instelling levert deze informatie
rechtstreeks aan DUO die dit betrekt in het handhavingsproces."
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from keten_contracts.common import Doelgroep
from keten_contracts.parties import Rol
from keten_contracts.policy import (
    TAALINSPANNING_VELDEN,
    may_read,
    may_read_doelgroep,
    project_doelgroep,
    view_model,
)
from keten_contracts.resources import get_resource

ASIEL = Doelgroep.ASIELSTATUSHOUDER
ZONDER = [Doelgroep.GEZINSMIGRANT, Doelgroep.OVERIGE_MIGRANT]
TAALUREN = sorted(TAALINSPANNING_VELDEN["urenverantwoording"])


def _make(resource: str, **changes):
    rd = get_resource(resource)
    return rd.model.model_validate({**rd.example, **changes})


def _uren(**changes):
    return _make(
        "urenverantwoording",
        urenAanwezig=900,
        urenVerzuimGeoorloofd=20,
        urenVerzuimOngeoorloofd=20,
        urenParticipatie=10,
        **changes,
    )


# -- the PIP carries the doelgroep; no intensity for gezins- en overige migranten -------------


def test_pip_carries_the_doelgroep_read_by_gemeente_and_duo():
    pip = _make("pip", doelgroep="asielstatushouder")
    assert pip.doelgroep is ASIEL and pip.intensiteit_uren == 1200
    assert may_read(Rol.GEMEENTE, "pip", "doelgroep", same_gemeente=True)
    assert may_read(Rol.DUO, "pip", "doelgroep")
    assert not may_read(Rol.CBS, "pip", "doelgroep")


@pytest.mark.parametrize("doelgroep", ZONDER)
def test_pip_of_gezins_or_overige_migrant_holds_no_intensity(doelgroep):
    with pytest.raises(ValidationError, match="intensiteitUren"):
        _make("pip", doelgroep=doelgroep.value)  # the example has intensiteitUren 1200
    pip = _make("pip", doelgroep=doelgroep.value, intensiteitUren=None)
    assert pip.intensiteit_uren is None
    # The PVT intensity is not the leerroute's: it stays for everyone.
    pvt = {"beoogdeStart": "2025-10-01", "uitersteDatum": "2026-07-15", "intensiteitUren": 16}
    assert _make("pip", doelgroep=doelgroep.value, intensiteitUren=None, pvtAfspraken=pvt)


@pytest.mark.parametrize("doelgroep", ZONDER)
def test_opdracht_of_gezins_or_overige_migrant_holds_no_leerroute_hours(doelgroep):
    with pytest.raises(ValidationError, match="holds no uren"):
        _make("opdracht", doelgroep=doelgroep.value)  # the example has uren 1200
    assert _make("opdracht", doelgroep=doelgroep.value, uren=None).uren is None
    assert _make("opdracht", doelgroep="asielstatushouder").uren == 1200


# -- the gemeente does not read the language efforts of gezins- en overige migranten --------


@pytest.mark.parametrize("veld", TAALUREN)
def test_gemeente_reads_language_hours_only_of_an_asielstatushouder(veld):
    assert may_read_doelgroep(
        Rol.GEMEENTE, "urenverantwoording", veld, same_gemeente=True, doelgroep=ASIEL
    )
    assert may_read_doelgroep(
        Rol.GEMEENTE, "urenverantwoording", veld, same_gemeente=True, doelgroep="asielstatushouder"
    )
    for doelgroep in ZONDER:
        assert not may_read_doelgroep(
            Rol.GEMEENTE, "urenverantwoording", veld, same_gemeente=True, doelgroep=doelgroep
        )
    # Fail closed: no doelgroep stated, or nonsense, is a no.
    assert not may_read_doelgroep(
        Rol.GEMEENTE, "urenverantwoording", veld, same_gemeente=True, doelgroep=None
    )
    # may_read alone answers for the field in general (an asielstatushouder's row).
    assert may_read(Rol.GEMEENTE, "urenverantwoording", veld, same_gemeente=True)
    assert not may_read_doelgroep(
        Rol.GEMEENTE, "urenverantwoording", veld, same_gemeente=True, doelgroep="onbekend"
    )
    # DUO reads them of everyone (the instelling reports them to DUO).
    for doelgroep in [None, ASIEL, *ZONDER]:
        assert may_read_doelgroep(Rol.DUO, "urenverantwoording", veld, doelgroep=doelgroep)


def test_wire_names_follow_the_same_rule():
    assert not may_read_doelgroep(
        Rol.GEMEENTE,
        "urenverantwoording",
        "urenVerzuimOngeoorloofd",
        same_gemeente=True,
        doelgroep=Doelgroep.GEZINSMIGRANT,
    )
    assert not may_read_doelgroep(
        Rol.GEMEENTE, "opdracht", "resultaatBehaald", same_gemeente=True, doelgroep=None
    )


def test_other_fields_do_not_need_the_doelgroep():
    for veld in ("peildatum", "reden", "uren_participatie", "doelgroep"):
        assert may_read(Rol.GEMEENTE, "urenverantwoording", veld, same_gemeente=True)
    for veld in TAALUREN:
        assert not may_read_doelgroep(
            Rol.GEMEENTE,
            "urenverantwoording",
            veld,
            same_gemeente=True,
            doelgroep=Doelgroep.OVERIGE_MIGRANT,
        )
    assert may_read_doelgroep(
        Rol.GEMEENTE,
        "urenverantwoording",
        "peildatum",
        same_gemeente=True,
        doelgroep=Doelgroep.OVERIGE_MIGRANT,
    )


def test_gemeente_gets_no_urenverantwoording_of_gezins_or_overige_migrant():
    # The view keeps the fields (an asielstatushouder's row shows them) ...
    view = view_model("urenverantwoording", Rol.GEMEENTE, same_gemeente=True)
    assert view is not None and set(TAALUREN) <= set(view.model_fields)
    asiel = project_doelgroep(
        "urenverantwoording",
        Rol.GEMEENTE,
        _uren(doelgroep="asielstatushouder"),
        same_gemeente=True,
    )
    assert asiel is not None and asiel.uren_taal == 940 and asiel.uren_verzuim_ongeoorloofd == 20
    # ... but uren_taal is required, so a row that hides it is not served at all.
    for doelgroep in ZONDER:
        assert (
            project_doelgroep(
                "urenverantwoording",
                Rol.GEMEENTE,
                _uren(doelgroep=doelgroep.value),
                same_gemeente=True,
            )
            is None
        )


def test_project_fails_closed_without_doelgroep_and_uses_the_instances_own():
    assert (
        project_doelgroep("urenverantwoording", Rol.GEMEENTE, _uren(), same_gemeente=True) is None
    )
    # Passed by the source when the instance carries none (from the dossier).
    met = project_doelgroep(
        "urenverantwoording", Rol.GEMEENTE, _uren(), same_gemeente=True, doelgroep=ASIEL
    )
    assert met is not None and met.uren_taal == 940
    # The instance's own doelgroep wins over a more open keyword.
    eigen = project_doelgroep(
        "urenverantwoording",
        Rol.GEMEENTE,
        _uren(doelgroep="gezinsmigrant"),
        same_gemeente=True,
        doelgroep=ASIEL,
    )
    assert eigen is None
    duo = project_doelgroep("urenverantwoording", Rol.DUO, _uren(doelgroep="gezinsmigrant"))
    assert duo is not None and duo.uren_taal == 940 and duo.uren_verzuim_geoorloofd == 20


def test_language_results_on_the_opdracht():
    resultaat = {
        "soort": "taalschakeltraject",
        "uren": None,
        "resultaatBehaald": True,
        "resultaatDatum": "2026-06-01",
    }
    for doelgroep in ZONDER:
        shown = project_doelgroep(
            "opdracht",
            Rol.GEMEENTE,
            _make("opdracht", doelgroep=doelgroep.value, **resultaat),
            same_gemeente=True,
        )
        assert (
            shown is not None and shown.resultaat_behaald is None and shown.resultaat_datum is None
        )
    asiel = project_doelgroep(
        "opdracht",
        Rol.GEMEENTE,
        _make("opdracht", doelgroep="asielstatushouder", **resultaat),
        same_gemeente=True,
    )
    assert asiel is not None and asiel.resultaat_behaald is True
    # DUO reads results whatever the group.
    duo = project_doelgroep(
        "opdracht", Rol.DUO, _make("opdracht", doelgroep="gezinsmigrant", **resultaat)
    )
    assert duo is not None and duo.resultaat_behaald is True
