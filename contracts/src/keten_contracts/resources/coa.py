"""Resources served by COA (coa-adapter, TVS-like): koppeling, klantprofiel, warme overdracht.

Only COA and the linked gemeente read them (art. 9.4 lid 3 Besluit; COA must keep the
"schotten" in TVS). The klantprofiel has no field for health or religion, on purpose.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from keten_contracts.classification import Bewaartermijn, Classificatie, veld
from keten_contracts.common import (
    Aanbiedmoment,
    Bsn,
    ContractModel,
    Gemeentecode,
    OpaqueId,
    Taalniveau,
    Tekst,
)
from keten_contracts.parties import Rol
from keten_contracts.resources.gemeente import Adres

GEEN = Classificatie.GEEN
PERS = Classificatie.PERSOONSGEGEVEN
IDENT = Classificatie.IDENTIFICEREND
JAAR50 = Bewaartermijn.VIJFTIG_JAAR
COA_EN_GEMEENTE = frozenset({Rol.COA, Rol.GEMEENTE})


class Contactpersoon(ContractModel):
    """A staff member of a chain partner (their personal data, not the inburgeraar's)."""

    naam: str = veld("Name of the contact person.", PERS, max_length=200)
    telefoon: str | None = veld("Phone number.", PERS, default=None, max_length=40)
    email: str | None = veld("E-mail address.", PERS, default=None, max_length=200)


class Koppelingstatus(StrEnum):
    GEKOPPELD = "gekoppeld"
    GEVESTIGD = "gevestigd"
    INGETROKKEN = "ingetrokken"


class Koppeling(ContractModel):
    """COA links a statushouder to a vestigingsgemeente (taakstelling)."""

    koppeling_id: OpaqueId = veld(
        "Opaque id of the koppeling at COA.", GEEN, lezers=COA_EN_GEMEENTE
    )
    gemeentecode: Gemeentecode = veld(
        "CBS code of the vestigingsgemeente.", GEEN, lezers=COA_EN_GEMEENTE
    )
    koppeldatum: date = veld("Date COA linked the person.", PERS, lezers=COA_EN_GEMEENTE)
    status: Koppelingstatus = veld("State of the koppeling.", PERS, lezers=COA_EN_GEMEENTE)
    azc_locatie: str = veld(
        "AZC where the person stays.", PERS, lezers=COA_EN_GEMEENTE, max_length=200
    )
    verwachte_vestigingsdatum: date | None = veld(
        "Expected date of moving into the gemeente.", PERS, lezers=COA_EN_GEMEENTE, default=None
    )
    vestigingsdatum: date | None = veld(
        "Date the person moved into the gemeente.", PERS, lezers=COA_EN_GEMEENTE, default=None
    )
    klantprofiel_id: OpaqueId = veld("Opaque id of the klantprofiel.", GEEN, lezers=COA_EN_GEMEENTE)
    coa_contactpersoon: Contactpersoon = veld(
        "COA casemanager for this person.", PERS, lezers=COA_EN_GEMEENTE
    )


class Gezinslid(ContractModel):
    relatie: str = veld("Relation, e.g. partner, kind.", PERS, max_length=40)
    geboortejaar: int | None = veld("Year of birth.", PERS, default=None, ge=1900, le=2100)
    koppeling_id: OpaqueId | None = veld(
        "Koppeling of the family member, when also a statushouder.", GEEN, default=None
    )


class Verblijfsstatus(ContractModel):
    soort_verblijfsvergunning: str = veld("Kind of residence permit.", PERS, max_length=100)
    datum_verleend: date = veld("Date the permit was granted.", PERS)


class Module(StrEnum):
    NT2 = "nt2"
    KNM = "kennis-nederlandse-maatschappij"
    MAP = "arbeidsmarkt-en-participatie"
    PVT = "participatieverklaringstraject"


class Moduleresultaat(ContractModel):
    module: Module = veld("Introduction module.", PERS)
    afgerond: bool = veld("Module completed.", PERS)


class Voorinburgering(ContractModel):
    instemming: bool = veld("Person consented to voorinburgering.", PERS)
    toetsresultaat: str | None = veld("Result of the test.", PERS, default=None, max_length=100)
    spreekvaardigheid_nt2: Taalniveau | None = veld("NT2 speaking skill.", PERS, default=None)
    introductiemodules: list[Moduleresultaat] = veld(
        "Results of the introduction modules.", PERS, default_factory=list
    )
    deelname_taalactiviteiten: bool = veld("Takes part in language activities.", PERS)
    voortgang_taalactiviteiten: str | None = veld(
        "Progress in language activities.", PERS, default=None, max_length=200
    )
    afgerond: bool = veld("Voorinburgering done.", PERS)


class Opleiding(ContractModel):
    niveau: str = veld("Level of the education.", PERS, max_length=100)
    richting: str | None = veld("Field of study.", PERS, default=None, max_length=200)
    land: str | None = veld("Country (ISO 3166-1 alpha-2).", PERS, default=None, max_length=2)
    afgerond: bool = veld("Completed.", PERS)


class Diplomawaardering(ContractModel):
    aangevraagd: bool = veld("International diploma valuation requested.", PERS)
    startdatum: date | None = veld("Start of the request.", PERS, default=None)


class Werkervaring(ContractModel):
    beroep: str = veld("Occupation.", PERS, max_length=200)
    jaren: int = veld("Years of experience.", PERS, ge=0, le=80)


class Nareisprofiel(ContractModel):
    """The profile of a nareiziger: a family member who joins a statushouder (the referent)
    after the asylum status was granted. Seed 002_774eb578c0679392.txt (section 2.2): the data
    transfer between COA and gemeenten runs via "het klantprofiel en nareisprofiel in het
    Taakstelling Volgsysteem (TVS)". The seed names no items, so this holds only the link to
    the referent and the journey's dates; everything else is in the klantprofiel itself."""

    referent_koppeling_id: OpaqueId | None = veld(
        "Koppeling of the statushouder the nareiziger joins, when known at COA.",
        GEEN,
        default=None,
    )
    relatie_tot_referent: str | None = veld(
        "Relation to the referent, e.g. partner, kind.", PERS, default=None, max_length=40
    )
    verwachte_aankomstdatum: date | None = veld(
        "Expected date of arrival in the Netherlands.", PERS, default=None
    )
    aankomstdatum: date | None = veld("Date of arrival in the Netherlands.", PERS, default=None)


class Klantprofiel(ContractModel):
    """What COA knows of the person after the stay in the AZC (art. 9.4 lid 3 Besluit).

    Filled gradually (fields may be empty), editable only while the person is in the AZC,
    frozen afterwards. Deliberately no field for health or religion.
    """

    klantprofiel_id: OpaqueId = veld("Opaque id at COA.", GEEN, lezers=COA_EN_GEMEENTE)
    koppeling_id: OpaqueId = veld("The koppeling it belongs to.", GEEN, lezers=COA_EN_GEMEENTE)
    versie: int = veld("Version, raised on every change.", GEEN, lezers=COA_EN_GEMEENTE, ge=1)
    aanbiedmoment: Aanbiedmoment = veld(
        "Latest moment it was offered to the gemeente.", GEEN, lezers=COA_EN_GEMEENTE
    )
    bevroren: bool = veld("Frozen after vestiging; no more changes.", GEEN, lezers=COA_EN_GEMEENTE)
    bsn: Bsn = veld(
        "Burgerservicenummer.", IDENT, bewaartermijn=JAAR50, lezers=COA_EN_GEMEENTE, bsn=True
    )
    voornamen: str = veld(
        "Given names.", IDENT, bewaartermijn=JAAR50, lezers=COA_EN_GEMEENTE, max_length=200
    )
    geslachtsnaam: str = veld(
        "Family name.", IDENT, bewaartermijn=JAAR50, lezers=COA_EN_GEMEENTE, max_length=200
    )
    geboortedatum: date = veld(
        "Date of birth.", IDENT, bewaartermijn=JAAR50, lezers=COA_EN_GEMEENTE
    )
    nationaliteit: str | None = veld(
        "Nationality (ISO 3166-1 alpha-2).",
        PERS,
        lezers=COA_EN_GEMEENTE,
        default=None,
        max_length=2,
    )
    gezinssamenstelling: list[Gezinslid] = veld(
        "Family composition.", PERS, lezers=COA_EN_GEMEENTE, default_factory=list
    )
    statusgegevens: Verblijfsstatus | None = veld(
        "Residence status.", PERS, lezers=COA_EN_GEMEENTE, default=None
    )
    voorinburgering: Voorinburgering | None = veld(
        "Voorinburgering in the AZC.", PERS, lezers=COA_EN_GEMEENTE, default=None
    )
    taalvaardigheid: Taalniveau | None = veld(
        "Language skill in Dutch.", PERS, lezers=COA_EN_GEMEENTE, default=None
    )
    gevolgde_opleidingen: list[Opleiding] = veld(
        "Education followed.", PERS, lezers=COA_EN_GEMEENTE, default_factory=list
    )
    trainingen: list[Tekst] = veld(
        "Trainings during the stay at COA.", PERS, lezers=COA_EN_GEMEENTE, default_factory=list
    )
    contact_uaf: bool | None = veld("Contact with UAF.", PERS, lezers=COA_EN_GEMEENTE, default=None)
    diplomawaardering: Diplomawaardering | None = veld(
        "International diploma valuation.", PERS, lezers=COA_EN_GEMEENTE, default=None
    )
    cv_gemaakt: bool | None = veld("CV made.", PERS, lezers=COA_EN_GEMEENTE, default=None)
    werkervaring: list[Werkervaring] = veld(
        "Work experience.", PERS, lezers=COA_EN_GEMEENTE, default_factory=list
    )
    zelfwerkzaamheid_coa_locatie: bool | None = veld(
        "Self-employment at the COA location.", PERS, lezers=COA_EN_GEMEENTE, default=None
    )
    competenties: list[Tekst] = veld(
        "Competences.", PERS, lezers=COA_EN_GEMEENTE, default_factory=list
    )
    computervaardigheden: str | None = veld(
        "Computer skills.", PERS, lezers=COA_EN_GEMEENTE, default=None, max_length=200
    )
    ambities: Tekst | None = veld(
        "Ambitions and future orientation.", PERS, lezers=COA_EN_GEMEENTE, default=None
    )
    coa_contactpersoon: Contactpersoon = veld("COA contact person.", PERS, lezers=COA_EN_GEMEENTE)
    # Issue 8 item 8. Seed 004_e8b3bff006360911.txt (bijlage B, "Te ontvangen van COA"):
    # "Persoons-/contactgegevens (naw, BSN, telefoonnummer, mailadres)". Retention per seed
    # 001_6bf09e723ef6bb05.txt (art. 9.9): "adresgegevens" 50 years; phone and e-mail are no
    # item of art. 9.9: "Alle andere gegevens worden 5 jaar na beëindiging inburgeringsplicht
    # of na overlijden van de inburgeringsplichtige, verwijderd".
    adres: Adres | None = veld(
        "Address of the person (naw).",
        IDENT,
        bewaartermijn=JAAR50,
        lezers=COA_EN_GEMEENTE,
        default=None,
    )
    telefoonnummer: str | None = veld(
        "Phone number of the person.", IDENT, lezers=COA_EN_GEMEENTE, default=None, max_length=40
    )
    mailadres: str | None = veld(
        "E-mail address of the person.",
        IDENT,
        lezers=COA_EN_GEMEENTE,
        default=None,
        max_length=200,
    )
    nareisprofiel: Nareisprofiel | None = veld(
        "Nareisprofiel, when the person is a nareiziger (seed 002 section 2.2).",
        PERS,
        lezers=COA_EN_GEMEENTE,
        default=None,
    )


class WarmeOverdracht(ContractModel):
    """The meeting of COA casemanager, gemeente and person before vestiging."""

    warme_overdracht_id: OpaqueId = veld("Opaque id at COA.", GEEN, lezers=COA_EN_GEMEENTE)
    koppeling_id: OpaqueId = veld("The koppeling.", GEEN, lezers=COA_EN_GEMEENTE)
    gemeentecode: Gemeentecode = veld("The gemeente taking part.", GEEN, lezers=COA_EN_GEMEENTE)
    gepland_op: datetime = veld("Planned time of the meeting.", PERS, lezers=COA_EN_GEMEENTE)
    locatie: str = veld("Where it takes place.", PERS, lezers=COA_EN_GEMEENTE, max_length=200)
    gehouden_op: date | None = veld("Date it was held.", PERS, lezers=COA_EN_GEMEENTE, default=None)
    klantprofiel_versie: int | None = veld(
        "Klantprofiel version offered at the meeting.",
        GEEN,
        lezers=COA_EN_GEMEENTE,
        default=None,
        ge=1,
    )
    coa_contactpersoon: Contactpersoon = veld("COA casemanager.", PERS, lezers=COA_EN_GEMEENTE)
