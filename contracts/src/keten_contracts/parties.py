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
