"""Notificaties API 1.0 <-> the chain's CloudEvents: one mapping, both ways, in this module.

The notificatie-router speaks the VNG Notificaties API 1.0 as Open Notificaties implements it
(``kanaal``, ``abonnement``, ``POST /notificaties``) next to the chain's own CloudEvents. This
module is the whole translation, pure (no I/O): the tables below are what the functions use,
and ``tests/unit/test_router_notificaties.py`` checks that the per-type table in this docstring
is the one the code derives from the catalogue.

Field mapping
-------------

| Notificaties 1.0 (JSON name) | CloudEvent attribute | rule |
| --- | --- | --- |
| ``kanaal`` | ``type`` (its domain/topic) | one kanaal per catalogue domain: ``inburgering-<domain>`` |
| ``resource`` | ``type`` | the ``EventType.resource`` (the resource at ``dataref``) |
| ``actie`` | ``type`` | see "actie" below; (kanaal, resource, actie) <-> type is a bijection |
| ``resourceUrl`` | ``dataref`` | equal; ``subject`` = last path segment of ``resourceUrl`` |
| ``hoofdObject`` | ``dataref`` + ``partitionkey`` | see "hoofdObject" below |
| ``aanmaakdatum`` | ``time`` | the same instant, with its zone; a time without zone is refused |
| ``kenmerken`` | ``gemeentecode``, ``aanbiedersoort``, ``aanbiederoin``, ``abonneeoin``, ``partitionkey`` | str -> str |
| (none) | ``id`` | uuid5 over source + the whole notificatie, unless the caller gives one |
| (none) | ``source`` | the publisher's ``urn:nld:oin:<OIN>:systeem:<name>``, given by the caller |
| (none) | ``dataschema`` | the type's catalogue schema (as ``keten_core.envelope.new_event``) |

Kanalen: ``inburgering-coa``, ``inburgering-duo``, ``inburgering-gemeente``,
``inburgering-aanbieder``, ``inburgering-cbs``, ``inburgering-notificaties`` (``catalogue.DOMAINS``; one per Kafka topic
``nl.inburgering.<domain>``). Open Notificaties names kanalen in lowercase words (``zaken``,
``documenten``, max. 50 characters) and one instance usually serves the ZGW kanalen too, so a
bare ``duo`` or ``gemeente`` would be ambiguous there; the ``inburgering-`` prefix mirrors the
topic. A dash, not the topic's dots: Open Notificaties turns a notificatie into the CloudEvent
type ``nl.vng.zgw.<kanaal>.<resource>.<actie>``, and a dotted kanaal would blur those segments.
A kanaal's ``filters`` (Open Notificaties: "Lijst van mogelijke filter kenmerken van een
KANAAL") are the kenmerken its types carry.

actie. 1.0: "De actie die door de publicerende API is gedaan. De publicerende API specificeert
de toegestane acties." The ZGW APIs use ``create``/``update``/``destroy``/``partial_update``.
A type ``nl.inburgering.<onderwerp>.<verb>.v<n>`` maps to:

- ``<onderwerp>`` is its resource: the 1.0 verb where one fits the type's past-tense verb
  (``aangemaakt`` -> ``create``, ``gewijzigd`` -> ``update``, ``verwijderd`` -> ``destroy``),
  else the verb itself (``vastgesteld``, ``beeindigd``, ...). ``beeindigd`` is not ``destroy``:
  the resource stays readable. No chain verb means ``partial_update``.
- ``<onderwerp>`` is not its resource (``doelgroep.gewijzigd`` is about the inburgeringsplicht):
  ``<onderwerp>.<verb>`` unchanged, so that two events on one resource stay apart
  (``inburgeringsplicht`` carries seven types) and the actie says what happened.
- major version above 1: ``.v<n>`` appended, so that v1 and v2 of a type stay apart.

hoofdObject. 1.0: "URL-referentie naar het hoofd object van de publicerende API die betrekking
heeft op de ``resource``." For types keyed by the dossier (``Sleutel.DOSSIER``: every gemeente
type) the main object is the dossier at the same source, ``<API root>/dossiers/<partitionkey>``,
the API root being ``dataref`` minus ``/<collection>/<id>``. For every other type no person-level
resource exists at the source (DUO's inburgeringsplichtige, COA's statushouder are keys, not
resources), so ``hoofdObject`` = ``resourceUrl``, as in ZGW for a main resource.

partitionkey: from ``kenmerken["partitionkey"]``; without it, the last path segment of
``hoofdObject`` (the dossier id for gemeente types; for other types that is the resource id, which
orders per resource only, so publishers of those types should send the kenmerk).

Kenmerken are the routing extensions by their CloudEvents names (lowercase alphanumerics, see
``keten_contracts.envelope.EXTENSIONS``). The VNG Notificatieservices draft maps 1.0 kenmerken to
dotted extensions (``nl.vng.zgw.<domain>.<naam>``), which CloudEvents names cannot hold in this
chain, so the name stays the plain extension name. A kenmerk that is no routing extension, or one
the type does not use, is refused (Open Notificaties answers 400 on kenmerken inconsistent with
the kanaal, too).

Abonnement filters (``kenmerken_passen``), as Open Notificaties' ``FilterGroup.match_pattern``
applies them: keys of both sides camelized; each filter whose key is among the kenmerken must
equal its value or be ``"*"``; a filter whose key the notificatie lacks does not exclude it.

Per type (``nl.inburgering.`` left off the type)
------------------------------------------------

| type | kanaal | resource | actie |
| --- | --- | --- | --- |
| abonnement.uitgeschakeld.v1 | inburgering-notificaties | abonnement | uitgeschakeld |
| advies-rapport.ontvangen.v1 | inburgering-gemeente | advies-rapport | ontvangen |
| begeleiding.beeindigd.v1 | inburgering-gemeente | begeleiding | beeindigd |
| begeleiding.gestart.v1 | inburgering-gemeente | begeleiding | gestart |
| certificaat.toegekend.v1 | inburgering-duo | diploma | certificaat.toegekend |
| diploma.uitgereikt.v1 | inburgering-duo | diploma | uitgereikt |
| doelgroep.gewijzigd.v1 | inburgering-duo | inburgeringsplicht | doelgroep.gewijzigd |
| doelgroepkeuze.vastgelegd.v1 | inburgering-gemeente | dossier | doelgroepkeuze.vastgelegd |
| dossier.gewijzigd.v1 | inburgering-gemeente | dossier | update |
| examenresultaat.vastgesteld.v1 | inburgering-duo | examenresultaat | vastgesteld |
| handhavingsverzoek.ingediend.v1 | inburgering-duo | handhavingsverzoek | ingediend |
| inburgeringsaanbod.gedaan.v1 | inburgering-gemeente | inburgeringsaanbod | gedaan |
| inburgeringsplicht.beeindigd.v1 | inburgering-duo | inburgeringsplicht | beeindigd |
| inburgeringsplicht.gewijzigd.v1 | inburgering-duo | inburgeringsplicht | update |
| inburgeringsplicht.vastgesteld.v1 | inburgering-duo | inburgeringsplicht | vastgesteld |
| inspanningsverplichting.boete.opgelegd.v1 | inburgering-gemeente | handhavingsmaatregel | inspanningsverplichting.boete.opgelegd |
| inspanningsverplichting.waarschuwing.gegeven.v1 | inburgering-gemeente | handhavingsmaatregel | inspanningsverplichting.waarschuwing.gegeven |
| intake-uitnodiging.verstuurd.v1 | inburgering-gemeente | intake | intake-uitnodiging.verstuurd |
| intake.afgerond.v1 | inburgering-gemeente | intake | afgerond |
| klantprofiel.aangeboden.v1 | inburgering-coa | klantprofiel | aangeboden |
| klantprofiel.gewijzigd.v1 | inburgering-coa | klantprofiel | update |
| koppeling.vastgesteld.v1 | inburgering-coa | koppeling | vastgesteld |
| lbt-resultaat.ontvangen.v1 | inburgering-gemeente | opdracht | lbt-resultaat.ontvangen |
| lbt-uitslag.vastgesteld.v1 | inburgering-duo | lbt-uitslag | vastgesteld |
| leerroute.afgerond.v1 | inburgering-gemeente | opdracht | leerroute.afgerond |
| leerroute.afgeschaald.v1 | inburgering-gemeente | pip | leerroute.afgeschaald |
| leerroute.gestart.v1 | inburgering-gemeente | opdracht | leerroute.gestart |
| leerroute.gewisseld.v1 | inburgering-gemeente | pip | leerroute.gewisseld |
| map.afgerond.v1 | inburgering-gemeente | map | afgerond |
| map.gestart.v1 | inburgering-gemeente | map | gestart |
| map.niet-afgerond.v1 | inburgering-gemeente | map | niet-afgerond |
| mb-rapportage.ontvangen.v1 | inburgering-gemeente | opdracht | mb-rapportage.ontvangen |
| nareisprofiel.aangeboden.v1 | inburgering-coa | klantprofiel | nareisprofiel.aangeboden |
| ontheffing.verleend.v1 | inburgering-duo | ontheffing | verleend |
| opdracht.beeindigd.v1 | inburgering-gemeente | opdracht | beeindigd |
| opdracht.gewijzigd.v1 | inburgering-gemeente | opdracht | update |
| opdracht.verstrekt.v1 | inburgering-gemeente | opdracht | verstrekt |
| overdracht.aangevraagd.v1 | inburgering-gemeente | overdrachtsverzoek | overdracht.aangevraagd |
| pip.gewijzigd.v1 | inburgering-gemeente | pip | update |
| pip.vastgesteld.v1 | inburgering-gemeente | pip | vastgesteld |
| pvt.afgerond.v1 | inburgering-gemeente | pvt | afgerond |
| pvt.gestart.v1 | inburgering-gemeente | pvt | gestart |
| pvt.niet-afgerond.v1 | inburgering-gemeente | pvt | niet-afgerond |
| recht-maatschappelijke-begeleiding.vastgesteld.v1 | inburgering-duo | inburgeringsplicht | recht-maatschappelijke-begeleiding.vastgesteld |
| resultaat-rapport.ontvangen.v1 | inburgering-gemeente | resultaat-rapport | ontvangen |
| resultaatsverplichting.boete.opgelegd.v1 | inburgering-duo | duo-boete | resultaatsverplichting.boete.opgelegd |
| signaal.aangemaakt.v1 | inburgering-duo | signaal | create |
| signaal.afgehandeld.v1 | inburgering-duo | signaal | afgehandeld |
| swi-levering.aangemaakt.v1 | inburgering-cbs | cbs-levering | swi-levering.aangemaakt |
| termijn.gewijzigd.v1 | inburgering-duo | termijn | update |
| termijn.vastgesteld.v1 | inburgering-duo | termijn | vastgesteld |
| termijnoverschrijding.geconstateerd.v1 | inburgering-gemeente | termijnoverschrijding | geconstateerd |
| traject-beeindigd-rapport.ontvangen.v1 | inburgering-gemeente | traject-beeindigd-rapport | ontvangen |
| traject-gestart-rapport.ontvangen.v1 | inburgering-gemeente | traject-gestart-rapport | ontvangen |
| urenverantwoording.aangeleverd.v1 | inburgering-gemeente | urenverantwoording | aangeleverd |
| verhuizing.gemeld.v1 | inburgering-duo | inburgeringsplicht | verhuizing.gemeld |
| verhuizing.overgedragen.v1 | inburgering-gemeente | overdracht | verhuizing.overgedragen |
| verlenging.aangevraagd.v1 | inburgering-duo | verlenging | aangevraagd |
| verlenging.besloten.v1 | inburgering-duo | verlenging | besloten |
| verlengingsinformatie.aangeleverd.v1 | inburgering-gemeente | verlengingsinformatie | aangeleverd |
| vestiging.geconstateerd.v1 | inburgering-duo | inburgeringsplicht | vestiging.geconstateerd |
| vestiging.gemeld.v1 | inburgering-coa | koppeling | vestiging.gemeld |
| voortgang-rapport.ontvangen.v1 | inburgering-gemeente | voortgang-rapport | ontvangen |
| voortgangsgesprek.gehouden.v1 | inburgering-gemeente | begeleiding | voortgangsgesprek.gehouden |
| vrijstelling.verleend.v1 | inburgering-duo | vrijstelling | verleend |
| warme-overdracht.gehouden.v1 | inburgering-coa | warme-overdracht | gehouden |
| warme-overdracht.gepland.v1 | inburgering-coa | warme-overdracht | gepland |
| z-route-resultaat-rapport.ontvangen.v1 | inburgering-gemeente | z-route-resultaat-rapport | ontvangen |
"""  # noqa: E501 (the per-type table: one row per type, as wide as it is)

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Annotated, Any, Final, NamedTuple
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from keten_contracts.envelope import (
    DATACONTENTTYPE,
    EXT_AANBIEDEROIN,
    EXT_AANBIEDERSOORT,
    EXT_ABONNEEOIN,
    EXT_DATAREF,
    EXT_GEMEENTECODE,
    EXT_PARTITIONKEY,
    SPECVERSION,
    EnvelopeAttributes,
)
from keten_contracts.events.catalogue import (
    DOMAINS,
    TOPICS,
    TYPE_PREFIX,
    EventType,
    Sleutel,
    all_event_types,
    get_event_type,
)
from keten_contracts.resources import get_resource
from keten_contracts.validation import routing_errors

__all__ = [
    "KANAAL_PREFIX",
    "KANALEN",
    "KENMERKEN",
    "VERBS_1_0",
    "Kanaal",
    "Notificatie",
    "NotificatieSoort",
    "OnbekendKanaal",
    "OnbekendeNotificatie",
    "OngeldigeNotificatie",
    "event_type_van",
    "kanaal_van_type",
    "kenmerken_passen",
    "naar_cloudevent_attributen",
    "naar_notificatie",
    "notificatie_id",
    "soort_van_type",
]


class OnbekendeNotificatie(ValueError):
    """A (kanaal, resource, actie) or type that maps to no catalogue type (API: 400)."""


class OnbekendKanaal(OnbekendeNotificatie):
    """A kanaal that is none of ``KANALEN`` (API: 400)."""


class OngeldigeNotificatie(ValueError):
    """A known notificatie whose kenmerken or URLs do not make a valid event (API: 400)."""


# ---------------------------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------------------------

KANAAL_PREFIX: Final = "inburgering-"
# The routing extensions a notificatie carries as kenmerken, in this order.
KENMERKEN: Final = (
    EXT_GEMEENTECODE,
    EXT_AANBIEDERSOORT,
    EXT_AANBIEDEROIN,
    EXT_ABONNEEOIN,
    EXT_PARTITIONKEY,
)
# The chain's past-tense verbs that mean a 1.0 verb; any other verb stays itself.
VERBS_1_0: Final[Mapping[str, str]] = {
    "aangemaakt": "create",
    "gewijzigd": "update",
    "verwijderd": "destroy",
}


@dataclass(frozen=True)
class Kanaal:
    """One Notificaties 1.0 kanaal: a catalogue domain, i.e. one Kafka topic."""

    naam: str
    domain: str
    topic: str
    # Open Notificaties ``KANAAL.filters``: the kenmerken an abonnement may filter on.
    filters: tuple[str, ...]


class NotificatieSoort(NamedTuple):
    """What identifies a catalogue type in a 1.0 notificatie."""

    kanaal: str
    resource: str
    actie: str


def _kanaal(domain: str) -> Kanaal:
    types = [et for et in all_event_types() if et.domain == domain]
    # Every kanaal offers gemeentecode (the schot) and partitionkey; opdracht kanalen more.
    used = {EXT_GEMEENTECODE, EXT_PARTITIONKEY}.union(*(et.routing_extensions for et in types))
    return Kanaal(
        naam=f"{KANAAL_PREFIX}{domain}",
        domain=domain,
        topic=TOPICS[domain],
        filters=tuple(k for k in KENMERKEN if k in used),
    )


KANALEN: Final[Mapping[str, Kanaal]] = {k.naam: k for k in map(_kanaal, DOMAINS)}
_KANAAL_VAN_DOMAIN: Final[Mapping[str, str]] = {k.domain: k.naam for k in KANALEN.values()}


def _actie(et: EventType) -> str:
    kern = et.type[len(TYPE_PREFIX) :].rsplit(".v", 1)[0]
    onderwerp, verb = kern.rsplit(".", 1)
    actie = VERBS_1_0.get(verb, verb) if onderwerp == et.resource else kern
    return actie if et.major == 1 else f"{actie}.v{et.major}"


def _bouw() -> tuple[dict[str, NotificatieSoort], dict[NotificatieSoort, str]]:
    naar: dict[str, NotificatieSoort] = {}
    terug: dict[NotificatieSoort, str] = {}
    for et in all_event_types():
        soort = NotificatieSoort(_KANAAL_VAN_DOMAIN[et.domain], et.resource, _actie(et))
        # Fail at import, not at the first unlucky notificatie: the mapping must stay 1:1.
        if soort in terug:
            msg = f"{et.type} and {terug[soort]} both map to {soort}"
            raise RuntimeError(msg)
        naar[et.type] = soort
        terug[soort] = et.type
    return naar, terug


_SOORT_VAN_TYPE, _TYPE_VAN_SOORT = _bouw()


def soort_van_type(event_type: str) -> NotificatieSoort:
    """The (kanaal, resource, actie) of a catalogue type."""
    try:
        return _SOORT_VAN_TYPE[event_type]
    except KeyError:
        raise OnbekendeNotificatie(f"type {event_type!r} is not in the catalogue") from None


def kanaal_van_type(event_type: str) -> str:
    """The kanaal a catalogue type is published on."""
    return soort_van_type(event_type).kanaal


def event_type_van(kanaal: str, resource: str, actie: str) -> EventType:
    """The catalogue type of a (kanaal, resource, actie); unknown ones raise, naming them."""
    if kanaal not in KANALEN:
        raise OnbekendKanaal(f"kanaal {kanaal!r} is not one of {sorted(KANALEN)}")
    try:
        return get_event_type(_TYPE_VAN_SOORT[NotificatieSoort(kanaal, resource, actie)])
    except KeyError:
        msg = f"no event type for kanaal {kanaal!r}, resource {resource!r}, actie {actie!r}"
        raise OnbekendeNotificatie(msg) from None


# ---------------------------------------------------------------------------------------------
# The 1.0 message
# ---------------------------------------------------------------------------------------------

_HTTP_URL: Final = TypeAdapter(AnyHttpUrl)


def _http_url(value: str) -> str:
    # Checked as a URL but kept as sent: the string is part of the event's identity (id) and
    # pydantic's normalisation (a slash after a bare host, ...) would change it.
    _HTTP_URL.validate_python(value)
    return value


Url = Annotated[str, AfterValidator(_http_url)]


class Notificatie(BaseModel):
    """A Notificaties API 1.0 message (``POST /notificaties``), JSON names as in 1.0.

    Formats as Open Notificaties checks them (``notifications_api_common``
    ``NotificatieSerializer``): kanaal max. 50, resource and actie max. 100 characters, URLs,
    kenmerken str -> str of max. 1000 characters. Stricter: ``aanmaakdatum`` must carry a zone
    (Open Notificaties would assume its own); looser: not "not in the future", which needs a
    clock and belongs to the API view. Unknown fields are ignored, as Open Notificaties does
    (newer versions send ``source``).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    kanaal: Annotated[str, Field(min_length=1, max_length=50)]
    hoofd_object: Url = Field(alias="hoofdObject")
    resource: Annotated[str, Field(min_length=1, max_length=100)]
    resource_url: Url = Field(alias="resourceUrl")
    actie: Annotated[str, Field(min_length=1, max_length=100)]
    aanmaakdatum: AwareDatetime
    kenmerken: dict[str, Annotated[str, Field(max_length=1000)]] = Field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Both ways
# ---------------------------------------------------------------------------------------------

_DOSSIER: Final = get_resource("dossier")
# Fixed namespace of the notificatie ids: uuid5 needs one; changing it changes every id.
_ID_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:inburgering:notificaties-api:1.0")


def _laatste_segment(url: str) -> str:
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if not segment:
        raise OngeldigeNotificatie(f"{url!r} has no path segment to take an id from")
    return segment


def _hoofd_object(et: EventType, dataref: str, partitionkey: str) -> str:
    """The dossier at the same source for dossier-keyed types, else the resource itself."""
    if et.sleutel is Sleutel.DOSSIER and et.resource_def.bron == _DOSSIER.bron:
        tail = et.resource_def.path_template.format(id=_laatste_segment(dataref))
        if dataref.endswith(tail):
            return _DOSSIER.dataref(dataref[: -len(tail)], partitionkey)
    return dataref


def notificatie_id(notificatie: Notificatie, *, source: str) -> uuid.UUID:
    """The stable event id of a notificatie published by ``source``.

    1.0 gives a notificatie no id, so the whole message is its identity: a retried
    ``POST /notificaties`` gets the same id and consumers' inboxes (source + id) drop the
    duplicate. Only the representation is normalised (the instant in UTC, kenmerken sorted),
    so a retry serialised with another offset or key order is still the same event.
    """
    identiteit = [
        source,
        notificatie.kanaal,
        notificatie.resource,
        notificatie.actie,
        notificatie.resource_url,
        notificatie.hoofd_object,
        notificatie.aanmaakdatum.astimezone(UTC).isoformat(),
        sorted(notificatie.kenmerken.items()),
    ]
    return uuid.uuid5(_ID_NAMESPACE, json.dumps(identiteit, separators=(",", ":")))


def naar_cloudevent_attributen(
    notificatie: Notificatie,
    *,
    source: str,
    event_id: uuid.UUID | None = None,
    schema_base_url: str | None = None,
) -> dict[str, str]:
    """The CloudEvent context attributes and extensions (all strings) of a published notificatie.

    ``dataschema`` is the type's catalogue schema, below ``schema_base_url`` when given (a
    service's own ``/contracts/schemas``), as ``keten_core.envelope.new_event`` does. The result
    is checked against the chain's envelope and the type's routing extensions.
    """
    et = event_type_van(notificatie.kanaal, notificatie.resource, notificatie.actie)
    kenmerken = notificatie.kenmerken
    if onbekend := sorted(set(kenmerken) - set(KENMERKEN)):
        msg = f"kenmerken {onbekend} are not kenmerken of kanaal {notificatie.kanaal!r}"
        raise OngeldigeNotificatie(msg)
    dataschema = (
        et.dataschema
        if schema_base_url is None
        else f"{schema_base_url.rstrip('/')}/{et.schema_file}"
    )
    attributes = {
        "specversion": SPECVERSION,
        "id": str(event_id or notificatie_id(notificatie, source=source)),
        "source": source,
        "type": et.type,
        "time": notificatie.aanmaakdatum.isoformat(),
        "datacontenttype": DATACONTENTTYPE,
        "dataschema": dataschema,
        "subject": _laatste_segment(notificatie.resource_url),
        EXT_DATAREF: notificatie.resource_url,
        EXT_PARTITIONKEY: kenmerken.get(EXT_PARTITIONKEY)
        or _laatste_segment(notificatie.hoofd_object),
    }
    attributes.update(
        (k, kenmerken[k]) for k in KENMERKEN if k != EXT_PARTITIONKEY and k in kenmerken
    )
    if errors := routing_errors(attributes, et, lambda name: f"kenmerk {name}"):
        raise OngeldigeNotificatie("; ".join(errors))
    try:
        EnvelopeAttributes.model_validate(attributes)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise OngeldigeNotificatie(f"not a valid event of the chain: {problems}") from exc
    return attributes


def naar_notificatie(attributes: Mapping[str, Any]) -> Notificatie:
    """A CloudEvent of the chain (its context attributes) as a Notificaties 1.0 message."""
    missing = [n for n in ("type", "time", EXT_DATAREF, EXT_PARTITIONKEY) if not attributes.get(n)]
    if missing:
        raise OngeldigeNotificatie(f"attributes {missing} are required for a notificatie")
    type_str = str(attributes["type"])
    soort = soort_van_type(type_str)
    et = get_event_type(type_str)
    dataref = str(attributes[EXT_DATAREF])
    return Notificatie(
        kanaal=soort.kanaal,
        hoofd_object=_hoofd_object(et, dataref, str(attributes[EXT_PARTITIONKEY])),
        resource=soort.resource,
        resource_url=dataref,
        actie=soort.actie,
        # A datetime (CloudEvents SDK) or RFC 3339 text; pydantic refuses one without zone.
        aanmaakdatum=attributes["time"],
        kenmerken={k: str(attributes[k]) for k in KENMERKEN if attributes.get(k) is not None},
    )


# ---------------------------------------------------------------------------------------------
# Abonnement filters
# ---------------------------------------------------------------------------------------------

# djangorestframework-camel-case, which Open Notificaties applies to both sides before matching.
_CAMELIZE: Final = re.compile(r"[a-z0-9]?_[a-z0-9]")


def _camelize(key: str) -> str:
    return _CAMELIZE.sub(
        lambda m: m[0][0] + m[0][2].upper() if len(m[0]) == 3 else m[0][1].upper(), key
    )


def kenmerken_passen(filters: Mapping[str, str], kenmerken: Mapping[str, str]) -> bool:
    """Whether a notificatie's kenmerken pass an abonnement's filters on one kanaal.

    1.0: "Alleen notificaties waarvan de kenmerken voldoen aan het filter worden doorgestuurd
    naar de afnemer van het ABONNEMENT." Open Notificaties (``FilterGroup.match_pattern``):
    ``"*"`` matches any value, and a filter on a kenmerk the notificatie does not carry does
    not exclude it. So this is no schot: the router's policy checks ``gemeentecode`` itself.
    """
    gegeven = {_camelize(k): v for k, v in kenmerken.items()}
    for key, value in filters.items():
        key = _camelize(key)
        if key in gegeven and value not in ("*", gegeven[key]):
            return False
    return True
