"""Resources served by the gemeente (dossier-bron): the inburgering dossier and its parts.

Readers per field follow the tables of seed 001 ("Gegevenslevering door gemeenten"): DUO gets
BSN and name/address, PIP, MAP, PVT, leerroute and course data (9.3, 9.5, 9.6 Besluit); CBS the
SWI items (section 5); each kind of aanbieder only what art. 35 lid 3 wet lists for it, through
the opdracht. The next gemeente after a move reads as the (newly) linked gemeente.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import model_validator

from keten_contracts.classification import Bewaartermijn, Classificatie, veld
from keten_contracts.common import (
    BedragInCenten,
    Bsn,
    ContractModel,
    Doelgroep,
    Gemeentecode,
    Leerroute,
    Oin,
    OpaqueId,
    Opdrachtsoort,
    RedenLateStart,
    RedenNietAfgerond,
    Taalniveau,
    Tekst,
    Uren,
)
from keten_contracts.parties import AANBIEDER_ROLLEN, Rol, bsn_past_bij_taak, opdrachttaak

GEEN = Classificatie.GEEN
PERS = Classificatie.PERSOONSGEGEVEN
IDENT = Classificatie.IDENTIFICEREND
JAAR50 = Bewaartermijn.VIJFTIG_JAAR

G = Rol.GEMEENTE
DUO = Rol.DUO
CBS = Rol.CBS
TAAL = Rol.TAALAANBIEDER
Z = Rol.Z_ROUTE_AANBIEDER
MAP = Rol.MAP_AANBIEDER
PVT = Rol.PVT_AANBIEDER
MB = Rol.MB_AANBIEDER
LBT = Rol.LBT_AFNEMER


def _r(*rollen: Rol) -> frozenset[Rol]:
    return frozenset(rollen)


class Adres(ContractModel):
    straat: str = veld("Street.", IDENT, bewaartermijn=JAAR50, max_length=200)
    huisnummer: str = veld(
        "House number with addition.", IDENT, bewaartermijn=JAAR50, max_length=20
    )
    postcode: str = veld("Postcode.", IDENT, bewaartermijn=JAAR50, pattern=r"^\d{4}[A-Z]{2}$")
    woonplaats: str = veld("Residence.", IDENT, bewaartermijn=JAAR50, max_length=200)


class Dossierstatus(StrEnum):
    ACTIEF = "actief"
    OVERGEDRAGEN = "overgedragen"
    AFGESLOTEN = "afgesloten"


# rules 3, 4 -- the parts of a dossier, so that a reader can find them (and a hand-over
# package can name them). Seed 004_e8b3bff006360911.txt, note 20 (art. 9.4 lid 4 Besluit): the
# old college gives the new one "de gegevens over: a. het persoonlijk plan inburgering en
# participatie [...] b. de voortgang van de inburgeringsplicht; c. uitgevoerde handhaving".
class Onderdeelsoort(StrEnum):
    """Kind of part; the value is the name of the resource at the gemeente's source."""

    INTAKE = "intake"
    PIP = "pip"
    OPDRACHT = "opdracht"
    HANDHAVINGSMAATREGEL = "handhavingsmaatregel"
    VOORTGANG = "voortgang"


class Onderdeellink(ContractModel):
    """A link to one part of a dossier: the resource (``soort``) and its opaque id at the same
    source (path ``/<collection>/<resourceId>``)."""

    soort: Onderdeelsoort = veld("Which resource the part is.", GEEN)
    resource_id: OpaqueId = veld("Opaque id of the part at this source.", GEEN)
    versie: int | None = veld("Version (PIP versions).", GEEN, default=None, ge=1)


class Dossier(ContractModel):
    """The gemeente's inburgering dossier of one person."""

    dossier_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G, DUO, CBS))
    gemeentecode: Gemeentecode = veld("The linked gemeente.", GEEN, lezers=_r(G, DUO, CBS))
    bsn: Bsn = veld(
        "Burgerservicenummer.", IDENT, bewaartermijn=JAAR50, lezers=_r(G, DUO, CBS), bsn=True
    )
    voornamen: str = veld(
        "Given names.", IDENT, bewaartermijn=JAAR50, lezers=_r(G, DUO), max_length=200
    )
    geslachtsnaam: str = veld(
        "Family name.", IDENT, bewaartermijn=JAAR50, lezers=_r(G, DUO), max_length=200
    )
    geboortedatum: date = veld("Date of birth.", IDENT, bewaartermijn=JAAR50, lezers=_r(G))
    adres: Adres = veld("Address.", IDENT, bewaartermijn=JAAR50, lezers=_r(G, DUO))
    telefoon: str | None = veld("Phone.", IDENT, lezers=_r(G), default=None, max_length=40)
    email: str | None = veld("E-mail.", IDENT, lezers=_r(G), default=None, max_length=200)
    doelgroep: Doelgroep = veld("Target group.", PERS, lezers=_r(G, DUO, CBS))
    afzien_rechten_asielstatushouder: bool = veld(
        "The person opted out (once) of the asielstatushouder rights.",
        PERS,
        lezers=_r(G, DUO),
        default=False,
    )
    vestigingsdatum: date | None = veld(
        "Date of BRP registration in the gemeente.", PERS, lezers=_r(G, CBS), default=None
    )
    status: Dossierstatus = veld("State of the dossier.", PERS, lezers=_r(G))
    koppeling_id: OpaqueId | None = veld(
        "Koppeling at COA (asielstatushouder).", GEEN, lezers=_r(G), default=None
    )
    inburgeringsplicht_id: OpaqueId | None = veld(
        "Inburgeringsplicht at DUO.", GEEN, lezers=_r(G, DUO), default=None
    )
    vorige_gemeentecode: Gemeentecode | None = veld(
        "Gemeente before a move.", GEEN, lezers=_r(G), default=None
    )
    overgedragen_aan: Gemeentecode | None = veld(
        "Gemeente the dossier was handed over to after a move.",
        GEEN,
        lezers=_r(G),
        default=None,
    )
    # The end of the plicht and the hand-over after a move bound who is in a quarter's SWI
    # delivery (seed 004 section 3.2.7 leaves that to "een leverings- en gegevensprotocol";
    # the rule is cbs_leverancier.domain.in_levering). Both are dated facts of the source.
    einde_plicht: date | None = veld(
        "Date the inburgeringsplicht ended, as DUO registered it (inburgeringsplicht.beeindigd: "
        "met, ontheffing, death, ...); empty while it has not ended.",
        PERS,
        lezers=_r(G, CBS),
        default=None,
    )
    overgedragen_op: date | None = veld(
        "Date this gemeente handed the dossier over to the new gemeente after a move "
        "(verhuizing); empty while it was not handed over.",
        PERS,
        lezers=_r(G, CBS),
        default=None,
    )
    # rules 3, 4 -- links to the parts (intake, every PIP version, opdrachten, maatregelen,
    # voortgang); only the linked gemeente reads them.
    onderdelen: list[Onderdeellink] = veld(
        "Links to the parts of the dossier (intake, PIP versions, opdrachten, maatregelen, "
        "voortgang).",
        GEEN,
        lezers=_r(G),
        default_factory=list,
    )


class Uitnodiging(ContractModel):
    datum: date = veld("Date of the invitation.", PERS)
    volgnummer: int = veld("1, 2 or 3.", PERS, ge=1, le=3)
    verschenen: bool | None = veld("The person came.", PERS, default=None)


class Alfabetisering(StrEnum):
    GEALFABETISEERD = "gealfabetiseerd"
    ANALFABEET = "analfabeet"
    ANDERS_GEALFABETISEERD = "anders-gealfabetiseerd"


# rule 16 -- countable intake items are code lists, never free text (they are SWI items: seed
# 001, row CBS, "h. Opleidingsniveau van de inburgeraar"). ISCED 2011 levels, because most
# education was followed abroad and ISCED is what diploma valuation (IDW) maps to.
class Opleidingsniveau(StrEnum):
    ISCED_0 = "isced-0"
    ISCED_1 = "isced-1"
    ISCED_2 = "isced-2"
    ISCED_3 = "isced-3"
    ISCED_4 = "isced-4"
    ISCED_5 = "isced-5"
    ISCED_6 = "isced-6"
    ISCED_7 = "isced-7"
    ISCED_8 = "isced-8"


# Seed 002_774eb578c0679392.txt (section 3.4.2): "De leerbaarheidstoets geeft antwoord op de
# vraag of de inburgeringsplichtige in staat is binnen de inburgeringstermijn het taalniveau te
# behalen dat nodig is voor de leerroute (B1)."
class LbtUitkomst(StrEnum):
    B1_HAALBAAR = "b1-haalbaar"
    B1_NIET_HAALBAAR = "b1-niet-haalbaar"


# rules 5, 6 -- code lists of the brede-intake items (issue 8 item 5); see the comment in
# Intake. None of them can name an illness, a diagnosis or a need for care.
class Zelfredzaamheid(StrEnum):
    ZELFREDZAAM = "zelfredzaam"
    GROTENDEELS_ZELFREDZAAM = "grotendeels-zelfredzaam"
    BEPERKT_ZELFREDZAAM = "beperkt-zelfredzaam"
    NIET_ZELFREDZAAM = "niet-zelfredzaam"


class Beroepsniveau(StrEnum):
    """Occupational level (the four CBS levels, plus academic)."""

    ELEMENTAIR = "elementair"
    LAGER = "lager"
    MIDDELBAAR = "middelbaar"
    HOGER = "hoger"
    WETENSCHAPPELIJK = "wetenschappelijk"


class WerkervaringHerkomst(ContractModel):
    jaren: int = veld("Years of work experience in the country of origin.", PERS, ge=0, le=80)
    beroepsniveau: Beroepsniveau | None = veld("Occupational level.", PERS, default=None)


class GewaardeerdDiploma(ContractModel):
    nlqf_niveau: int = veld(
        "Level the valuation gives the diploma on the Dutch qualification framework (NLQF).",
        PERS,
        ge=1,
        le=8,
    )
    gewaardeerd_op: date | None = veld("Date of the valuation.", PERS, default=None)


class Gezinssituatie(StrEnum):
    ALLEENSTAAND = "alleenstaand"
    ALLEENSTAAND_MET_KINDEREN = "alleenstaand-met-kinderen"
    MET_PARTNER_ZONDER_KINDEREN = "met-partner-zonder-kinderen"
    MET_PARTNER_MET_KINDEREN = "met-partner-met-kinderen"
    GEZINSHERENIGING_VERWACHT = "gezinshereniging-verwacht"


class SociaalNetwerk(StrEnum):
    GEEN = "geen"
    BEPERKT = "beperkt"
    VOLDOENDE = "voldoende"


class Introductiemodule(StrEnum):
    """The introduction modules of the voorinburgering (same codes as COA's klantprofiel)."""

    NT2 = "nt2"
    KNM = "kennis-nederlandse-maatschappij"
    MAP = "arbeidsmarkt-en-participatie"
    PVT = "participatieverklaringstraject"


class VoorinburgeringActueel(ContractModel):
    """The voorinburgering as the gemeente updated it at the intake (COA's klantprofiel is
    frozen after vestiging, so the update lives here)."""

    klantprofiel_versie: int | None = veld(
        "Klantprofiel version the update started from.", GEEN, default=None, ge=1
    )
    bijgewerkt_op: date = veld("Date the gemeente updated the data.", PERS)
    spreekvaardigheid_nt2: Taalniveau | None = veld("NT2 speaking skill.", PERS, default=None)
    introductiemodules_afgerond: list[Introductiemodule] = veld(
        "Introduction modules completed.", PERS, default_factory=list
    )
    afgerond: bool = veld("Voorinburgering done.", PERS)


class ZRouteGrond(StrEnum):
    """Seed 001_6bf09e723ef6bb05.txt (taak 10): "Inburgeringsplichtige krijgt plaats in Z-Route
    wanneer taalvaardigheid B1 en onderwijsroute niet haalbaar zijn"."""

    B1_NIET_HAALBAAR = "b1-niet-haalbaar"
    ONDERWIJSROUTE_NIET_HAALBAAR = "onderwijsroute-niet-haalbaar"
    LBT_UITKOMST = "lbt-uitkomst"
    TAALNIVEAU = "taalniveau"
    ALFABETISERING = "alfabetisering"
    OPLEIDINGSNIVEAU = "opleidingsniveau"
    ZELFREDZAAMHEID = "zelfredzaamheid"


# end rules 5, 6


class Intake(ContractModel):
    """The brede intake (incl. the LBT). Deliberately no field for health: the findings on
    personal circumstances stay in the conversation, medical documents are refused."""

    intake_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G, CBS))
    dossier_id: OpaqueId = veld("The dossier.", GEEN, lezers=_r(G, CBS))
    # rules 1, 11, 14 -- not for CBS: the SWI list (seed 001_6bf09e723ef6bb05.txt, row
    # "Centraal Bureau voor de Statistiek") names "De deelname aan [...] de brede intake", not
    # the invitations; warnings for not appearing reach CBS as handhavingsmaatregel.
    uitnodigingen: list[Uitnodiging] = veld(
        "Invitations (at most 3).", PERS, lezers=_r(G), default_factory=list, max_length=3
    )
    eerste_gesprek_op: date | None = veld(
        "Date of the first conversation.", PERS, lezers=_r(G, CBS), default=None
    )
    vervolggesprekken: list[date] = veld(
        "Dates of follow-up conversations.", PERS, lezers=_r(G), default_factory=list
    )
    afgerond_op: date | None = veld("Date completed.", PERS, lezers=_r(G, CBS), default=None)
    afgerond_zonder_medewerking: bool = veld(
        "Completed without the person after 3 missed invitations.",
        PERS,
        lezers=_r(G, CBS),
        default=False,
    )
    lbt_afgenomen: bool = veld("LBT taken.", PERS, lezers=_r(G, CBS), default=False)
    lbt_uitslag_id: OpaqueId | None = veld("LBT result at DUO.", GEEN, lezers=_r(G), default=None)
    lbt_uitkomst: LbtUitkomst | None = veld(
        "LBT outcome (a code: is B1 attainable within the termijn).",
        PERS,
        lezers=_r(G, CBS),
        default=None,
    )
    opleidingsniveau: Opleidingsniveau | None = veld(
        "Education level (ISCED 2011 code).", PERS, lezers=_r(G, CBS), default=None
    )
    alfabetisering: Alfabetisering | None = veld(
        "Literacy (illiteracy / other alphabet).", PERS, lezers=_r(G, CBS), default=None
    )
    taalniveau: Taalniveau | None = veld("Language level.", PERS, lezers=_r(G), default=None)
    arbeidsmarktperspectief: Tekst | None = veld(
        "Chances on the labour market.", PERS, lezers=_r(G), default=None
    )
    # rules 5, 6 -- issue 8 item 5. Seed 002_774eb578c0679392.txt (section 3.4.1): "In de
    # Brede Intake wordt in ieder geval het volgende in kaart gebracht: a. het taalniveau; b.
    # de mogelijkheden tot arbeidsparticipatie en c. de mate van zelfredzaamheid". Seed
    # 001_6bf09e723ef6bb05.txt (taak 4): "Resultaat onderzoek gevolgd onderwijs/ opleidingen
    # (evt. gewaardeerd diploma) en werkervaring land van herkomst", "Resultaat verkenning
    # persoonlijke omstandigheden (fysieke en mentale gezondheid, gezinssituatie, sociaal
    # netwerk)", "Gegevens voorinburgering", "Zelfredzaamheid". Seed 004_e8b3bff006360911.txt
    # (bijlage B, "Brede intake"): "Gegevens uit de voor-inburgering (geactualiseerd)",
    # "Gegevens omtrent gewaardeerd diploma (indien inburgeraar daarover beschikt)"; row
    # "Zelfredzaamheidsroute": "Onderbouwing keuze Z-route (resultaten van onderzoek brede
    # intake)". Codes only, no free text: seed 001 asks "hoe dit in verhouding staat tot het
    # registreren van gezondheidsgegevens", so of the personal circumstances only gezinssituatie
    # and sociaal netwerk are taken, never the health part. Readers: the linked gemeente (and
    # after a move the next one, as the linked gemeente); no seed lists them for DUO, CBS or
    # an aanbieder. Retention: none is an item of art. 9.9, so 5 years after the plicht.
    zelfredzaamheid: Zelfredzaamheid | None = veld(
        "De mate van zelfredzaamheid (a legal minimum of the brede intake), as a code.",
        PERS,
        lezers=_r(G),
        default=None,
    )
    werkervaring_herkomst: WerkervaringHerkomst | None = veld(
        "Work experience in the country of origin (years and occupational level).",
        PERS,
        lezers=_r(G),
        default=None,
    )
    gewaardeerd_diploma: GewaardeerdDiploma | None = veld(
        "The valued foreign diploma, if the person has one (Dutch level, date valued).",
        PERS,
        lezers=_r(G),
        default=None,
    )
    gezinssituatie: Gezinssituatie | None = veld(
        "Family situation, as a code.", PERS, lezers=_r(G), default=None
    )
    sociaal_netwerk: SociaalNetwerk | None = veld(
        "Social network, as a code.", PERS, lezers=_r(G), default=None
    )
    voorinburgering: VoorinburgeringActueel | None = veld(
        "Voorinburgering data, updated by the gemeente at the intake.",
        PERS,
        lezers=_r(G),
        default=None,
    )
    onderbouwing_z_route: list[ZRouteGrond] = veld(
        "Reasons for choosing the Z-route (results of the brede intake), as codes.",
        PERS,
        lezers=_r(G),
        default_factory=list,
        max_length=len(ZRouteGrond),
    )


class Afspraken(ContractModel):
    beoogde_start: date = veld("Planned start.", PERS)
    uiterste_datum: date = veld("Deadline.", PERS)
    intensiteit_uren: Uren | None = veld("Hours (MAP).", PERS, default=None)


# rules 5, 6 -- issue 8 item 5. Seed 001_6bf09e723ef6bb05.txt (taak 7): "De gemeente stelt op
# basis van brede intake vast (beschikking): [...] De intensiteit van het
# participatieverklaringstraject [...] Afspraken over deelname van kind aan voorschoolse
# educatie."
class PvtAfspraken(Afspraken):
    intensiteit_uren: Uren | None = veld(
        "Intensity of the participatieverklaringstraject in hours (at least 12).",
        PERS,
        default=None,
    )


class VoorschoolseEducatie(StrEnum):
    """The PIP's agreement on one child's participation in voorschoolse educatie."""

    DEELNAME = "deelname"
    AANMELDING = "aanmelding"
    GEEN_DEELNAME = "geen-deelname"
    GEEN_KIND_IN_LEEFTIJD = "geen-kind-in-leeftijd"


# end rules 5, 6


class PipWijzigingsoort(StrEnum):
    LEERROUTE_GEWISSELD = "leerroute-gewisseld"
    AFGESCHAALD = "afgeschaald"
    INTENSITEIT_GEWIJZIGD = "intensiteit-gewijzigd"
    VRIJSTELLING_VERWERKT = "vrijstelling-verwerkt"
    OVERIG = "overig"


class PipWijziging(ContractModel):
    soort: PipWijzigingsoort = veld("Kind of change.", PERS)
    datum: date = veld("Date of the change.", PERS)
    vorige_leerroute: Leerroute | None = veld("Leerroute before a switch.", PERS, default=None)


class Pip(ContractModel):
    """The persoonlijk plan inburgering en participatie (a beschikking), one version."""

    pip_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G, DUO, CBS))
    dossier_id: OpaqueId = veld("The dossier.", GEEN, lezers=_r(G, DUO, CBS))
    versie: int = veld("Version; 1 is the first PIP.", GEEN, lezers=_r(G, DUO, CBS), ge=1)
    vaststellingsdatum: date = veld(
        "Date of the PIP: start of the 3-year termijn.", PERS, lezers=_r(G, DUO, CBS)
    )
    eenzijdig_vastgesteld: bool = veld(
        "Set without the person after 3 missed invitations.",
        PERS,
        lezers=_r(G),
        default=False,
    )
    leerroute: Leerroute = veld("Leerroute.", PERS, lezers=_r(G, DUO, CBS))
    # rule 14 -- issue 8 item 14: the PIP carries the person's target group, because the
    # intensity of the leerroute exists only for asielstatushouders. Seed
    # 001_6bf09e723ef6bb05.txt (taak 7): "Intensiteit leerroute wordt alleen vastgelegd voor de
    # doelgroep asielstatushouders (niet voor gezinsmigranten en overige migranten)."
    doelgroep: Doelgroep | None = veld(
        "Target group of the person when the PIP was set (intensiteitUren only for "
        "asielstatushouders).",
        PERS,
        lezers=_r(G, DUO),
        default=None,
    )
    # end rule 14
    taalniveau_eerste_pip: Taalniveau | None = veld(
        "Language level per the first PIP.", PERS, lezers=_r(G, DUO), default=None
    )
    intensiteit_uren: Uren | None = veld(
        "Hours (B1 mandatory, Z fixed 800, onderwijsroute none; asielstatushouders only).",
        PERS,
        lezers=_r(G, DUO),
        default=None,
    )
    map_afspraken: Afspraken | None = veld("MAP agreements.", PERS, lezers=_r(G, DUO), default=None)
    # rules 5, 6 -- PvtAfspraken carries the PVT intensity (seed 001, taak 7); same readers.
    pvt_afspraken: PvtAfspraken | None = veld(
        "PVT agreements, incl. the PVT intensity.", PERS, lezers=_r(G, DUO), default=None
    )
    doelen: list[Tekst] = veld("Goals of the PIP.", PERS, lezers=_r(G), default_factory=list)
    wijziging: PipWijziging | None = veld(
        "What changed against the previous version.",
        PERS,
        lezers=_r(G, DUO, CBS),
        default=None,
    )
    redenen_niet_halen: list[RedenNietAfgerond] = veld(
        "Reasons the PIP is not met.", PERS, lezers=_r(G, DUO), default_factory=list
    )
    # rules 5, 6 -- "Afspraken over deelname van kind aan voorschoolse educatie" (seed 001, taak
    # 7): one code per child, no child's name or date of birth. The gemeente only: no seed
    # lists it for DUO ("afspraken over de onderdelen", seed 004, are MAP, PVT and leerroute).
    voorschoolse_educatie: list[VoorschoolseEducatie] = veld(
        "Agreements on voorschoolse educatie, one code per child.",
        PERS,
        lezers=_r(G),
        default_factory=list,
        max_length=20,
    )

    # rule 14 -- "Intensiteit leerroute wordt alleen vastgelegd voor de doelgroep
    # asielstatushouders (niet voor gezinsmigranten en overige migranten)" (seed
    # 001_6bf09e723ef6bb05.txt, taak 7). The PVT intensity is not the leerroute's: it stays.
    @model_validator(mode="after")
    def _intensiteit_alleen_asielstatushouders(self) -> Self:
        if self.intensiteit_uren is not None and self.doelgroep in (
            Doelgroep.GEZINSMIGRANT,
            Doelgroep.OVERIGE_MIGRANT,
        ):
            raise ValueError(
                f"a PIP of a {self.doelgroep.value} holds no intensiteitUren (the leerroute's "
                "intensity is set for asielstatushouders only)"
            )
        return self

    # end rule 14


class Inburgeringsaanbod(ContractModel):
    """The concrete offer, at most 3 months after the PIP (later: DUO extends ex officio)."""

    inburgeringsaanbod_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G, DUO))
    pip_id: OpaqueId = veld("The PIP.", GEEN, lezers=_r(G, DUO))
    datum_aanbod: date = veld("Date of the offer.", PERS, lezers=_r(G, DUO))


class Contactgegevens(ContractModel):
    voornamen: str = veld("Given names.", IDENT, bewaartermijn=JAAR50, max_length=200)
    geslachtsnaam: str = veld("Family name.", IDENT, bewaartermijn=JAAR50, max_length=200)
    adres: Adres | None = veld("Address.", IDENT, bewaartermijn=JAAR50, default=None)
    telefoon: str | None = veld("Phone.", IDENT, default=None, max_length=40)
    email: str | None = veld("E-mail.", IDENT, default=None, max_length=200)


class MbOnderdeelsoort(StrEnum):
    """Parts of maatschappelijke begeleiding. Seed 004_e8b3bff006360911.txt (art. 51 Besluit):
    "praktische hulp bij het regelen van basisvoorzieningen, hulp bij het starten van de
    inburgering en het stimuleren van participatie en integratie door begeleiding en coaching
    en kennismaking met maatschappelijke organisaties"."""

    PRAKTISCHE_HULP_BASISVOORZIENINGEN = "praktische-hulp-basisvoorzieningen"
    VOORLICHTING_BASISVOORZIENINGEN = "voorlichting-basisvoorzieningen"
    HULP_START_INBURGERING = "hulp-start-inburgering"
    BEGELEIDING_EN_COACHING = "begeleiding-en-coaching"
    KENNISMAKING_WOONOMGEVING = "kennismaking-woonomgeving"
    OVERIG = "overig"


class MbOnderdeel(ContractModel):
    """One part of maatschappelijke begeleiding a provider reports (codes and dates only)."""

    soort: MbOnderdeelsoort = veld("Kind of part (its content and goal, as a code).", PERS)
    startdatum: date = veld("Start of the part.", PERS)
    einddatum: date | None = veld("End of the part.", PERS, default=None)


class Opdrachtstatus(StrEnum):
    VERSTREKT = "verstrekt"
    GESTART = "gestart"
    AFGEROND = "afgerond"
    BEEINDIGD = "beeindigd"


ALLE_AANBIEDERS = AANBIEDER_ROLLEN


class Opdracht(ContractModel):
    """An order from the gemeente to one aanbieder (art. 35 lid 3 wet). An aanbieder reads only
    its own opdrachten (the source checks the caller's OIN) and only its kind's fields."""

    opdracht_id: OpaqueId = veld(
        "Opaque id in dossier-bron.", GEEN, lezers=_r(G, DUO, CBS) | ALLE_AANBIEDERS
    )
    dossier_id: OpaqueId = veld("The dossier.", GEEN, lezers=_r(G, DUO, CBS))
    gemeentecode: Gemeentecode = veld(
        "The ordering gemeente.", GEEN, lezers=_r(G, DUO, CBS) | ALLE_AANBIEDERS
    )
    soort: Opdrachtsoort = veld("What is ordered.", PERS, lezers=_r(G, DUO, CBS) | ALLE_AANBIEDERS)
    aanbiedersoort: Rol = veld("Kind of aanbieder.", GEEN, lezers=_r(G, CBS) | ALLE_AANBIEDERS)
    aanbieder_oin: Oin = veld("OIN of the aanbieder.", GEEN, lezers=_r(G) | ALLE_AANBIEDERS)
    # Not for DUO: seed 001, row "Minister van SZW/DUO", items l) and m) name the course's
    # start, planned end and results, not who gives it; only CBS gets "naam cursusinstelling".
    aanbieder_naam: str = veld(
        "Name of the aanbieder (cursusinstelling).",
        GEEN,
        lezers=_r(G, CBS) | ALLE_AANBIEDERS,
        max_length=200,
    )
    status: Opdrachtstatus = veld(
        "State of the opdracht.", PERS, lezers=_r(G, DUO, CBS) | ALLE_AANBIEDERS
    )
    bsn: Bsn | None = veld(
        "Burgerservicenummer: only for taalaanbieders and Z-route aanbieders (art. 9.10).",
        IDENT,
        bewaartermijn=JAAR50,
        lezers=_r(G, TAAL, Z),
        bsn=True,
        default=None,
    )
    # Not 50 years as a whole: phone and e-mail are no item of art. 9.9 Besluit (seed 001:
    # "Alle andere gegevens worden 5 jaar na beëindiging inburgeringsplicht of na overlijden
    # van de inburgeringsplichtige, verwijderd"); the name and address inside keep 50 years.
    contactgegevens: Contactgegevens = veld(
        "Contact data of the inburgeraar (retention per nested field: name and address 50 "
        "years, phone and e-mail 5 years).",
        IDENT,
        lezers=_r(G) | ALLE_AANBIEDERS,
    )
    taalniveau_eerste_pip: Taalniveau | None = veld(
        "Language level per the first PIP.", PERS, lezers=_r(G, TAAL), default=None
    )
    beoogde_start: date = veld("Planned start.", PERS, lezers=_r(G, DUO) | ALLE_AANBIEDERS)
    beoogde_einddatum: date | None = veld(
        "Planned end.", PERS, lezers=_r(G, DUO, TAAL, Z), default=None
    )
    uiterste_datum: date | None = veld(
        "Legal deadline (MAP, PVT).", PERS, lezers=_r(G, MAP, PVT), default=None
    )
    cursusnaam: str | None = veld(
        "Course name.", PERS, lezers=_r(G, CBS, TAAL), default=None, max_length=200
    )
    onderdelen: list[Tekst] = veld("Course parts.", PERS, lezers=_r(G, TAAL), default_factory=list)
    uren: Uren | None = veld(
        "Hours to spend (language; Z-route 800).", PERS, lezers=_r(G, TAAL, Z), default=None
    )
    intensiteit_uren: Uren | None = veld(
        "Intensity of the MAP traject.", PERS, lezers=_r(G, MAP), default=None
    )
    doelen: list[Tekst] = veld(
        "Goals to reach (Z-route, incl. language level).",
        PERS,
        lezers=_r(G, Z),
        default_factory=list,
    )
    afspraken: list[Tekst] = veld(
        "Agreements made with the person.",
        PERS,
        lezers=_r(G, Z, PVT, MB),
        default_factory=list,
    )
    pip_versie: int = veld(
        "PIP version the opdracht follows; raised on PIP changes.",
        GEEN,
        lezers=_r(G, TAAL, Z),
        ge=1,
    )
    gerealiseerde_start: date | None = veld(
        "Realised start (reported by the aanbieder).",
        PERS,
        lezers=_r(G, DUO, CBS),
        default=None,
    )
    resultaat_datum: date | None = veld(
        "Date of the result (taalschakeltraject, Z-route).",
        PERS,
        lezers=_r(G, DUO),
        default=None,
    )
    resultaat_behaald: bool | None = veld("Result reached.", PERS, lezers=_r(G, DUO), default=None)
    certificaat_ontvangen: bool | None = veld(
        "Inburgeringscertificaat received (Z-route).", PERS, lezers=_r(G, DUO), default=None
    )
    # rule 14 -- the person's target group, for the read rule on the language results
    # (policy.TAALINSPANNING_VELDEN). Seed 002_774eb578c0679392.txt (section 4.7): "De gemeente
    # ontvangt geen informatie over de taal inspanningen van de gezins- of overige migrant."
    # And no leerroute intensity (uren) for them (seed 001_6bf09e723ef6bb05.txt, taak 7).
    doelgroep: Doelgroep | None = veld(
        "Target group of the person (language results and uren only for asielstatushouders).",
        PERS,
        lezers=_r(G),
        default=None,
    )
    # end rule 14
    # Issue 8 item 9. Seed 001_6bf09e723ef6bb05.txt gives the cursusinstelling "de gegevens over
    # de leerroute, waaronder de intensiteit en de termijn van de leerroute, alsmede wijzigingen
    # daarvan" (art. 35 lid 3 Wet); seed 004_e8b3bff006360911.txt (bijlage B) lists for the
    # Z-route aanbieder "Wijzigingen t.o.v. eerdere afspraken PIP t.a.v. leerroute". After an
    # afschaling ("van B1 naar A2", seed 002_774eb578c0679392.txt section 3.4.7) the target
    # level is no longer the level of the first PIP.
    termijn_begindatum: date | None = veld(
        "Start of the termijn within which the leerroute must be completed.",
        PERS,
        lezers=_r(G, TAAL, Z),
        default=None,
    )
    termijn_einddatum: date | None = veld(
        "End of the termijn of the leerroute (changes on an extension).",
        PERS,
        lezers=_r(G, TAAL, Z),
        default=None,
    )
    huidig_taalniveau_doel: Taalniveau | None = veld(
        "Target language level per the current PIP version (e.g. A2 after an afschaling).",
        PERS,
        lezers=_r(G, TAAL, Z),
        default=None,
    )
    # Issue 8 item 10: return flows registered at the gemeente's source. Seed
    # 004_e8b3bff006360911.txt (section 4.4.1), row "Leerbaarheidstoets": "Datum toets Uitslag
    # toets"; row "Maatschappelijke begeleiding": "Door gemeente in te vullen (zie ook bijlage
    # B)", and bijlage B names "Inhoud van maatschappelijke begeleiding [...] Doel van de
    # verschillende onderdelen [...] Start van verschillende onderdelen". As codes only: no
    # "gespreksverslag" (seed 001) in the chain, so no story about health can ride along.
    lbt_toetsdatum: date | None = veld(
        "LBT opdracht: date the leerbaarheidstoets was taken (reported by the LBT taker).",
        PERS,
        lezers=_r(G),
        default=None,
    )
    lbt_uitslag: str | None = veld(
        "LBT opdracht: result of the test as the LBT taker reports it.",
        PERS,
        lezers=_r(G),
        default=None,
        max_length=100,
    )
    mb_onderdelen: list[MbOnderdeel] = veld(
        "Maatschappelijke-begeleiding opdracht: the parts given, as reported by the provider.",
        PERS,
        lezers=_r(G),
        default_factory=list,
    )

    @model_validator(mode="after")
    def _bsn_only_where_the_law_allows(self) -> Self:
        if not self.aanbiedersoort.is_aanbieder:
            raise ValueError(f"aanbiedersoort {self.aanbiedersoort.value!r} is no aanbieder")
        # The gemeente may not use the BSN towards MAP, PVT, MB or LBT providers either
        # (seed 001): such an opdracht cannot even hold one.
        if self.bsn is not None and not self.aanbiedersoort.mag_bsn:
            raise ValueError(f"an opdracht for a {self.aanbiedersoort.value} holds no BSN")
        # rules 1, 11, 14 -- the BSN follows the task (seed 001_6bf09e723ef6bb05.txt: "Voor
        # alle andere taken mogen de aanbieders bij de uitvoering hun taken niet het BSN
        # gebruiken"): the soort must fit the aanbieder's kind, and only the language part of
        # a leerroute may carry a BSN, whoever carries the opdracht out.
        taak = opdrachttaak(self.soort)
        if taak is None or self.aanbiedersoort not in taak.uitvoerders:
            raise ValueError(
                f"an opdracht of soort {self.soort.value!r} is not for a "
                f"{self.aanbiedersoort.value}"
            )
        if self.bsn is not None and not bsn_past_bij_taak(self.aanbiedersoort, self.soort):
            raise ValueError(f"an opdracht of soort {self.soort.value!r} holds no BSN")
        # rule 14 -- "Intensiteit leerroute wordt alleen vastgelegd voor de doelgroep
        # asielstatushouders (niet voor gezinsmigranten en overige migranten)" (seed
        # 001_6bf09e723ef6bb05.txt, taak 7): no leerroute hours on their opdracht.
        if self.uren is not None and self.doelgroep in (
            Doelgroep.GEZINSMIGRANT,
            Doelgroep.OVERIGE_MIGRANT,
        ):
            raise ValueError(
                f"an opdracht for a {self.doelgroep.value} holds no uren (leerroute intensity)"
            )
        # end rule 14
        return self


class _Traject(ContractModel):
    dossier_id: OpaqueId = veld("The dossier.", GEEN, lezers=_r(G, DUO, CBS))
    opdracht_id: OpaqueId | None = veld("The opdracht.", GEEN, lezers=_r(G), default=None)
    start_gepland: date = veld("Planned start.", PERS, lezers=_r(G, DUO))
    start_gerealiseerd: date | None = veld(
        "Realised start.", PERS, lezers=_r(G, DUO, CBS), default=None
    )
    reden_late_start: RedenLateStart | None = veld(
        "Reason for a late start.", PERS, lezers=_r(G), default=None
    )
    uiterste_datum_gepland: date = veld("Planned deadline.", PERS, lezers=_r(G, DUO))
    uiterste_datum_bijgesteld: date | None = veld(
        "Adjusted deadline.", PERS, lezers=_r(G, DUO), default=None
    )
    afgerond: bool | None = veld(
        "Done (None while running).", PERS, lezers=_r(G, DUO, CBS), default=None
    )
    datum_afgerond: date | None = veld("Date done.", PERS, lezers=_r(G, DUO), default=None)
    reden_niet_afgerond: RedenNietAfgerond | None = veld(
        "Reason not done.", PERS, lezers=_r(G, DUO), default=None
    )
    verwijtbaar: bool | None = veld(
        "Not done through the person's fault.", PERS, lezers=_r(G, DUO), default=None
    )


class MapTraject(_Traject):
    """Module Arbeidsmarkt en Participatie; ends with the eindgesprek."""

    map_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G, DUO, CBS))


class PvtTraject(_Traject):
    """Participatieverklaringstraject; ends with signing (at least 12 hours)."""

    pvt_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G, DUO, CBS))


class Maatregelsoort(StrEnum):
    WAARSCHUWING = "waarschuwing"
    BOETE = "boete"


class Maatregelreden(StrEnum):
    NIET_VERSCHENEN_INTAKE = "niet-verschenen-intake"
    NIET_MEEWERKEN_INTAKE = "niet-meewerken-intake"
    PIP_AFSPRAKEN_NIET_NAGEKOMEN = "pip-afspraken-niet-nagekomen"
    MAP_NIET_MEEWERKEN = "map-niet-meewerken"
    PVT_NIET_MEEWERKEN = "pvt-niet-meewerken"


class Rechtsmiddel(StrEnum):
    GEEN = "geen"
    BEZWAAR = "bezwaar"
    BEROEP = "beroep"


# rule 13 -- Participatiewet data inside the gemeente (seed 002_774eb578c0679392.txt, section
# 4.2): "de medewerker inburgering mag gegevens betreffende de Participatiewet raadplegen, maar
# niet wijzigen" (``keten_contracts.access``: only the klantmanager Participatiewet writes this
# resource). It is here for one reason: "een inburgeringsplichtige kan geen bestuurlijke boete
# krijgen in het kader van de Wet inburgering, wanneer zijn of haar uitkering al voor dezelfde
# gedrag is verlaagd. Denk bijvoorbeeld aan een uitkeringsverlaging voor het niet nakomen van de
# taaleis in de Participatiewet." Minimal: which conduct, when; no amount, no benefit data.
class ParticipatiewetMaatregel(ContractModel):
    """A Participatiewet measure (uitkeringsverlaging) for conduct that is also inburgering
    conduct, as the regie inburgering needs to see it: no Wet inburgering fine may follow for
    the same conduct (``Handhavingsmaatregel.participatiewet_maatregel_id``)."""

    participatiewet_maatregel_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G))
    dossier_id: OpaqueId = veld("The inburgering dossier of the person.", GEEN, lezers=_r(G))
    gemeentecode: Gemeentecode = veld(
        "The gemeente whose college imposed it (the Participatiewet).", GEEN, lezers=_r(G)
    )
    gedraging: Maatregelreden = veld(
        "The conduct sanctioned, as the inburgering reason code it concerns.",
        PERS,
        lezers=_r(G),
    )
    besluitdatum: date = veld("Date of the decision to lower the benefit.", PERS, lezers=_r(G))


# end rule 13


class Handhavingsmaatregel(ContractModel):
    """A warning or fine by the gemeente for the inspanningsverplichting. Not pushed to DUO and
    no standing read for DUO (rules 3, 4): DUO reads a fine only for a ``Handhavingsverzoek``
    that names it (``keten_contracts.policy.project_op_verzoek``), a warning never."""

    # rules 3, 4 -- DUO is no standing reader. Seed 002_774eb578c0679392.txt (section 4.7): "De
    # door de gemeente opgelegde boetes in het kader van de inspanningsverplichting hoeven niet
    # te worden gedeeld met DUO. Indien het nodig is om deze gegevens te delen, neemt DUO
    # contact op met de gemeente en kan de gemeente deze alsnog delen. Dit zijn incidentele
    # verzoeken."
    handhavingsmaatregel_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G, CBS))
    dossier_id: OpaqueId = veld("The dossier.", GEEN, lezers=_r(G, CBS))
    soort: Maatregelsoort = veld("Warning or fine.", PERS, lezers=_r(G, CBS))
    datum: date = veld("Date.", PERS, lezers=_r(G, CBS))
    reden: Maatregelreden = veld("Reason.", PERS, lezers=_r(G, CBS))
    bedrag_in_centen: BedragInCenten | None = veld(
        "Amount of a fine in euro cents.", PERS, lezers=_r(G, CBS), default=None
    )
    verwijtbaar: bool = veld("Culpable (no fine without).", PERS, lezers=_r(G))
    rechtsmiddel: Rechtsmiddel = veld(
        "Objection or appeal lodged.", PERS, lezers=_r(G), default=Rechtsmiddel.GEEN
    )
    # rule 13 -- no double fine. Seed 003_eca6f978cb863c1e.txt (section 5.4): "wanneer een
    # gemeente handhaaft op grond van de Participatiewet, handhaving op grond van de Wet
    # inburgering niet mogelijk is". PERS, not GEEN: the link says the benefit was lowered.
    participatiewet_maatregel_id: OpaqueId | None = veld(
        "The Participatiewet measure (uitkeringsverlaging) for the same conduct; a fine cannot "
        "carry it, a warning records it (no fine may follow).",
        PERS,
        lezers=_r(G),
        default=None,
    )

    # rule 13 -- seed 002_774eb578c0679392.txt (section 4.2): "een inburgeringsplichtige kan
    # geen bestuurlijke boete krijgen in het kader van de Wet inburgering, wanneer zijn of haar
    # uitkering al voor dezelfde gedrag is verlaagd" and (section 4.7) "iemand [kan] niet twee
    # keer voor eenzelfde feit beboet worden". Both speak of a fine: a warning is no punishment,
    # so it may carry the marker and then records why the escalation to a fine stops.
    @model_validator(mode="after")
    def _geen_dubbele_boete(self) -> Self:
        if self.soort is Maatregelsoort.BOETE and self.participatiewet_maatregel_id is not None:
            raise ValueError(
                "no fine for conduct the Participatiewet already sanctioned "
                "(participatiewetMaatregelId is set)"
            )
        return self

    # end rule 13


# rules 3, 4 -- what DUO reads of a FINE named in its request. Seed 001_6bf09e723ef6bb05.txt,
# row "Minister van SZW/DUO", item s: "Door gemeente opgelegde boetes, informatie over bezwaar
# en beroep"; warnings are not in that list, so DUO never reads one. Not the dossier id (the
# gemeente's internal link; minimisation).
DUO_OP_VERZOEK_VELDEN: frozenset[str] = frozenset(
    {
        "handhavingsmaatregel_id",
        "soort",
        "datum",
        "reden",
        "bedrag_in_centen",
        "verwijtbaar",
        "rechtsmiddel",
    }
)


class Handhavingsverzoek(ContractModel):
    """DUO's incidental request to one gemeente for fines it imposed (seed 002 section 4.7: "Dit
    zijn incidentele verzoeken"). It lives at DUO's source; the gemeente fetches it after the
    event ``duo.handhavingsverzoek.ingediend`` and serves DUO the fines it names, nothing else.

    The fines are named by the gemeente's opaque ids (``handhavingsmaatregel_ids``) or, when
    that list is empty, by the person reference DUO has (``inburgeringsplicht_id``): then every
    fine of that person at this gemeente. The person reference must always match.
    """

    handhavingsverzoek_id: OpaqueId = veld("Opaque id at DUO.", GEEN, lezers=_r(G, DUO))
    gemeentecode: Gemeentecode = veld(
        "The gemeente asked (the one that imposed the fines).", GEEN, lezers=_r(G, DUO)
    )
    inburgeringsplicht_id: OpaqueId = veld(
        "The person, by DUO's reference (the inburgeringsplicht).", GEEN, lezers=_r(G, DUO)
    )
    handhavingsmaatregel_ids: list[OpaqueId] = veld(
        "The fines asked for, by the gemeente's ids; empty: all fines of the person.",
        GEEN,
        lezers=_r(G, DUO),
        default_factory=list,
    )
    datum: date = veld("Date of the request.", PERS, lezers=_r(G, DUO))


class Verlengingsgrond(StrEnum):
    AANBOD_UITGEBLEVEN = "aanbod-uitgebleven"
    AANBOD_TE_LAAT = "aanbod-te-laat"
    WACHTLIJST_AANBIEDER = "wachtlijst-aanbieder"
    PERSOONLIJKE_OMSTANDIGHEDEN = "persoonlijke-omstandigheden"
    OVERIG = "overig"


class Verlengingsinformatie(ContractModel):
    """What the gemeente tells DUO about an extension: circumstances as codes only (a medical
    story is not registered), and whether the offer was missing."""

    verlengingsinformatie_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G, DUO))
    dossier_id: OpaqueId = veld("The dossier.", GEEN, lezers=_r(G, DUO))
    inburgeringsplicht_id: OpaqueId | None = veld(
        "The plicht at DUO.", GEEN, lezers=_r(G, DUO), default=None
    )
    verlenging_id: OpaqueId | None = veld(
        "The request at DUO, if filed.", GEEN, lezers=_r(G, DUO), default=None
    )
    gronden: list[Verlengingsgrond] = veld("Circumstances.", PERS, lezers=_r(G, DUO), min_length=1)
    inburgeringsaanbod_uitgebleven: bool = veld(
        "The gemeente made no offer.", PERS, lezers=_r(G, DUO)
    )
    datum: date = veld("Date delivered.", PERS, lezers=_r(G, DUO))


class Urenreden(StrEnum):
    VERLENGING = "verlenging"
    HANDHAVING = "handhaving"
    Z_ROUTE_TAALONDERDEEL = "z-route-taalonderdeel"


class Urenverantwoording(ContractModel):
    """Language (and participation) hours, exchanged only when needed (domain.md section 3)."""

    urenverantwoording_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G, DUO))
    dossier_id: OpaqueId = veld("The dossier.", GEEN, lezers=_r(G, DUO))
    peildatum: date = veld("Hours up to this date.", PERS, lezers=_r(G, DUO))
    uren_taal: Uren = veld("Language hours realised.", PERS, lezers=_r(G, DUO))
    uren_participatie: Uren | None = veld(
        "Participation hours realised (Z-route).", PERS, lezers=_r(G, DUO), default=None
    )
    reden: Urenreden = veld("Why DUO needs them.", PERS, lezers=_r(G, DUO))
    # Issue 8 item 7. Seed 002_774eb578c0679392.txt (section 3.4.7, B1-route): "Aantal uren
    # geoorloofd en ongeoorloofd verzuim naast aanwezige uren bij taalonderwijs"; Z-route:
    # "Aantal uren taalonderwijs (standaard 800 uur) inclusief geoorloofd en ongeoorloofd
    # verzuim en aanwezige uren" and participation hours "gemaakt voordat de PIP wordt
    # vastgesteld worden apart opgegeven". Section 4.8: DUO sets the fine from "het percentage
    # aanwezigheid bij de lessen". Read by the same readers as the totals above.
    uren_aanwezig: Uren | None = veld(
        "Language hours the person was present.", PERS, lezers=_r(G, DUO), default=None
    )
    uren_verzuim_geoorloofd: Uren | None = veld(
        "Language hours of excused absence (geoorloofd verzuim; no reason given).",
        PERS,
        lezers=_r(G, DUO),
        default=None,
    )
    uren_verzuim_ongeoorloofd: Uren | None = veld(
        "Language hours of unexcused absence (ongeoorloofd verzuim).",
        PERS,
        lezers=_r(G, DUO),
        default=None,
    )
    uren_participatie_voor_pip: Uren | None = veld(
        "Z-route: participation hours made before the PIP was decided (during the brede "
        "intake), reported apart from uren_participatie.",
        PERS,
        lezers=_r(G, DUO),
        default=None,
    )
    # rule 14 -- the person's target group, which the gemeente's read rule needs
    # (policy.TAALINSPANNING_VELDEN): seed 002_774eb578c0679392.txt (section 4.7): "De gemeente
    # ontvangt geen informatie over de taal inspanningen van de gezins- of overige migrant. De
    # instelling levert deze informatie rechtstreeks aan DUO". DUO reads the hours of everyone.
    doelgroep: Doelgroep | None = veld(
        "Target group of the person (the gemeente reads the language hours and verzuim of "
        "asielstatushouders only).",
        PERS,
        lezers=_r(G, DUO),
        default=None,
    )
    # end rule 14


class Begeleidingsoort(StrEnum):
    MAATSCHAPPELIJKE_BEGELEIDING = "maatschappelijke-begeleiding"
    FINANCIEEL_ONTZORGEN = "financieel-ontzorgen"
    # rule 16 -- its own kind, not the ontzorgen period: seed 002_774eb578c0679392.txt (section
    # 4.1) starts it "tijdens de periode van ontzorgen" and "Het CBS zal hierover gegevens
    # uitvragen, waaronder 'startdatum en einddatum stimuleren financiële zelfredzaamheid'".
    STIMULEREN_FINANCIELE_ZELFREDZAAMHEID = "stimuleren-financiele-zelfredzaamheid"
    VOORTGANGSGESPREK = "voortgangsgesprek"


class Begeleiding(ContractModel):
    """One period of maatschappelijke begeleiding, of financieel ontzorgen (first 6 months
    after settling, asielstatushouders on bijstand), of stimuleren financiële zelfredzaamheid
    (its own start and end, apart from the ontzorgen period), or one voortgangsgesprek
    (gezins- en overige migranten). Each is its own resource with its own dates, so the SWI
    reads the two financial periods separately (``keten_contracts.swi``)."""

    begeleiding_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G, CBS))
    dossier_id: OpaqueId = veld("The dossier.", GEEN, lezers=_r(G, CBS))
    soort: Begeleidingsoort = veld("Kind.", PERS, lezers=_r(G, CBS))
    startdatum: date = veld("Start (or date of the conversation).", PERS, lezers=_r(G, CBS))
    einddatum: date | None = veld("End.", PERS, lezers=_r(G, CBS), default=None)

    @model_validator(mode="after")
    def _periode(self) -> Self:
        if self.einddatum is not None and self.einddatum < self.startdatum:
            raise ValueError("einddatum lies before startdatum")
        if self.soort is Begeleidingsoort.VOORTGANGSGESPREK and self.einddatum is not None:
            raise ValueError("a voortgangsgesprek is one date: no einddatum")
        return self


# rules 3, 4 -- verhuizing -------------------------------------------------------------------
class Inspanningsoordeel(StrEnum):
    VOLDOENDE = "voldoende"
    ONVOLDOENDE = "onvoldoende"


class Voortgang(ContractModel):
    """Progress of the person as the gemeente registered it at its source (from the aanbieder's
    reports), including hours. Seed 002_774eb578c0679392.txt (section 4.5): the old gemeente
    informs the new one about "de voortgang. Dit is inclusief de tot op dat moment gevolgde
    taaluren". Only the linked gemeente reads it (and the new one through a hand-over)."""

    voortgang_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G))
    dossier_id: OpaqueId = veld("The dossier.", GEEN, lezers=_r(G))
    opdracht_id: OpaqueId | None = veld(
        "The opdracht reported on.", GEEN, lezers=_r(G), default=None
    )
    peildatum: date = veld("Progress up to this date.", PERS, lezers=_r(G))
    uren_gerealiseerd_totaal: Uren = veld("Language hours followed so far.", PERS, lezers=_r(G))
    uren_aanwezig: Uren | None = veld("Hours attended.", PERS, lezers=_r(G), default=None)
    uren_afwezig_geoorloofd: Uren | None = veld(
        "Hours of excused absence.", PERS, lezers=_r(G), default=None
    )
    uren_afwezig_ongeoorloofd: Uren | None = veld(
        "Hours of unexcused absence.", PERS, lezers=_r(G), default=None
    )
    inspanning: Inspanningsoordeel | None = veld(
        "Effort as last judged.", PERS, lezers=_r(G), default=None
    )


class Overdrachtsverzoek(ContractModel):
    """The new gemeente's request to the old one to hand over after a move. Seed
    002_774eb578c0679392.txt (section 4.5): "moet de nieuwe gemeente van vestiging [...]
    contact zoeken met de gemeente van vertrek en de overdracht initiëren". It lives at the new
    gemeente's source; the old gemeente reads it for the hand-over only."""

    overdrachtsverzoek_id: OpaqueId = veld("Opaque id at the new gemeente.", GEEN, lezers=_r(G))
    gemeentecode: Gemeentecode = veld(
        "The new gemeente (asks; the person is linked to it now).", GEEN, lezers=_r(G)
    )
    vorige_gemeentecode: Gemeentecode = veld(
        "The old gemeente (asked; keeps its own dossier).", GEEN, lezers=_r(G)
    )
    inburgeringsplicht_id: OpaqueId = veld(
        "The person, by DUO's reference (from duo.verhuizing.gemeld).", GEEN, lezers=_r(G)
    )
    datum: date = veld("Date of the request.", PERS, lezers=_r(G))

    @model_validator(mode="after")
    def _two_gemeenten(self) -> Self:
        if self.gemeentecode == self.vorige_gemeentecode:
            raise ValueError("a hand-over is between two different gemeenten")
        return self


class Overdracht(ContractModel):
    """The old gemeente's hand-over package: links to the parts it hands over, not the dossier.
    Seed 004_e8b3bff006360911.txt (section 4.2.4): "Onderdeel van dit dossier is ook een
    overzicht van eventueel opgelegde boetes aan de inburgeraar"; seed 002 section 4.5: "de
    inhoud van het inburgeringsaanbod en de voortgang [...] inclusief de tot op dat moment
    gevolgde taaluren" and "een afschrift van het PIP". The old gemeente keeps its own dossier
    (retention, objection and appeal on its fines); the new gemeente opens its own from this
    and reads the linked parts for the hand-over only (``policy.project_voor_overdracht``)."""

    overdracht_id: OpaqueId = veld("Opaque id at the old gemeente.", GEEN, lezers=_r(G))
    overdrachtsverzoek_id: OpaqueId = veld("The request it answers.", GEEN, lezers=_r(G))
    gemeentecode: Gemeentecode = veld("The old gemeente (hands over).", GEEN, lezers=_r(G))
    nieuwe_gemeentecode: Gemeentecode = veld("The new gemeente (receives).", GEEN, lezers=_r(G))
    inburgeringsplicht_id: OpaqueId = veld("The person, by DUO's reference.", GEEN, lezers=_r(G))
    onderdelen: list[Onderdeellink] = veld(
        "The parts handed over: brede intake, PIP versions (with changes), voortgang incl. "
        "hours, opdrachten, maatregelen done.",
        GEEN,
        lezers=_r(G),
        min_length=1,
    )
    datum: date = veld("Date of the hand-over.", PERS, lezers=_r(G))

    @model_validator(mode="after")
    def _two_gemeenten(self) -> Self:
        if self.gemeentecode == self.nieuwe_gemeentecode:
            raise ValueError("a hand-over is between two different gemeenten")
        return self


# thin reports -- issue 8 item A: the aanbieder reports live at the gemeente's source ---------
# An aanbieder submits its report with a ``POST`` on the opdracht it holds
# (``/opdrachten/{opdrachtId}/<collection>``). The source takes the ids, the gemeentecode, the
# opdracht's soort and the aanbieder's kind from the opdracht and the caller's OIN (never from
# the body: the aanbieder cannot steer the routing), validates the report for its kind with the
# model below, and emits the thin ``nl.inburgering.<kind>-rapport.ontvangen.v1``.
from typing import ClassVar  # noqa: E402

from keten_contracts.common import Examenonderdeel  # noqa: E402

LEERROUTE_RAPPORTEURS: frozenset[Rol] = _r(TAAL, Z, MAP, PVT)


class _Rapport(ContractModel):
    """What every aanbieder report on an opdracht holds; kinds add their own fields."""

    # The aanbieder kinds that may submit this kind of report.
    RAPPORTEURS: ClassVar[frozenset[Rol]] = LEERROUTE_RAPPORTEURS

    rapport_id: OpaqueId = veld(
        "Opaque id in dossier-bron (set by the source).", GEEN, lezers=_r(G)
    )
    versie: int = veld("Version of the report; a correction raises it.", GEEN, lezers=_r(G), ge=1)
    opdracht_id: OpaqueId = veld("The opdracht reported on.", GEEN, lezers=_r(G))
    dossier_id: OpaqueId = veld("The dossier (from the opdracht).", GEEN, lezers=_r(G))
    gemeentecode: Gemeentecode = veld(
        "The ordering gemeente (from the opdracht, never from the aanbieder).", GEEN, lezers=_r(G)
    )
    opdrachtsoort: Opdrachtsoort = veld("Soort of the opdracht.", PERS, lezers=_r(G))
    aanbiedersoort: Rol = veld("Kind of the reporting aanbieder.", GEEN, lezers=_r(G))
    bsn: Bsn | None = veld(
        "Burgerservicenummer, only where the task allows it (language part of a leerroute).",
        IDENT,
        bewaartermijn=JAAR50,
        lezers=_r(G),
        bsn=True,
        default=None,
    )

    @model_validator(mode="after")
    def _fits_the_kind_and_the_task(self) -> Self:
        if self.aanbiedersoort not in self.RAPPORTEURS:
            raise ValueError(
                f"a {type(self).__name__} is not submitted by a {self.aanbiedersoort.value}"
            )
        taak = opdrachttaak(self.opdrachtsoort)
        if taak is None or self.aanbiedersoort not in taak.uitvoerders:
            raise ValueError(
                f"an opdracht of soort {self.opdrachtsoort.value!r} is not for a "
                f"{self.aanbiedersoort.value}"
            )
        # rule 1: "Voor alle andere taken mogen de aanbieders [...] niet het BSN gebruiken".
        if self.bsn is not None and not bsn_past_bij_taak(self.aanbiedersoort, self.opdrachtsoort):
            raise ValueError(f"a report on a {self.opdrachtsoort.value!r} opdracht holds no BSN")
        return self


class TrajectGestartRapport(_Rapport):
    """The aanbieder started the ordered traject: realised start, adjusted end, late start."""

    gerealiseerde_startdatum: date = veld("Realised start.", PERS, lezers=_r(G))
    beoogde_einddatum: date | None = veld("Adjusted planned end.", PERS, lezers=_r(G), default=None)
    reden_late_start: RedenLateStart | None = veld(
        "Reason the start was later than planned.", PERS, lezers=_r(G), default=None
    )


class VoortgangRapport(_Rapport):
    """Attendance and effort over a period."""

    periode_van: date = veld("First day of the period.", PERS, lezers=_r(G))
    periode_tot: date = veld("Last day of the period.", PERS, lezers=_r(G))
    uren_gepland: Uren = veld("Hours planned in the period.", PERS, lezers=_r(G))
    uren_aanwezig: Uren = veld("Hours attended.", PERS, lezers=_r(G))
    uren_afwezig_geoorloofd: Uren = veld(
        "Hours of excused absence (no reason given).", PERS, lezers=_r(G)
    )
    uren_afwezig_ongeoorloofd: Uren = veld("Hours of unexcused absence.", PERS, lezers=_r(G))
    uren_gerealiseerd_totaal: Uren = veld("Hours realised since the start.", PERS, lezers=_r(G))
    inspanning: Inspanningsoordeel = veld("Effort judged by the aanbieder.", PERS, lezers=_r(G))

    @model_validator(mode="after")
    def _periode(self) -> Self:
        if self.periode_tot < self.periode_van:
            raise ValueError("periodeTot lies before periodeVan")
        return self


class Resultaatsoort(StrEnum):
    TUSSENTIJDS = "tussentijds"
    EXAMEN = "examen"
    EINDRESULTAAT = "eindresultaat"


class ResultaatRapport(_Rapport):
    """An interim, exam or final result."""

    soort: Resultaatsoort = veld("Interim, exam or final.", PERS, lezers=_r(G))
    onderdeel: Examenonderdeel | None = veld("Exam part, if any.", PERS, lezers=_r(G), default=None)
    niveau: Taalniveau | None = veld("Level reached or tested.", PERS, lezers=_r(G), default=None)
    datum: date = veld("Date of the result.", PERS, lezers=_r(G))
    behaald: bool = veld("Passed or reached.", PERS, lezers=_r(G))


class Advies(StrEnum):
    WISSELEN_NAAR_B1 = "wisselen-naar-b1-route"
    WISSELEN_NAAR_ONDERWIJSROUTE = "wisselen-naar-onderwijsroute"
    WISSELEN_NAAR_Z_ROUTE = "wisselen-naar-z-route"
    AFSCHALEN_NAAR_A2 = "afschalen-naar-a2"
    OPSCHALEN = "opschalen"
    INTENSITEIT_VERLAGEN = "intensiteit-verlagen"
    INTENSITEIT_VERHOGEN = "intensiteit-verhogen"


class Onderbouwing(StrEnum):
    VOORTGANG_ONVOLDOENDE = "voortgang-onvoldoende"
    VOORTGANG_BOVEN_VERWACHTING = "voortgang-boven-verwachting"
    MINSTENS_600_UUR_GEVOLGD = "minstens-600-uur-gevolgd"
    LEERBAARHEID_LAGER_DAN_VERWACHT = "leerbaarheid-lager-dan-verwacht"
    LEERBAARHEID_HOGER_DAN_VERWACHT = "leerbaarheid-hoger-dan-verwacht"
    AANWEZIGHEID_ONVOLDOENDE = "aanwezigheid-onvoldoende"


class AdviesRapport(_Rapport):
    """Advice to switch leerroute, scale down/up or change intensity, with its grounds."""

    RAPPORTEURS: ClassVar[frozenset[Rol]] = _r(TAAL, Z)

    advies: Advies = veld("What the aanbieder advises.", PERS, lezers=_r(G))
    onderbouwing: list[Onderbouwing] = veld("Grounds, as codes.", PERS, lezers=_r(G), min_length=1)
    uren_gerealiseerd_totaal: Uren = veld(
        "Hours realised so far (600 for afschalen).", PERS, lezers=_r(G)
    )


class ZRouteResultaatRapport(_Rapport):
    """Z-route: hours realised (800 language, 800 participation) and level reached."""

    RAPPORTEURS: ClassVar[frozenset[Rol]] = _r(Z)

    peildatum: date = veld("Hours up to this date.", PERS, lezers=_r(G))
    uren_taal_gerealiseerd: Uren = veld("Language hours realised.", PERS, lezers=_r(G))
    uren_participatie_gerealiseerd: Uren = veld("Participation hours realised.", PERS, lezers=_r(G))
    bereikt_niveau: Taalniveau | None = veld(
        "Level reached (A1 or A2).", PERS, lezers=_r(G), default=None
    )
    afgerond: bool = veld("Z-route completed.", PERS, lezers=_r(G))


class TrajectBeeindigdRapport(_Rapport):
    """The traject ended: completed, or not with a reason code."""

    einddatum: date = veld("Date it ended.", PERS, lezers=_r(G))
    afgerond: bool = veld("Completed.", PERS, lezers=_r(G))
    reden_niet_afgerond: RedenNietAfgerond | None = veld(
        "Reason not completed.", PERS, lezers=_r(G), default=None
    )

    @model_validator(mode="after")
    def _reden_only_when_not_completed(self) -> Self:
        if self.afgerond and self.reden_niet_afgerond is not None:
            raise ValueError("a completed traject has no redenNietAfgerond")
        return self


# end thin reports


# Deadline watch (issue 10): an overdue chain deadline the gemeente's own source noticed. Only
# the gemeente reads it: it is the gemeente's work list, not a message to a chain partner.
class BewaakteTermijn(StrEnum):
    # Seed 004 (bijlage: "Gemeente stelt binnen tien weken na inschrijving van de
    # inburgeringsplichtige in de BRP een PIP op").
    PIP_NA_BRP_INSCHRIJVING = "pip-na-brp-inschrijving"
    # Seed 002 section 3.4.4: "binnen maximaal drie maanden een concreet inburgeringsaanbod".
    INBURGERINGSAANBOD_NA_PIP = "inburgeringsaanbod-na-pip"
    # Seed 002 section 4.4: chain data registered "ten hoogste tien werkdagen na optreden van
    # de gebeurtenis" (the PIP-beschikking).
    PIP_REGISTRATIE = "pip-registratie"


class Termijnoverschrijding(ContractModel):
    """One deadline of a dossier that passed without what it asks (or was met late), as the
    gemeente's deadline watch found it. Once per deadline per dossier (per PIP version for the
    registration deadline)."""

    termijnoverschrijding_id: OpaqueId = veld("Opaque id in dossier-bron.", GEEN, lezers=_r(G))
    dossier_id: OpaqueId = veld("The dossier.", GEEN, lezers=_r(G))
    termijn: BewaakteTermijn = veld("Which deadline.", PERS, lezers=_r(G))
    betreft_id: OpaqueId | None = veld(
        "The part it concerns (the PIP version), when not the dossier itself.",
        GEEN,
        lezers=_r(G),
        default=None,
    )
    referentiedatum: date = veld("The date the deadline runs from.", PERS, lezers=_r(G))
    uiterste_datum: date = veld("The last day that was on time.", PERS, lezers=_r(G))
    geconstateerd_op: date = veld("The day the watch found it overdue.", PERS, lezers=_r(G))
