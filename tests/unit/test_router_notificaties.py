"""Notificaties API 1.0 <-> CloudEvents: the router's one mapping table, both ways."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from keten_contracts.envelope import EnvelopeAttributes
from keten_contracts.events.catalogue import DOMAINS, TOPICS, TYPE_PREFIX, all_event_types
from notificatie_router import notificaties as n
from notificatie_router.notificaties import (
    KANALEN,
    Notificatie,
    NotificatieSoort,
    OnbekendeNotificatie,
    OnbekendKanaal,
    OngeldigeNotificatie,
    event_type_van,
    kanaal_van_type,
    kenmerken_passen,
    naar_cloudevent_attributen,
    naar_notificatie,
    notificatie_id,
    soort_van_type,
)

ALL_TYPES = all_event_types()
TYPE_IDS = [et.type for et in ALL_TYPES]
# The attributes the mapping carries; ``id`` only when the caller passes it (see stable id).
MAPPED = (
    "type",
    "source",
    "time",
    "subject",
    "dataref",
    "dataschema",
    "partitionkey",
    "gemeentecode",
    "aanbiedersoort",
    "aanbiederoin",
)
GEMEENTE_SOURCE = "urn:nld:oin:00000001002220647000:systeem:dossier-bron"
DUO_SOURCE = "urn:nld:oin:00000001800866472000:systeem:duo-adapter"
DOSSIER_API = "https://dossier.gemeente.example/api/v1"


def attributes_of(et) -> dict[str, str]:
    """The catalogue's example event of a type, without data: what a consumer reads."""
    event = et.example()
    event.pop("data")
    return event


def pip_notificatie(**overrides: object) -> Notificatie:
    fields: dict[str, object] = {
        "kanaal": "inburgering-gemeente",
        "hoofdObject": f"{DOSSIER_API}/dossiers/dos-2e4f6a",
        "resource": "pip",
        "resourceUrl": f"{DOSSIER_API}/pips/pip-7f3c2a",
        "actie": "vastgesteld",
        "aanmaakdatum": "2025-07-15T09:30:00+02:00",
        "kenmerken": {"gemeentecode": "0363", "partitionkey": "dos-2e4f6a"},
    }
    fields.update(overrides)
    return Notificatie.model_validate(fields)


# --- kanalen ---------------------------------------------------------------------------------


def test_one_kanaal_per_domain_and_topic():
    assert {k.domain for k in KANALEN.values()} == set(DOMAINS)
    assert {k.topic for k in KANALEN.values()} == set(TOPICS.values())
    for naam, kanaal in KANALEN.items():
        assert naam == f"inburgering-{kanaal.domain}"
        # Open Notificaties: KANAAL.naam max. 50; ZGW kanalen are lowercase words.
        assert len(naam) <= 50
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", naam)


def test_kanaal_filters_are_the_kenmerken_its_types_carry():
    for et in ALL_TYPES:
        kanaal = KANALEN[kanaal_van_type(et.type)]
        assert kanaal.domain == et.domain
        assert set(et.routing_extensions) | {"partitionkey"} <= set(kanaal.filters)
    assert KANALEN["inburgering-gemeente"].filters == (
        "gemeentecode",
        "aanbiedersoort",
        "aanbiederoin",
        "partitionkey",
    )


# --- the bijection ---------------------------------------------------------------------------


def test_every_catalogue_type_maps_to_one_triple_and_back():
    soorten = [soort_van_type(et.type) for et in ALL_TYPES]
    assert len(set(soorten)) == len(ALL_TYPES)  # injective
    for et, soort in zip(ALL_TYPES, soorten, strict=True):
        assert soort.resource == et.resource
        assert soort.kanaal == KANAAL_OF[et.domain]
        assert event_type_van(*soort) is et  # and back


KANAAL_OF = {k.domain: naam for naam, k in KANALEN.items()}


@pytest.mark.parametrize(
    ("event_type", "actie"),
    [
        # the 1.0 verbs where the event is about its resource itself
        ("nl.inburgering.signaal.aangemaakt.v1", "create"),
        ("nl.inburgering.pip.gewijzigd.v1", "update"),
        ("nl.inburgering.opdracht.gewijzigd.v1", "update"),
        # no 1.0 verb fits: the chain's verb (beeindigd is no destroy: the resource stays)
        ("nl.inburgering.pip.vastgesteld.v1", "vastgesteld"),
        ("nl.inburgering.inburgeringsplicht.beeindigd.v1", "beeindigd"),
        # about another thing than its resource: the type's words, not a 1.0 verb
        ("nl.inburgering.doelgroep.gewijzigd.v1", "doelgroep.gewijzigd"),
        ("nl.inburgering.swi-levering.aangemaakt.v1", "swi-levering.aangemaakt"),
        ("nl.inburgering.nareisprofiel.aangeboden.v1", "nareisprofiel.aangeboden"),
    ],
)
def test_actie_from_the_types_verb(event_type, actie):
    assert soort_van_type(event_type).actie == actie


def test_the_docstring_table_is_the_mapping():
    rows = re.findall(
        r"^\| ([a-z0-9.-]+\.v\d+) \| ([a-z-]+) \| ([a-z0-9-]+) \| ([a-z0-9._-]+) \|$",
        n.__doc__ or "",
        re.MULTILINE,
    )
    documented = {TYPE_PREFIX + t: NotificatieSoort(k, r, a) for t, k, r, a in rows}
    assert documented == {et.type: soort_van_type(et.type) for et in ALL_TYPES}


# --- unknown kanaal / resource / actie -------------------------------------------------------


def test_unknown_kanaal_is_refused_naming_it():
    with pytest.raises(OnbekendKanaal, match="'zaken'"):
        event_type_van("zaken", "pip", "vastgesteld")
    with pytest.raises(OnbekendKanaal, match="'zaken'"):
        naar_cloudevent_attributen(pip_notificatie(kanaal="zaken"), source=GEMEENTE_SOURCE)


@pytest.mark.parametrize(
    ("kanaal", "resource", "actie"),
    [
        ("inburgering-gemeente", "pip", "destroy"),  # unknown actie
        ("inburgering-gemeente", "zaak", "vastgesteld"),  # unknown resource
        ("inburgering-duo", "pip", "vastgesteld"),  # known pair, other kanaal
        ("inburgering-aanbieder", "opdracht", "update"),  # kanaal without types
    ],
)
def test_unknown_triple_is_refused_naming_all_three(kanaal, resource, actie):
    with pytest.raises(OnbekendeNotificatie) as info:
        event_type_van(kanaal, resource, actie)
    assert not isinstance(info.value, OnbekendKanaal)
    assert isinstance(info.value, ValueError)
    for name in (kanaal, resource, actie):
        assert repr(name) in str(info.value)


def test_unknown_type_is_refused():
    with pytest.raises(OnbekendeNotificatie, match=r"nl\.inburgering\.pip\.verscheurd\.v1"):
        kanaal_van_type("nl.inburgering.pip.verscheurd.v1")
    attrs = attributes_of(ALL_TYPES[0]) | {"type": "nl.inburgering.pip.verscheurd.v1"}
    with pytest.raises(OnbekendeNotificatie):
        naar_notificatie(attrs)


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("et", ALL_TYPES, ids=TYPE_IDS)
def test_cloudevent_to_notificatie_and_back(et):
    attrs = attributes_of(et)
    notificatie = naar_notificatie(attrs)

    assert notificatie.kanaal == kanaal_van_type(et.type)
    assert notificatie.resource == et.resource
    assert notificatie.resource_url == attrs["dataref"]
    assert notificatie.aanmaakdatum == datetime.fromisoformat(attrs["time"])

    back = naar_cloudevent_attributen(
        notificatie, source=attrs["source"], event_id=uuid.UUID(attrs["id"])
    )
    for name in (*MAPPED, "id", "specversion", "datacontenttype"):
        assert back.get(name) == attrs.get(name), name
    assert set(back) <= set(attrs)  # nothing the event did not have (traceparent is transport)
    assert all(isinstance(value, str) for value in back.values())
    EnvelopeAttributes.model_validate(back)


@pytest.mark.parametrize("et", ALL_TYPES, ids=TYPE_IDS)
def test_notificatie_to_cloudevent_and_back(et):
    notificatie = naar_notificatie(attributes_of(et))
    source = attributes_of(et)["source"]
    again = naar_notificatie(naar_cloudevent_attributen(notificatie, source=source))
    assert again == notificatie
    # As JSON: the 1.0 names, camelCase exactly.
    assert set(again.model_dump(mode="json")) == {
        "kanaal",
        "hoofdObject",
        "resource",
        "resourceUrl",
        "actie",
        "aanmaakdatum",
        "kenmerken",
    }


def test_hoofd_object_is_the_dossier_for_gemeente_types_else_the_resource():
    pip_attrs = attributes_of(next(e for e in ALL_TYPES if e.resource == "pip"))
    pip = naar_notificatie(pip_attrs)
    assert pip.hoofd_object == f"{DOSSIER_API}/dossiers/{pip_attrs['partitionkey']}"
    assert pip.resource_url == pip_attrs["dataref"]
    assert pip.resource_url.startswith(f"{DOSSIER_API}/pips/")

    termijn = attributes_of(next(e for e in ALL_TYPES if e.resource == "termijn"))
    assert naar_notificatie(termijn).hoofd_object == termijn["dataref"]


def test_partitionkey_from_kenmerk_else_from_hoofd_object():
    kenmerken = {"gemeentecode": "0363"}
    attrs = naar_cloudevent_attributen(pip_notificatie(kenmerken=kenmerken), source=GEMEENTE_SOURCE)
    assert attrs["partitionkey"] == "dos-2e4f6a"
    assert attrs["subject"] == "pip-7f3c2a"

    attrs = naar_cloudevent_attributen(
        pip_notificatie(kenmerken=kenmerken | {"partitionkey": "dos-other"}),
        source=GEMEENTE_SOURCE,
    )
    assert attrs["partitionkey"] == "dos-other"


def test_dataschema_below_a_services_own_base():
    attrs = naar_cloudevent_attributen(
        pip_notificatie(),
        source=GEMEENTE_SOURCE,
        schema_base_url="http://dossier-bron:8000/contracts/schemas/",
    )
    assert attrs["dataschema"] == (
        "http://dossier-bron:8000/contracts/schemas/events/nl.inburgering.pip.vastgesteld.v1.json"
    )


# --- stable id -------------------------------------------------------------------------------


def test_the_same_notificatie_published_twice_gets_the_same_id():
    first = naar_cloudevent_attributen(pip_notificatie(), source=GEMEENTE_SOURCE)
    second = naar_cloudevent_attributen(pip_notificatie(), source=GEMEENTE_SOURCE)
    assert first["id"] == second["id"]
    assert uuid.UUID(first["id"]).version == 5

    # The same instant in another zone, kenmerken in another order: still the same event.
    retried = pip_notificatie(
        aanmaakdatum="2025-07-15T07:30:00Z",
        kenmerken={"partitionkey": "dos-2e4f6a", "gemeentecode": "0363"},
    )
    assert notificatie_id(retried, source=GEMEENTE_SOURCE) == uuid.UUID(first["id"])


@pytest.mark.parametrize(
    "change",
    [
        {"resourceUrl": f"{DOSSIER_API}/pips/pip-0000aa"},
        {"aanmaakdatum": "2025-07-15T09:30:01+02:00"},
        {"actie": "update", "kanaal": "inburgering-gemeente"},
        {"kenmerken": {"gemeentecode": "0599", "partitionkey": "dos-2e4f6a"}},
    ],
)
def test_another_notificatie_gets_another_id(change):
    base = notificatie_id(pip_notificatie(), source=GEMEENTE_SOURCE)
    assert notificatie_id(pip_notificatie(**change), source=GEMEENTE_SOURCE) != base


def test_id_depends_on_the_source_and_a_given_id_wins():
    other_source = GEMEENTE_SOURCE.replace("dossier-bron", "ander-systeem")
    assert notificatie_id(pip_notificatie(), source=GEMEENTE_SOURCE) != notificatie_id(
        pip_notificatie(), source=other_source
    )
    given = uuid.uuid4()
    attrs = naar_cloudevent_attributen(pip_notificatie(), source=GEMEENTE_SOURCE, event_id=given)
    assert attrs["id"] == str(given)


# --- kenmerken and formats -------------------------------------------------------------------


def test_kenmerken_the_type_does_not_use_or_lacks_are_refused():
    with pytest.raises(OngeldigeNotificatie, match="zaaktype"):
        naar_cloudevent_attributen(
            pip_notificatie(kenmerken={"gemeentecode": "0363", "zaaktype": "x"}),
            source=GEMEENTE_SOURCE,
        )
    with pytest.raises(OngeldigeNotificatie, match="kenmerk aanbiedersoort: not used"):
        naar_cloudevent_attributen(
            pip_notificatie(kenmerken={"gemeentecode": "0363", "aanbiedersoort": "taalaanbieder"}),
            source=GEMEENTE_SOURCE,
        )
    with pytest.raises(OngeldigeNotificatie, match="kenmerk gemeentecode: required"):
        naar_cloudevent_attributen(pip_notificatie(kenmerken={}), source=GEMEENTE_SOURCE)


def test_an_event_the_chain_would_refuse_is_refused():
    with pytest.raises(OngeldigeNotificatie, match="gemeentecode"):
        naar_cloudevent_attributen(
            pip_notificatie(kenmerken={"gemeentecode": "Amsterdam"}), source=GEMEENTE_SOURCE
        )
    with pytest.raises(OngeldigeNotificatie, match="BSN"):
        naar_cloudevent_attributen(
            pip_notificatie(resourceUrl=f"{DOSSIER_API}/pips/111222333"), source=GEMEENTE_SOURCE
        )
    with pytest.raises(OngeldigeNotificatie, match="source"):
        naar_cloudevent_attributen(pip_notificatie(), source="https://dossier-bron")


@pytest.mark.parametrize(
    "change",
    [
        {"kanaal": "x" * 51},
        {"resource": ""},
        {"actie": "a" * 101},
        {"hoofdObject": "dossiers/dos-2e4f6a"},
        {"resourceUrl": "not a url"},
        {"kenmerken": {"gemeentecode": 363}},
        {"kenmerken": {"gemeentecode": "x" * 1001}},
    ],
)
def test_notificatie_formats_as_1_0(change):
    with pytest.raises(ValidationError):
        pip_notificatie(**change)


def test_urls_are_kept_as_sent():
    url = "https://dossier.gemeente.example"
    assert pip_notificatie(hoofdObject=url).hoofd_object == url


# --- time zones ------------------------------------------------------------------------------


def test_aanmaakdatum_without_zone_is_refused():
    with pytest.raises(ValidationError, match="timezone"):
        pip_notificatie(aanmaakdatum="2025-07-15T09:30:00")
    attrs = attributes_of(ALL_TYPES[0]) | {"time": "2025-07-15T09:30:00"}
    with pytest.raises(ValidationError, match="timezone"):
        naar_notificatie(attrs)


def test_aanmaakdatum_keeps_its_instant_and_offset():
    zomer = timezone(timedelta(hours=2))
    notificatie = pip_notificatie(aanmaakdatum=datetime(2025, 7, 15, 9, 30, tzinfo=zomer))
    attrs = naar_cloudevent_attributen(notificatie, source=GEMEENTE_SOURCE)
    assert attrs["time"] == "2025-07-15T09:30:00+02:00"

    utc = naar_cloudevent_attributen(
        pip_notificatie(aanmaakdatum="2025-07-15T07:30:00.123456Z"), source=GEMEENTE_SOURCE
    )
    assert datetime.fromisoformat(utc["time"]) == datetime(2025, 7, 15, 7, 30, 0, 123456, UTC)

    # The CloudEvents SDK hands ``time`` over as a datetime.
    duo = attributes_of(next(e for e in ALL_TYPES if e.domain == "duo"))
    duo["time"] = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert naar_notificatie(duo).aanmaakdatum == duo["time"]
    assert duo["source"] == DUO_SOURCE


# --- abonnement filters ----------------------------------------------------------------------

KENMERKEN = {"gemeentecode": "0363", "partitionkey": "dos-2e4f6a"}


@pytest.mark.parametrize(
    ("filters", "passes"),
    [
        ({}, True),  # no filters: everything on the kanaal
        ({"gemeentecode": "0363"}, True),
        ({"gemeentecode": "0599"}, False),
        ({"gemeentecode": "*"}, True),  # "*": any value
        ({"gemeentecode": "0363", "partitionkey": "dos-other"}, False),  # every filter must pass
        ({"gemeentecode": "0363", "partitionkey": "*"}, True),
        # Open Notificaties: a filter on a kenmerk the notificatie lacks does not exclude it.
        ({"aanbiedersoort": "taalaanbieder"}, True),
        ({"gemeentecode": "0599", "aanbiedersoort": "taalaanbieder"}, False),
        ({"gemeentecode": "0363 "}, False),  # exact values, no trimming
    ],
)
def test_kenmerken_filter(filters, passes):
    assert kenmerken_passen(filters, KENMERKEN) is passes


def test_filter_keys_are_camelized_on_both_sides_as_open_notificaties_does():
    assert kenmerken_passen({"bron_organisatie": "1"}, {"bronOrganisatie": "2"}) is False
    assert kenmerken_passen({"bronOrganisatie": "1"}, {"bron_organisatie": "1"}) is True
    assert kenmerken_passen({"bron_organisatie": "*"}, {"bron_organisatie": "x"}) is True
