"""Inbound CloudEvents at the router (``POST /api/v1/cloudevents``) against a real broker, a real
PostgreSQL and a real webhook subscriber: structured and binary HTTP mode (the CloudEvents SDK
on both sides) are published and delivered, a duplicate once, and each refusal is answered with
its problem."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from keten_contracts.envelope import source_urn
from keten_contracts.events.catalogue import get_event_type
from keten_contracts.parties import Rol
from keten_contracts.resources import get_resource
from keten_core.auth import Party
from keten_core.envelope import new_event
from tests.router_support import (
    AMSTERDAM,
    DUO_OIN,
    GEMEENTE_OIN,
    MAP,
    Router,
    client,
    headers,
    router_process,
)
from tests.webhook_subscriber import SubscriberProcess

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

DUO = client("router-duo-inbound", DUO_OIN, Rol.DUO)
DUO_BRON = "http://duo.example/api/v1"
AMSTERDAM_BRON = "http://dossier-bron.amsterdam.example/api/v1"
BRONNEN = {
    DUO.client_id: DUO_BRON,
    AMSTERDAM.client_id: AMSTERDAM_BRON,
    MAP.client_id: "http://map.example/api/v1",
}
TERMIJN = "nl.inburgering.termijn.vastgesteld.v1"
MAP_GESTART = "nl.inburgering.map.gestart.v1"
STRUCTURED = "application/cloudevents+json"


def met_bron(party: Party) -> Party:
    """The party entry with its registered source URL, if it has one."""
    return party.model_copy(update={"bron": BRONNEN.get(party.client_id)})


@pytest.fixture(scope="module")
def router(
    router_db: str, kafka_bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Router]:
    log_path = tmp_path_factory.mktemp("router") / "router.log"
    with router_process(
        database=router_db,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        log_path=log_path,
        clients=tuple(met_bron(c) for c in (AMSTERDAM, MAP, DUO)),
    ) as running:
        yield running


@pytest.fixture
def subscriber() -> Iterator[SubscriberProcess]:
    with SubscriberProcess() as process:
        yield process


def cloudevent(
    type: str = TERMIJN,
    *,
    oin: str = DUO_OIN,
    bron: str = DUO_BRON,
    gemeentecode: str = "0363",
    partitionkey: str | None = None,
) -> CloudEvent:
    """A valid event of ``type`` about a resource at ``bron``, from ``oin``'s system."""
    et = get_event_type(type)
    resource = get_resource(et.resource)
    resource_id = f"r-{uuid.uuid4().hex[:8]}"
    data = {**et.example_data, resource.id_alias: resource_id}
    return new_event(
        type=type,
        source=source_urn(oin, "zaaksysteem"),
        subject=resource_id,
        partitionkey=partitionkey or f"k-{uuid.uuid4().hex[:8]}",
        dataref=resource.dataref(bron, resource_id),
        data=data,
        gemeentecode=gemeentecode,
    )


def post(
    router: Router, party: Party, event: CloudEvent, *, binary: bool = False
) -> httpx.Response:
    """POST the event with the SDK's HTTP binding, in structured or binary mode."""
    binding = ce_http.to_binary if binary else ce_http.to_structured
    message = binding(event, JSONFormat())
    return httpx.post(
        router.url + "/api/v1/cloudevents",
        content=message.body,
        headers={**message.headers, **headers(party)},
        timeout=30,
    )


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    found: dict[str, Any] = response.json()
    return found


def test_structured_and_binary_events_are_delivered_and_a_duplicate_once(
    router: Router, subscriber: SubscriberProcess
) -> None:
    created = router.subscribe(AMSTERDAM, subscriber.hook_url, types=[TERMIJN])
    structured = cloudevent()
    binary = cloudevent()

    first = post(router, DUO, structured)
    assert first.status_code == 202, first.text
    assert first.json() == {
        "id": structured.get_id(),
        "source": structured.get_source(),
        "type": TERMIJN,
    }
    again = post(router, DUO, structured, binary=True)  # the same event, sent again
    assert (again.status_code, again.json()) == (202, first.json())
    assert post(router, DUO, binary, binary=True).status_code == 202

    got = subscriber.wait_for(2)
    time.sleep(1.5)  # a duplicate would arrive by now
    got = subscriber.received()
    assert sorted(r["headers"]["webhook-id"] for r in got) == sorted(
        [structured.get_id(), binary.get_id()]
    )
    delivered = {json.loads(r["body"])["id"]: json.loads(r["body"]) for r in got}
    for sent in (structured, binary):
        body = delivered[sent.get_id()]
        assert body["source"] == sent.get_source() and body["data"] == sent.get_data()
        assert body["dataref"].startswith(DUO_BRON + "/")
    assert created["id"]


@pytest.mark.parametrize(
    ("party", "event", "soort", "fragment"),
    [
        pytest.param(
            AMSTERDAM,
            lambda: cloudevent(oin=GEMEENTE_OIN, bron=AMSTERDAM_BRON),
            "publicatie-niet-toegestaan",
            "may not produce",
            id="type-not-producible-by-the-role",
        ),
        pytest.param(
            DUO,
            lambda: cloudevent(oin=GEMEENTE_OIN),
            "publicatie-niet-toegestaan",
            "caller's OIN",
            id="foreign-oin-in-source",
        ),
        pytest.param(
            AMSTERDAM,
            lambda: cloudevent(
                MAP_GESTART, oin=GEMEENTE_OIN, bron=AMSTERDAM_BRON, gemeentecode="0344"
            ),
            "publicatie-niet-toegestaan",
            "gemeentecode '0344'",
            id="foreign-gemeentecode",
        ),
        pytest.param(
            DUO,
            lambda: cloudevent(bron="http://duo.example.evil.test/api/v1"),
            "publicatie-niet-toegestaan",
            "registered source URL",
            id="forged-dataref",
        ),
        pytest.param(
            DUO,
            lambda: cloudevent(bron="http://duo.example/api/v1-evil"),
            "publicatie-niet-toegestaan",
            "registered source URL",
            id="forged-dataref-path",
        ),
        pytest.param(
            MAP,
            lambda: cloudevent(MAP_GESTART, oin=MAP.oin, bron="http://map.example/api/v1"),
            "aanbieder-publiceert-bij-dossier-bron",
            "dossier-bron",
            id="aanbieder",
        ),
    ],
)
def test_a_publication_the_policy_forbids_is_403(
    router: Router, party: Party, event: Any, soort: str, fragment: str
) -> None:
    refused = problem(post(router, party, event()), 403)
    assert refused["type"].endswith("/" + soort)
    assert fragment in refused["detail"]


def test_more_than_64_kb_is_413(router: Router) -> None:
    event = cloudevent()
    body = json.loads(ce_http.to_structured(event, JSONFormat()).body)
    body["data"]["opvulling"] = "x" * (64 * 1024)
    response = httpx.post(
        router.url + "/api/v1/cloudevents",
        content=json.dumps(body),
        headers={"content-type": STRUCTURED, **headers(DUO)},
    )
    assert "65536" in problem(response, 413)["detail"]


def test_an_invalid_envelope_is_400(router: Router) -> None:
    event = cloudevent()
    body = json.loads(ce_http.to_structured(event, JSONFormat()).body)
    invalid = [
        {**body, "type": "com.example.iets"},  # not a type of the chain
        {k: v for k, v in body.items() if k != "source"},  # no source
        {**body, "data": {"termijnId": body["data"]["termijnId"]}},  # data breaks the schema
    ]
    for candidate in invalid:
        response = httpx.post(
            router.url + "/api/v1/cloudevents",
            content=json.dumps(candidate),
            headers={"content-type": STRUCTURED, **headers(DUO)},
        )
        problem(response, 400)
    plain = httpx.post(
        router.url + "/api/v1/cloudevents",
        content=json.dumps(body),
        headers={"content-type": "application/json", **headers(DUO)},
    )
    assert problem(plain, 400)["type"].endswith("/geen-cloudevent")
    assert httpx.post(router.url + "/api/v1/cloudevents", content=b"{}").status_code == 401
