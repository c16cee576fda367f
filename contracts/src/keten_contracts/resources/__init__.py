"""Every resource a source serves: its full model, where it lives, and an example.

The per-role views are derived from the field tags (``x-lezers``) by ``keten_contracts.policy``;
this module only says what exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from keten_contracts.parties import Rol
from keten_contracts.resources import cbs, coa, duo, gemeente, notificaties

__all__ = ["RESOURCES", "ResourceDef", "all_resources", "get_resource"]

# Base URLs of the sources are configuration; paths are contract.
BRON_COA = "coa-adapter"
BRON_DUO = "duo-adapter"
BRON_DOSSIER = "dossier-bron"
BRON_CBS = "cbs-leverancier"
BRON_ROUTER = "notificatie-router"

EXAMPLE_BASE_URLS: Mapping[str, str] = {
    BRON_COA: "https://coa-adapter.inburgering.example/api/v1",
    BRON_DUO: "https://duo-adapter.inburgering.example/api/v1",
    BRON_DOSSIER: "https://dossier.gemeente.example/api/v1",
    BRON_CBS: "https://cbs-leverancier.inburgering.example/api/v1",
    BRON_ROUTER: "https://notificaties.inburgering.example/api/v1",
}


@dataclass(frozen=True)
class ResourceDef:
    name: str
    model: type[BaseModel]
    owner: Rol
    bron: str
    collection: str
    id_field: str
    description: str
    example: Mapping[str, Any] = field(default_factory=dict)
    # Operations of the chain itself (the router's subscriptions): about a party's system, not
    # a person, so outside the law's data flows: no seed row grounds a read and no domain.md row
    # lists it; the person-data rules of the policy do not apply to it.
    beheer: bool = False

    @property
    def path_template(self) -> str:
        """Path below the source's API root; ``{id}`` is the opaque resource id."""
        return f"/{self.collection}/{{id}}"

    @property
    def id_alias(self) -> str:
        alias = self.model.model_fields[self.id_field].alias
        return alias or self.id_field

    def dataref(self, base_url: str, resource_id: str) -> str:
        return base_url.rstrip("/") + self.path_template.format(id=resource_id)

    def example_dataref(self) -> str:
        return self.dataref(EXAMPLE_BASE_URLS[self.bron], str(self.example[self.id_alias]))


CONTACTPERSOON = {"naam": "J. de Vries", "telefoon": "088-7157000", "email": "jdv@coa.example"}
ADRES = {
    "straat": "Stationsplein",
    "huisnummer": "1",
    "postcode": "1012AB",
    "woonplaats": "Amsterdam",
}

_DEFS: list[ResourceDef] = [
    ResourceDef(
        "koppeling",
        coa.Koppeling,
        Rol.COA,
        BRON_COA,
        "koppelingen",
        "koppeling_id",
        "COA's link of a statushouder to a vestigingsgemeente (taakstelling).",
        {
            "koppelingId": "kop-4b1e9a",
            "gemeentecode": "0363",
            "koppeldatum": "2025-03-03",
            "status": "gekoppeld",
            "azcLocatie": "AZC Budel-Cranendonck",
            "verwachteVestigingsdatum": "2025-06-01",
            "klantprofielId": "kp-88d0c1",
            "coaContactpersoon": CONTACTPERSOON,
        },
    ),
    ResourceDef(
        "klantprofiel",
        coa.Klantprofiel,
        Rol.COA,
        BRON_COA,
        "klantprofielen",
        "klantprofiel_id",
        "What COA knows of the person (art. 9.4 lid 3 Besluit); frozen after vestiging.",
        {
            "klantprofielId": "kp-88d0c1",
            "koppelingId": "kop-4b1e9a",
            "versie": 3,
            "aanbiedmoment": "warme-overdracht",
            "bevroren": False,
            "bsn": "111222333",
            "voornamen": "Amal",
            "geslachtsnaam": "Haddad",
            "geboortedatum": "1994-05-17",
            "nationaliteit": "SY",
            "gezinssamenstelling": [{"relatie": "kind", "geboortejaar": 2019}],
            "statusgegevens": {
                "soortVerblijfsvergunning": "asiel bepaalde tijd",
                "datumVerleend": "2025-02-10",
            },
            "voorinburgering": {
                "instemming": True,
                "spreekvaardigheidNt2": "A1",
                "introductiemodules": [
                    {"module": "kennis-nederlandse-maatschappij", "afgerond": True}
                ],
                "deelnameTaalactiviteiten": True,
                "afgerond": False,
            },
            "taalvaardigheid": "A1",
            "gevolgdeOpleidingen": [
                {"niveau": "hbo", "richting": "boekhouden", "land": "SY", "afgerond": True}
            ],
            "trainingen": ["computercursus"],
            "contactUaf": True,
            "diplomawaardering": {"aangevraagd": True, "startdatum": "2025-04-01"},
            "cvGemaakt": True,
            "werkervaring": [{"beroep": "boekhouder", "jaren": 6}],
            "competenties": ["administratie"],
            "computervaardigheden": "goed",
            "ambities": "Werken in de financiele administratie",
            "coaContactpersoon": CONTACTPERSOON,
        },
    ),
    ResourceDef(
        "warme-overdracht",
        coa.WarmeOverdracht,
        Rol.COA,
        BRON_COA,
        "warme-overdrachten",
        "warme_overdracht_id",
        "The warm hand-over meeting of COA casemanager, gemeente and person.",
        {
            "warmeOverdrachtId": "wo-19f2",
            "koppelingId": "kop-4b1e9a",
            "gemeentecode": "0363",
            "geplandOp": "2025-05-20T10:00:00+02:00",
            "locatie": "AZC Budel-Cranendonck",
            "klantprofielVersie": 3,
            "coaContactpersoon": CONTACTPERSOON,
        },
    ),
    ResourceDef(
        "inburgeringsplicht",
        duo.Inburgeringsplicht,
        Rol.DUO,
        BRON_DUO,
        "inburgeringsplichten",
        "inburgeringsplicht_id",
        "DUO's decision on the inburgeringsplicht, doelgroep and right to maatschappelijke "
        "begeleiding.",
        {
            "inburgeringsplichtId": "ibp-5c7d21",
            "gemeentecode": "0363",
            "bsn": "111222333",
            "status": "vastgesteld",
            "vastgesteldOp": "2025-03-10",
            "doelgroep": "asielstatushouder",
            "rechtMaatschappelijkeBegeleiding": True,
        },
    ),
    ResourceDef(
        "termijn",
        duo.Termijn,
        Rol.DUO,
        BRON_DUO,
        "termijnen",
        "termijn_id",
        "A legal deadline set by DUO (inburgeringsplicht, MAP or PVT).",
        {
            "termijnId": "trm-0a9e",
            "inburgeringsplichtId": "ibp-5c7d21",
            "soort": "inburgeringsplicht",
            "begindatum": "2025-07-15",
            "einddatum": "2028-07-15",
        },
    ),
    ResourceDef(
        "vrijstelling",
        duo.Vrijstelling,
        Rol.DUO,
        BRON_DUO,
        "vrijstellingen",
        "vrijstelling_id",
        "A vrijstelling granted by DUO (outcome only).",
        {
            "vrijstellingId": "vst-77e1",
            "inburgeringsplichtId": "ibp-5c7d21",
            "omvang": "gedeeltelijk",
            "onderdelen": ["map"],
            "besluitdatum": "2025-09-01",
        },
    ),
    ResourceDef(
        "ontheffing",
        duo.Ontheffing,
        Rol.DUO,
        BRON_DUO,
        "ontheffingen",
        "ontheffing_id",
        "An ontheffing granted by DUO (outcome only, never its ground).",
        {
            "ontheffingId": "onth-3f0c",
            "inburgeringsplichtId": "ibp-5c7d21",
            "omvang": "aangepaste-examenomstandigheden",
            "onderdelen": ["spreken"],
            "besluitdatum": "2026-01-12",
        },
    ),
    ResourceDef(
        "lbt-uitslag",
        duo.LbtUitslag,
        Rol.DUO,
        BRON_DUO,
        "lbt-uitslagen",
        "lbt_uitslag_id",
        "Result of the leerbaarheidstoets on DUO's platform.",
        {
            "lbtUitslagId": "lbt-12aa",
            "inburgeringsplichtId": "ibp-5c7d21",
            "afnamedatum": "2025-06-20",
            "uitkomst": "B1 haalbaar",
        },
    ),
    ResourceDef(
        "examenresultaat",
        duo.Examenresultaat,
        Rol.DUO,
        BRON_DUO,
        "examenresultaten",
        "examenresultaat_id",
        "One exam attempt and its result.",
        {
            "examenresultaatId": "ex-9b2c",
            "inburgeringsplichtId": "ibp-5c7d21",
            "onderdeel": "lezen",
            "niveau": "B1",
            "examendatum": "2027-03-02",
            "poging": 1,
            "uitslag": "behaald",
        },
    ),
    ResourceDef(
        "diploma",
        duo.Diploma,
        Rol.DUO,
        BRON_DUO,
        "diplomas",
        "diploma_id",
        "Inburgeringsdiploma or certificaat.",
        {
            "diplomaId": "dip-55c0",
            "inburgeringsplichtId": "ibp-5c7d21",
            "soort": "inburgeringsdiploma",
            "datum": "2027-09-30",
        },
    ),
    ResourceDef(
        "verlenging",
        duo.Verlenging,
        Rol.DUO,
        BRON_DUO,
        "verlengingen",
        "verlenging_id",
        "An extension of the termijn: request, decision, new end date.",
        {
            "verlengingId": "vl-8d3e",
            "inburgeringsplichtId": "ibp-5c7d21",
            "ambtshalve": False,
            "aangevraagdOp": "2028-03-01",
            "besluit": "gehonoreerd",
            "besluitdatum": "2028-04-02",
            "ingangsdatum": "2028-07-15",
            "nieuweEinddatum": "2029-01-15",
        },
    ),
    ResourceDef(
        "duo-boete",
        duo.DuoBoete,
        Rol.DUO,
        BRON_DUO,
        "boetes",
        "duo_boete_id",
        "A fine by DUO for the resultaatsverplichting.",
        {
            "duoBoeteId": "dboe-61f7",
            "inburgeringsplichtId": "ibp-5c7d21",
            "opgelegdOp": "2028-08-01",
            "grond": "termijn-overschreden",
            "bedragInCenten": 50000,
        },
    ),
    # rules 5, 6 -- DUO signalen (seed 002 section 3.1); the code list is in resources/duo.py.
    ResourceDef(
        "signaal",
        duo.Signaal,
        Rol.DUO,
        BRON_DUO,
        "signalen",
        "signaal_id",
        "A DUO signaal to the linked gemeente (new information, or an action DUO needs); the "
        "gemeente ticks it off here (afgehandeld).",
        {
            "signaalId": "sig-3c8e",
            "gemeentecode": "0363",
            "inburgeringsplichtId": "ibp-5c7d21",
            "dossierId": "dos-2e4f6a",
            "klasse": "actie-vereist",
            "code": "pip-aanleveren",
            "codelijstVersie": 1,
            "betreft": "pip",
            "aangemaaktOp": "2025-08-20T07:00:00+02:00",
            "status": "afgehandeld",
            "afgehandeldDoor": "usr-0363-4471",
            "afgehandeldOp": "2025-08-21T10:15:00+02:00",
        },
    ),
    # end rules 5, 6
    ResourceDef(
        "dossier",
        gemeente.Dossier,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "dossiers",
        "dossier_id",
        "The gemeente's inburgering dossier of one person.",
        {
            "dossierId": "dos-2e4f6a",
            "gemeentecode": "0363",
            "bsn": "111222333",
            "voornamen": "Amal",
            "geslachtsnaam": "Haddad",
            "geboortedatum": "1994-05-17",
            "adres": ADRES,
            "doelgroep": "asielstatushouder",
            "vestigingsdatum": "2025-06-01",
            "status": "actief",
            "koppelingId": "kop-4b1e9a",
            "inburgeringsplichtId": "ibp-5c7d21",
        },
    ),
    ResourceDef(
        "intake",
        gemeente.Intake,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "intakes",
        "intake_id",
        "The brede intake, including invitations and the LBT.",
        {
            "intakeId": "int-7a10",
            "dossierId": "dos-2e4f6a",
            "uitnodigingen": [{"datum": "2025-06-10", "volgnummer": 1, "verschenen": True}],
            "eersteGesprekOp": "2025-06-17",
            "afgerondOp": "2025-07-01",
            "lbtAfgenomen": True,
            "lbtUitslagId": "lbt-12aa",
            "lbtUitkomst": "b1-haalbaar",
            "opleidingsniveau": "isced-6",
            "alfabetisering": "anders-gealfabetiseerd",
            "taalniveau": "A1",
        },
    ),
    ResourceDef(
        "pip",
        gemeente.Pip,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "pips",
        "pip_id",
        "One version of the persoonlijk plan inburgering en participatie.",
        {
            "pipId": "pip-7f3c2a",
            "dossierId": "dos-2e4f6a",
            "versie": 1,
            "vaststellingsdatum": "2025-07-15",
            "leerroute": "b1-route",
            "taalniveauEerstePip": "B1",
            "intensiteitUren": 1200,
            "mapAfspraken": {
                "beoogdeStart": "2025-09-01",
                "uitersteDatum": "2027-07-15",
                "intensiteitUren": 64,
            },
            "pvtAfspraken": {"beoogdeStart": "2025-10-01", "uitersteDatum": "2026-07-15"},
            "doelen": ["B1 behalen", "werk in de administratie"],
        },
    ),
    ResourceDef(
        "inburgeringsaanbod",
        gemeente.Inburgeringsaanbod,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "inburgeringsaanbiedingen",
        "inburgeringsaanbod_id",
        "The concrete inburgeringsaanbod after the PIP.",
        {"inburgeringsaanbodId": "ia-0c3d", "pipId": "pip-7f3c2a", "datumAanbod": "2025-08-20"},
    ),
    ResourceDef(
        "opdracht",
        gemeente.Opdracht,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "opdrachten",
        "opdracht_id",
        "An order to one aanbieder; the aanbieder's fetch shows only its kind's fields.",
        {
            "opdrachtId": "opd-3a91",
            "dossierId": "dos-2e4f6a",
            "gemeentecode": "0363",
            "soort": "b1-cursus",
            "aanbiedersoort": "taalaanbieder",
            "aanbiederOin": "00000003273280410000",
            "aanbiederNaam": "Taalschool Amstel",
            "status": "verstrekt",
            "bsn": "111222333",
            "contactgegevens": {
                "voornamen": "Amal",
                "geslachtsnaam": "Haddad",
                "adres": ADRES,
                "telefoon": "06-12345678",
            },
            "taalniveauEerstePip": "B1",
            "beoogdeStart": "2025-09-01",
            "beoogdeEinddatum": "2027-06-30",
            "cursusnaam": "B1 intensief",
            "onderdelen": ["lezen", "luisteren", "schrijven", "spreken", "KNM"],
            "uren": 1200,
            "pipVersie": 1,
        },
    ),
    ResourceDef(
        "map",
        gemeente.MapTraject,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "map-trajecten",
        "map_id",
        "The Module Arbeidsmarkt en Participatie of one person.",
        {
            "mapId": "map-61b2",
            "dossierId": "dos-2e4f6a",
            "opdrachtId": "opd-4c02",
            "startGepland": "2025-09-01",
            "startGerealiseerd": "2025-09-08",
            "uitersteDatumGepland": "2027-07-15",
            "afgerond": True,
            "datumAfgerond": "2026-03-30",
        },
    ),
    ResourceDef(
        "pvt",
        gemeente.PvtTraject,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "pvt-trajecten",
        "pvt_id",
        "The participatieverklaringstraject of one person.",
        {
            "pvtId": "pvt-90e4",
            "dossierId": "dos-2e4f6a",
            "startGepland": "2025-10-01",
            "uitersteDatumGepland": "2026-07-15",
            "afgerond": False,
            "redenNietAfgerond": "niet-verschenen",
            "verwijtbaar": True,
        },
    ),
    ResourceDef(
        "handhavingsmaatregel",
        gemeente.Handhavingsmaatregel,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "handhavingsmaatregelen",
        "handhavingsmaatregel_id",
        "A warning or fine by the gemeente (inspanningsverplichting).",
        {
            "handhavingsmaatregelId": "hm-2b77",
            "dossierId": "dos-2e4f6a",
            "soort": "boete",
            "datum": "2026-02-01",
            "reden": "niet-verschenen-intake",
            "bedragInCenten": 25000,
            "verwijtbaar": True,
            "rechtsmiddel": "geen",
        },
    ),
    # rules 3, 4 -- DUO's request for gemeente fines (lives at DUO), the gemeente's voortgang,
    # and the verhuizing hand-over: the new gemeente's request and the old one's package.
    ResourceDef(
        "handhavingsverzoek",
        gemeente.Handhavingsverzoek,
        Rol.DUO,
        BRON_DUO,
        "handhavingsverzoeken",
        "handhavingsverzoek_id",
        "DUO's incidental request to a gemeente for fines it imposed (never warnings).",
        {
            "handhavingsverzoekId": "hvz-3c88",
            "gemeentecode": "0363",
            "inburgeringsplichtId": "ibp-5c7d21",
            "handhavingsmaatregelIds": ["hm-2b77"],
            "datum": "2028-08-10",
        },
    ),
    ResourceDef(
        "voortgang",
        gemeente.Voortgang,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "voortgang",
        "voortgang_id",
        "Progress incl. hours as the gemeente registered it (from the aanbieder's reports).",
        {
            "voortgangId": "vg-5a12",
            "dossierId": "dos-2e4f6a",
            "opdrachtId": "opd-3a91",
            "peildatum": "2026-01-31",
            "urenGerealiseerdTotaal": 420,
            "urenAanwezig": 400,
            "urenAfwezigGeoorloofd": 12,
            "urenAfwezigOngeoorloofd": 8,
            "inspanning": "voldoende",
        },
    ),
    ResourceDef(
        "overdrachtsverzoek",
        gemeente.Overdrachtsverzoek,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "overdrachtsverzoeken",
        "overdrachtsverzoek_id",
        "The new gemeente's request to the old one to hand over after a move.",
        {
            "overdrachtsverzoekId": "ovz-71d0",
            "gemeentecode": "0599",
            "vorigeGemeentecode": "0363",
            "inburgeringsplichtId": "ibp-5c7d21",
            "datum": "2026-03-02",
        },
    ),
    ResourceDef(
        "overdracht",
        gemeente.Overdracht,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "overdrachten",
        "overdracht_id",
        "The old gemeente's hand-over package: links to the parts, not the dossier.",
        {
            "overdrachtId": "ovd-44e9",
            "overdrachtsverzoekId": "ovz-71d0",
            "gemeentecode": "0363",
            "nieuweGemeentecode": "0599",
            "inburgeringsplichtId": "ibp-5c7d21",
            "onderdelen": [
                {"soort": "intake", "resourceId": "int-7a10"},
                {"soort": "pip", "resourceId": "pip-7f3c2a", "versie": 1},
                {"soort": "pip", "resourceId": "pip-7f3c2b", "versie": 2},
                {"soort": "voortgang", "resourceId": "vg-5a12"},
                {"soort": "handhavingsmaatregel", "resourceId": "hm-2b77"},
            ],
            "datum": "2026-03-09",
        },
    ),
    # end rules 3, 4
    ResourceDef(
        "verlengingsinformatie",
        gemeente.Verlengingsinformatie,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "verlengingsinformatie",
        "verlengingsinformatie_id",
        "The gemeente's information for an extension: circumstances, missing offer.",
        {
            "verlengingsinformatieId": "vi-4e18",
            "dossierId": "dos-2e4f6a",
            "inburgeringsplichtId": "ibp-5c7d21",
            "verlengingId": "vl-8d3e",
            "gronden": ["wachtlijst-aanbieder"],
            "inburgeringsaanbodUitgebleven": False,
            "datum": "2028-03-10",
        },
    ),
    ResourceDef(
        "urenverantwoording",
        gemeente.Urenverantwoording,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "urenverantwoordingen",
        "urenverantwoording_id",
        "Language and participation hours, when DUO needs them.",
        {
            "urenverantwoordingId": "uv-6d21",
            "dossierId": "dos-2e4f6a",
            "peildatum": "2028-03-01",
            "urenTaal": 940,
            "reden": "verlenging",
        },
    ),
    ResourceDef(
        "begeleiding",
        gemeente.Begeleiding,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "begeleidingen",
        "begeleiding_id",
        "One period of maatschappelijke begeleiding, financieel ontzorgen or stimuleren "
        "financiële zelfredzaamheid (each its own start and end), or a voortgangsgesprek.",
        {
            "begeleidingId": "beg-1f3e",
            "dossierId": "dos-2e4f6a",
            "soort": "maatschappelijke-begeleiding",
            "startdatum": "2025-06-05",
        },
    ),
    ResourceDef(
        "cbs-levering",
        cbs.CbsLevering,
        Rol.CBS,
        BRON_CBS,
        "leveringen",
        "levering_id",
        "One version of a gemeente's quarterly SWI delivery: the manifest (gemeente and CBS) "
        "and the file in the SWI record layout (personal data, BSN included: CBS only).",
        {
            "leveringId": "lev-2025q2-0363",
            "gemeentecode": "0363",
            "kwartaal": "2025-Q2",
            "layoutVersie": "1.0",
            "aangemaaktOp": "2025-07-10T06:00:00+00:00",
            "aantalRecords": 412,
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "leveringVersie": 1,
            "bestandsnaam": "swi-1.0_0363_2025-Q2_v1.xml",
            "aantallen": {
                "records": 412,
                "bredeIntake": 380,
                "lbt": 371,
                "pip": 352,
                "pipWijzigingen": 41,
                "cursussen": 298,
                "map": 310,
                "pvt": 333,
                "maatschappelijkeBegeleiding": 240,
                "financieelOntzorgen": 118,
                "stimulerenFinancieleZelfredzaamheid": 109,
                "voortgangsgesprekken": 57,
                "waarschuwingen": 12,
                "boetes": 3,
            },
        },
    ),
    ResourceDef(
        "abonnement",
        notificaties.Abonnement,
        Rol.GEMEENTE,
        BRON_ROUTER,
        "subscriptions",
        "id",
        "A subscription at the notificatie-router, as its owner reads it: delivered to or not, "
        "and why not.",
        {
            "id": "5b0e3f9a-8d1c-4e2b-9f6a-3c7d2e1b0a94",
            "actief": False,
            "uitgeschakeldOp": "2025-07-18T09:30:00+00:00",
            "uitgeschakeldReden": "the sink answered 410 Gone",
        },
        beheer=True,
    ),
    # rule 13 -- Participatiewet data: the klantmanager writes it, the regie inburgering reads it.
    ResourceDef(
        "participatiewet-maatregel",
        gemeente.ParticipatiewetMaatregel,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "participatiewet-maatregelen",
        "participatiewet_maatregel_id",
        "A Participatiewet measure (uitkeringsverlaging) for conduct that is also inburgering "
        "conduct: Participatiewet data, written by the klantmanager Participatiewet only, read "
        "by the medewerker inburgering (no double fine).",
        {
            "participatiewetMaatregelId": "pwm-5d20",
            "dossierId": "dos-2e4f6a",
            "gemeentecode": "0363",
            "gedraging": "map-niet-meewerken",
            "besluitdatum": "2026-01-15",
        },
    ),
]

# thin reports -- issue 8 item A: the aanbieder reports, submitted to the gemeente's source
# (POST on the opdracht the aanbieder holds) and announced by thin gemeente events.
_RAPPORT = {
    "versie": 1,
    "opdrachtId": "opd-3a91",
    "dossierId": "dos-2e4f6a",
    "gemeentecode": "0363",
    "opdrachtsoort": "b1-cursus",
    "aanbiedersoort": "taalaanbieder",
}
_RAPPORT_Z = {
    **_RAPPORT,
    "opdrachtId": "opd-8b40",
    "opdrachtsoort": "z-route",
    "aanbiedersoort": "z-route-aanbieder",
}


def _rapport(
    name: str, model: type[BaseModel], description: str, example: Mapping[str, Any]
) -> ResourceDef:
    return ResourceDef(
        name,
        model,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        f"{name}en",
        "rapport_id",
        description + " Submitted by the aanbieder (POST on its opdracht at the gemeente's "
        "source); read by the ordering gemeente only.",
        example,
    )


_DEFS += [
    _rapport(
        "traject-gestart-rapport",
        gemeente.TrajectGestartRapport,
        "The aanbieder started the ordered traject: realised start, adjusted end, reason for "
        "a late start.",
        {
            "rapportId": "rap-1a01",
            **_RAPPORT,
            "gerealiseerdeStartdatum": "2025-09-08",
            "beoogdeEinddatum": "2027-07-07",
            "redenLateStart": "groep-niet-vol",
        },
    ),
    _rapport(
        "voortgang-rapport",
        gemeente.VoortgangRapport,
        "Progress over a period: attendance, excused and unexcused absence, hours realised, "
        "effort.",
        {
            "rapportId": "rap-1a02",
            **_RAPPORT,
            "periodeVan": "2025-09-01",
            "periodeTot": "2025-09-30",
            "urenGepland": 48,
            "urenAanwezig": 40,
            "urenAfwezigGeoorloofd": 4,
            "urenAfwezigOngeoorloofd": 4,
            "urenGerealiseerdTotaal": 40,
            "inspanning": "voldoende",
        },
    ),
    _rapport(
        "resultaat-rapport",
        gemeente.ResultaatRapport,
        "An interim, exam or final result.",
        {
            "rapportId": "rap-1a03",
            **_RAPPORT,
            "soort": "tussentijds",
            "onderdeel": "lezen",
            "niveau": "A2",
            "datum": "2026-01-20",
            "behaald": True,
        },
    ),
    _rapport(
        "advies-rapport",
        gemeente.AdviesRapport,
        "Advice to switch leerroute, scale down (B1 -> A2 after 600 hours) or up, or change "
        "intensity, with its grounds as codes.",
        {
            "rapportId": "rap-1a04",
            **_RAPPORT,
            "advies": "afschalen-naar-a2",
            "onderbouwing": ["minstens-600-uur-gevolgd", "voortgang-onvoldoende"],
            "urenGerealiseerdTotaal": 640,
        },
    ),
    _rapport(
        "z-route-resultaat-rapport",
        gemeente.ZRouteResultaatRapport,
        "Z-route: language and participation hours realised (800 each) and the level reached "
        "(A1/A2).",
        {
            "rapportId": "rap-1a05",
            **_RAPPORT_Z,
            "peildatum": "2027-06-30",
            "urenTaalGerealiseerd": 800,
            "urenParticipatieGerealiseerd": 780,
            "bereiktNiveau": "A1",
            "afgerond": False,
        },
    ),
    _rapport(
        "traject-beeindigd-rapport",
        gemeente.TrajectBeeindigdRapport,
        "The traject ended: completed, or not completed with a reason code.",
        {
            "rapportId": "rap-1a06",
            **_RAPPORT,
            "einddatum": "2026-03-30",
            "afgerond": False,
            "redenNietAfgerond": "onvoldoende-inspanning",
        },
    ),
]
# end thin reports

_DEFS.append(
    ResourceDef(
        "termijnoverschrijding",
        gemeente.Termijnoverschrijding,
        Rol.GEMEENTE,
        BRON_DOSSIER,
        "termijnoverschrijdingen",
        "termijnoverschrijding_id",
        "An overdue chain deadline of a dossier (PIP after BRP registration, offer after the "
        "PIP, registration of the PIP), found by the gemeente's deadline watch.",
        {
            "termijnoverschrijdingId": "tov-5e2a",
            "dossierId": "dos-2e4f6a",
            "termijn": "pip-na-brp-inschrijving",
            "referentiedatum": "2025-06-02",
            "uitersteDatum": "2025-08-11",
            "geconstateerdOp": "2025-08-12",
        },
    )
)

RESOURCES: Mapping[str, ResourceDef] = {r.name: r for r in _DEFS}


def get_resource(name: str) -> ResourceDef:
    try:
        return RESOURCES[name]
    except KeyError:
        raise KeyError(f"unknown resource {name!r}") from None


def all_resources() -> list[ResourceDef]:
    return list(RESOURCES.values())
