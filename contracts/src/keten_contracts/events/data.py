"""Event data models.

Thin events (architecture.md principle 2) carry only opaque ids, versions and process codes
that say nothing about the person: never a BSN, name, address or date of birth, and no domain
fact either (leerroute, result, reason, culpability, amount, domain dates such as the PIP
date). The envelope's ``time`` says when the fact was recorded; everything else is fetched at
the ``dataref`` where the source applies the policy.

There is no exception: an aanbieder submits its reports to the gemeente's source (a ``POST`` on
the opdracht it holds) and the source emits the thin event (``# thin reports`` below).
"""

from __future__ import annotations

from typing import Any

from pydantic import create_model

from keten_contracts.classification import Classificatie, veld
from keten_contracts.common import (
    Aanbiedmoment,
    ContractModel,
    Kwartaal,
    OpaqueId,
)

GEEN = Classificatie.GEEN


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


class AbonnementUitgeschakeldData(ContractModel):
    """A subscription the router stopped delivering to (about a party's system: no person)."""

    id: OpaqueId = veld("The subscription at the notificatie-router.", GEEN)


class CbsLeveringData(ContractModel):
    """A quarterly delivery produced (about a gemeente's whole population: no person)."""

    levering_id: OpaqueId = veld("The delivery manifest.", GEEN)
    kwartaal: Kwartaal = veld("Quarter delivered.", GEEN)


# thin reports -- issue 8 item A: the aanbieder reports are resources at the gemeente's source;
# the source emits a thin event per report kind (ids and the report's version only).


class _RapportData(ContractModel):
    """A report an aanbieder submitted on its opdracht, registered at the gemeente's source."""

    rapport_id: OpaqueId = veld("The report at the gemeente's source.", GEEN)
    opdracht_id: OpaqueId = veld("The opdracht reported on.", GEEN)
    dossier_id: OpaqueId = veld("The dossier.", GEEN)
    versie: int = veld("Version of the report; a correction raises it.", GEEN, ge=1)


def _rapport_data(name: str, what: str) -> type[ContractModel]:
    model = create_model(name, __base__=_RapportData, __doc__=f"A {what} report was registered.")
    model.__module__ = __name__
    return model


TrajectGestartData = _rapport_data("TrajectGestartData", "traject-gestart")
VoortgangData = _rapport_data("VoortgangData", "voortgang")
ResultaatData = _rapport_data("ResultaatData", "resultaat")
AdviesData = _rapport_data("AdviesData", "advies")
ZRouteResultaatData = _rapport_data("ZRouteResultaatData", "Z-route resultaat")
TrajectBeeindigdData = _rapport_data("TrajectBeeindigdData", "traject-beeindigd")
# end thin reports

TermijnoverschrijdingData = thin_data(
    "TermijnoverschrijdingData",
    "An overdue deadline of a dossier.",
    termijnoverschrijding_id="The overdue deadline.",
    dossier_id="The dossier.",
)
