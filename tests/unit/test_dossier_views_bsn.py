"""Issue 10 acceptance: "a MAP aanbieder's view never holds a BSN (property-based over generated
dossiers and all roles)". Dossiers and opdrachten are generated as dossier-bron stores them
(``DossierRij``, ``OpdrachtRij``), turned into the contract by the service's own builders
(``opdrachten.als_opdracht``, ``DossierRij.als_contract``) and served per role as the read kit
does (``keten_contracts.access.projecteer`` with the service's row facts). For every client of
every role and purpose: MAP, PVT, MB and LBT never get a BSN; a taal- or Z-route-aanbieder gets
one only on the language part of a leerroute it holds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dossier_bron import opdrachten
from dossier_bron.api import _rij
from dossier_bron.models import DossierRij, OpdrachtRij
from keten_contracts.access import projecteer, toegang
from keten_contracts.clients import Client, Doel, Functie
from keten_contracts.common import Doelgroep, is_bsn
from keten_contracts.parties import GEEN_BSN_ROLLEN, OPDRACHTTAKEN, Rol, bsn_past_bij_taak

GEMEENTEN = {"0363": "00000001002564440000", "0344": "00000001002220647000"}
AANBIEDER_OINS = ["00000003273280410000", "00000003273280420000"]
NU = datetime(2026, 3, 1, tzinfo=UTC)


def _elfproef(digits: list[int]) -> str | None:
    total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
    last = total % 11
    return None if last == 10 else "".join(map(str, digits)) + str(last)


# Numbers that pass the elfproef, as the contract demands of every BSN.
bsns = (
    st.lists(st.integers(0, 9), min_size=8, max_size=8)
    .map(_elfproef)
    .filter(lambda b: b is not None and is_bsn(b))
)


@st.composite
def dossiers(draw: st.DrawFn) -> DossierRij:
    gemeentecode = draw(st.sampled_from(sorted(GEMEENTEN)))
    return DossierRij(
        dossier_id=f"dos-{draw(st.integers(0, 10**12)):016x}",
        gemeentecode=gemeentecode,
        bsn=draw(bsns),
        doelgroep=draw(st.sampled_from(list(Doelgroep))).value,
        status="actief",
        voornamen=draw(st.sampled_from(["Amal", "Yonas", "Ahmad Karim", "Li"])),
        geslachtsnaam="Haddad",
        geboortedatum=date(1994, 5, 17),
        adres={"straat": "Dam", "huisnummer": "1", "postcode": "1012JS", "woonplaats": "A"},
        telefoon=draw(st.none() | st.just("06-12345678")),
        geopend_op=NU,
        gewijzigd_op=NU,
    )


@st.composite
def opdrachten_van(draw: st.DrawFn, dossier: DossierRij) -> OpdrachtRij:
    soort = draw(st.sampled_from(sorted(OPDRACHTTAKEN)))
    uitvoerder = draw(st.sampled_from(sorted(OPDRACHTTAKEN[soort].uitvoerders)))
    return OpdrachtRij(
        opdracht_id=f"opd-{draw(st.integers(0, 10**12)):016x}",
        dossier_id=dossier.dossier_id,
        soort=soort,
        aanbiedersoort=uitvoerder.value,
        aanbieder_oin=draw(st.sampled_from(AANBIEDER_OINS)),
        status="verstrekt",
        gegevens={"beoogdeStart": "2026-04-01", "aanbiederNaam": "Aanbieder", "pipVersie": 1},
        vastgelegd_op=NU,
        vastgelegd_door="medewerker",
    )


def _clients(aanbieder_oin: str) -> list[Client]:
    """A client for every role and purpose the registry accepts; aanbieders with the
    opdracht's OIN (the holder: the strongest case) and another, gemeenten of both."""
    found: list[Client] = []
    for rol in Rol:
        for doel in Doel:
            for oin in {aanbieder_oin, *AANBIEDER_OINS, *GEMEENTEN.values()}:
                for extra in _gemeente_extras(rol):
                    try:
                        found.append(
                            Client(
                                client_id=f"{rol.value}-{doel.value}-{oin}",
                                service="dossier-bron",
                                oin=oin,
                                rol=rol,
                                doelen=frozenset({doel}),
                                **extra,
                            )
                        )
                    except ValidationError:
                        continue  # not a client the registry would hold
    return found


def _gemeente_extras(rol: Rol) -> list[dict[str, Any]]:
    if rol is not Rol.GEMEENTE:
        return [{}]
    return [{"namens": code, "functie": f} for code in GEMEENTEN for f in Functie]


def _bsn_in(view: Any, bsn: str) -> bool:
    return view is not None and bsn in view.model_dump_json(by_alias=True)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_no_view_of_a_generated_opdracht_or_dossier_gives_a_role_without_ground_a_bsn(data):
    dossier = data.draw(dossiers())
    opdracht = data.draw(opdrachten_van(dossier))
    instance = opdrachten.als_opdracht(opdracht, dossier)
    rij = opdrachten._opdracht_rij(opdracht, dossier)
    clients = _clients(opdracht.aanbieder_oin)
    assert any(c.rol is Rol.MAP_AANBIEDER for c in clients)  # the case the issue names
    for client in clients:
        for doel in client.doelen:
            gezien = projecteer(toegang(client, doel), "opdracht", instance, rij)
            dossier_view = projecteer(
                toegang(client, doel), "dossier", dossier.als_contract(), _rij(dossier)
            )
            if client.rol in GEEN_BSN_ROLLEN:
                assert not _bsn_in(gezien, dossier.bsn), (client, opdracht.soort)
                assert not _bsn_in(dossier_view, dossier.bsn), client
            elif client.rol in {Rol.TAALAANBIEDER, Rol.Z_ROUTE_AANBIEDER}:
                if _bsn_in(gezien, dossier.bsn):
                    # Only the holder of the language part of a leerroute.
                    assert client.oin == opdracht.aanbieder_oin
                    assert bsn_past_bij_taak(client.rol, opdracht.soort)
                assert not _bsn_in(dossier_view, dossier.bsn), client


def test_the_holder_of_a_b1_course_does_get_the_bsn_so_the_check_above_can_see_one():
    dossier = DossierRij(
        dossier_id="dos-b1",
        gemeentecode="0363",
        bsn="111222333",
        doelgroep="asielstatushouder",
        status="actief",
        voornamen="Amal",
        geslachtsnaam="Haddad",
        geboortedatum=date(1994, 5, 17),
        adres={"straat": "Dam", "huisnummer": "1", "postcode": "1012JS", "woonplaats": "A"},
        geopend_op=NU,
        gewijzigd_op=NU,
    )
    opdracht = OpdrachtRij(
        opdracht_id="opd-b1",
        dossier_id=dossier.dossier_id,
        soort="b1-cursus",
        aanbiedersoort=Rol.TAALAANBIEDER.value,
        aanbieder_oin=AANBIEDER_OINS[0],
        status="verstrekt",
        gegevens={"beoogdeStart": "2026-04-01", "aanbiederNaam": "Aanbieder", "pipVersie": 1},
        vastgelegd_op=NU,
        vastgelegd_door="medewerker",
    )
    [holder] = [
        c
        for c in _clients(AANBIEDER_OINS[0])
        if c.rol is Rol.TAALAANBIEDER
        and c.oin == AANBIEDER_OINS[0]
        and c.doelen == {Doel.OPDRACHT_UITVOERING}
    ]
    view = projecteer(
        toegang(holder, Doel.OPDRACHT_UITVOERING),
        "opdracht",
        opdrachten.als_opdracht(opdracht, dossier),
        opdrachten._opdracht_rij(opdracht, dossier),
    )
    assert _bsn_in(view, dossier.bsn)
