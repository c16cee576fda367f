"""Grondslagen: which row of the source documents grants each field a reader sees.

The access tags (``x-lezers``) say who reads a field; this table says *why*: per row of the
tables of seed 001 (VNG "Handreiking Gemeentelijke gegevensverwerking nieuwe Wet inburgering",
``001_6bf09e723ef6bb05.txt``: "Tabel gegevensverwerking", "Gegevenslevering door gemeenten",
"Gegevenslevering aan gemeenten") the receiving role(s), the data items ("gegevens") the row
names, quoted verbatim, and the contract fields that carry each item. Where seed 001 is silent
the table uses the lists of seed 004 (``004_e8b3bff006360911.txt``, bijlage B "Overzicht van
gegevens die gemeenten moeten registreren en/of uitwisselen", and section 4.3.2 on the
klantprofiel in TVS), and for a few exchanges only seed 002 (``002_774eb578c0679392.txt``)
describes (DUO-signalen, the doelgroep choice, the hours DUO needs).

Tests (``tests/contract/test_seed_rows.py``) hold the contracts to this table both ways: every
field a non-owner reads is granted by a row naming that role (or is technical, see
``TECHNISCH``), and every item of every row is carried by a field its role can read. So adding
a reader the seeds do not grant, or removing a field a row needs, fails a test.

Fields are named by resource (``keten_contracts.resources``) and Python field name.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic.fields import FieldInfo

from keten_contracts.classification import Classificatie, tags_of
from keten_contracts.common import OPAQUE_ID_PATTERN
from keten_contracts.parties import AANBIEDER_ROLLEN, Rol
from keten_contracts.resources import all_resources, get_resource

__all__ = [
    "SEED_RIJEN",
    "TECHNISCH",
    "Gegeven",
    "Grondslag",
    "SeedRij",
    "TechnischeGrond",
    "annotation_metadata",
    "grondslag_van",
    "grondslagen_tabel",
    "render_grondslagen_markdown",
]

# A field of a resource: (resource name, Python field name).
Veld = tuple[str, str]

SEED_001: Final = "001_6bf09e723ef6bb05.txt"
SEED_002: Final = "002_774eb578c0679392.txt"
SEED_004: Final = "004_e8b3bff006360911.txt"

G, DUO, COA, CBS = Rol.GEMEENTE, Rol.DUO, Rol.COA, Rol.CBS
TAAL, Z, MAP, PVT = Rol.TAALAANBIEDER, Rol.Z_ROUTE_AANBIEDER, Rol.MAP_AANBIEDER, Rol.PVT_AANBIEDER
MB, LBT = Rol.MB_AANBIEDER, Rol.LBT_AFNEMER


@dataclass(frozen=True)
class Gegeven:
    """One data item a seed row names, and the fields that carry it to the row's role(s).

    ``tekst`` is the item as the seed writes it (a test finds it in the seed text, whitespace
    and markup aside). ``velden`` must all be readable by every role of the row.
    """

    tekst: str
    velden: tuple[Veld, ...]
    # The seed's own letter or number, when it numbers its items ("a", "k", ...).
    nummer: str | None = None
    # The heading the item sits under, verbatim (e.g. the CBS row "c. De leerbaarheidstoets:").
    kop: str | None = None
    # Not the data column: e.g. "Aandachtspunten" when that column names the item.
    kolom: str | None = None
    # Why a mapping that is not word-for-word is right.
    toelichting: str | None = None
    # Purpose-bound: no standing read; the reader gets it only for a request that names it
    # (``keten_contracts.policy.project_op_verzoek``).
    op_verzoek: bool = False
    # Deliberately no field (minimisation): why the chain does not hold this item.
    buiten_keten: str | None = None

    @property
    def label(self) -> str:
        text = f"{self.kop} {self.tekst}" if self.kop else self.tekst
        return f"{self.nummer}. {text}" if self.nummer else text


@dataclass(frozen=True)
class SeedRij:
    """A row of a seed table (or a list of seed 004 bijlage B): who receives, and what."""

    id: str
    seed: str
    # The table or section as the seed titles it.
    tabel: str
    # The row's name as the seed writes it.
    naam: str
    rollen: frozenset[Rol]
    gegevens: tuple[Gegeven, ...]
    # Why these roles, when the row does not name them in so many words.
    toelichting: str | None = None

    @property
    def label(self) -> str:
        return f"seed {self.seed[:3]}, {self.tabel}: {self.naam}"


@dataclass(frozen=True)
class TechnischeGrond:
    """A field that says nothing about the person and is needed to exchange at all (ids,
    versions, routing). Only ever applies to a field classified ``geen`` (no personal data)."""

    naam: str
    reden: str
    velden: frozenset[Veld] = frozenset()
    # None: any reader; else only these roles.
    rollen: frozenset[Rol] | None = None
    # Matches every opaque-id field by its type (``OpaqueId``) instead of by list.
    opaque_ids: bool = False

    def geldt_voor(self, resource: str, veldnaam: str, rol: Rol) -> bool:
        info = _field_info(resource, veldnaam)
        if info is None or tags_of(info).classificatie is not Classificatie.GEEN:
            # Fail closed: personal data needs a seed row, never a technical excuse.
            return False
        if self.rollen is not None and rol not in self.rollen:
            return False
        if self.opaque_ids:
            return _is_opaque_id(info)
        return (resource, veldnaam) in self.velden


@dataclass(frozen=True)
class Grondslag:
    """Why ``rol`` may read a field: a seed row and the item it names, or a technical ground."""

    rij: SeedRij | None = None
    gegeven: Gegeven | None = None
    technisch: TechnischeGrond | None = field(default=None)

    @property
    def rij_label(self) -> str:
        if self.technisch is not None:
            return f"technisch ({self.technisch.naam})"
        assert self.rij is not None
        return self.rij.label

    @property
    def gegeven_label(self) -> str:
        if self.technisch is not None:
            return self.technisch.reden
        assert self.gegeven is not None
        return self.gegeven.label + (" (on request only)" if self.gegeven.op_verzoek else "")


def _velden(*namen: str) -> tuple[Veld, ...]:
    """``"resource.field"`` names as (resource, field) pairs (resource names hold no dots)."""
    out: list[Veld] = []
    for naam in namen:
        resource, veldnaam = naam.split(".", 1)
        out.append((resource, veldnaam))
    return tuple(out)


def _g(tekst: str, *velden: str, **kwargs: Any) -> Gegeven:
    return Gegeven(tekst, _velden(*velden), **kwargs)


def _niet(tekst: str, reden: str, **kwargs: Any) -> Gegeven:
    """An item the chain deliberately holds no field for."""
    return Gegeven(tekst, (), buiten_keten=reden, **kwargs)


# --- field groups that many rows name ---------------------------------------------------------
BSN_DOSSIER = ("dossier.bsn",)
NAW_DOSSIER = ("dossier.voornamen", "dossier.geslachtsnaam", "dossier.adres")
DOELGROEP = ("dossier.doelgroep", "inburgeringsplicht.doelgroep")
TERMIJN = ("termijn.soort", "termijn.begindatum", "termijn.einddatum", "termijn.laatste_wijziging")
TERMIJNWIJZIGING = ("termijn.laatste_wijziging", "termijn.einddatum")
VRIJSTELLING = ("vrijstelling.omvang", "vrijstelling.onderdelen", "vrijstelling.besluitdatum")
ONTHEFFING = ("ontheffing.omvang", "ontheffing.onderdelen", "ontheffing.besluitdatum")
PIP_DOELEN = (
    "pip.doelen",
    "pip.leerroute",
    "pip.intensiteit_uren",
    "pip.map_afspraken",
    "pip.pvt_afspraken",
)
TRAJECT = (
    "voortgang.peildatum",
    "voortgang.uren_gerealiseerd_totaal",
    "voortgang.uren_aanwezig",
    "voortgang.uren_afwezig_geoorloofd",
    "voortgang.uren_afwezig_ongeoorloofd",
    "voortgang.inspanning",
)
AFRONDEN = (
    "map.afgerond",
    "map.datum_afgerond",
    "pvt.afgerond",
    "pvt.datum_afgerond",
    "examenresultaat.uitslag",
    "diploma.soort",
    "diploma.datum",
    "inburgeringsplicht.datum_voldaan",
    "inburgeringsplicht.wijze_voldaan",
)
GEMEENTEBOETES = (
    "handhavingsmaatregel.soort",
    "handhavingsmaatregel.datum",
    "handhavingsmaatregel.reden",
    "handhavingsmaatregel.bedrag_in_centen",
    "handhavingsmaatregel.verwijtbaar",
    "handhavingsmaatregel.rechtsmiddel",
)
DUO_BOETES = ("duo-boete.opgelegd_op", "duo-boete.grond", "duo-boete.bedrag_in_centen")
INTAKE = (
    "intake.uitnodigingen",
    "intake.eerste_gesprek_op",
    "intake.vervolggesprekken",
    "intake.afgerond_op",
    "intake.lbt_uitkomst",
    "intake.opleidingsniveau",
    "intake.taalniveau",
    "intake.zelfredzaamheid",
    "intake.werkervaring_herkomst",
    "intake.gewaardeerd_diploma",
    "intake.voorinburgering",
)
PIP_MET_WIJZIGINGEN = ("pip.vaststellingsdatum", "pip.leerroute", "pip.doelen", "pip.wijziging")
VOORTGANG_RAPPORT = (
    "voortgang-rapport.periode_van",
    "voortgang-rapport.periode_tot",
    "voortgang-rapport.uren_gepland",
    "voortgang-rapport.uren_aanwezig",
    "voortgang-rapport.uren_afwezig_geoorloofd",
    "voortgang-rapport.uren_afwezig_ongeoorloofd",
    "voortgang-rapport.uren_gerealiseerd_totaal",
    "voortgang-rapport.inspanning",
)
INSPANNING_RAPPORT = (
    "voortgang-rapport.uren_aanwezig",
    "voortgang-rapport.uren_afwezig_geoorloofd",
    "voortgang-rapport.uren_afwezig_ongeoorloofd",
    "voortgang-rapport.inspanning",
)
RESULTAAT_RAPPORT = (
    "resultaat-rapport.soort",
    "resultaat-rapport.onderdeel",
    "resultaat-rapport.niveau",
    "resultaat-rapport.datum",
    "resultaat-rapport.behaald",
)
GESTART_RAPPORT = (
    "traject-gestart-rapport.gerealiseerde_startdatum",
    "traject-gestart-rapport.beoogde_einddatum",
)
BEEINDIGD_RAPPORT = (
    "traject-beeindigd-rapport.einddatum",
    "traject-beeindigd-rapport.afgerond",
)
CONTACT_OPDRACHT = ("opdracht.contactgegevens",)
# The ordered traject itself: what is ordered and whether it still runs.
OPDRACHT_ZELF = ("opdracht.soort", "opdracht.status")
COA_CONTACTPERSOON = (
    "klantprofiel.coa_contactpersoon",
    "koppeling.coa_contactpersoon",
    "warme-overdracht.coa_contactpersoon",
)

# Seed 001 task 5 (and 8, 9) on another party carrying out the task, quoted where used.
_UITVOERDER_ZONDER_BSN = (
    "Als niet de gemeente, maar een andere partij de maatschappelijke begeleiding uitvoert, mag "
    "deze partij bij de uitvoering van de maatschappelijke begeleidingsopdracht het BSN van de "
    "inburgeraar niet gebruiken"
)
_AFSPRAKEN_ZIJN_DATA = (
    "Seed 004 bijlage B (PIP) calls planned dates agreements: 'Afspraken over MAP (startdatum, "
    "beoogde einddatum)'; so the planned start and end are 'gemaakte afspraken'."
)
_BSN_TAALAANBIEDER = (
    "Cursusinstellingen/taalaanbieders gebruiken op grond van artikel 9.10 Besluit Inburgering "
    "het BSN van de betrokkene in de communicatie met de gemeente."
)
_OPDRACHT_ZELF = (
    "The opdracht's soort and status say which traject is ordered and whether it still runs."
)

_TAKEN = "Tabel gegevensverwerking"
_DOOR = "Gegevenslevering door gemeenten"
_AAN = "Gegevenslevering aan gemeenten"
_BIJLAGE_B = "bijlage B"


def _taak(nummer: int, naam: str, *gegevens: Gegeven, **kwargs: Any) -> SeedRij:
    # The task rows list what the gemeente itself records ("Welke gegevens vastleggen?").
    return SeedRij(f"001/taak-{nummer}", SEED_001, _TAKEN, naam, frozenset({G}), gegevens, **kwargs)


SEED_RIJEN: Final[tuple[SeedRij, ...]] = (
    # === seed 001, "Tabel gegevensverwerking": the gemeente's own tasks =======================
    _taak(
        1,
        "1 Gegevens ophalen bij COA (COA is verantwoordelijk voor de voorinburgering)",
        _g(
            "Identiteitsgegevens, waaronder BSN",
            "klantprofiel.bsn",
            "klantprofiel.voornamen",
            "klantprofiel.geslachtsnaam",
            "klantprofiel.geboortedatum",
            "klantprofiel.nationaliteit",
            nummer="a",
        ),
        _g(
            "Gegevens over gezinssamenstelling",
            "klantprofiel.gezinssamenstelling",
            "klantprofiel.nareisprofiel",
            nummer="b",
        ),
        _g(
            "Gegevens over de voorinburgering (bv. over de voortgang van deelname aan de "
            "taalvaardigheid)",
            "klantprofiel.voorinburgering",
            nummer="c",
        ),
    ),
    _taak(
        2,
        "2 Vaststellen of betrokkene inburgeringsplichtig is",
        _g(
            "Gemeenten loggen in bij DUO om vast te stellen of de betrokkene inburgeringsplichtig "
            "is.",
            "inburgeringsplicht.status",
            "inburgeringsplicht.vastgesteld_op",
            kolom="Wat betekent dat?",
        ),
        _g("BSN", "inburgeringsplicht.bsn", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
    ),
    _taak(
        3,
        "3 Oproepen inburgeringsplichtige voor brede intake",
        _g("BSN", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
        _g("oproepgegevens", "intake.uitnodigingen"),
        _niet(
            "correspondentie",
            "Letters stay in the gemeente's document system; the chain exchanges facts, not "
            "correspondence (and a letter may never show the BSN).",
        ),
        _g(
            "besluiten",
            "handhavingsmaatregel.soort",
            "handhavingsmaatregel.datum",
            "handhavingsmaatregel.reden",
            "handhavingsmaatregel.bedrag_in_centen",
            "intake.afgerond_zonder_medewerking",
            "pip.eenzijdig_vastgesteld",
            toelichting="The decisions of this task: warnings and fines, and the intake and "
            "PIP completed without the person after 3 invitations.",
        ),
    ),
    _taak(
        4,
        "4 Brede intake afnemen, opstellen PIP, bewaken voortgang inburgering",
        _g("BSN", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
        _g(
            "Datum 1e gesprek en eventuele vervolgesprekken",
            "intake.eerste_gesprek_op",
            "intake.vervolggesprekken",
        ),
        _g(
            "Datum vestiging gemeente (BRP)",
            "dossier.vestigingsdatum",
            "koppeling.vestigingsdatum",
            "koppeling.verwachte_vestigingsdatum",
            toelichting="COA's koppeling announces the (expected) date of vestiging; the 10-week "
            "term for the PIP runs from it.",
        ),
        _g(
            "Resultaat onderzoek gevolgd onderwijs/ opleidingen (evt. gewaardeerd diploma) en "
            "werkervaring land van herkomst",
            "intake.opleidingsniveau",
            "intake.gewaardeerd_diploma",
            "intake.werkervaring_herkomst",
        ),
        _g(
            "Resultaat verkenning persoonlijke omstandigheden (fysieke en mentale gezondheid, "
            "gezinssituatie, sociaal netwerk)",
            "intake.gezinssituatie",
            "intake.sociaal_netwerk",
            toelichting="Only gezinssituatie and sociaal netwerk, as codes: the health part is "
            "deliberately not stored (domain.md section 6, minimisation).",
        ),
        _g("Gegevens voorinburgering", "intake.voorinburgering", "klantprofiel.voorinburgering"),
        _g("Taalniveau", "intake.taalniveau"),
        _g("Zelfredzaamheid", "intake.zelfredzaamheid"),
        _g("Arbeidskansen", "intake.arbeidsmarktperspectief"),
        _g("Uitkomst leerbaarheidstoets", "intake.lbt_uitkomst", "lbt-uitslag.uitkomst"),
        _g("Vrijstellingen of ontheffingen", *VRIJSTELLING, *ONTHEFFING),
        _g(
            "Start cursus/ taalschakel-traject en beoogde einddatum",
            "opdracht.beoogde_start",
            "opdracht.beoogde_einddatum",
            "opdracht.gerealiseerde_start",
        ),
        _g("Cursusonderdelen/ aard cursus", "opdracht.onderdelen", "opdracht.soort"),
        _g("Aantal gecontracteerde uren", "opdracht.uren", "pip.intensiteit_uren"),
        _g(
            "Uren gerealiseerd",
            "voortgang.uren_gerealiseerd_totaal",
            "urenverantwoording.uren_taal",
        ),
        _g(
            "Resultaten taalschakeltraject en datum",
            "opdracht.resultaat_datum",
            "opdracht.resultaat_behaald",
        ),
        _g(
            "Voortgangsinformatie / info van aanbieder over inspanningen (voor het monitoren van "
            "de inspanningen)",
            *TRAJECT,
            *INSPANNING_RAPPORT,
        ),
        _g(
            "Afschalen route ja/nee (indien B1 niet gehaald wordt)",
            "pip.wijziging",
            "advies-rapport.advies",
        ),
        _g(
            "Grond voor afschalen (observaties aanbieder, ervaringen inburgeringsplichtige)",
            "advies-rapport.onderbouwing",
        ),
        _g(
            "Wijziging route (datum wijziging, keuze voor nieuwe route)",
            "pip.wijziging",
            "pip.leerroute",
        ),
    ),
    _taak(
        5,
        "5 Maatschappelijke begeleiding",
        _g("BSN", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
        _g("Doelgroep inburgeringsplicht", *DOELGROEP),
        _g(
            "Inschrijvingsgegevens",
            "begeleiding.soort",
            "begeleiding.startdatum",
            "begeleiding.einddatum",
        ),
        _g("Gemaakte afspraken", "opdracht.afspraken", "opdracht.mb_onderdelen"),
        _niet(
            "Gespreksverslag",
            "No conversation report in the chain: free text is where health data would creep in "
            "(domain.md section 6); the provider reports its parts as codes (mbOnderdelen).",
        ),
    ),
    # The same task carried out by a provider: seed 001's Aandachtspunten foresee it and bar
    # only the BSN. The provider gets the items it needs for the task, never the BSN.
    SeedRij(
        "001/taak-5/uitvoerder",
        SEED_001,
        _TAKEN,
        "5 Maatschappelijke begeleiding",
        frozenset({MB}),
        (
            _g("NAW-gegevens", *CONTACT_OPDRACHT),
            _g("Inschrijvingsgegevens", *OPDRACHT_ZELF, toelichting=_OPDRACHT_ZELF),
            _g(
                "Gemaakte afspraken",
                "opdracht.afspraken",
                "opdracht.beoogde_start",
                toelichting=_AFSPRAKEN_ZIJN_DATA,
            ),
        ),
        toelichting=f'Aandachtspunten: "{_UITVOERDER_ZONDER_BSN}".',
    ),
    _taak(
        6,
        "6 Ontzorgen",
        _g("BSN", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
        _g("Doelgroep inburgeringsplicht", *DOELGROEP),
        _niet(
            "Gegevens m.b.t. uitkering Participatiewet",
            "Participatiewet data stays in that domain (the walls of domain.md section 6); the "
            "chain holds only the start and end of financieel ontzorgen (begeleiding).",
        ),
    ),
    _taak(
        7,
        "7 Inburgeringsaanbod/ leerroute",
        _g("BSN", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
        _g("Doelstellingen PIP", *PIP_DOELEN),
        _g("Inburgeringstermijn", *TERMIJN),
        _g(
            "Vrijstellingen of ontheffingen of aangepaste examenomstandigheden",
            *VRIJSTELLING,
            *ONTHEFFING,
        ),
        _g("Afronden onderdeel inburgeringsplicht", *AFRONDEN),
    ),
    _taak(
        8,
        "8 Aanbieden module Arbeidsmarkt en Participatie (MAP)",
        _g("BSN", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
        _g("Inburgeringstermijn", *TERMIJN),
        _g("Vrijstellingen of ontheffingen", *VRIJSTELLING, *ONTHEFFING),
        _g("Doelstellingen PIP", *PIP_DOELEN),
        _g("Arbeidsmarktpotentieel", "intake.arbeidsmarktperspectief"),
        _g("Afronden onderdeel inburgeringsplicht", "map.afgerond", "map.datum_afgerond"),
        _g(
            "Aanbieder MAP + contactpersoon",
            "opdracht.aanbieder_naam",
            "opdracht.aanbieder_oin",
            toelichting="The MAP opdracht names the aanbieder; its contact person is the "
            "aanbieder's own business.",
        ),
    ),
    _taak(
        9,
        "9 Aanbieden participatie-verklaringstraject (PVT)",
        _g("BSN", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
        _g("inburgeringstermijn", *TERMIJN),
        _g("doelstellingen PIP", *PIP_DOELEN),
        _g("vrijstellingen of ontheffingen", *VRIJSTELLING, *ONTHEFFING),
        _g("afronden onderdeel inburgeringsplicht", "pvt.afgerond", "pvt.datum_afgerond"),
    ),
    _taak(
        10,
        "10 Aanbod en Toetsing Zelfredzaamheidsroute (Z-route)",
        _g("BSN", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
        _g("Doelstellingen PIP", *PIP_DOELEN),
        _g("Inburgeringstermijn", *TERMIJN),
        _g(
            "Trajectgegevens (voortgang, etc.)",
            *TRAJECT,
            "z-route-resultaat-rapport.uren_taal_gerealiseerd",
            "z-route-resultaat-rapport.uren_participatie_gerealiseerd",
            "z-route-resultaat-rapport.bereikt_niveau",
        ),
        _g(
            "Datum eindgesprek",
            "opdracht.resultaat_datum",
            toelichting="The gemeente tests zelfredzaamheid itself; the date of that result is "
            "the Z-route opdracht's resultaatDatum.",
        ),
    ),
    _taak(
        11,
        "11 Ondersteuning en begeleiding",
        _g("BSN", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
        _g("Doelstellingen PIP", *PIP_DOELEN),
        _g("Inburgeringstermijn", *TERMIJN),
        _g("Trajectgegevens", *TRAJECT),
        _g("Opgelegde boetes", *GEMEENTEBOETES, *DUO_BOETES),
    ),
    _taak(
        12,
        "12 Handhaving op de inspanningsverplichting",
        _g("BSN", *BSN_DOSSIER),
        _g("NAW-gegevens", *NAW_DOSSIER),
        _g("Geboortedatum", "dossier.geboortedatum"),
        _g("Doelgroep inburgeringsplicht", *DOELGROEP),
        _g("Uitkomst leerbaarheidstoets", "intake.lbt_uitkomst", "lbt-uitslag.uitkomst"),
        _g("Trajectgegevens", *TRAJECT),
        _g("Doelstellingen uit het PIP", *PIP_DOELEN),
        _g("Inburgeringstermijn", *TERMIJN),
        _g("Afronden onderdeel inburgeringsplicht", *AFRONDEN),
        _g("Cursusinstelling", "opdracht.aanbieder_naam"),
        _g("Eerder opgelegde boetes", *GEMEENTEBOETES, *DUO_BOETES),
        _g(
            "Daarom moeten DUO en gemeenten over en weer gegevens kunnen uitwisselen en op dit "
            "terrein nauw met elkaar samenwerken.",
            "handhavingsverzoek.datum",
            kolom="Aandachtspunten",
            toelichting="DUO's request for the gemeente's fines is that exchange.",
        ),
    ),
    # Task 13 ("Monitoring en evaluatie van de wet") names no items of its own: they are the
    # row "Centraal Bureau voor de Statistiek" below.
    # === seed 001, "Gegevenslevering door gemeenten" ==========================================
    SeedRij(
        "001/door/duo",
        SEED_001,
        _DOOR,
        "Minister van SZW/DUO (t.b.v. vaststelling PIP)",
        frozenset({DUO}),
        (
            _g("BSN, NAW", *BSN_DOSSIER, *NAW_DOSSIER, nummer="a"),
            _g("Datum vaststellen PIP", "pip.vaststellingsdatum", nummer="b"),
            _g("Redenen niet halen PIP", "pip.redenen_niet_halen", nummer="c"),
            _g("Wijzigingen PIP", "pip.wijziging", nummer="d"),
            _g(
                "Start MAP (gepland/gerealiseerd",
                "map.start_gepland",
                "map.start_gerealiseerd",
                "pip.map_afspraken",
                nummer="e",
            ),
            _g(
                "Uiterste datum behalen MAP (gepland/bijgesteld)",
                "map.uiterste_datum_gepland",
                "map.uiterste_datum_bijgesteld",
                nummer="f",
            ),
            _g("Map gehaald ja/nee", "map.afgerond", nummer="g"),
            _g("Datum behalen MAP", "map.datum_afgerond", nummer="h"),
            _g("Redenen niet behalen MAP", "map.reden_niet_afgerond", nummer="i"),
            _g("Verwijtbaar/niet verwijtbaar", "map.verwijtbaar", nummer="j"),
            _g(
                "Gegevens over vastgestelde leerroute eerste PIP en eventuele wijzigingen PIP en "
                "taalniveau volgens eerste PIP.",
                "pip.leerroute",
                "pip.taalniveau_eerste_pip",
                "pip.intensiteit_uren",
                "pip.wijziging",
                nummer="k",
                toelichting="The intensity is leerroute data: seed 001 itself gives aanbieders "
                "'de gegevens over de leerroute, waaronder de intensiteit'.",
            ),
            _g(
                "Start cursus/taalschakeltraject en beoogde einddatum",
                "opdracht.beoogde_start",
                "opdracht.beoogde_einddatum",
                *OPDRACHT_ZELF,
                nummer="l",
                toelichting=_OPDRACHT_ZELF,
            ),
            _g(
                "Resultaten taalschakeltraject en datum",
                "opdracht.resultaat_behaald",
                "opdracht.resultaat_datum",
                nummer="m",
            ),
            _g(
                "Gegevens over vastgestelde leerroute PIP en eventuele wijzigingen PIP",
                "pip.leerroute",
                "pip.intensiteit_uren",
                "pip.wijziging",
                nummer="n",
            ),
            _g("Gerealiseerde Start datum route", "opdracht.gerealiseerde_start", nummer="o"),
            _g(
                "Inburgeringscertificaat ontvangen ja/nee",
                "opdracht.certificaat_ontvangen",
                nummer="p",
            ),
            _g(
                "Gegevens over omstandigheden die leiden tot en verzoek tot verlening.",
                "verlengingsinformatie.gronden",
                "verlengingsinformatie.datum",
                "urenverantwoording.reden",
                nummer="q",
            ),
            _g(
                "Gegevens over het uitblijven van een inburgeringsaanbod door gemeenten",
                "verlengingsinformatie.inburgeringsaanbod_uitgebleven",
                "inburgeringsaanbod.datum_aanbod",
                nummer="r",
                toelichting="An offer later than 3 months after the PIP counts as missing "
                "(domain.md section 8): its date is the evidence.",
            ),
            _g(
                "Door gemeente opgelegde boetes, informatie over bezwaar en beroep",
                *GEMEENTEBOETES,
                nummer="s",
                op_verzoek=True,
                toelichting="Only on DUO's incidental request (seed 002 section 4.7), never a "
                "warning.",
            ),
        ),
    ),
    SeedRij(
        "001/door/cursusinstelling",
        SEED_001,
        _DOOR,
        "Cursusinstelling en instelling opleiding gericht op het begeleiden van anderstaligen "
        "richting het beroeps- of hoger onderwijs (onderwijsroute)",
        frozenset({TAAL, Z}),
        (
            _g("de NAW-gegevens", *CONTACT_OPDRACHT),
            _g(
                "de gegevens over de leerroute, waaronder de intensiteit en de termijn van de "
                "leerroute, alsmede wijzigingen daarvan",
                *OPDRACHT_ZELF,
                "opdracht.uren",
                "opdracht.termijn_begindatum",
                "opdracht.termijn_einddatum",
                "opdracht.huidig_taalniveau_doel",
                "opdracht.pip_versie",
            ),
            _g(_BSN_TAALAANBIEDER, "opdracht.bsn", kolom="Aandachtspunten"),
        ),
        toelichting="A cursusinstelling is a taalaanbieder ('Deze cursusinstelling is ook een "
        "taalaanbieder'), and so is the Z-route aanbieder (row 'Aanbieder Z-route': 'Deze "
        "aanbieder is een taalaanbieder').",
    ),
    SeedRij(
        "001/door/b1",
        SEED_001,
        _DOOR,
        "Aanbieder B1 route en Taalschakeltraject",
        frozenset({TAAL}),
        (
            _g(
                "Contactgegevens inburgeraar en taalniveau volgens eerste PIP",
                *CONTACT_OPDRACHT,
                "opdracht.taalniveau_eerste_pip",
            ),
            _g(
                "Beoogde start van de cursus/opleiding/traject",
                "opdracht.beoogde_start",
                *OPDRACHT_ZELF,
                toelichting=_OPDRACHT_ZELF,
            ),
            _g("Beoogde einddatum", "opdracht.beoogde_einddatum"),
            _g("Cursusnaam en onderdelen", "opdracht.cursusnaam", "opdracht.onderdelen"),
            _g("Uren te besteden", "opdracht.uren"),
            _g(
                "Wijziging t.a.v. eerder afspraken PIP",
                "opdracht.pip_versie",
                "opdracht.huidig_taalniveau_doel",
            ),
            _g(_BSN_TAALAANBIEDER, "opdracht.bsn", kolom="Aandachtspunten"),
        ),
    ),
    SeedRij(
        "001/door/z-route",
        SEED_001,
        _DOOR,
        "Aanbieder Z-route",
        frozenset({Z}),
        (
            _g(
                "Contactgegevens inburgeraar en gemaakte afspraken",
                *CONTACT_OPDRACHT,
                "opdracht.afspraken",
                "opdracht.beoogde_start",
                "opdracht.beoogde_einddatum",
                *OPDRACHT_ZELF,
                toelichting=_AFSPRAKEN_ZIJN_DATA + " " + _OPDRACHT_ZELF,
            ),
            _g(
                "Doelen die met de Z-route moeten worden bereikt (o.a. m.b.t. taalniveau)",
                "opdracht.doelen",
                "opdracht.huidig_taalniveau_doel",
            ),
            _g("Aantal uren dat besteed moet worden aan taal", "opdracht.uren"),
            _g(
                "Wijzigingen t.o.v. eerdere afspraken PIP t.a.v. leerroute",
                "opdracht.pip_versie",
                "opdracht.huidig_taalniveau_doel",
            ),
            _g(_BSN_TAALAANBIEDER, "opdracht.bsn", kolom="Aandachtspunten"),
        ),
    ),
    SeedRij(
        "001/door/map",
        SEED_001,
        _DOOR,
        "Aanbieder MAP",
        frozenset({MAP}),
        (
            _g("Contactgegevens inburgeringsplichtige", *CONTACT_OPDRACHT),
            _g(
                "Beoogde start MAP-traject",
                "opdracht.beoogde_start",
                *OPDRACHT_ZELF,
                toelichting=_OPDRACHT_ZELF,
            ),
            _g("Uiterste datum behalen MAP", "opdracht.uiterste_datum"),
            _g("Intensiteit MAP-traject", "opdracht.intensiteit_uren"),
            _g("Wijzigen wettelijke termijn (indien van toepassing)", "opdracht.uiterste_datum"),
        ),
    ),
    SeedRij(
        "001/door/pvt",
        SEED_001,
        _DOOR,
        "Aanbieder PVT",
        frozenset({PVT}),
        (
            _g(
                "Contactgegevens inburgeraar en gemaakte afspraken",
                *CONTACT_OPDRACHT,
                "opdracht.afspraken",
            ),
            _g(
                "Beoogde start PVT",
                "opdracht.beoogde_start",
                *OPDRACHT_ZELF,
                toelichting=_OPDRACHT_ZELF,
            ),
            _g("Uiterste datum behalen PVT", "opdracht.uiterste_datum"),
        ),
    ),
    SeedRij(
        "001/door/cbs",
        SEED_001,
        _DOOR,
        "Centraal Bureau voor de Statistiek",
        frozenset({CBS}),
        (
            *(
                _g(
                    tekst,
                    *velden,
                    nummer="a",
                    kop="De deelname aan trajectonderdelen en processen ten behoeve van de "
                    "inburgering:",
                )
                for tekst, velden in (
                    (
                        "de maatschappelijke begeleiding;",
                        ("begeleiding.soort", "begeleiding.startdatum", "begeleiding.einddatum"),
                    ),
                    (
                        "het ontzorgen;",
                        ("begeleiding.soort", "begeleiding.startdatum", "begeleiding.einddatum"),
                    ),
                    (
                        "de brede intake;",
                        (
                            "intake.eerste_gesprek_op",
                            "intake.afgerond_op",
                            "intake.afgerond_zonder_medewerking",
                        ),
                    ),
                    (
                        "het Participatieverklaringstraject;",
                        ("pvt.start_gerealiseerd", "pvt.afgerond"),
                    ),
                    (
                        "de Module arbeidsmarkt en Participatie.",
                        ("map.start_gerealiseerd", "map.afgerond"),
                    ),
                )
            ),
            _g(
                "de vaststelling;",
                "pip.vaststellingsdatum",
                nummer="b",
                kop="Het persoonlijk plan inburgering en participatie:",
            ),
            _g(
                "indien van toepassing, de wijziging.",
                "pip.wijziging",
                nummer="b",
                kop="Het persoonlijk plan inburgering en participatie:",
            ),
            _g("afname;", "intake.lbt_afgenomen", nummer="c", kop="De leerbaarheidstoets:"),
            _g("uitslag.", "intake.lbt_uitkomst", nummer="c", kop="De leerbaarheidstoets:"),
            _g("de route;", "pip.leerroute", nummer="d", kop="Leerroutes:"),
            _g(
                "deelname;",
                "opdracht.status",
                "opdracht.gerealiseerde_start",
                nummer="d",
                kop="Leerroutes:",
            ),
            _g("wisseling van route;", "pip.wijziging", nummer="d", kop="Leerroutes:"),
            _g("afschaling.", "pip.wijziging", nummer="d", kop="Leerroutes:"),
            _g(
                "naam cursusinstelling;", "opdracht.aanbieder_naam", nummer="e", kop="De cursussen:"
            ),
            _g(
                "deelname;",
                "opdracht.status",
                "opdracht.gerealiseerde_start",
                nummer="e",
                kop="De cursussen:",
            ),
            _g(
                "soort cursus.",
                "opdracht.soort",
                "opdracht.aanbiedersoort",
                "opdracht.cursusnaam",
                nummer="e",
                kop="De cursussen:",
            ),
            *(
                _g(
                    tekst,
                    "handhavingsmaatregel.soort",
                    "handhavingsmaatregel.datum",
                    *extra,
                    nummer=nummer,
                    kop=kop,
                    toelichting="Counted per quarter: the kind and date of each maatregel.",
                )
                for nummer, kop, tekst, extra in (
                    ("f", "Waarschuwingen:", "aantal;", ()),
                    (
                        "f",
                        "Waarschuwingen:",
                        "reden (niet meewerken intake).",
                        ("handhavingsmaatregel.reden",),
                    ),
                    ("g", "Boetes", "aantal;", ()),
                    ("g", "Boetes", "reden;", ("handhavingsmaatregel.reden",)),
                    ("g", "Boetes", "hoogte.", ("handhavingsmaatregel.bedrag_in_centen",)),
                )
            ),
            _g("Het opleidingsniveau van de inburgeraar.", "intake.opleidingsniveau", nummer="h"),
            _g(
                "Analfabetisme en anders- alfabetisme van de inburgeraar.",
                "intake.alfabetisering",
                nummer="i",
            ),
        ),
    ),
    SeedRij(
        "001/door/nieuwe-woongemeente",
        SEED_001,
        _DOOR,
        "Nieuwe woongemeente inburgeringsplichtige",
        frozenset({G}),
        (
            _g("Informatie uit brede intake", *INTAKE),
            _g("vastgesteld met PIP met eventuele aanpassingen", *PIP_MET_WIJZIGINGEN),
            _g("Stand van zaken voortgang inburgering", *TRAJECT),
            _g("Uitgevoerde handhaving door gemeente", *GEMEENTEBOETES),
        ),
        toelichting="After a move the new gemeente reads as the linked gemeente, through the "
        "hand-over (policy.project_voor_overdracht).",
    ),
    # === seed 001, "Gegevenslevering aan gemeenten" (the gemeente receives) ===================
    SeedRij(
        "001/aan/coa",
        SEED_001,
        _AAN,
        "Instelling belast met voorinburgering/COA",
        frozenset({G}),
        (
            _g(
                "Identiteitsgegevens, waaronder BSN",
                "klantprofiel.bsn",
                "klantprofiel.voornamen",
                "klantprofiel.geslachtsnaam",
                "klantprofiel.geboortedatum",
                "klantprofiel.nationaliteit",
                nummer="d",
            ),
            _g(
                "Gegevens over gezinssamenstelling",
                "klantprofiel.gezinssamenstelling",
                "klantprofiel.nareisprofiel",
                nummer="e",
                toelichting="A nareiziger is a family member joining the statushouder: the "
                "nareisprofiel (relation to the referent, arrival) is family composition.",
            ),
            _g("Statusgegevens", "klantprofiel.statusgegevens", nummer="f"),
            _g(
                "Gegevens m.b.t. voorinburgering: instemming VI, Resultaat toets, "
                "spreekvaardigheid NT2, resultaten introductiemodules, deelname taallessessies, "
                "voortgang taallessessies, VI afgerond ja/nee)",
                "klantprofiel.voorinburgering",
                nummer="g",
            ),
            _g("Taalvaardigheid", "klantprofiel.taalvaardigheid", nummer="h"),
            _g("Gevolgde opleiding", "klantprofiel.gevolgde_opleidingen", nummer="i"),
            _g("Trainingen tijdens verblijf COA", "klantprofiel.trainingen", nummer="j"),
            _g("Contact UAF ja/nee", "klantprofiel.contact_uaf", nummer="k"),
            _g(
                "Internationale diploma-/onderwijsniveauwaardering",
                "klantprofiel.diplomawaardering",
                nummer="l",
            ),
            _g("(aanvraag ja/nee; start aanvraag)", "klantprofiel.diplomawaardering", nummer="m"),
            _g("CV gemaakt ja/nee", "klantprofiel.cv_gemaakt", nummer="n"),
            _g("Werkervaring", "klantprofiel.werkervaring", nummer="o"),
            _g(
                "Zelfwerkzaamheid op COA locatie",
                "klantprofiel.zelfwerkzaamheid_coa_locatie",
                nummer="p",
            ),
            _g(
                "Competenties en computervaardigheden",
                "klantprofiel.competenties",
                "klantprofiel.computervaardigheden",
                nummer="q",
            ),
            _g(
                "Ambities van inburgeraar/toekomstoriëntatie",
                "klantprofiel.ambities",
                nummer="r",
            ),
        ),
    ),
    SeedRij(
        "001/aan/duo",
        SEED_001,
        _AAN,
        "DUO (minister van SZW)",
        frozenset({G}),
        (
            _g(
                "de vaststelling van de inburgeringsplicht en de wijziging daarvan; wettelijke "
                "termijn voor het behalen van onderdelen PIP",
                "inburgeringsplicht.status",
                "inburgeringsplicht.vastgesteld_op",
                "inburgeringsplicht.doelgroep",
                "inburgeringsplicht.beeindigd_op",
                "inburgeringsplicht.beeindigingsreden",
                *TERMIJN,
                nummer="a",
            ),
            _g(
                "gegevens over gestelde termijn waarbinnen MAP wettelijk moet zijn behaald",
                *TERMIJN,
                nummer="b",
            ),
            _g("wijzigingen van de termijn MAP", *TERMIJNWIJZIGING, nummer="c"),
            _g(
                "gegevens over toegekende ontheffing of vrijstelling MAP",
                *VRIJSTELLING,
                *ONTHEFFING,
                nummer="d",
            ),
            _g(
                "Gegevens over gestelde termijn waarbinnen PVT wettelijk behaald moet worden",
                *TERMIJN,
                nummer="e",
            ),
            _g(
                "Wijziging van de wettelijke termijn PVT (indien van toepassing)",
                *TERMIJNWIJZIGING,
                nummer="f",
            ),
            _g(
                "Gegevens over toegekende ontheffing of vrijstelling PVT",
                *VRIJSTELLING,
                *ONTHEFFING,
                nummer="g",
            ),
            _g(
                "een gehele vrijstelling of gedeeltelijke vrijstelling van de inburgeringsplicht",
                *VRIJSTELLING,
                nummer="h",
            ),
            _g("Start PVT (gerealiseerd)", "pvt.start_gerealiseerd", nummer="i"),
            _g(
                "Uiterste datum behalen PVT (bijgesteld)",
                "pvt.uiterste_datum_bijgesteld",
                nummer="j",
            ),
            _g("PVT gehaald + datum", "pvt.afgerond", "pvt.datum_afgerond", nummer="k"),
            _g(
                "PVT niet gehaald + redenen + evt. verwijtbaarheid",
                "pvt.afgerond",
                "pvt.reden_niet_afgerond",
                "pvt.verwijtbaar",
                nummer="l",
            ),
            _g(
                "Gegevens over gestelde termijn waarbinnen de inburgeringsplicht wettelijk behaald "
                "moet worden (begindatum en einddatum)",
                *TERMIJN,
                nummer="m",
            ),
            _g(
                "Wijziging van termijn waarbinnen inburgeringsplicht gehaald moet worden.",
                *TERMIJNWIJZIGING,
                nummer="n",
            ),
            _g(
                "Gegevens over toegekende ontheffing of (gedeeltelijke) vrijstelling "
                "inburgeringsplicht of aangepaste examenomstandigheden",
                *VRIJSTELLING,
                *ONTHEFFING,
                nummer="o",
            ),
            _g(
                "Gegevens over voortgang wel/niet behaalde examenpogingen",
                "examenresultaat.onderdeel",
                "examenresultaat.niveau",
                "examenresultaat.examendatum",
                "examenresultaat.poging",
                "examenresultaat.uitslag",
                nummer="p",
            ),
            _g(
                "Behaalde examens",
                "examenresultaat.onderdeel",
                "examenresultaat.uitslag",
                nummer="q",
            ),
            *(
                _g(
                    tekst,
                    "diploma.soort",
                    "diploma.datum",
                    "inburgeringsplicht.datum_voldaan",
                    "inburgeringsplicht.wijze_voldaan",
                    nummer=nummer,
                )
                for nummer, tekst in (
                    ("r", "Datum inburgeringsdiploma"),
                    ("s", "Toekenning van het certificaat"),
                    # The seed repeats r and s as t and u.
                    ("t", "Datum inburgeringsdiploma"),
                    ("u", "Toekenning van het certificaat"),
                )
            ),
            _g(
                "Gegevens over indiening verzoek verlenging",
                "verlenging.aangevraagd_op",
                "verlenging.ambtshalve",
                nummer="v",
            ),
            _g(
                "Beoordeling verzoek gehonoreerd Ja/Nee",
                "verlenging.besluit",
                "verlenging.besluitdatum",
                nummer="w",
            ),
            _g(
                "Gegevens over aangepaste termijn, waaronder datum waarop verlenging plaatsvindt "
                "en nieuwe einddatum termijn.",
                "verlenging.ingangsdatum",
                "verlenging.nieuwe_einddatum",
                "termijn.laatste_wijziging",
                nummer="x",
            ),
            _g("Gegevens over opgelegde boete", *DUO_BOETES, nummer="y"),
        ),
    ),
    SeedRij(
        "001/aan/lbt",
        SEED_001,
        _AAN,
        "Instantie die leerbaarheidstoets afneemt",
        frozenset({G}),
        (
            _g(
                "Uitkomsten leerbaarheidstoets t.b.v. afnemen brede intake.",
                "lbt-uitslag.uitkomst",
                "lbt-uitslag.afnamedatum",
                "intake.lbt_afgenomen",
                "intake.lbt_uitkomst",
                "opdracht.lbt_toetsdatum",
                "opdracht.lbt_uitslag",
            ),
        ),
    ),
    # The LBT taker is the gemeente's verwerker (art. 28 AVG): it processes on the gemeente's
    # behalf what the opdracht needs, under the verwerkersovereenkomst; the seed's tables list
    # provisions to third parties, so they name nothing here. No BSN: "Uitwisseling van het
    # BSN is niet noodzakelijk en daarmee verboden."
    SeedRij(
        "001/verwerker/lbt",
        SEED_001,
        _AAN,
        "Instantie die leerbaarheidstoets afneemt",
        frozenset({Rol.LBT_AFNEMER}),
        (
            _g(
                "De cursusinstelling is een verwerker: sluit een verwerkers-overeenkomst met "
                "deze partij.",
                "opdracht.soort",
                "opdracht.status",
                "opdracht.contactgegevens",
                "opdracht.beoogde_start",
            ),
        ),
        toelichting=(
            "As the gemeente's verwerker the LBT taker gets what carrying out the test needs "
            "(whom to invite, when, the opdracht's state), never a BSN."
        ),
    ),
    SeedRij(
        "001/aan/voorbereiding",
        SEED_001,
        _AAN,
        "Instantie die belast met voorbereiding inburgering",
        frozenset({G}),
        (
            _g(
                "Gegevens die zij voor uitvoering van deze taak hebben gekregen",
                "opdracht.lbt_toetsdatum",
                "opdracht.lbt_uitslag",
                toelichting="The seed's column says 'Aan', but the row, like the rows after it, "
                "is a return flow to the gemeente (art. 35 lid 2 wet).",
            ),
        ),
    ),
    SeedRij(
        "001/aan/cursusinstelling",
        SEED_001,
        _AAN,
        "Cursusinstelling en instellingen opleiding gericht op het begeleiden van anderstaligen "
        "richting het beroeps- of hoger onderwijs (onderwijsroute)",
        frozenset({G}),
        (
            _g(
                "Gegevens over de voortgang van de leerroute, de aanwezigheid, inspanningen en "
                "resultaten van de inburgeringsplichtige en informatie nodig voor het opleggen "
                "van een boete.",
                *VOORTGANG_RAPPORT,
                *RESULTAAT_RAPPORT,
                *BEEINDIGD_RAPPORT,
                "traject-beeindigd-rapport.reden_niet_afgerond",
            ),
        ),
    ),
    SeedRij(
        "001/aan/b1",
        SEED_001,
        _AAN,
        "Aanbieder B1 route en Taalschakeltraject",
        frozenset({G}),
        (
            _g(
                "Onderbouwing voor switch/afschalen/opschalen",
                "advies-rapport.advies",
                "advies-rapport.onderbouwing",
                "advies-rapport.uren_gerealiseerd_totaal",
            ),
            _g(
                "Gegevens over aanwezigheid, inspanningen en (tussentijdse) resultaten inburgeraar",
                *VOORTGANG_RAPPORT,
                *RESULTAAT_RAPPORT,
            ),
            _g("Examenresultaten", *RESULTAAT_RAPPORT),
        ),
    ),
    SeedRij(
        "001/aan/z-route",
        SEED_001,
        _AAN,
        "Aanbieder Z-route",
        frozenset({G}),
        (
            _g(
                "Gegevens over resultaat traject",
                "z-route-resultaat-rapport.bereikt_niveau",
                "z-route-resultaat-rapport.afgerond",
                "z-route-resultaat-rapport.peildatum",
            ),
            _g("Gegevens over inspanning", *INSPANNING_RAPPORT),
            _g(
                "Z-route wel/niet afgerond",
                "z-route-resultaat-rapport.afgerond",
                *BEEINDIGD_RAPPORT,
                "traject-beeindigd-rapport.reden_niet_afgerond",
            ),
            _g(
                "Realisatie van de urenverplichting",
                "z-route-resultaat-rapport.uren_taal_gerealiseerd",
                "z-route-resultaat-rapport.uren_participatie_gerealiseerd",
            ),
            _g(
                "Resultaten (o.a. taalniveau dat is bereikt A1 of A2)",
                "z-route-resultaat-rapport.bereikt_niveau",
            ),
        ),
    ),
    *(
        SeedRij(
            f"001/aan/{soort.lower()}",
            SEED_001,
            _AAN,
            f"Aanbieder {soort}",
            frozenset({G}),
            (
                _g(start, *GESTART_RAPPORT),
                _g(laat, "traject-gestart-rapport.reden_late_start"),
                _g(inspanning, *INSPANNING_RAPPORT),
                _g(resultaten, *BEEINDIGD_RAPPORT, *RESULTAAT_RAPPORT),
                _g(redenen, "traject-beeindigd-rapport.reden_niet_afgerond"),
            ),
        )
        for soort, start, laat, inspanning, resultaten, redenen in (
            (
                "PVT",
                "Startdatum (gerealiseerd) en beoogde (bijgestelde) einddatum",
                "Reden voor latere start van het PVT-traject",
                "Inspanningen (presentie, ...)",
                "Resultaten PVT",
                "Redenen niet behalen PVT",
            ),
            (
                "MAP",
                "Gerealiseerde startdatum en beoogde (bijgestelde) einddatum",
                "Reden voor latere start van het MAP-traject",
                "Inspanningen inburgeraar (presentie, ...)",
                "Resultaten MAP traject",
                "Redenen niet behalen MAP",
            ),
        )
    ),
    SeedRij(
        "001/aan/vorige-woongemeente",
        SEED_001,
        _AAN,
        "Vorige woongemeente inburgeringsplichtige",
        frozenset({G}),
        (
            _g("Informatie uit brede intake", *INTAKE),
            _g("vastgesteld met PIP met eventuele aanpassingen", *PIP_MET_WIJZIGINGEN),
            _g("Stand van zaken voortgang", *TRAJECT),
            _g("Uitgevoerde handhaving door gemeente", *GEMEENTEBOETES),
        ),
    ),
    # === seed 004, bijlage B: where seed 001 is silent ========================================
    SeedRij(
        "004/bijlage-b/coa",
        SEED_004,
        f"{_BIJLAGE_B}, Voorinburgering",
        "Te ontvangen van COA",
        frozenset({G}),
        (
            _g(
                "Persoons-/contactgegevens (naw, BSN, telefoonnummer, mailadres)",
                "klantprofiel.bsn",
                "klantprofiel.voornamen",
                "klantprofiel.geslachtsnaam",
                "klantprofiel.adres",
                "klantprofiel.telefoonnummer",
                "klantprofiel.mailadres",
            ),
            _g(
                "Familiegegevens (o.a. gezinsleden)",
                "klantprofiel.gezinssamenstelling",
                "klantprofiel.nareisprofiel",
            ),
            _g("Statusgegevens", "klantprofiel.statusgegevens"),
            _g(
                "Voorinburgering (instemming VI, Resultaat toets, spreekvaardigheid NT2, "
                "resultaten introductiemodules",
                "klantprofiel.voorinburgering",
            ),
            _g("Taalvaardigheid", "klantprofiel.taalvaardigheid"),
            _g("Gevolgte opleiding", "klantprofiel.gevolgde_opleidingen"),
            _g("Trainingen tijdens verblijf COA", "klantprofiel.trainingen"),
            _g("Contact UAF ja/nee", "klantprofiel.contact_uaf"),
            _g(
                "Internationale diploma-/onderwijsniveauwaardering (aanvraag ja/nee; start "
                "aanvraag)",
                "klantprofiel.diplomawaardering",
            ),
            _g("CV gemaakt ja/nee", "klantprofiel.cv_gemaakt"),
            _g("Werkervaring", "klantprofiel.werkervaring"),
            _g("Zelfwerkzaamheid op COA locatie", "klantprofiel.zelfwerkzaamheid_coa_locatie"),
            _g(
                "Competenties en computervaardigheden",
                "klantprofiel.competenties",
                "klantprofiel.computervaardigheden",
            ),
            _g("Ambities van inburgeraar/toekomstoriëntatie", "klantprofiel.ambities"),
        ),
    ),
    SeedRij(
        "004/bijlage-b/warme-overdracht",
        SEED_004,
        f"{_BIJLAGE_B}, Voorinburgering",
        "Door gemeente zelf op te halen gegevens",
        frozenset({G}),
        (
            _g(
                "In de nota van toelichting wordt het gemeenten aanbevolen rond individuele "
                "statushouders met COA een warme overdracht te hebben.",
                "warme-overdracht.gepland_op",
                "warme-overdracht.locatie",
                "warme-overdracht.gehouden_op",
            ),
            _g(
                "Voor zover de statushouder is ondergebracht in een AZC in de buurt van de "
                "gemeente",
                "koppeling.azc_locatie",
                toelichting="Which AZC decides whether the warme overdracht can be held there.",
            ),
            _niet(
                "Eventuele behoeften aan zorg of extra ondersteuning",
                "A need for care is health data: it stays in the conversation and is not stored "
                "(domain.md section 6).",
            ),
            _niet(
                "Eventuele omstandigheden die invloed kunnen hebben op het inburgeringsproces",
                "Soft information of the meeting; only its outcome enters the intake as codes.",
            ),
        ),
    ),
    SeedRij(
        "004/bijlage-b/maatschappelijke-begeleiding",
        SEED_004,
        f"{_BIJLAGE_B}, Maatschappelijke begeleiding",
        "Te ontvangen van DUO",
        frozenset({G}),
        (
            _g(
                "Vaststelling recht op maatschappelijke begeleiding",
                "inburgeringsplicht.recht_maatschappelijke_begeleiding",
            ),
        ),
    ),
    SeedRij(
        "004/bijlage-b/pip-duo",
        SEED_004,
        f"{_BIJLAGE_B}, PIP",
        "Te verstrekken aan DUO",
        frozenset({DUO}),
        (
            _g(
                "Datum vaststelling PIP en afspraken over de onderdelen (zie hieronder)",
                "pip.vaststellingsdatum",
                "pip.map_afspraken",
                "pip.pvt_afspraken",
                "map.start_gepland",
                "map.uiterste_datum_gepland",
                "pvt.start_gepland",
                "pvt.uiterste_datum_gepland",
            ),
            _g("Redenen van niet halen PIP", "pip.redenen_niet_halen"),
            _g("Wijzigingen PIP", "pip.wijziging"),
        ),
    ),
    SeedRij(
        "004/bijlage-b/pvt-duo",
        SEED_004,
        f"{_BIJLAGE_B}, PVT",
        "Te verstrekken aan DUO",
        frozenset({DUO}),
        (
            _g("Start PVT (gerealiseerd)", "pvt.start_gerealiseerd"),
            _g("Uiterste datum behalen PVT (bijgesteld)", "pvt.uiterste_datum_bijgesteld"),
            _g("PVT gehaald ja/nee", "pvt.afgerond"),
            _g("Datum behalen PVT", "pvt.datum_afgerond"),
            _g("Redenen niet behalen PVT", "pvt.reden_niet_afgerond"),
            _g("Verwijtbaar/niet verwijtbaar", "pvt.verwijtbaar"),
        ),
    ),
    SeedRij(
        "004/bijlage-b/handhaving-duo",
        SEED_004,
        f"{_BIJLAGE_B}, Handhaving inspanningsverplichting",
        "Te vertrekken aan DUO",
        frozenset({DUO}),
        (
            _g(
                "Door gemeente opgelegde boetes",
                *GEMEENTEBOETES,
                op_verzoek=True,
                toelichting="Only on DUO's incidental request (seed 002 section 4.7).",
            ),
            _g(
                "Gevolgd aantal uren t.b.v. taalonderdeel van de Z-route.",
                "urenverantwoording.peildatum",
                "urenverantwoording.uren_taal",
                "urenverantwoording.reden",
            ),
        ),
    ),
    SeedRij(
        "004/bijlage-b/cbs",
        SEED_004,
        f"{_BIJLAGE_B}, Monitoring en evaluatie",
        "Te verstrekken aan CBS",
        frozenset({CBS}),
        (
            _g(
                "Persoonsgegevens waaronder BSN",
                "dossier.bsn",
                "dossier.doelgroep",
                "dossier.vestigingsdatum",
                "dossier.einde_plicht",
                "dossier.overgedragen_op",
                toelichting="The two columns of bijlage B differ per doelgroep, so CBS gets it; "
                "the vestigingsdatum dates the person's start in the gemeente, the end of the "
                "plicht and the hand-over after a move its end there: who is in a quarter's "
                'delivery (seed 004 section 3.2.7: the definitions are set "in een leverings- en '
                'gegevensprotocol").',
            ),
            _g(
                "Deelname aan trajectonderdelen zoals: maatschappelijke begeleiding, ontzorgen, "
                "brede intake, MAP, PVT",
                "begeleiding.soort",
                "begeleiding.startdatum",
                "begeleiding.einddatum",
                "intake.eerste_gesprek_op",
                "intake.afgerond_op",
                "map.start_gerealiseerd",
                "map.afgerond",
                "pvt.start_gerealiseerd",
                "pvt.afgerond",
            ),
            _g(
                "PIP: vaststelling en eventuele wijzigingen",
                "pip.vaststellingsdatum",
                "pip.wijziging",
            ),
            _g(
                "Leerbaarheidstoets: afname en uitslag",
                "intake.lbt_afgenomen",
                "intake.lbt_uitkomst",
            ),
            _g(
                "Leerroute: keuze leerroute, deelname, eventuele wisseling van route, eventuele "
                "afschaling naar A2 niveau",
                "pip.leerroute",
                "pip.wijziging",
                "opdracht.status",
                "opdracht.gerealiseerde_start",
            ),
            _g(
                "Cursussen: naam, deelname en soort cursus",
                "opdracht.cursusnaam",
                "opdracht.aanbieder_naam",
                "opdracht.status",
                "opdracht.soort",
            ),
            _g(
                "Waarschuwingen en boetes: aantal, redenen, hoogte van boetes",
                "handhavingsmaatregel.soort",
                "handhavingsmaatregel.datum",
                "handhavingsmaatregel.reden",
                "handhavingsmaatregel.bedrag_in_centen",
            ),
            _g("Opleidingsniveau van de inburgeraar", "intake.opleidingsniveau"),
            _g("Analfabetisme", "intake.alfabetisering"),
        ),
    ),
    # === seed 004 section 4.3.2: the klantprofiel in TVS (bijlage B names no contact person) ==
    SeedRij(
        "004/4.3.2/tvs",
        SEED_004,
        "4.3.2. Gegevensuitwisseling tussen COA en gemeenten",
        "Klantprofiel vanuit TVS",
        frozenset({G}),
        (
            _g(
                "Nadat een statushouder aan een gemeente is gekoppeld, ontvangt de gemeente een "
                "bericht van het COA.",
                "koppeling.koppeldatum",
                "koppeling.status",
            ),
            _g(
                "Persoonlijke gegevens",
                "klantprofiel.bsn",
                "klantprofiel.voornamen",
                "klantprofiel.geslachtsnaam",
                "klantprofiel.geboortedatum",
                "klantprofiel.nationaliteit",
                "klantprofiel.adres",
                "klantprofiel.telefoonnummer",
                "klantprofiel.mailadres",
            ),
            _g(
                "Familiegegevens",
                "klantprofiel.gezinssamenstelling",
                "klantprofiel.nareisprofiel",
            ),
            _g("Statusgegevens", "klantprofiel.statusgegevens"),
            _g("Informatie over de voorinburgering", "klantprofiel.voorinburgering"),
            _g(
                "Educatieve gegevens (o.a. taalvaardigheid en gevolgde opleidingen en trainingen)",
                "klantprofiel.taalvaardigheid",
                "klantprofiel.gevolgde_opleidingen",
                "klantprofiel.trainingen",
                "klantprofiel.diplomawaardering",
                "klantprofiel.contact_uaf",
            ),
            _g(
                "Arbeidsgegevens (o.a. werkervaring, competenties en computervaardigheden en "
                "vrijetijdsbesteding)",
                "klantprofiel.werkervaring",
                "klantprofiel.competenties",
                "klantprofiel.computervaardigheden",
                "klantprofiel.cv_gemaakt",
                "klantprofiel.zelfwerkzaamheid_coa_locatie",
            ),
            _g("Ambities voor de toekomst in Nederland", "klantprofiel.ambities"),
            _g("Contactpersoon bij het COA", *COA_CONTACTPERSOON),
        ),
    ),
    # === seed 002: exchanges seeds 001 and 004 do not list ====================================
    SeedRij(
        "002/3.1/signalen",
        SEED_002,
        "3.1. Notificaties en signalen",
        "DUO-signalen",
        frozenset({G}),
        (
            _g(
                "DUO zet in de portal gedetailleerde signalen klaar.",
                "signaal.klasse",
                "signaal.code",
                "signaal.betreft",
                "signaal.aangemaakt_op",
            ),
            _g(
                "Doel is dat signalen kunnen worden afgevinkt en daarmee op afgehandeld worden "
                "gezet of verwijderd.",
                "signaal.status",
                "signaal.afgehandeld_door",
                "signaal.afgehandeld_op",
            ),
        ),
    ),
    SeedRij(
        "002/3.4/doelgroep",
        SEED_002,
        "3.4. Onderdelen van het werkproces",
        "wijziging van doelgroep",
        frozenset({DUO}),
        (
            _g(
                "De gemeente geeft het aan DUO door als de inburgeringsplichtige NIET de status "
                "van asielmigrant wil hebben.",
                "dossier.afzien_rechten_asielstatushouder",
                "dossier.doelgroep",
                "pip.doelgroep",
            ),
        ),
    ),
    SeedRij(
        "002/3.4.4/uren",
        SEED_002,
        "3.4.4. Inburgeringsaanbod",
        "Intensiteit Traject",
        frozenset({DUO}),
        (
            _g(
                "Daarbij kijkt DUO naar de daadwerkelijk gevolgde lesuren en zet deze af tegen de "
                "in het PIP opgenomen aantal taal uren: de intensiteit.",
                "urenverantwoording.peildatum",
                "urenverantwoording.uren_taal",
                "urenverantwoording.reden",
            ),
            _g(
                "Bij gezinsmigranten geven de instellingen de uren taal door aan DUO.",
                "urenverantwoording.doelgroep",
                toelichting="So the gemeente's hours are those of asielstatushouders: the "
                "doelgroep says whose hours they are.",
            ),
        ),
    ),
    SeedRij(
        "002/3.4.7/duo",
        SEED_002,
        "3.4.7. Begeleiden traject inburgeringsplichtige",
        "gebeurtenissen waarover DUO informeert of moet worden geïnformeerd",
        frozenset({DUO}),
        (
            _g(
                "Uren geoorloofd en ongeoorloofd verzuim bij taalonderwijs",
                "urenverantwoording.uren_verzuim_geoorloofd",
                "urenverantwoording.uren_verzuim_ongeoorloofd",
            ),
            _g(
                "Aantal uren participatie activiteiten",
                "urenverantwoording.uren_participatie",
            ),
            _g(
                "uren gemaakt voordat de PIP wordt vastgesteld worden apart opgegeven",
                "urenverantwoording.uren_participatie_voor_pip",
            ),
            _g(
                "Aantal uren taalonderwijs (standaard 800 uur) inclusief geoorloofd en "
                "ongeoorloofd verzuim en aanwezige uren.",
                "urenverantwoording.uren_taal",
                "urenverantwoording.uren_aanwezig",
                "urenverantwoording.uren_verzuim_geoorloofd",
                "urenverantwoording.uren_verzuim_ongeoorloofd",
            ),
        ),
    ),
    SeedRij(
        "002/3.4.7/cbs",
        SEED_002,
        "3.4.7. Begeleiden traject inburgeringsplichtige",
        "voortgangsgesprekken",
        frozenset({CBS}),
        (
            _g(
                "Indien deze voortgangsgesprekken geregistreerd worden, geeft de gemeenten voor "
                "gezinsmigranten en overige migranten deze door aan CBS.",
                "begeleiding.soort",
                "begeleiding.startdatum",
            ),
        ),
    ),
)

# The technical grounds: fields that say nothing about the person (classified ``geen``) and
# without which no exchange works. Kept small on purpose; a personal-data field never matches.
TECHNISCH: Final[tuple[TechnischeGrond, ...]] = (
    TechnischeGrond(
        "id",
        "opaque id of the resource or a link to another resource (meaningless outside its "
        "source; architecture.md principle 2)",
        opaque_ids=True,
    ),
    TechnischeGrond(
        "routing",
        "the gemeente the data belongs to: the wall between gemeenten and the routing need it",
        frozenset(
            _velden(
                "koppeling.gemeentecode",
                "warme-overdracht.gemeentecode",
                "inburgeringsplicht.gemeentecode",
                "signaal.gemeentecode",
                "handhavingsverzoek.gemeentecode",
                "dossier.gemeentecode",
                "opdracht.gemeentecode",
            )
        ),
    ),
    TechnischeGrond(
        "versie",
        "version of the record or of the code list it uses",
        frozenset(
            _velden(
                "klantprofiel.versie",
                "warme-overdracht.klantprofiel_versie",
                "pip.versie",
                "signaal.codelijst_versie",
            )
        ),
    ),
    TechnischeGrond(
        "recordstatus",
        "when COA offered the klantprofiel and whether it is frozen (state of the record)",
        frozenset(_velden("klantprofiel.aanbiedmoment", "klantprofiel.bevroren")),
    ),
    TechnischeGrond(
        "eigen-aanbieder",
        "the aanbieder's own kind, OIN and name on the opdracht addressed to it",
        frozenset(
            _velden("opdracht.aanbiedersoort", "opdracht.aanbieder_oin", "opdracht.aanbieder_naam")
        ),
        rollen=AANBIEDER_ROLLEN,
    ),
    TechnischeGrond(
        "leveringsmanifest",
        "manifest of the gemeente's own quarterly delivery: counts and a checksum, no person",
        frozenset(
            _velden(
                "cbs-levering.levering_id",
                "cbs-levering.gemeentecode",
                "cbs-levering.kwartaal",
                "cbs-levering.layout_versie",
                "cbs-levering.aangemaakt_op",
                "cbs-levering.aantal_records",
                "cbs-levering.sha256",
                "cbs-levering.levering_versie",
                "cbs-levering.bestandsnaam",
                "cbs-levering.aantallen",
            )
        ),
        rollen=frozenset({G}),
    ),
)


# --- lookups ------------------------------------------------------------------------------------


def _field_info(resource: str, veldnaam: str) -> FieldInfo | None:
    try:
        model = get_resource(resource).model
    except KeyError:
        return None
    info = model.model_fields.get(veldnaam)
    if info is None:
        # Accept the wire name (camelCase) too, as the policy does.
        info = next((f for f in model.model_fields.values() if f.alias == veldnaam), None)
    return info


def _python_name(resource: str, veldnaam: str) -> str:
    try:
        model = get_resource(resource).model
    except KeyError:
        return veldnaam
    if veldnaam in model.model_fields:
        return veldnaam
    return next((n for n, f in model.model_fields.items() if f.alias == veldnaam), veldnaam)


def annotation_metadata(node: object) -> Iterator[object]:
    """Every metadata object in a field's annotation: through Optional, lists, unions and
    ``Annotated`` (pydantic nests ``Field(...)`` metadata as a FieldInfo)."""
    if isinstance(node, FieldInfo):
        for item in node.metadata:
            yield item
            yield from annotation_metadata(item)
        yield from annotation_metadata(node.annotation)
        return
    for item in getattr(node, "__metadata__", ()) or ():
        yield item
        yield from annotation_metadata(item)
    for arg in typing.get_args(node):
        yield from annotation_metadata(arg)


def _is_opaque_id(info: FieldInfo) -> bool:
    return any(getattr(m, "pattern", None) == OPAQUE_ID_PATTERN for m in annotation_metadata(info))


def grondslag_van(resource: str, rol: Rol, veldnaam: str) -> list[Grondslag]:
    """Every ground in the table for ``rol`` reading ``veldnaam`` (Python or wire name) of
    ``resource``: the seed rows naming ``rol`` with an item carried by the field, then the
    technical grounds. Empty when nothing grants it (the policy's answer is not consulted)."""
    naam = _python_name(resource, veldnaam)
    doel: Veld = (resource, naam)
    found = [
        Grondslag(rij=rij, gegeven=gegeven)
        for rij in SEED_RIJEN
        if rol in rij.rollen
        for gegeven in rij.gegevens
        if doel in gegeven.velden
    ]
    found += [Grondslag(technisch=t) for t in TECHNISCH if t.geldt_voor(resource, naam, rol)]
    return found


# --- rendering --------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _views(resource: str) -> list[Rol]:
    """The non-owner roles with a view of ``resource`` (as the linked gemeente for gemeenten)."""
    # Imported here: the policy imports the resources, and render imports this module.
    from keten_contracts.policy import view_model

    owner = get_resource(resource).owner
    return [
        r for r in Rol if r is not owner and view_model(resource, r, same_gemeente=True) is not None
    ]


def grondslagen_tabel(resource: str, rol: Rol) -> list[str]:
    """Markdown lines: per field of ``rol``'s view of ``resource``, the grounds (one line per
    ground; a field without one shows **none**, which the tests forbid)."""
    from keten_contracts.policy import view_model

    view = view_model(resource, rol, same_gemeente=True)
    lines = ["| field | seed row | data item |", "| --- | --- | --- |"]
    if view is None:
        return lines
    model = get_resource(resource).model
    for naam in view.model_fields:
        wire = model.model_fields[naam].alias or naam
        grounds = grondslag_van(resource, rol, naam)
        if not grounds:
            lines.append(f"| `{wire}` | **none** | |")
        for ground in grounds:
            lines.append(
                f"| `{wire}` | {_cell(ground.rij_label)} | {_cell(ground.gegeven_label)} |"
            )
    return lines


def render_grondslagen_markdown(resources: Iterable[str] | None = None) -> str:
    """The section of CATALOGUE.md that shows, per resource view (resource x reading role other
    than the owner), which seed row grants each field."""
    names = (
        [rd.name for rd in all_resources() if not rd.beheer]  # no person: no ground needed
        if resources is None
        else list(resources)
    )
    out = [
        "## Grounds per view",
        "",
        "Why each role reads what it reads: per view of a resource by a role other than its "
        "owner, the row of the source documents (seed 001, the VNG Handreiking gegevensverwerking; "
        "where it is silent seed 004 bijlage B or section 4.3.2, and seed 002) that names the "
        "receiving party and the data item, quoted as the seed writes it. Technical fields (ids, "
        "versions, routing) carry no personal data. The table lives in "
        "`keten_contracts.grondslagen`; a test fails when a reader has no ground.",
        "",
    ]
    for naam in names:
        for rol in _views(naam):
            out += [f"### {naam}: `{rol.value}`", "", *grondslagen_tabel(naam, rol), ""]
    return "\n".join(out)
