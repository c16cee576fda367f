"""Resources served by DUO (duo-adapter, ISI-like).

DUO shares them with the linked gemeente (art. 33 wet; 9.2, 9.4, 9.6 Besluit). Vrijstelling
and ontheffing carry only the outcome: never the ground, so never that a medical request was
filed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final, Self

from pydantic import model_validator

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


# rules 5, 6 -- issue 8 item 6: DUO signalen. Seed 002_774eb578c0679392.txt (section 3.1): "DUO
# zet in de portal gedetailleerde signalen klaar. Gemeenten krijgen nog een overzicht van de
# verschillende signalen die DUO afgeeft, inclusief de te gebruiken codes." and "Doel is dat
# signalen kunnen worden afgevinkt en daarmee op afgehandeld worden gezet of verwijderd. Een
# signaal wordt afgegeven als er nieuwe relevante informatie beschikbaar is of als er van de
# gemeente actie is gewenst voor het aanleveren van gegevens." DUO's codes are not public: the
# chain keeps its own versioned code list below (the duo-adapter maps DUO's codes onto it). A
# signaal lives at DUO's source; the gemeente ticks it off there, so DUO's source records who
# and when, and emits the (thin) event.


class Signaalklasse(StrEnum):
    # "als er nieuwe relevante informatie beschikbaar is"
    INFORMATIEF = "informatief"
    # "als er van de gemeente actie is gewenst voor het aanleveren van gegevens"
    ACTIE_VEREIST = "actie-vereist"


class Signaalstatus(StrEnum):
    OPEN = "open"
    # "afgevinkt en daarmee op afgehandeld [...] gezet"
    AFGEHANDELD = "afgehandeld"


class SignaalBetreft(StrEnum):
    """The kind of resource a signaal concerns (a resource name of the catalogue): DUO's own
    resources for new information, the gemeente's for data DUO needs delivered."""

    INBURGERINGSPLICHT = "inburgeringsplicht"
    TERMIJN = "termijn"
    VRIJSTELLING = "vrijstelling"
    ONTHEFFING = "ontheffing"
    LBT_UITSLAG = "lbt-uitslag"
    EXAMENRESULTAAT = "examenresultaat"
    DIPLOMA = "diploma"
    VERLENGING = "verlenging"
    DUO_BOETE = "duo-boete"
    PIP = "pip"
    INBURGERINGSAANBOD = "inburgeringsaanbod"
    OPDRACHT = "opdracht"
    MAP = "map"
    PVT = "pvt"
    VERLENGINGSINFORMATIE = "verlengingsinformatie"
    URENVERANTWOORDING = "urenverantwoording"
    # Code list version 2: the gemeente's fines DUO asks for (handhavingsverzoek).
    HANDHAVINGSMAATREGEL = "handhavingsmaatregel"


class Signaalcode(StrEnum):
    """The chain's signaal codes; what each means is in ``SIGNAALCODELIJST``."""

    NIEUWE_LBT_UITSLAG = "nieuwe-lbt-uitslag"
    NIEUW_EXAMENRESULTAAT = "nieuw-examenresultaat"
    DIPLOMA_OF_CERTIFICAAT = "diploma-of-certificaat"
    INBURGERINGSPLICHT_GEWIJZIGD = "inburgeringsplicht-gewijzigd"
    TERMIJN_GEWIJZIGD = "termijn-gewijzigd"
    VRIJSTELLING_VERLEEND = "vrijstelling-verleend"
    ONTHEFFING_VERLEEND = "ontheffing-verleend"
    VERLENGING_BESLOTEN = "verlenging-besloten"
    BOETE_OPGELEGD = "boete-opgelegd"
    PIP_AANLEVEREN = "pip-aanleveren"
    PIP_WIJZIGING_AANLEVEREN = "pip-wijziging-aanleveren"
    INBURGERINGSAANBOD_AANLEVEREN = "inburgeringsaanbod-aanleveren"
    LEERROUTE_START_AANLEVEREN = "leerroute-start-aanleveren"
    MAP_GEGEVENS_AANLEVEREN = "map-gegevens-aanleveren"
    PVT_GEGEVENS_AANLEVEREN = "pvt-gegevens-aanleveren"
    VERLENGINGSINFORMATIE_AANLEVEREN = "verlengingsinformatie-aanleveren"
    URENVERANTWOORDING_AANLEVEREN = "urenverantwoording-aanleveren"
    # Version 2. Seed 002 (section 4.4): the gemeente registers chain data "ten hoogste tien
    # werkdagen" after the event; DUO tells it when a registration came later (the data is
    # there, so nothing is asked: new information about the delivery itself).
    PIP_TE_LAAT_GEREGISTREERD = "pip-te-laat-geregistreerd"
    INBURGERINGSAANBOD_TE_LAAT_GEREGISTREERD = "inburgeringsaanbod-te-laat-geregistreerd"
    MAP_TE_LAAT_GEREGISTREERD = "map-te-laat-geregistreerd"
    PVT_TE_LAAT_GEREGISTREERD = "pvt-te-laat-geregistreerd"
    # Version 2. Seed 002 (section 4.7): "Indien het nodig is om deze gegevens te delen, neemt
    # DUO contact op met de gemeente" -- the action DUO asks for with a handhavingsverzoek.
    HANDHAVINGSGEGEVENS_AANLEVEREN = "handhavingsgegevens-aanleveren"


@dataclass(frozen=True)
class SignaalcodeDefinitie:
    code: Signaalcode
    klasse: Signaalklasse
    betreft: SignaalBetreft
    omschrijving: str
    # Version of the code list that introduced the code (codes are never reused or removed).
    sinds_versie: int = 1


# Raise on every change to the list below (a new code is a compatible change: consumers treat
# an unknown code as "other"); a signaal names the version it was raised under.
SIGNAALCODELIJST_VERSIE: Final = 2

_INF = Signaalklasse.INFORMATIEF
_ACT = Signaalklasse.ACTIE_VEREIST
_B = SignaalBetreft
_C = Signaalcode

_SIGNAALCODES: Final = (
    SignaalcodeDefinitie(_C.NIEUWE_LBT_UITSLAG, _INF, _B.LBT_UITSLAG, "LBT result available."),
    SignaalcodeDefinitie(_C.NIEUW_EXAMENRESULTAAT, _INF, _B.EXAMENRESULTAAT, "New exam result."),
    SignaalcodeDefinitie(
        _C.DIPLOMA_OF_CERTIFICAAT, _INF, _B.DIPLOMA, "Diploma issued or certificaat granted."
    ),
    SignaalcodeDefinitie(
        _C.INBURGERINGSPLICHT_GEWIJZIGD,
        _INF,
        _B.INBURGERINGSPLICHT,
        "The inburgeringsplicht changed.",
    ),
    SignaalcodeDefinitie(_C.TERMIJN_GEWIJZIGD, _INF, _B.TERMIJN, "A termijn changed."),
    SignaalcodeDefinitie(
        _C.VRIJSTELLING_VERLEEND, _INF, _B.VRIJSTELLING, "A vrijstelling was granted."
    ),
    SignaalcodeDefinitie(_C.ONTHEFFING_VERLEEND, _INF, _B.ONTHEFFING, "An ontheffing was granted."),
    SignaalcodeDefinitie(
        _C.VERLENGING_BESLOTEN, _INF, _B.VERLENGING, "DUO decided on an extension."
    ),
    SignaalcodeDefinitie(_C.BOETE_OPGELEGD, _INF, _B.DUO_BOETE, "DUO imposed a fine."),
    SignaalcodeDefinitie(_C.PIP_AANLEVEREN, _ACT, _B.PIP, "DUO has no PIP yet: deliver it."),
    SignaalcodeDefinitie(_C.PIP_WIJZIGING_AANLEVEREN, _ACT, _B.PIP, "Deliver the PIP change."),
    SignaalcodeDefinitie(
        _C.INBURGERINGSAANBOD_AANLEVEREN,
        _ACT,
        _B.INBURGERINGSAANBOD,
        "Deliver the date of the inburgeringsaanbod.",
    ),
    SignaalcodeDefinitie(
        _C.LEERROUTE_START_AANLEVEREN,
        _ACT,
        _B.OPDRACHT,
        "Deliver the (realised) start of the leerroute.",
    ),
    SignaalcodeDefinitie(_C.MAP_GEGEVENS_AANLEVEREN, _ACT, _B.MAP, "Deliver MAP data."),
    SignaalcodeDefinitie(_C.PVT_GEGEVENS_AANLEVEREN, _ACT, _B.PVT, "Deliver PVT data."),
    SignaalcodeDefinitie(
        _C.VERLENGINGSINFORMATIE_AANLEVEREN,
        _ACT,
        _B.VERLENGINGSINFORMATIE,
        "Deliver the circumstances for an extension request.",
    ),
    SignaalcodeDefinitie(
        _C.URENVERANTWOORDING_AANLEVEREN, _ACT, _B.URENVERANTWOORDING, "Deliver realised hours."
    ),
    SignaalcodeDefinitie(
        _C.PIP_TE_LAAT_GEREGISTREERD,
        _INF,
        _B.PIP,
        "The PIP (or its change) reached DUO more than 10 workdays after its date.",
        sinds_versie=2,
    ),
    SignaalcodeDefinitie(
        _C.INBURGERINGSAANBOD_TE_LAAT_GEREGISTREERD,
        _INF,
        _B.INBURGERINGSAANBOD,
        "The inburgeringsaanbod reached DUO more than 10 workdays after its date.",
        sinds_versie=2,
    ),
    SignaalcodeDefinitie(
        _C.MAP_TE_LAAT_GEREGISTREERD,
        _INF,
        _B.MAP,
        "The MAP result reached DUO more than 10 workdays after its date.",
        sinds_versie=2,
    ),
    SignaalcodeDefinitie(
        _C.PVT_TE_LAAT_GEREGISTREERD,
        _INF,
        _B.PVT,
        "The PVT result reached DUO more than 10 workdays after its date.",
        sinds_versie=2,
    ),
    SignaalcodeDefinitie(
        _C.HANDHAVINGSGEGEVENS_AANLEVEREN,
        _ACT,
        _B.HANDHAVINGSMAATREGEL,
        "DUO asks for the fines named in its handhavingsverzoek.",
        sinds_versie=2,
    ),
)
SIGNAALCODELIJST: Final[Mapping[Signaalcode, SignaalcodeDefinitie]] = {
    d.code: d for d in _SIGNAALCODES
}


class Signaal(ContractModel):
    """A DUO signaal to the linked gemeente: new information, or an action DUO needs (deliver
    data). Open until a gemeente user ticks it off at DUO's source (afgehandeld)."""

    signaal_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=DUO_EN_GEMEENTE)
    gemeentecode: Gemeentecode = veld("The linked gemeente.", GEEN, lezers=DUO_EN_GEMEENTE)
    inburgeringsplicht_id: OpaqueId = veld(
        "The person, as the plicht at DUO.", GEEN, lezers=DUO_EN_GEMEENTE
    )
    dossier_id: OpaqueId | None = veld(
        "The gemeente's dossier, when DUO knows it.", GEEN, lezers=DUO_EN_GEMEENTE, default=None
    )
    klasse: Signaalklasse = veld("New information or action wanted.", PERS, lezers=DUO_EN_GEMEENTE)
    code: Signaalcode = veld(
        "Code from the chain's signaal code list.", PERS, lezers=DUO_EN_GEMEENTE
    )
    codelijst_versie: int = veld(
        "Version of the signaal code list the code is from.", GEEN, lezers=DUO_EN_GEMEENTE, ge=1
    )
    betreft: SignaalBetreft = veld(
        "The kind of resource it concerns.", PERS, lezers=DUO_EN_GEMEENTE
    )
    betreft_id: OpaqueId | None = veld(
        "Id of that resource at its source, when it exists (not for data still to deliver).",
        GEEN,
        lezers=DUO_EN_GEMEENTE,
        default=None,
    )
    aangemaakt_op: datetime = veld("When DUO raised it.", PERS, lezers=DUO_EN_GEMEENTE)
    status: Signaalstatus = veld("Open or afgehandeld.", PERS, lezers=DUO_EN_GEMEENTE)
    # A reference to the gemeente user (its id in the gemeente's identity provider, as in the
    # token), never a name: who processed whose data is traced, not who they are.
    afgehandeld_door: OpaqueId | None = veld(
        "User reference of who ticked it off.", PERS, lezers=DUO_EN_GEMEENTE, default=None
    )
    afgehandeld_op: datetime | None = veld(
        "When it was ticked off.", PERS, lezers=DUO_EN_GEMEENTE, default=None
    )

    @model_validator(mode="after")
    def _past_bij_codelijst_en_status(self) -> Self:
        definitie = SIGNAALCODELIJST[self.code]
        if self.klasse is not definitie.klasse or self.betreft is not definitie.betreft:
            raise ValueError(
                f"code {self.code.value!r} is {definitie.klasse.value} about "
                f"{definitie.betreft.value}"
            )
        if not definitie.sinds_versie <= self.codelijst_versie <= SIGNAALCODELIJST_VERSIE:
            raise ValueError(
                f"code {self.code.value!r} is not in code list version {self.codelijst_versie}"
            )
        if self.status is Signaalstatus.OPEN:
            if self.afgehandeld_door is not None or self.afgehandeld_op is not None:
                raise ValueError("an open signaal has no afgehandeld_door or afgehandeld_op")
        elif self.afgehandeld_door is None or self.afgehandeld_op is None:
            raise ValueError("an afgehandeld signaal says who ticked it off and when")
        elif self.afgehandeld_op < self.aangemaakt_op:
            raise ValueError("afgehandeld_op lies before aangemaakt_op")
        return self


# end rules 5, 6
