"""Resource served by the cbs-leverancier: one quarterly SWI delivery, its manifest and its file.

Rule 16: the delivery is personal data. Seed 004_e8b3bff006360911.txt (bijlage B, "Te
verstrekken aan CBS"): "Persoonsgegevens waaronder BSN"; the file (``bestand``, record layout
``keten_contracts.swi``) carries the BSN of every inburgeringsplichtige in it, so only CBS reads
it. The manifest fields describe the file with counts and a checksum and hold none, so the
gemeente it concerns reads them too.

Retention (art. 9.9 Besluit, decided per field): the manifest fields are no personal data
(``n.v.t.``). ``bestand`` is ``5-jaar-na-einde-plicht``: it nests a BSN (item a, 50 years) with
data that is no item of art. 9.9, and the convention of ``Bewaartermijn`` is that such a field
takes the shorter class while the nested BSN keeps its own (``swi.Persoon.bsn``). The 50 years
of the BSN are kept by the dossier (``Dossier.bsn``); a copy made for CBS is no reason to keep
the rest of the delivery longer.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Base64Bytes

from keten_contracts.classification import Bewaartermijn, Classificatie, veld
from keten_contracts.common import ContractModel, Gemeentecode, Kwartaal, OpaqueId
from keten_contracts.parties import Rol
from keten_contracts.swi.records import Sectieaantallen

GEEN = Classificatie.GEEN
IDENT = Classificatie.IDENTIFICEREND
CBS_EN_GEMEENTE = frozenset({Rol.CBS, Rol.GEMEENTE})


class CbsLevering(ContractModel):
    """One version of a gemeente's quarterly delivery for the Statistiek Wet Inburgering: the
    manifest (gemeente and CBS) and the file (CBS only). A correction is a new version of the
    quarter (``leveringVersie`` + 1), never a rewrite of a delivered one."""

    levering_id: OpaqueId = veld("Opaque id of the delivery.", GEEN, lezers=CBS_EN_GEMEENTE)
    gemeentecode: Gemeentecode = veld("The gemeente delivered for.", GEEN, lezers=CBS_EN_GEMEENTE)
    kwartaal: Kwartaal = veld("Quarter, e.g. 2022-Q1.", GEEN, lezers=CBS_EN_GEMEENTE)
    layout_versie: str = veld(
        "Version of the one SWI record layout definition (keten_contracts.swi.LAYOUT_VERSION).",
        GEEN,
        lezers=CBS_EN_GEMEENTE,
        max_length=40,
    )
    aangemaakt_op: datetime = veld(
        "When the file was built (only here: the file holds no clock time).",
        GEEN,
        lezers=CBS_EN_GEMEENTE,
    )
    aantal_records: int = veld("Number of records.", GEEN, lezers=CBS_EN_GEMEENTE, ge=0)
    sha256: str = veld(
        "Checksum of the file.", GEEN, lezers=CBS_EN_GEMEENTE, pattern=r"^[0-9a-f]{64}$"
    )
    # rule 16 -- optional only because the 0.1 view did not have them (a new required field
    # would break it); the cbs-leverancier always fills them (swi.build_manifest).
    levering_versie: int | None = veld(
        "Version of this quarter's delivery: 1, then one up for each correction.",
        GEEN,
        lezers=CBS_EN_GEMEENTE,
        default=None,
        ge=1,
        le=999,
    )
    bestandsnaam: str | None = veld(
        "Name of the file, e.g. swi-1.0_0363_2026-Q3_v1.xml.",
        GEEN,
        lezers=CBS_EN_GEMEENTE,
        default=None,
        max_length=100,
    )
    aantallen: Sectieaantallen | None = veld(
        "Counts per section of the file.", GEEN, lezers=CBS_EN_GEMEENTE, default=None
    )
    bestand: Base64Bytes | None = veld(
        "The delivery file (canonical XML in the SWI record layout, base64): personal data "
        "with the BSN of every person in it; CBS only.",
        IDENT,
        bewaartermijn=Bewaartermijn.VIJF_JAAR_NA_EINDE_PLICHT,
        lezers=frozenset({Rol.CBS}),
        default=None,
    )
