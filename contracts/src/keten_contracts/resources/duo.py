"""Resources served by DUO (duo-adapter, ISI-like).

DUO shares them with the linked gemeente (art. 33 wet; 9.2, 9.4, 9.6 Besluit). Vrijstelling
and ontheffing carry only the outcome: never the ground, so never that a medical request was
filed.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from keten_contracts.classification import Bewaartermijn, Classificatie, veld
from keten_contracts.common import (
    BedragInCenten,
    Bsn,
    ContractModel,
    Doelgroep,
    Examenonderdeel,
    Gemeentecode,
    OpaqueId,
    Taalniveau,
)
from keten_contracts.parties import Rol

GEEN = Classificatie.GEEN
PERS = Classificatie.PERSOONSGEGEVEN
IDENT = Classificatie.IDENTIFICEREND
JAAR50 = Bewaartermijn.VIJFTIG_JAAR
DUO_EN_GEMEENTE = frozenset({Rol.DUO, Rol.GEMEENTE})


class Plichtstatus(StrEnum):
    VASTGESTELD = "vastgesteld"
    BEEINDIGD = "beeindigd"


class Beeindigingsreden(StrEnum):
    VOLDAAN = "voldaan"
    VRIJSTELLING = "vrijstelling"
    ONTHEFFING = "ontheffing"
    VERTROKKEN = "vertrokken"
    VERBLIJFSDOEL_GEWIJZIGD = "verblijfsdoel-gewijzigd"
    OVERLEDEN = "overleden"


class WijzeVoldaan(StrEnum):
    INBURGERINGSDIPLOMA = "inburgeringsdiploma"
    CERTIFICAAT = "certificaat"
    GELIJKWAARDIG_DIPLOMA = "gelijkwaardig-diploma"


class Inburgeringsplicht(ContractModel):
    """DUO's decision that a person must integrate, with doelgroep and rights."""

    inburgeringsplicht_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=DUO_EN_GEMEENTE)
    gemeentecode: Gemeentecode | None = veld(
        "The (future) vestigingsgemeente.", GEEN, lezers=DUO_EN_GEMEENTE, default=None
    )
    bsn: Bsn = veld(
        "Burgerservicenummer.", IDENT, bewaartermijn=JAAR50, lezers=DUO_EN_GEMEENTE, bsn=True
    )
    status: Plichtstatus = veld("State of the plicht.", PERS, lezers=DUO_EN_GEMEENTE)
    vastgesteld_op: date = veld("Date DUO decided the plicht.", PERS, lezers=DUO_EN_GEMEENTE)
    doelgroep: Doelgroep = veld("Target group.", PERS, lezers=DUO_EN_GEMEENTE)
    recht_maatschappelijke_begeleiding: bool = veld(
        "Right to maatschappelijke begeleiding.", PERS, lezers=DUO_EN_GEMEENTE
    )
    beeindigd_op: date | None = veld(
        "Date the plicht ended.", PERS, lezers=DUO_EN_GEMEENTE, default=None
    )
    beeindigingsreden: Beeindigingsreden | None = veld(
        "Why the plicht ended.", PERS, lezers=DUO_EN_GEMEENTE, default=None
    )
    datum_voldaan: date | None = veld(
        "Date the plicht was met.",
        PERS,
        bewaartermijn=JAAR50,
        lezers=DUO_EN_GEMEENTE,
        default=None,
    )
    wijze_voldaan: WijzeVoldaan | None = veld(
        "How the plicht was met.",
        PERS,
        bewaartermijn=JAAR50,
        lezers=DUO_EN_GEMEENTE,
        default=None,
    )


class Termijnsoort(StrEnum):
    INBURGERINGSPLICHT = "inburgeringsplicht"
    MAP = "map"
    PVT = "pvt"


class Termijnwijziging(StrEnum):
    VERLENGING = "verlenging"
    AMBTSHALVE_VERLENGING = "ambtshalve-verlenging"  # offer later than 3 months after PIP
    PIP_DATUM = "pip-datum"
    CORRECTIE = "correctie"


class Termijn(ContractModel):
    """A legal deadline set by DUO: the 3-year termijn, or the MAP or PVT deadline."""

    termijn_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=DUO_EN_GEMEENTE)
    inburgeringsplicht_id: OpaqueId = veld("The plicht.", GEEN, lezers=DUO_EN_GEMEENTE)
    soort: Termijnsoort = veld("Which termijn.", PERS, lezers=DUO_EN_GEMEENTE)
    begindatum: date = veld("Start.", PERS, lezers=DUO_EN_GEMEENTE)
    einddatum: date = veld("End (deadline).", PERS, lezers=DUO_EN_GEMEENTE)
    laatste_wijziging: Termijnwijziging | None = veld(
        "Reason of the latest change.", PERS, lezers=DUO_EN_GEMEENTE, default=None
    )


class Omvang(StrEnum):
    GEHEEL = "geheel"
    GEDEELTELIJK = "gedeeltelijk"


class Vrijstelling(ContractModel):
    """Full or partial vrijstelling (outcome only). Kept 50 years (art. 9.9 Besluit)."""

    vrijstelling_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=DUO_EN_GEMEENTE)
    inburgeringsplicht_id: OpaqueId = veld("The plicht.", GEEN, lezers=DUO_EN_GEMEENTE)
    omvang: Omvang = veld("Full or partial.", PERS, bewaartermijn=JAAR50, lezers=DUO_EN_GEMEENTE)
    onderdelen: list[Examenonderdeel] = veld(
        "Parts it covers (partial).",
        PERS,
        bewaartermijn=JAAR50,
        lezers=DUO_EN_GEMEENTE,
        default_factory=list,
    )
    besluitdatum: date = veld(
        "Date of DUO's decision.", PERS, bewaartermijn=JAAR50, lezers=DUO_EN_GEMEENTE
    )


class Ontheffingsomvang(StrEnum):
    GEHEEL = "geheel"
    GEDEELTELIJK = "gedeeltelijk"
    AANGEPASTE_EXAMENOMSTANDIGHEDEN = "aangepaste-examenomstandigheden"


class Ontheffing(ContractModel):
    """Ontheffing (outcome only; there is no field for its ground: a medical ground would be
    health data). Kept 50 years (art. 9.9 Besluit)."""

    ontheffing_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=DUO_EN_GEMEENTE)
    inburgeringsplicht_id: OpaqueId = veld("The plicht.", GEEN, lezers=DUO_EN_GEMEENTE)
    omvang: Ontheffingsomvang = veld(
        "Full, partial or adapted exam conditions.",
        PERS,
        bewaartermijn=JAAR50,
        lezers=DUO_EN_GEMEENTE,
    )
    onderdelen: list[Examenonderdeel] = veld(
        "Parts it covers.",
        PERS,
        bewaartermijn=JAAR50,
        lezers=DUO_EN_GEMEENTE,
        default_factory=list,
    )
    besluitdatum: date = veld(
        "Date of DUO's decision.", PERS, bewaartermijn=JAAR50, lezers=DUO_EN_GEMEENTE
    )


class LbtUitslag(ContractModel):
    """Result of the leerbaarheidstoets taken on DUO's platform."""

    lbt_uitslag_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=DUO_EN_GEMEENTE)
    inburgeringsplicht_id: OpaqueId = veld("The plicht.", GEEN, lezers=DUO_EN_GEMEENTE)
    afnamedatum: date = veld("Date taken.", PERS, lezers=DUO_EN_GEMEENTE)
    uitkomst: str = veld("Outcome as DUO reports it.", PERS, lezers=DUO_EN_GEMEENTE, max_length=100)


class Uitslag(StrEnum):
    BEHAALD = "behaald"
    NIET_BEHAALD = "niet-behaald"


class Examenresultaat(ContractModel):
    """One exam attempt."""

    examenresultaat_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=DUO_EN_GEMEENTE)
    inburgeringsplicht_id: OpaqueId = veld("The plicht.", GEEN, lezers=DUO_EN_GEMEENTE)
    onderdeel: Examenonderdeel = veld("Exam part.", PERS, lezers=DUO_EN_GEMEENTE)
    niveau: Taalniveau | None = veld("Level examined.", PERS, lezers=DUO_EN_GEMEENTE, default=None)
    examendatum: date = veld("Date of the exam.", PERS, lezers=DUO_EN_GEMEENTE)
    poging: int = veld("Attempt number.", PERS, lezers=DUO_EN_GEMEENTE, ge=1)
    uitslag: Uitslag = veld("Passed or not.", PERS, lezers=DUO_EN_GEMEENTE)


class Diplomasoort(StrEnum):
    INBURGERINGSDIPLOMA = "inburgeringsdiploma"
    CERTIFICAAT = "certificaat"


class Diploma(ContractModel):
    """Inburgeringsdiploma or (Z-route) certificaat: the way and date the plicht was met,
    kept 50 years (art. 9.9 Besluit)."""

    diploma_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=DUO_EN_GEMEENTE)
    inburgeringsplicht_id: OpaqueId = veld("The plicht.", GEEN, lezers=DUO_EN_GEMEENTE)
    soort: Diplomasoort = veld(
        "Diploma or certificaat.", PERS, bewaartermijn=JAAR50, lezers=DUO_EN_GEMEENTE
    )
    datum: date = veld(
        "Date of the diploma or certificaat.",
        PERS,
        bewaartermijn=JAAR50,
        lezers=DUO_EN_GEMEENTE,
    )


class Verlengingsbesluit(StrEnum):
    IN_BEHANDELING = "in-behandeling"
    GEHONOREERD = "gehonoreerd"
    AFGEWEZEN = "afgewezen"


class Verlenging(ContractModel):
    """An extension of the termijn: requested by the person or ex officio by DUO."""

    verlenging_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=DUO_EN_GEMEENTE)
    inburgeringsplicht_id: OpaqueId = veld("The plicht.", GEEN, lezers=DUO_EN_GEMEENTE)
    ambtshalve: bool = veld("Ex officio (no request).", PERS, lezers=DUO_EN_GEMEENTE)
    aangevraagd_op: date | None = veld(
        "Date the request was filed.", PERS, lezers=DUO_EN_GEMEENTE, default=None
    )
    besluit: Verlengingsbesluit = veld("DUO's decision.", PERS, lezers=DUO_EN_GEMEENTE)
    besluitdatum: date | None = veld(
        "Date of the decision.", PERS, lezers=DUO_EN_GEMEENTE, default=None
    )
    ingangsdatum: date | None = veld(
        "Date the extension takes effect.", PERS, lezers=DUO_EN_GEMEENTE, default=None
    )
    nieuwe_einddatum: date | None = veld(
        "New end of the termijn.", PERS, lezers=DUO_EN_GEMEENTE, default=None
    )


class DuoBoetegrond(StrEnum):
    TERMIJN_OVERSCHREDEN = "termijn-overschreden"
    MAP_NIET_TIJDIG = "map-niet-tijdig"
    PVT_NIET_TIJDIG = "pvt-niet-tijdig"
    ONDERWIJSROUTE_NIET_TIJDIG = "onderwijsroute-niet-tijdig"


class DuoBoete(ContractModel):
    """A fine by DUO for the resultaatsverplichting."""

    duo_boete_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=DUO_EN_GEMEENTE)
    inburgeringsplicht_id: OpaqueId = veld("The plicht.", GEEN, lezers=DUO_EN_GEMEENTE)
    opgelegd_op: date = veld("Date imposed.", PERS, lezers=DUO_EN_GEMEENTE)
    grond: DuoBoetegrond = veld("Ground of the fine.", PERS, lezers=DUO_EN_GEMEENTE)
    bedrag_in_centen: BedragInCenten = veld("Amount in euro cents.", PERS, lezers=DUO_EN_GEMEENTE)
