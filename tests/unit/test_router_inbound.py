"""notificatie-router's inbound publishing rules, without I/O: parsing structured and binary
HTTP mode with the CloudEvents SDK, and each refusal of ``publicatie_bezwaren``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat

from keten_contracts.envelope import source_urn
from keten_contracts.events.catalogue import get_event_type
from keten_contracts.parties import Rol
from keten_core.auth import AuthenticatedCaller
from keten_core.problems import Problem
from notificatie_router.inbound import controleer, lees_cloudevent, publicatie_bezwaren
from tests.router_support import AMSTERDAM, DUO_OIN, GEMEENTE_OIN, MAP, client, event

DUO = client("router-duo", DUO_OIN, Rol.DUO)
BRON = "http://bron.example/api/v1"
TERMIJN = "nl.inburgering.termijn.vastgesteld.v1"
MAP_GESTART = "nl.inburgering.map.gestart.v1"


def caller(party: Any) -> AuthenticatedCaller:
    return AuthenticatedCaller(party=party, user_id="", user_representation="")


def attributes(type: str = TERMIJN, **overrides: Any) -> dict[str, Any]:
    found = event(type, partitionkey="ibp-1")
    found.pop("cloudevent")
    found["time"] = str(found["time"])
    return {**found, **overrides}


def test_duo_may_publish_its_own_event() -> None:
    assert publicatie_bezwaren(caller(DUO), attributes(), BRON) == []


@pytest.mark.parametrize(
    ("party", "overrides", "bron", "fragment"),
    [
        (AMSTERDAM, {"source": source_urn(GEMEENTE_OIN, "x")}, BRON, "may not produce"),
        (DUO, {"source": source_urn(GEMEENTE_OIN, "duo-adapter")}, BRON, "caller's OIN"),
        (DUO, {"dataref": "http://bron.example.evil/api/v1/termijnen/1"}, BRON, "dataref"),
        (DUO, {"dataref": "http://bron.example/api/v1-evil/termijnen/1"}, BRON, "dataref"),
        (DUO, {"dataref": "https://bron.example/api/v1/termijnen/1"}, BRON, "dataref"),
        (DUO, {}, None, "no registered source URL"),
    ],
)
def test_refusals(party: Any, overrides: dict[str, Any], bron: str | None, fragment: str) -> None:
    bezwaren = publicatie_bezwaren(caller(party), attributes(**overrides), bron)
    assert bezwaren and all(b.status == 403 for b in bezwaren)
    assert fragment in "; ".join(b.detail for b in bezwaren)


def test_a_gemeente_publishes_only_for_its_own_gemeente() -> None:
    own = attributes(MAP_GESTART, gemeentecode="0363")
    assert publicatie_bezwaren(caller(AMSTERDAM), own, BRON) == []
    other = attributes(MAP_GESTART, gemeentecode="0344")
    (bezwaar,) = publicatie_bezwaren(caller(AMSTERDAM), other, BRON)
    assert "gemeentecode '0344'" in bezwaar.detail


def test_an_aanbieder_is_sent_to_dossier_bron() -> None:
    (bezwaar,) = publicatie_bezwaren(caller(MAP), attributes(MAP_GESTART), BRON)
    assert bezwaar.status == 403 and bezwaar.soort == "aanbieder-publiceert-bij-dossier-bron"


def test_structured_and_binary_mode_parse_to_the_same_event() -> None:
    sent = event(TERMIJN, partitionkey="ibp-1")["cloudevent"]
    structured = ce_http.to_structured(sent, JSONFormat())
    binary = ce_http.to_binary(sent, JSONFormat())
    for message in (structured, binary):
        parsed, et = controleer(caller(DUO), lees_cloudevent(message.headers, message.body), BRON)
        assert et.type == TERMIJN
        assert parsed.get_id() == sent.get_id() and parsed.get_data() == sent.get_data()


def test_not_a_cloudevent_is_400() -> None:
    with pytest.raises(Problem) as plain:
        lees_cloudevent({"content-type": "application/json"}, b"{}")
    assert plain.value.status == 400
    with pytest.raises(Problem) as broken:
        lees_cloudevent({"content-type": "application/cloudevents+json"}, b"{not json")
    assert broken.value.status == 400


def test_an_event_that_breaks_its_catalogue_entry_is_400() -> None:
    sent = event(TERMIJN, partitionkey="ibp-1")["cloudevent"]
    body = json.loads(ce_http.to_structured(sent, JSONFormat()).body)
    del body["data"]["inburgeringsplichtId"]
    structured = {"content-type": "application/cloudevents+json"}
    parsed = lees_cloudevent(structured, json.dumps(body).encode())
    with pytest.raises(Problem) as refused:
        controleer(caller(DUO), parsed, BRON)
    assert refused.value.status == 400 and "inburgeringsplichtId" in str(refused.value.detail)


async def test_without_a_broker_nothing_is_accepted() -> None:
    from types import SimpleNamespace

    from notificatie_router.inbound import publiceer

    sent = event(TERMIJN, partitionkey="ibp-1")["cloudevent"]
    keten = SimpleNamespace(producer=None, engine=None, settings=None)
    with pytest.raises(Problem) as refused:
        await publiceer(keten, caller(DUO), sent, get_event_type(TERMIJN))  # type: ignore[arg-type]
    assert refused.value.status == 503


def test_no_party_publishes_the_routers_notice_about_a_subscription() -> None:
    # A gemeente may produce the type (the router runs for the gemeenten), but only the router
    # knows a subscription stopped.
    notice = {
        **attributes(),
        "type": "nl.inburgering.abonnement.uitgeschakeld.v1",
        "source": source_urn(GEMEENTE_OIN, "eigen-systeem"),
        "dataref": BRON + "/subscriptions/5b0e3f9a",
    }
    notice.pop("gemeentecode", None)
    (bezwaar,) = publicatie_bezwaren(caller(AMSTERDAM), notice, BRON)
    assert bezwaar.status == 403 and "router's own notice" in bezwaar.detail
