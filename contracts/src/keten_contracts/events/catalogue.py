"""The event catalogue: every type that crosses an organisation boundary in the chain.

One ``EventType`` per type says who produces it, who may receive it, which resource it points
to (``dataref``), which routing extensions it needs, its data model and an example. The router,
the sources, the renderings (JSON Schema, AsyncAPI, CATALOGUE.md) and the vendor validation
command all read this one table.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final

from keten_contracts.common import ContractModel, tolerant
from keten_contracts.envelope import (
    EXT_AANBIEDEROIN,
    EXT_AANBIEDERSOORT,
    EXT_ABONNEEOIN,
    EXT_GEMEENTECODE,
    EXT_PARTITIONKEY,
    SPECVERSION,
    source_urn,
    type_major_version,
)
from keten_contracts.events import data as d
from keten_contracts.parties import AANBIEDER_ROLLEN, Rol
from keten_contracts.resources import EXAMPLE_BASE_URLS, ResourceDef, get_resource

__all__ = [
    "DOMAINS",
    "SCHEMA_BASE_URL",
    "TOPICS",
    "EventType",
    "all_event_types",
    "get_event_type",
    "producers_of_domain",
    "topic_for",
]

# Where the schemas are published; every service of the chain serves them itself under
# ``/contracts/schemas`` (keten_core), so a running chain's ``dataschema`` URLs resolve there.
SCHEMA_BASE_URL: Final = "https://contracts.inburgering.example/contracts/schemas"
# NL GOV profile for CloudEvents 1.1: "Names of organizations SHOULD NOT be used" in `type`.
TYPE_PREFIX: Final = "nl.inburgering."

# One topic per producing domain (architecture.md "Topics").
# ``notificaties``: the router's own notices about subscriptions (not about persons).
DOMAINS: Final = ("coa", "duo", "gemeente", "aanbieder", "cbs", "notificaties")
TOPICS: Final[Mapping[str, str]] = {domain: f"nl.inburgering.{domain}" for domain in DOMAINS}

_DOMAIN_PRODUCERS: Final[Mapping[str, frozenset[Rol]]] = {
    "coa": frozenset({Rol.COA}),
    "duo": frozenset({Rol.DUO}),
    "gemeente": frozenset({Rol.GEMEENTE}),
    "aanbieder": AANBIEDER_ROLLEN,
    # The cbs-leverancier builds the SWI delivery on behalf of a gemeente (gemeente -> CBS).
    "cbs": frozenset({Rol.GEMEENTE}),
    # The notificatie-router is run for the gemeenten (by them or their SSC).
    "notificaties": frozenset({Rol.GEMEENTE}),
}

# Example identities used in the rendered examples (20-digit OINs; not real registrations).
EXAMPLE_OINS: Final[Mapping[str, str]] = {
    "coa": "00000001801118390000",
    "duo": "00000001800866472000",
    "gemeente": "00000001002220647000",
    "aanbieder": "00000003273280410000",
    "cbs": "00000001002220647000",
    "notificaties": "00000001002220647000",
}
EXAMPLE_SYSTEMS: Final[Mapping[str, str]] = {
    "coa": "coa-adapter",
    "duo": "duo-adapter",
    "gemeente": "dossier-bron",
    "aanbieder": "leerlingvolgsysteem",
    "cbs": "cbs-leverancier",
    "notificaties": "notificatie-router",
}
EXAMPLE_TIME: Final = "2025-07-15T09:30:00+02:00"
_DOMAIN_OF_TOPIC: Final[Mapping[str, str]] = {topic: domain for domain, topic in TOPICS.items()}

# NL GOV profile for CloudEvents 1.1: "time: Timestamp of when the occurrence happened"; in
# this chain the occurrence is the source's registration of a change, so ``time`` is the moment
# the source committed it (the time it logged), never a legal date (a PIP date, a termijn's end
# date, a beschikking date), which belongs to the resource.
TIJD_BETEKENIS: Final = (
    "When {system} committed the change (the moment it logged it, as the outbox staged the "
    "event in the same transaction), not when the event was published or delivered."
)


class Sleutel(StrEnum):
    """What an event's partition key is: the producing source's opaque person-level id (or,
    for the CBS delivery, the delivery's gemeente and quarter). Carried in the CloudEvents
    ``partitionkey`` extension, so that it survives HTTP hops, and used as the Kafka key: order
    holds per producer per person, never across topics."""

    DOSSIER = "dossier"
    INBURGERINGSPLICHTIGE = "inburgeringsplichtige"
    STATUSHOUDER = "statushouder"
    LEVERING = "levering"
    ABONNEMENT = "abonnement"

    @property
    def omschrijving(self) -> str:
        return _SLEUTEL_OMSCHRIJVING[self]


EXAMPLE_PARTITIONKEYS: Final[Mapping[Sleutel, str]] = {
    Sleutel.DOSSIER: "dos-2e4f6a",
    Sleutel.INBURGERINGSPLICHTIGE: "ibpg-3e5a70",
    Sleutel.STATUSHOUDER: "sh-6a2d90",
    Sleutel.LEVERING: "0363-2025-Q2",
    Sleutel.ABONNEMENT: "5b0e3f9a-8d1c-4e2b-9f6a-3c7d2e1b0a94",
}
_SLEUTEL_OMSCHRIJVING: Final[Mapping[Sleutel, str]] = {
    Sleutel.DOSSIER: "the dossier id at dossier-bron (one dossier per person per gemeente)",
    Sleutel.INBURGERINGSPLICHTIGE: "the inburgeringsplichtige's id at duo-adapter",
    Sleutel.STATUSHOUDER: "the statushouder's id at coa-adapter",
    Sleutel.LEVERING: "the delivery's gemeentecode and quarter (e.g. `0363-2025-Q2`)",
    Sleutel.ABONNEMENT: "the subscription's id at the notificatie-router",
}

EXAMPLE_GEMEENTECODE: Final = "0363"


@dataclass(frozen=True)
class EventType:
    """One entry of the catalogue."""

    type: str
    description: str
    producers: frozenset[Rol]
    recipients: frozenset[Rol]
    resource: str
    data_model: type[ContractModel]
    example_data: Mapping[str, Any]
    routing_extensions: frozenset[str] = frozenset({EXT_GEMEENTECODE})
    # thin reports -- no type carries personal data (architecture.md principle 2, no
    # exception); kept for the renderings and refused below and by the policy (fail-closed).
    personal_data: bool = False
    # Set when a removal or replacement is announced (see VERSIONING.md).
    deprecated: str | None = None
    example_aanbiedersoort: Rol | None = field(default=None)
    # NL GOV CloudEvents 1.1 -- the type names no organisation, so where an event goes is a
    # field of its own: the topic of its producing domain (architecture.md "Topics").
    topic: str = ""
    # What the partition key (``partitionkey`` extension and Kafka key) is: the producing
    # source's opaque person-level id, so one person's events from one source stay in order.
    sleutel: Sleutel | None = None
    # The legal date(s) of what happened, which live in the resource, not in ``time``.
    rechtsdatum: str | None = None

    def __post_init__(self) -> None:
        if self.topic not in TOPICS.values():
            raise ValueError(f"{self.type}: topic {self.topic!r} is not one of {TOPICS}")
        if self.sleutel is None:
            raise ValueError(f"{self.type}: no partition key (sleutel)")

    @property
    def domain(self) -> str:
        """The producing domain (``coa``, ``duo``, ``gemeente``, ``cbs``): its topic's."""
        return _DOMAIN_OF_TOPIC[self.topic]

    @property
    def time_meaning(self) -> str:
        """What the ``time`` attribute of this type means (written per type in the catalogue
        and the AsyncAPI document)."""
        text = TIJD_BETEKENIS.format(system=EXAMPLE_SYSTEMS[self.domain])
        if self.rechtsdatum:
            text += f" The legal date ({self.rechtsdatum}) is in the resource at `dataref`."
        return text

    @property
    def major(self) -> int:
        return type_major_version(self.type)

    @property
    def reader_model(self) -> type[ContractModel]:
        """The data model as consumers parse it: unknown fields ignored (tolerant reader)."""
        return tolerant(self.data_model)

    @property
    def resource_def(self) -> ResourceDef:
        return get_resource(self.resource)

    @property
    def beheer(self) -> bool:
        """A notice about the chain's own operations (its resource's ``beheer``), not a person."""
        return self.resource_def.beheer

    @property
    def subject_field(self) -> str:
        """The data field (wire name) holding the id of the resource at ``dataref``: the
        event's ``subject`` and Kafka key."""
        return self.resource_def.id_alias

    @property
    def dataref_template(self) -> str:
        rd = self.resource_def
        return f"<{rd.bron} API>{rd.path_template}"

    @property
    def schema_file(self) -> str:
        return f"events/{self.type}.json"

    @property
    def dataschema(self) -> str:
        return f"{SCHEMA_BASE_URL}/{self.schema_file}"

    def example(self) -> dict[str, Any]:
        """A complete example in structured content mode (application/cloudevents+json)."""
        data = self.data_model.model_validate(self.example_data).model_dump(
            mode="json", exclude_none=True
        )
        subject = str(data[self.subject_field])
        event: dict[str, Any] = {
            "specversion": SPECVERSION,
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, self.type)),
            "source": source_urn(EXAMPLE_OINS[self.domain], EXAMPLE_SYSTEMS[self.domain]),
            "type": self.type,
            "time": EXAMPLE_TIME,
            "datacontenttype": "application/json",
            "dataschema": self.dataschema,
            "subject": subject,
            "dataref": self.resource_def.dataref(
                EXAMPLE_BASE_URLS[self.resource_def.bron], subject
            ),
            EXT_PARTITIONKEY: EXAMPLE_PARTITIONKEYS[self.sleutel],
        }
        if EXT_GEMEENTECODE in self.routing_extensions:
            event[EXT_GEMEENTECODE] = EXAMPLE_GEMEENTECODE
        if EXT_AANBIEDERSOORT in self.routing_extensions:
            event[EXT_AANBIEDERSOORT] = (self.example_aanbiedersoort or Rol.TAALAANBIEDER).value
        if EXT_AANBIEDEROIN in self.routing_extensions:
            event[EXT_AANBIEDEROIN] = EXAMPLE_OINS["aanbieder"]
        if EXT_ABONNEEOIN in self.routing_extensions:
            event[EXT_ABONNEEOIN] = EXAMPLE_OINS["aanbieder"]
        event["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        event["data"] = data
        return event


G = Rol.GEMEENTE
DUO = Rol.DUO
CBS = Rol.CBS
TAAL = Rol.TAALAANBIEDER
Z = Rol.Z_ROUTE_AANBIEDER
MAP = Rol.MAP_AANBIEDER
PVT = Rol.PVT_AANBIEDER
OPDRACHT_ROUTING = frozenset({EXT_GEMEENTECODE, EXT_AANBIEDERSOORT, EXT_AANBIEDEROIN})


def _r(*rollen: Rol) -> frozenset[Rol]:
    return frozenset(rollen)


def _coa(
    verb_type: str,
    description: str,
    resource: str,
    model: type[ContractModel],
    example: Mapping[str, Any],
    **kw: Any,
) -> EventType:
    return EventType(
        f"{TYPE_PREFIX}{verb_type}.v1",
        description,
        _r(Rol.COA),
        _r(G),
        resource,
        model,
        example,
        topic=TOPICS["coa"],
        sleutel=Sleutel.STATUSHOUDER,
        **kw,
    )


def _duo(
    verb_type: str,
    description: str,
    resource: str,
    model: type[ContractModel],
    example: Mapping[str, Any],
    **kw: Any,
) -> EventType:
    return EventType(
        f"{TYPE_PREFIX}{verb_type}.v1",
        description,
        _r(DUO),
        _r(G),
        resource,
        model,
        example,
        topic=TOPICS["duo"],
        sleutel=Sleutel.INBURGERINGSPLICHTIGE,
        **kw,
    )


def _gem(
    verb_type: str,
    description: str,
    recipients: frozenset[Rol],
    resource: str,
    model: type[ContractModel],
    example: Mapping[str, Any],
    **kw: Any,
) -> EventType:
    return EventType(
        f"{TYPE_PREFIX}{verb_type}.v1",
        description,
        _r(G),
        recipients,
        resource,
        model,
        example,
        topic=TOPICS["gemeente"],
        sleutel=Sleutel.DOSSIER,
        **kw,
    )


KOP = {"koppelingId": "kop-4b1e9a"}
IBP = "ibp-5c7d21"
PIP = {"pipId": "pip-7f3c2a", "dossierId": "dos-2e4f6a", "versie": 1}
OPD = {"opdrachtId": "opd-3a91"}
# thin reports
RAPPORT = {
    "rapportId": "rap-1a01",
    "opdrachtId": "opd-3a91",
    "dossierId": "dos-2e4f6a",
    "versie": 1,
}
# end thin reports
ALLE_AANBIEDERS = AANBIEDER_ROLLEN

_TYPES: list[EventType] = [
    # --- COA -> gemeente ---------------------------------------------------------------------
    _coa(
        "koppeling.vastgesteld",
        "COA linked a statushouder to a vestigingsgemeente (koppeling, taakstelling). The "
        "gemeente fetches the koppeling; the klantprofiel follows as its own event.",
        "koppeling",
        d.KoppelingData,
        KOP,
    ),
    _coa(
        "klantprofiel.aangeboden",
        "COA offers the klantprofiel to the gemeente, at each of the three moments: koppeling, "
        "warme overdracht and vestiging (`aanbiedmoment`). Fields may still be empty.",
        "klantprofiel",
        d.KlantprofielAangebodenData,
        {
            "klantprofielId": "kp-88d0c1",
            "koppelingId": "kop-4b1e9a",
            "versie": 1,
            "aanbiedmoment": "koppeling",
        },
    ),
    _coa(
        "klantprofiel.gewijzigd",
        "The COA casemanager changed the klantprofiel while the person is in the AZC (it is "
        "frozen after vestiging).",
        "klantprofiel",
        d.KlantprofielGewijzigdData,
        {"klantprofielId": "kp-88d0c1", "koppelingId": "kop-4b1e9a", "versie": 2},
    ),
    # Issue 8 item 8. Seed 002_774eb578c0679392.txt (section 2.2): COA hands over data via
    # "het klantprofiel en nareisprofiel in het Taakstelling Volgsysteem (TVS)".
    _coa(
        "nareisprofiel.aangeboden",
        "COA offers the nareisprofiel (the person is a nareiziger joining a statushouder) to the "
        "linked gemeente; it is part of the klantprofiel at `dataref`.",
        "klantprofiel",
        d.NareisprofielAangebodenData,
        {"klantprofielId": "kp-88d0c1", "koppelingId": "kop-4b1e9a", "versie": 2},
    ),
    _coa(
        "warme-overdracht.gepland",
        "COA planned the warme overdracht (meeting of COA casemanager, gemeente and person).",
        "warme-overdracht",
        d.WarmeOverdrachtData,
        {"warmeOverdrachtId": "wo-19f2", "koppelingId": "kop-4b1e9a"},
    ),
    _coa(
        "warme-overdracht.gehouden",
        "The warme overdracht took place.",
        "warme-overdracht",
        d.WarmeOverdrachtData,
        {"warmeOverdrachtId": "wo-19f2", "koppelingId": "kop-4b1e9a"},
    ),
    _coa(
        "vestiging.gemeld",
        "COA reports that the statushouder moved into the gemeente (vestiging); the "
        "klantprofiel is frozen from now on.",
        "koppeling",
        d.KoppelingData,
        KOP,
    ),
    # --- DUO -> gemeente ---------------------------------------------------------------------
    _duo(
        "inburgeringsplicht.vastgesteld",
        "DUO decided that the person is inburgeringsplichtig (needs a BSN). Sent to the (future) "
        "vestigingsgemeente.",
        "inburgeringsplicht",
        d.InburgeringsplichtData,
        {"inburgeringsplichtId": IBP},
    ),
    _duo(
        "inburgeringsplicht.gewijzigd",
        "DUO changed the inburgeringsplicht (e.g. after a change of verblijfsdoel).",
        "inburgeringsplicht",
        d.InburgeringsplichtData,
        {"inburgeringsplichtId": IBP},
    ),
    _duo(
        "inburgeringsplicht.beeindigd",
        "The inburgeringsplicht ended (met, vrijstelling, ontheffing, departure, death). The "
        "5-year retention clock of art. 9.9 Besluit starts here.",
        "inburgeringsplicht",
        d.InburgeringsplichtData,
        {"inburgeringsplichtId": IBP},
    ),
    _duo(
        "doelgroep.gewijzigd",
        "The person changed target group (asielstatushouder / gezinsmigrant / overige migrant).",
        "inburgeringsplicht",
        d.InburgeringsplichtData,
        {"inburgeringsplichtId": IBP},
    ),
    _duo(
        "recht-maatschappelijke-begeleiding.vastgesteld",
        "DUO decided on the right to maatschappelijke begeleiding.",
        "inburgeringsplicht",
        d.InburgeringsplichtData,
        {"inburgeringsplichtId": IBP},
    ),
    _duo(
        "termijn.vastgesteld",
        "DUO set a termijn: the 3-year inburgeringstermijn (from the PIP date), or the MAP or "
        "PVT deadline.",
        "termijn",
        d.TermijnData,
        {"termijnId": "trm-0a9e", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "termijn.gewijzigd",
        "DUO changed a termijn (extension, ex-officio extension when the inburgeringsaanbod "
        "came later than 3 months after the PIP, correction).",
        "termijn",
        d.TermijnData,
        {"termijnId": "trm-0a9e", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "vrijstelling.verleend",
        "DUO granted a full or partial vrijstelling. Outcome only.",
        "vrijstelling",
        d.VrijstellingData,
        {"vrijstellingId": "vst-77e1", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "ontheffing.verleend",
        "DUO granted an ontheffing (full, partial, or adapted exam conditions). Outcome only: "
        "no event ever says that a (medical) request was filed or refused.",
        "ontheffing",
        d.OntheffingData,
        {"ontheffingId": "onth-3f0c", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "lbt-uitslag.vastgesteld",
        "The result of the leerbaarheidstoets (LBT) taken on DUO's platform is available, for "
        "the brede intake.",
        "lbt-uitslag",
        d.LbtUitslagData,
        {"lbtUitslagId": "lbt-12aa", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "examenresultaat.vastgesteld",
        "An exam attempt has a result (attempts and passed parts).",
        "examenresultaat",
        d.ExamenresultaatData,
        {"examenresultaatId": "ex-9b2c", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "diploma.uitgereikt",
        "DUO issued the inburgeringsdiploma.",
        "diploma",
        d.DiplomaData,
        {"diplomaId": "dip-55c0", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "certificaat.toegekend",
        "DUO granted the certificaat (Z-route).",
        "diploma",
        d.DiplomaData,
        {"diplomaId": "dip-55c1", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "verlenging.aangevraagd",
        "The person asked DUO to extend the termijn.",
        "verlenging",
        d.VerlengingData,
        {"verlengingId": "vl-8d3e", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "verlenging.besloten",
        "DUO decided on an extension (granted or not, new end date).",
        "verlenging",
        d.VerlengingData,
        {"verlengingId": "vl-8d3e", "inburgeringsplichtId": IBP},
    ),
    # NL GOV CloudEvents 1.1: without organisation names the two fines are told apart by the
    # obligation they enforce (DUO: resultaatsverplichting; gemeente: inspanningsverplichting).
    _duo(
        "resultaatsverplichting.boete.opgelegd",
        "DUO fined the person for the resultaatsverplichting.",
        "duo-boete",
        d.DuoBoeteData,
        {"duoBoeteId": "dboe-61f7", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "vestiging.geconstateerd",
        "DUO noticed (daily BRP check) that a gezinsmigrant or overige migrant registered in the "
        "gemeente (the vestiging moment of that target group).",
        "inburgeringsplicht",
        d.InburgeringsplichtData,
        {"inburgeringsplichtId": IBP},
    ),
    _duo(
        "verhuizing.gemeld",
        "DUO tells the new gemeente that the person moved there (gemeentecode = new gemeente). "
        "The new gemeente then asks the old one to hand over (`overdracht.aangevraagd`).",
        "inburgeringsplicht",
        d.InburgeringsplichtData,
        {"inburgeringsplichtId": IBP},
    ),
    # rules 3, 4 -- seed 002_774eb578c0679392.txt (section 4.7): "Indien het nodig is om deze
    # gegevens te delen, neemt DUO contact op met de gemeente en kan de gemeente deze alsnog
    # delen. Dit zijn incidentele verzoeken." Routed to the gemeente that imposed the fines.
    _duo(
        "handhavingsverzoek.ingediend",
        "DUO asks the gemeente (gemeentecode = the gemeente asked) for fines it imposed for the "
        "inspanningsverplichting, with objection and appeal data; the request at `dataref` "
        "names them. The gemeente serves DUO those fines only, never warnings.",
        "handhavingsverzoek",
        d.HandhavingsverzoekData,
        {"handhavingsverzoekId": "hvz-3c88", "inburgeringsplichtId": IBP},
    ),
    # rules 5, 6 -- issue 8 item 6. Seed 002_774eb578c0679392.txt (section 3.1): "Een signaal
    # wordt afgegeven als er nieuwe relevante informatie beschikbaar is of als er van de
    # gemeente actie is gewenst voor het aanleveren van gegevens" and "Doel is dat signalen
    # kunnen worden afgevinkt en daarmee op afgehandeld worden gezet". The signaal lives at
    # DUO's source and the gemeente ticks it off there, so DUO's source records the state change
    # and emits `duo.signaal.afgehandeld.v1` (a gemeente event would come from a source that
    # does not hold the signaal). Thin: klasse, code and who ticked it off are fetched.
    _duo(
        "signaal.aangemaakt",
        "DUO raised a signaal for the linked gemeente: new information is available, or DUO "
        "needs the gemeente to deliver data (`klasse`, `code` at the source).",
        "signaal",
        d.SignaalData,
        {"signaalId": "sig-3c8e", "inburgeringsplichtId": IBP},
    ),
    _duo(
        "signaal.afgehandeld",
        "A gemeente user ticked the signaal off at DUO's source (afgehandeld); who and when "
        "are at the source.",
        "signaal",
        d.SignaalData,
        {"signaalId": "sig-3c8e", "inburgeringsplichtId": IBP},
    ),
    # end rules 5, 6
    # --- gemeente -> DUO, CBS, aanbieders, next gemeente --------------------------------------
    _gem(
        "intake-uitnodiging.verstuurd",
        "The gemeente invited the person to the brede intake (at most 3 invitations; then the "
        "intake is completed without the person). For the SWI participation figures.",
        _r(CBS),
        "intake",
        d.IntakeData,
        {"intakeId": "int-7a10", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "intake.afgerond",
        "The brede intake (incl. LBT) is completed, with or without the person.",
        _r(CBS),
        "intake",
        d.IntakeData,
        {"intakeId": "int-7a10", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "pip.vastgesteld",
        "The gemeente decided the PIP (a beschikking): its date starts the 3-year termijn; "
        "leerroute, intensiteit, taalniveau, MAP and PVT agreements are at the source. DUO must "
        "have it within 10 workdays.",
        _r(DUO, CBS),
        "pip",
        d.PipData,
        PIP,
    ),
    _gem(
        "pip.gewijzigd",
        "A new PIP version (intensity change, vrijstelling processed, other changes).",
        _r(DUO, CBS),
        "pip",
        d.PipData,
        {**PIP, "pipId": "pip-7f3c2b", "versie": 2},
    ),
    _gem(
        "leerroute.gewisseld",
        "The PIP switched leerroute (up to 1.5 years after the termijn starts; onderwijsroute "
        "the whole termijn).",
        _r(DUO, CBS),
        "pip",
        d.PipData,
        {**PIP, "pipId": "pip-7f3c2c", "versie": 3},
    ),
    _gem(
        "leerroute.afgeschaald",
        "The PIP scaled down from B1 to A2 (after at least 600 hours of lessons).",
        _r(DUO, CBS),
        "pip",
        d.PipData,
        {**PIP, "pipId": "pip-7f3c2d", "versie": 4},
    ),
    _gem(
        "inburgeringsaanbod.gedaan",
        "The gemeente made the concrete inburgeringsaanbod (at most 3 months after the PIP; "
        "later means DUO extends the termijn ex officio).",
        _r(DUO),
        "inburgeringsaanbod",
        d.InburgeringsaanbodData,
        {"inburgeringsaanbodId": "ia-0c3d", "pipId": "pip-7f3c2a"},
    ),
    _gem(
        "opdracht.verstrekt",
        "The gemeente ordered a course, Z-route, MAP, PVT, maatschappelijke begeleiding or LBT "
        "from one aanbieder. Routed to that aanbieder only (`aanbiedersoort`, `aanbiederoin`); "
        "it fetches the opdracht and sees only what the law lets its kind see.",
        ALLE_AANBIEDERS | _r(CBS),
        "opdracht",
        d.OpdrachtData,
        OPD,
        routing_extensions=OPDRACHT_ROUTING,
    ),
    _gem(
        "opdracht.gewijzigd",
        "The opdracht changed (PIP changes that concern the aanbieder, new deadline).",
        ALLE_AANBIEDERS,
        "opdracht",
        d.OpdrachtData,
        OPD,
        routing_extensions=OPDRACHT_ROUTING,
    ),
    _gem(
        "opdracht.beeindigd",
        "The gemeente ended the opdracht (switch, move, plicht ended).",
        ALLE_AANBIEDERS | _r(CBS),
        "opdracht",
        d.OpdrachtData,
        OPD,
        routing_extensions=OPDRACHT_ROUTING,
    ),
    _gem(
        "leerroute.gestart",
        "The leerroute (course, taalschakeltraject, Z-route) really started: realised start "
        "and planned end, for DUO.",
        _r(DUO, CBS),
        "opdracht",
        d.OpdrachtData,
        OPD,
    ),
    _gem(
        "leerroute.afgerond",
        "The leerroute ended with a result (taalschakeltraject result, Z-route certificaat "
        "received).",
        _r(DUO, CBS),
        "opdracht",
        d.OpdrachtData,
        OPD,
    ),
    _gem(
        "map.gestart",
        "The MAP (Module Arbeidsmarkt en Participatie) started; planned and realised start "
        "are at the source.",
        _r(DUO, CBS),
        "map",
        d.MapData,
        {"mapId": "map-61b2", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "map.afgerond",
        "The MAP was completed with the eindgesprek (DUO within 10 workdays).",
        _r(DUO, CBS),
        "map",
        d.MapData,
        {"mapId": "map-61b2", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "map.niet-afgerond",
        "The MAP was not completed; reason and culpability are at the source.",
        _r(DUO, CBS),
        "map",
        d.MapData,
        {"mapId": "map-61b2", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "pvt.gestart",
        "The PVT (participatieverklaringstraject) started; realised start and deadline are at "
        "the source.",
        _r(DUO, CBS),
        "pvt",
        d.PvtData,
        {"pvtId": "pvt-90e4", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "pvt.afgerond",
        "The PVT was completed by signing the participatieverklaring (DUO within 10 workdays).",
        _r(DUO, CBS),
        "pvt",
        d.PvtData,
        {"pvtId": "pvt-90e4", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "pvt.niet-afgerond",
        "The PVT was not completed; reason and culpability are at the source.",
        _r(DUO, CBS),
        "pvt",
        d.PvtData,
        {"pvtId": "pvt-90e4", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "inspanningsverplichting.waarschuwing.gegeven",
        "The gemeente gave a warning (inspanningsverplichting). For CBS; DUO reads gemeente "
        "enforcement only on request, at the source.",
        _r(CBS),
        "handhavingsmaatregel",
        d.HandhavingsmaatregelData,
        {"handhavingsmaatregelId": "hm-2b76", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "inspanningsverplichting.boete.opgelegd",
        "The gemeente imposed a fine (inspanningsverplichting). For CBS; not pushed to DUO.",
        _r(CBS),
        "handhavingsmaatregel",
        d.HandhavingsmaatregelData,
        {"handhavingsmaatregelId": "hm-2b77", "dossierId": "dos-2e4f6a"},
    ),
    # rules 3, 4 -- seed 002_774eb578c0679392.txt (section 4.5): "moet de nieuwe gemeente van
    # vestiging [...] contact zoeken met de gemeente van vertrek en de overdracht initiëren".
    # The event is routed to the OLD gemeente: its `gemeentecode` is the old gemeente's code, so
    # only the old gemeente receives it; the new (asking) gemeente is named in the request at
    # `dataref` and by the event's `source`.
    _gem(
        "overdracht.aangevraagd",
        "After `verhuizing.gemeld` the new gemeente asks the old one to hand over. "
        "`gemeentecode` is the OLD gemeente (the recipient); the request at `dataref` (at the "
        "new gemeente's source) names both gemeenten.",
        _r(G),
        "overdrachtsverzoek",
        d.OverdrachtsverzoekData,
        {"overdrachtsverzoekId": "ovz-71d0", "inburgeringsplichtId": IBP},
    ),
    _gem(
        "verhuizing.overgedragen",
        "Warm hand-over after a move, in answer to `overdracht.aangevraagd`: the old "
        "gemeente offers its hand-over package (links to brede intake, PIP versions with "
        "changes, voortgang incl. hours, enforcement done), advised within 10 workdays. The "
        "old gemeente keeps its own dossier. `gemeentecode` is the new gemeente.",
        _r(G),
        "overdracht",
        d.OverdrachtData,
        {"overdrachtId": "ovd-44e9", "overdrachtsverzoekId": "ovz-71d0"},
    ),
    _gem(
        "verlengingsinformatie.aangeleverd",
        "The gemeente delivered circumstances for an extension request and whether the "
        "inburgeringsaanbod was missing.",
        _r(DUO),
        "verlengingsinformatie",
        d.VerlengingsinformatieData,
        {"verlengingsinformatieId": "vi-4e18", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "urenverantwoording.aangeleverd",
        "The gemeente delivered realised language (and Z-route participation) hours, only when "
        "needed (extension, enforcement, Z-route language part).",
        _r(DUO),
        "urenverantwoording",
        d.UrenverantwoordingData,
        {"urenverantwoordingId": "uv-6d21", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "dossier.gewijzigd",
        "A fact of the dossier that its CBS view shows changed without an event of its own: "
        "the end of the inburgeringsplicht recorded from DUO (`eindePlicht`), or the hand-over "
        "to another gemeente after a move (`overgedragenOp`). The SWI supplier fetches the "
        "dossier again; `gemeentecode` is the dossier's own gemeente.",
        _r(CBS),
        "dossier",
        d.DossierData,
        {"dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "doelgroepkeuze.vastgelegd",
        "The person opted out (once) of the asielstatushouder rights; the gemeente tells DUO.",
        _r(DUO),
        "dossier",
        d.DossierData,
        {"dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "begeleiding.gestart",
        "Maatschappelijke begeleiding or financieel ontzorgen started (SWI participation).",
        _r(CBS),
        "begeleiding",
        d.BegeleidingData,
        {"begeleidingId": "beg-1f3e", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "begeleiding.beeindigd",
        "Maatschappelijke begeleiding or financieel ontzorgen ended.",
        _r(CBS),
        "begeleiding",
        d.BegeleidingData,
        {"begeleidingId": "beg-1f3e", "dossierId": "dos-2e4f6a"},
    ),
    _gem(
        "voortgangsgesprek.gehouden",
        "A voortgangsgesprek with a gezinsmigrant was held (SWI, when registered).",
        _r(CBS),
        "begeleiding",
        d.BegeleidingData,
        {"begeleidingId": "beg-2a01", "dossierId": "dos-2e4f6a"},
    ),
    # Issue 8 item 10: return flows of the providers without a leerroute report type. Seed
    # 004_e8b3bff006360911.txt (section 4.4.1): "Leerbaarheidstoets [...] Datum toets Uitslag
    # toets"; "Maatschappelijke begeleiding [...] Door gemeente in te vullen". The aanbieder
    # submits its report to the gemeente's source (MB and LBT providers may not use the BSN,
    # seed 001); the source registers it on the opdracht and notifies thinly.
    _gem(
        "mb-rapportage.ontvangen",
        "A maatschappelijke-begeleiding provider reported on its opdracht (parts given, as "
        "codes); the gemeente's source registered it on the opdracht.",
        _r(G),
        "opdracht",
        d.OpdrachtData,
        {"opdrachtId": "opd-5d13"},
    ),
    _gem(
        "lbt-resultaat.ontvangen",
        "The LBT taker reported the date and result of the leerbaarheidstoets on its opdracht; "
        "the gemeente's source registered it on the opdracht.",
        _r(G),
        "opdracht",
        d.OpdrachtData,
        {"opdrachtId": "opd-6e24"},
    ),
    # thin reports -- issue 8 item A (architecture.md principle 2, no exception): the aanbieder
    # POSTs its report on the opdracht it holds at the gemeente's source, which validates it
    # for its kind (a BSN only where the task allows it), takes the gemeentecode from the
    # opdracht and emits one of these thin events: ids only, the report at `dataref`.
    _gem(
        "traject-gestart-rapport.ontvangen",
        "The aanbieder reported that it started the ordered traject (realised start, adjusted"
        " end, reason for a late start are at the source). Registered on the opdracht at the "
        "gemeente's source.",
        _r(G),
        "traject-gestart-rapport",
        d.TrajectGestartData,
        RAPPORT,
    ),
    _gem(
        "voortgang-rapport.ontvangen",
        "The aanbieder reported progress over a period (attendance, absence, hours realised, "
        "effort are at the source). Registered on the opdracht at the gemeente's source.",
        _r(G),
        "voortgang-rapport",
        d.VoortgangData,
        RAPPORT,
    ),
    _gem(
        "resultaat-rapport.ontvangen",
        "The aanbieder reported an interim, exam or final result (at the source). Registered "
        "on the opdracht at the gemeente's source.",
        _r(G),
        "resultaat-rapport",
        d.ResultaatData,
        RAPPORT,
    ),
    _gem(
        "advies-rapport.ontvangen",
        "The aanbieder advised to switch leerroute, scale down or up, or change intensity "
        "(advice and grounds as codes, at the source). Registered on the opdracht at the "
        "gemeente's source.",
        _r(G),
        "advies-rapport",
        d.AdviesData,
        RAPPORT,
    ),
    _gem(
        "z-route-resultaat-rapport.ontvangen",
        "The Z-route aanbieder reported the language and participation hours realised and the"
        " level reached (at the source). Registered on the opdracht at the gemeente's source.",
        _r(G),
        "z-route-resultaat-rapport",
        d.ZRouteResultaatData,
        RAPPORT,
    ),
    _gem(
        "traject-beeindigd-rapport.ontvangen",
        "The aanbieder reported that the traject ended, completed or not (reason code at the "
        "source). Registered on the opdracht at the gemeente's source.",
        _r(G),
        "traject-beeindigd-rapport",
        d.TrajectBeeindigdData,
        RAPPORT,
    ),
    # end thin reports
    # Issue 10, deadline watch: the gemeente's source tells the gemeente's own systems (its
    # work list, a task queue) that a chain deadline passed; nobody else receives it.
    _gem(
        "termijnoverschrijding.geconstateerd",
        "The gemeente's deadline watch found a deadline of a dossier overdue (PIP within 10 "
        "weeks of BRP registration, inburgeringsaanbod within 3 months of the PIP, PIP "
        "registered within 10 workdays); which one and its dates are at the source. Once per "
        "overdue deadline.",
        _r(G),
        "termijnoverschrijding",
        d.TermijnoverschrijdingData,
        {"termijnoverschrijdingId": "tov-5e2a", "dossierId": "dos-2e4f6a"},
    ),
    # --- CBS -----------------------------------------------------------------------------------
    EventType(
        f"{TYPE_PREFIX}swi-levering.aangemaakt.v1",
        "The quarterly Statistiek Wet Inburgering delivery of a gemeente was produced; CBS "
        "fetches the file and its manifest (counts, checksum, layout version), the gemeente the "
        "manifest.",
        _r(G),
        _r(CBS, G),
        "cbs-levering",
        d.CbsLeveringData,
        {"leveringId": "lev-2025q2-0363", "kwartaal": "2025-Q2"},
        topic=TOPICS["cbs"],
        sleutel=Sleutel.LEVERING,
        rechtsdatum="the quarter and its cut-off",
    ),
    # --- the router's notices ----------------------------------------------------------------
    EventType(
        f"{TYPE_PREFIX}abonnement.uitgeschakeld.v1",
        "The notificatie-router stopped delivering to a subscription: its sink answered 410 "
        "Gone, or every delivery failed for days. Routed to the subscription's owner only "
        "(`abonneeoin`), at any other subscription of its that asks for this type; the "
        "subscription (at `dataref`) says why, and the owner resumes it there.",
        _r(G),
        _r(G, DUO, Rol.COA, CBS) | ALLE_AANBIEDERS,
        "abonnement",
        d.AbonnementUitgeschakeldData,
        {"id": "5b0e3f9a-8d1c-4e2b-9f6a-3c7d2e1b0a94"},
        routing_extensions=frozenset({EXT_ABONNEEOIN}),
        topic=TOPICS["notificaties"],
        sleutel=Sleutel.ABONNEMENT,
    ),
]

# The legal dates, per type, that readers must not take from ``time`` (see TIJD_BETEKENIS).
_RECHTSDATA: Final[Mapping[str, str]] = {
    "inburgeringsplicht.vastgesteld": "the start of the inburgeringsplicht",
    "inburgeringsplicht.beeindigd": "the end of the plicht, which starts the 5-year retention",
    "termijn.vastgesteld": "the termijn's start and end dates",
    "termijn.gewijzigd": "the new end date",
    "vrijstelling.verleend": "the date of DUO's decision",
    "ontheffing.verleend": "the date of DUO's decision",
    "examenresultaat.vastgesteld": "the exam date",
    "diploma.uitgereikt": "the date of issue",
    "certificaat.toegekend": "the date of issue",
    "verlenging.besloten": "the date of DUO's decision and the new end date",
    "resultaatsverplichting.boete.opgelegd": "the date of the beschikking",
    "pip.vastgesteld": "the PIP date, which starts the termijn",
    "pip.gewijzigd": "the date of the new PIP version",
    "leerroute.gestart": "the realised start",
    "map.afgerond": "the date of the eindgesprek",
    "pvt.afgerond": "the date the participatieverklaring was signed",
    "inspanningsverplichting.boete.opgelegd": "the date of the beschikking",
    "inspanningsverplichting.waarschuwing.gegeven": "the date of the warning",
    "vestiging.gemeld": "the vestigingsdatum",
    "vestiging.geconstateerd": "the date of registration in the BRP",
    "termijnoverschrijding.geconstateerd": "the deadline's reference date and last day",
}
_TYPES = [
    replace(et, rechtsdatum=_RECHTSDATA[et.type[len(TYPE_PREFIX) : -len(".v1")]])
    if et.type[len(TYPE_PREFIX) : -len(".v1")] in _RECHTSDATA
    else et
    for et in _TYPES
]

_BY_TYPE: dict[str, EventType] = {}
for _et in _TYPES:
    if _et.type in _BY_TYPE:
        raise ValueError(f"duplicate event type {_et.type}")
    _BY_TYPE[_et.type] = _et


def get_event_type(type_str: str) -> EventType:
    try:
        return _BY_TYPE[type_str]
    except KeyError:
        raise KeyError(f"unknown event type {type_str!r}") from None


def all_event_types() -> list[EventType]:
    return sorted(_BY_TYPE.values(), key=lambda et: et.type)


def topic_for(type_str: str) -> str:
    """The Kafka topic of an event type: one per producing domain."""
    return get_event_type(type_str).topic


def producers_of_domain(domain: str) -> frozenset[Rol]:
    return _DOMAIN_PRODUCERS[domain]
