"""Parties in the chain and the roles the policy reasons about (domain.md section 1)."""

from __future__ import annotations

import re
from enum import StrEnum

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
