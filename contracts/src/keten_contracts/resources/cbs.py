"""Resource served by the cbs-leverancier: the manifest of one quarterly SWI delivery.

The delivery file itself holds personal data and goes to CBS only; the manifest describes it
with counts and a checksum and holds none, so the gemeente it concerns may read it too.
"""

from __future__ import annotations

from datetime import datetime

from keten_contracts.classification import Classificatie, veld
from keten_contracts.common import ContractModel, Gemeentecode, Kwartaal, OpaqueId
from keten_contracts.parties import Rol

GEEN = Classificatie.GEEN
CBS_EN_GEMEENTE = frozenset({Rol.CBS, Rol.GEMEENTE})


class CbsLevering(ContractModel):
    """Manifest of one gemeente's quarterly delivery for the Statistiek Wet Inburgering."""

    levering_id: OpaqueId = veld("Opaque id of the delivery.", GEEN, lezers=CBS_EN_GEMEENTE)
    gemeentecode: Gemeentecode = veld("The gemeente delivered for.", GEEN, lezers=CBS_EN_GEMEENTE)
    kwartaal: Kwartaal = veld("Quarter, e.g. 2022-Q1.", GEEN, lezers=CBS_EN_GEMEENTE)
    layout_versie: str = veld(
        "Version of the one SWI record layout definition.",
        GEEN,
        lezers=CBS_EN_GEMEENTE,
        max_length=40,
    )
    aangemaakt_op: datetime = veld("When the file was produced.", GEEN, lezers=CBS_EN_GEMEENTE)
    aantal_records: int = veld("Number of records.", GEEN, lezers=CBS_EN_GEMEENTE, ge=0)
    sha256: str = veld(
        "Checksum of the file.", GEEN, lezers=CBS_EN_GEMEENTE, pattern=r"^[0-9a-f]{64}$"
    )
