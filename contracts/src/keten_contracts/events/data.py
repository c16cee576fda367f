"""Event data models.

Thin events (architecture.md principle 2) carry only opaque ids, versions and process codes
that say nothing about the person: never a BSN, name, address or date of birth, and no domain
fact either (leerroute, result, reason, culpability, amount, domain dates such as the PIP
date). The envelope's ``time`` says when the fact was recorded; everything else is fetched at
the ``dataref`` where the source applies the policy.

The one exception is the aanbieder progress reports: an aanbieder offers no source API, so
its reports are "fat" and classed as personal data, and go only to the ordering gemeente. Even
they carry no identifying data (the opdracht id correlates) and no free text: reasons are
codes, so no story about health can ride along.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import create_model

from keten_contracts.classification import Classificatie, veld
from keten_contracts.common import (
    Aanbiedmoment,
    ContractModel,
    Examenonderdeel,
    Kwartaal,
    OpaqueId,
    RedenLateStart,
    RedenNietAfgerond,
    Taalniveau,
    Uren,
)

GEEN = Classificatie.GEEN
PERS = Classificatie.PERSOONSGEGEVEN


def thin_data(name: str, doc: str, **ids: str) -> type[ContractModel]:
    """A thin data model holding only opaque ids; ``ids`` maps field name to description.
    The first id is the resource the event is about (its ``subject``)."""
    fields: dict[str, Any] = {
        field: (OpaqueId, veld(description, GEEN)) for field, description in ids.items()
    }
    model = create_model(name, __base__=ContractModel, __doc__=doc, **fields)
    model.__module__ = __name__
    return model


# --- COA -------------------------------------------------------------------------------------

KoppelingData = thin_data(
    "KoppelingData", "A koppeling at COA.", koppeling_id="The koppeling at COA."
)
WarmeOverdrachtData = thin_data(
    "WarmeOverdrachtData",
    "A warme overdracht at COA.",
    warme_overdracht_id="The warme overdracht at COA.",
    koppeling_id="The koppeling it belongs to.",
)


class KlantprofielAangebodenData(ContractModel):
    """A klantprofiel version offered to the gemeente at one of the three moments."""

    klantprofiel_id: OpaqueId = veld("The klantprofiel at COA.", GEEN)
    koppeling_id: OpaqueId = veld("The koppeling it belongs to.", GEEN)
    versie: int = veld("Version offered.", GEEN, ge=1)
    # The moment is COA's process step, the same for every statushouder: no fact about them.
    aanbiedmoment: Aanbiedmoment = veld("Which of the three moments.", GEEN)


class KlantprofielGewijzigdData(ContractModel):
    """A klantprofiel changed while the person is in the AZC."""

    klantprofiel_id: OpaqueId = veld("The klantprofiel at COA.", GEEN)
    koppeling_id: OpaqueId = veld("The koppeling it belongs to.", GEEN)
    versie: int = veld("New version.", GEEN, ge=1)


class NareisprofielAangebodenData(ContractModel):
    """COA offers the nareisprofiel of a klantprofiel version to the linked gemeente."""

    klantprofiel_id: OpaqueId = veld("The klantprofiel at COA (holds the nareisprofiel).", GEEN)
    koppeling_id: OpaqueId = veld("The koppeling it belongs to.", GEEN)
    versie: int = veld("Klantprofiel version that carries the nareisprofiel.", GEEN, ge=1)


# --- DUO -------------------------------------------------------------------------------------

InburgeringsplichtData = thin_data(
    "InburgeringsplichtData",
    "An inburgeringsplicht at DUO.",
    inburgeringsplicht_id="The inburgeringsplicht at DUO.",
)


def _duo(name: str, what: str, id_field: str) -> type[ContractModel]:
    return thin_data(
        name,
        f"A {what} at DUO.",
        **{id_field: f"The {what} at DUO."},
        inburgeringsplicht_id="The inburgeringsplicht it belongs to.",
    )


TermijnData = _duo("TermijnData", "termijn", "termijn_id")
VrijstellingData = _duo("VrijstellingData", "vrijstelling", "vrijstelling_id")
OntheffingData = _duo("OntheffingData", "ontheffing", "ontheffing_id")
LbtUitslagData = _duo("LbtUitslagData", "LBT uitslag", "lbt_uitslag_id")
ExamenresultaatData = _duo("ExamenresultaatData", "examenresultaat", "examenresultaat_id")
DiplomaData = _duo("DiplomaData", "diploma or certificaat", "diploma_id")
VerlengingData = _duo("VerlengingData", "verlenging", "verlenging_id")
DuoBoeteData = _duo("DuoBoeteData", "fine", "duo_boete_id")
# rules 5, 6 -- DUO signalen: ids only; klasse and code are fetched at DUO's source.
SignaalData = _duo("SignaalData", "signaal", "signaal_id")
# end rules 5, 6

# --- gemeente --------------------------------------------------------------------------------

DossierData = thin_data("DossierData", "A dossier at the gemeente.", dossier_id="The dossier.")
IntakeData = thin_data(
    "IntakeData", "A brede intake.", intake_id="The intake.", dossier_id="The dossier."
)


class PipData(ContractModel):
    """A PIP version."""

    pip_id: OpaqueId = veld("The PIP version.", GEEN)
    dossier_id: OpaqueId = veld("The dossier.", GEEN)
    versie: int = veld("Version number; 1 is the first PIP.", GEEN, ge=1)


InburgeringsaanbodData = thin_data(
    "InburgeringsaanbodData",
    "An inburgeringsaanbod.",
    inburgeringsaanbod_id="The offer.",
    pip_id="The PIP it follows.",
)
OpdrachtData = thin_data(
    "OpdrachtData", "An opdracht to an aanbieder.", opdracht_id="The opdracht."
)
MapData = thin_data(
    "MapData", "A MAP traject.", map_id="The MAP traject.", dossier_id="The dossier."
)
PvtData = thin_data(
    "PvtData", "A PVT traject.", pvt_id="The PVT traject.", dossier_id="The dossier."
)
HandhavingsmaatregelData = thin_data(
    "HandhavingsmaatregelData",
    "A warning or fine by the gemeente.",
    handhavingsmaatregel_id="The measure.",
    dossier_id="The dossier.",
)
VerlengingsinformatieData = thin_data(
    "VerlengingsinformatieData",
    "The gemeente's information for an extension.",
    verlengingsinformatie_id="The information.",
    dossier_id="The dossier.",
)
UrenverantwoordingData = thin_data(
    "UrenverantwoordingData",
    "Hours realised, for DUO.",
    urenverantwoording_id="The statement of hours.",
    dossier_id="The dossier.",
)
BegeleidingData = thin_data(
    "BegeleidingData",
    "Participation in begeleiding.",
    begeleiding_id="The begeleiding.",
    dossier_id="The dossier.",
)

# rules 3, 4 -- DUO's request for gemeente fines; the verhuizing hand-over (ids only).
HandhavingsverzoekData = thin_data(
    "HandhavingsverzoekData",
    "DUO's request to a gemeente for fines it imposed.",
    handhavingsverzoek_id="The request at DUO.",
    inburgeringsplicht_id="The inburgeringsplicht it concerns.",
)
OverdrachtsverzoekData = thin_data(
    "OverdrachtsverzoekData",
    "The new gemeente's request to the old one to hand over after a move.",
    overdrachtsverzoek_id="The request at the new gemeente.",
    inburgeringsplicht_id="The inburgeringsplicht it concerns (DUO's reference).",
)
OverdrachtData = thin_data(
    "OverdrachtData",
    "The old gemeente's hand-over package after a move.",
    overdracht_id="The package at the old gemeente.",
    overdrachtsverzoek_id="The request it answers.",
)

# --- CBS -------------------------------------------------------------------------------------


class CbsLeveringData(ContractModel):
    """A quarterly delivery produced (about a gemeente's whole population: no person)."""

    levering_id: OpaqueId = veld("The delivery manifest.", GEEN)
    kwartaal: Kwartaal = veld("Quarter delivered.", GEEN)


# --- aanbieder: fat progress reports, personal data for the ordering gemeente only ------------


class TrajectGestartData(ContractModel):
    """The aanbieder started the ordered traject."""

    opdracht_id: OpaqueId = veld("The opdracht (the gemeente's id).", GEEN)
    gerealiseerde_startdatum: date = veld("Realised start.", PERS)
    beoogde_einddatum: date | None = veld("Adjusted planned end.", PERS, default=None)
    reden_late_start: RedenLateStart | None = veld(
        "Reason the start was later than planned.", PERS, default=None
    )


class Inspanning(StrEnum):
    VOLDOENDE = "voldoende"
    ONVOLDOENDE = "onvoldoende"


class VoortgangData(ContractModel):
    """Attendance and effort over a period."""

    opdracht_id: OpaqueId = veld("The opdracht (the gemeente's id).", GEEN)
    periode_van: date = veld("First day of the period.", PERS)
    periode_tot: date = veld("Last day of the period.", PERS)
    uren_gepland: Uren = veld("Hours planned in the period.", PERS)
    uren_aanwezig: Uren = veld("Hours attended.", PERS)
    uren_afwezig_geoorloofd: Uren = veld("Hours of excused absence (no reason given).", PERS)
    uren_afwezig_ongeoorloofd: Uren = veld("Hours of unexcused absence.", PERS)
    uren_gerealiseerd_totaal: Uren = veld("Hours realised since the start.", PERS)
    inspanning: Inspanning = veld("Effort judged by the aanbieder.", PERS)


class Resultaatsoort(StrEnum):
    TUSSENTIJDS = "tussentijds"
    EXAMEN = "examen"
    EINDRESULTAAT = "eindresultaat"


class ResultaatData(ContractModel):
    """An interim, exam or final result."""

    opdracht_id: OpaqueId = veld("The opdracht (the gemeente's id).", GEEN)
    soort: Resultaatsoort = veld("Interim, exam or final.", PERS)
    onderdeel: Examenonderdeel | None = veld("Exam part, if any.", PERS, default=None)
    niveau: Taalniveau | None = veld("Level reached or tested.", PERS, default=None)
    datum: date = veld("Date of the result.", PERS)
    behaald: bool = veld("Passed or reached.", PERS)


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


class AdviesData(ContractModel):
    """Advice to switch leerroute, scale down/up or change intensity, with its grounds."""

    opdracht_id: OpaqueId = veld("The opdracht (the gemeente's id).", GEEN)
    advies: Advies = veld("What the aanbieder advises.", PERS)
    onderbouwing: list[Onderbouwing] = veld("Grounds, as codes.", PERS, min_length=1)
    uren_gerealiseerd_totaal: Uren = veld("Hours realised so far (600 for afschalen).", PERS)


class ZRouteResultaatData(ContractModel):
    """Z-route: hours realised (800 language, 800 participation) and level reached."""

    opdracht_id: OpaqueId = veld("The opdracht (the gemeente's id).", GEEN)
    peildatum: date = veld("Hours up to this date.", PERS)
    uren_taal_gerealiseerd: Uren = veld("Language hours realised.", PERS)
    uren_participatie_gerealiseerd: Uren = veld("Participation hours realised.", PERS)
    bereikt_niveau: Taalniveau | None = veld("Level reached (A1 or A2).", PERS, default=None)
    afgerond: bool = veld("Z-route completed.", PERS)


class TrajectBeeindigdData(ContractModel):
    """The traject ended: completed, or not with a reason code."""

    opdracht_id: OpaqueId = veld("The opdracht (the gemeente's id).", GEEN)
    einddatum: date = veld("Date it ended.", PERS)
    afgerond: bool = veld("Completed.", PERS)
    reden_niet_afgerond: RedenNietAfgerond | None = veld(
        "Reason not completed.", PERS, default=None
    )
