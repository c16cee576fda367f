"""Parties in the chain and the roles the policy reasons about (domain.md section 1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

OIN_PATTERN = r"^\d{20}$"
GEMEENTECODE_PATTERN = r"^\d{4}$"


class Rol(StrEnum):
    """The role an organisation plays towards the inburgering data."""

    GEMEENTE = "gemeente"
    DUO = "duo"
    COA = "coa"
    CBS = "cbs"
    # Aanbieders by kind: the kind decides what the law lets them see (domain.md section 6).
    TAALAANBIEDER = "taalaanbieder"
    Z_ROUTE_AANBIEDER = "z-route-aanbieder"
    MAP_AANBIEDER = "map-aanbieder"
    PVT_AANBIEDER = "pvt-aanbieder"
    MB_AANBIEDER = "mb-aanbieder"
    LBT_AFNEMER = "lbt-afnemer"

    @property
    def is_aanbieder(self) -> bool:
        return self in AANBIEDER_ROLLEN

    @property
    def mag_bsn(self) -> bool:
        """May this role receive, use and send a BSN (domain.md section 6)?"""
        return self not in GEEN_BSN_ROLLEN


AANBIEDER_ROLLEN: frozenset[Rol] = frozenset(
    {
        Rol.TAALAANBIEDER,
        Rol.Z_ROUTE_AANBIEDER,
        Rol.MAP_AANBIEDER,
        Rol.PVT_AANBIEDER,
        Rol.MB_AANBIEDER,
        Rol.LBT_AFNEMER,
    }
)


def is_oin(value: str) -> bool:
    return re.fullmatch(OIN_PATTERN, value) is not None


def is_gemeentecode(value: str) -> bool:
    return re.fullmatch(GEMEENTECODE_PATTERN, value) is not None


# Art. 9.10 Besluit inburgering lets cursusinstellingen (taalaanbieders) use the BSN. The
# Z-route aanbieder is counted among them: the VNG Handreiking gegevensverwerking (seed 001,
# table "Gegevenslevering door gemeenten", row "Aanbieder Z-route") classes it as a
# taalaanbieder and verwerkingsverantwoordelijke that uses the BSN under art. 9.10.
BSN_GERECHTIGDE_AANBIEDERS: frozenset[Rol] = frozenset({Rol.TAALAANBIEDER, Rol.Z_ROUTE_AANBIEDER})

# MAP, PVT and maatschappelijke-begeleiding providers and the LBT taker are verwerkers with no
# legal ground for the BSN: they neither get one nor may send one (seed 001, same tables).
GEEN_BSN_ROLLEN: frozenset[Rol] = AANBIEDER_ROLLEN - BSN_GERECHTIGDE_AANBIEDERS


# rules 1, 11, 14 -- the BSN follows the task, not the kind of aanbieder (issue 8, item 1).
# Seed 001 (001_6bf09e723ef6bb05.txt, "Gebruik van Burgerservicenummer (BSN)"): "Taalaanbieders
# mogen dus het BSN van de inburgeringsplichtige gebruiken bij de uitvoering van hun taak. Voor
# alle andere taken mogen de aanbieders bij de uitvoering hun taken niet het BSN gebruiken.
# Andersom geldt dat gemeenten het BSN ook niet richting deze aanbieders mogen gebruiken."
# Keyed by the ``Opdrachtsoort`` values (common.py imports this module, so the enum cannot be
# imported here; a test checks that every soort has exactly one entry).
@dataclass(frozen=True)
class Opdrachttaak:
    """What an opdracht of one soort is: who may carry it out, and whether it is the language
    part of a leerroute (the only task for which an aanbieder may get and use a BSN)."""

    uitvoerders: frozenset[Rol]
    taaldeel: bool


OPDRACHTTAKEN: Mapping[str, Opdrachttaak] = MappingProxyType(
    {
        # Seed 001, rows "Aanbieder B1 route en Taalschakeltraject" and "Cursusinstelling en
        # instelling opleiding [...] (onderwijsroute)": "Deze aanbieder is een taalaanbieder".
        "b1-cursus": Opdrachttaak(frozenset({Rol.TAALAANBIEDER}), taaldeel=True),
        "onderwijsroute": Opdrachttaak(frozenset({Rol.TAALAANBIEDER}), taaldeel=True),
        "taalschakeltraject": Opdrachttaak(frozenset({Rol.TAALAANBIEDER}), taaldeel=True),
        # Seed 001, row "Aanbieder Z-route": "Deze aanbieder is een taalaanbieder"; the task is
        # the language part of the Z-route ("Aantal uren dat besteed moet worden aan taal").
        "z-route": Opdrachttaak(frozenset({Rol.Z_ROUTE_AANBIEDER}), taaldeel=True),
        # Seed 001, row "Aanbieder MAP": "Uitwisseling/gebruik van het BSN is niet in een
        # wettelijke bepaling geregeld en daardoor verboden." (same for "Aanbieder PVT").
        "map": Opdrachttaak(frozenset({Rol.MAP_AANBIEDER}), taaldeel=False),
        "pvt": Opdrachttaak(frozenset({Rol.PVT_AANBIEDER}), taaldeel=False),
        # Seed 001, task 5: "mag deze partij bij de uitvoering van de maatschappelijke
        # begeleidingsopdracht het BSN van de inburgeraar niet gebruiken".
        "maatschappelijke-begeleiding": Opdrachttaak(frozenset({Rol.MB_AANBIEDER}), taaldeel=False),
        # Seed 001, row "Instantie die leerbaarheidstoets afneemt": "Uitwisseling van het BSN
        # is niet noodzakelijk en daarmee verboden."
        "leerbaarheidstoets": Opdrachttaak(frozenset({Rol.LBT_AFNEMER}), taaldeel=False),
    }
)


def opdrachttaak(soort: str | None) -> Opdrachttaak | None:
    """The task of an opdracht soort (enum member or wire value); None when unknown."""
    return None if soort is None else OPDRACHTTAKEN.get(str(soort))


def bsn_past_bij_taak(rol: Rol | str | None, soort: str | None) -> bool:
    """May an aanbieder in ``rol`` carry a BSN for an opdracht of ``soort``? Only for the
    language part of a leerroute carried out by a kind that may carry it out; any missing or
    unknown part is a no."""
    taak = opdrachttaak(soort)
    if taak is None or rol is None or str(rol) not in {r.value for r in Rol}:
        return False
    return taak.taaldeel and Rol(str(rol)) in taak.uitvoerders and Rol(str(rol)).mag_bsn
