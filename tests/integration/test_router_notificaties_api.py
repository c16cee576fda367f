"""The router's Notificaties API 1.0 against a real broker, a real PostgreSQL, real webhook
subscribers in their own processes and the clients Common Ground components really use:
notifications-api-common with a zgw-consumers ``Service`` (auth type ZGW) in a test-only Django
configuration (``tests.zgw_django``, a process of its own)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from keten_contracts.envelope import source_urn
from keten_contracts.events.catalogue import get_event_type
from keten_contracts.parties import Rol
from keten_contracts.resources import get_resource
from keten_core.auth import Party
from notificatie_router.notificaties import Notificatie, notificatie_id
from tests.router_support import (
    AMSTERDAM,
    DUO_OIN,
    MAP,
    UTRECHT,
    Router,
    client,
    headers,
    router_process,
)
from tests.webhook_subscriber import REPO_ROOT, SubscriberProcess

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

DUO = client("router-duo-zgw", DUO_OIN, Rol.DUO)
BRONNEN = {
    AMSTERDAM.client_id: "http://dossier-bron.amsterdam.example/api/v1",
    UTRECHT.client_id: "http://dossier-bron.utrecht.example/api/v1",
    MAP.client_id: "http://map.example/api/v1",
}
MAP_GESTART = "nl.inburgering.map.gestart.v1"
GEMEENTE_KANAAL = "inburgering-gemeente"


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
        clients=tuple(met_bron(c) for c in (AMSTERDAM, UTRECHT, MAP, DUO)),
    ) as running:
        yield running


@pytest.fixture
def subscriber() -> Iterator[SubscriberProcess]:
    with SubscriberProcess() as process:
        yield process


@pytest.fixture
def second_subscriber() -> Iterator[SubscriberProcess]:
    with SubscriberProcess() as process:
        yield process


class Consument:
    """A Common Ground component (``python -m tests.zgw_django``, its own SQLite database),
    configured with ``party``'s credential for the router; one action per call."""

    def __init__(self, directory: Path, router: Router, party: Party) -> None:
        self.directory = directory
        self(
            "service",
            label=party.client_id,
            api_root=router.url + "/api/v1/",
            client_id=party.client_id,
            secret=party.secret.get_secret_value(),
        )

    def __call__(self, command: str, **args: Any) -> dict[str, Any]:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.zgw_django",
                str(self.directory),
                command,
                json.dumps(args),
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, f"{command}: {run.stderr[-3000:]}"
        found: dict[str, Any] = json.loads(run.stdout)
        return found


def notificatie(party: Party, gemeentecode: str, dossier: str) -> dict[str, Any]:
    """A map.gestart notificatie about a resource of ``party``'s own source."""
    bron = BRONNEN[party.client_id]
    et = get_event_type(MAP_GESTART)
    return {
        "kanaal": GEMEENTE_KANAAL,
        "hoofdObject": get_resource("dossier").dataref(bron, dossier),
        "resource": et.resource,
        "resourceUrl": get_resource(et.resource).dataref(bron, f"map-{dossier}"),
        "actie": "gestart",
        "aanmaakdatum": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "kenmerken": {"gemeentecode": gemeentecode},
    }


def posts(subscriber: SubscriberProcess) -> list[dict[str, Any]]:
    """The notificaties a subscriber got, the callback check's test notificatie left out."""
    return [r for r in subscriber.received() if json.loads(r["body"])["kanaal"] != "test"]


def wait_for(subscriber: SubscriberProcess, count: int, timeout_s: float = 15) -> list[Any]:
    deadline = time.monotonic() + timeout_s
    while len(found := posts(subscriber)) < count:
        assert time.monotonic() < deadline, f"expected {count}, got {found}"
        time.sleep(0.1)
    return found


def test_a_notificaties_1_0_round_trip_with_the_common_ground_clients(
    router: Router,
    subscriber: SubscriberProcess,
    second_subscriber: SubscriberProcess,
    tmp_path: Path,
) -> None:
    """DUO's ZGW consumer subscribes to the gemeente kanaal with a kenmerken filter
    (gemeentecode 0363) and, through ``Subscription.register``, without one; Amsterdam's and
    Utrecht's components publish with ``send_notification``; the filtered callback gets only
    Amsterdam's, once, as a 1.0 message with its own auth, the unfiltered one both."""
    subscriber.behave(status=204)
    second_subscriber.behave(status=204)
    consument = Consument(tmp_path / "duo", router, DUO)

    kanalen = consument("kanalen")
    assert kanalen["status"] == 200
    (gemeente,) = [k for k in kanalen["body"] if k["naam"] == GEMEENTE_KANAAL]
    assert "gemeentecode" in gemeente["filters"] and gemeente["url"].startswith(router.url)

    made = consument(
        "abonneer",
        callback_url=subscriber.hook_url,
        kanalen=[{"naam": GEMEENTE_KANAAL, "filters": {"gemeentecode": "0363"}}],
    )
    assert made["status"] == 201, made
    assert made["body"]["kanalen"] == [
        {"naam": GEMEENTE_KANAAL, "filters": {"gemeentecode": "0363"}}
    ]
    assert "auth" not in made["body"]
    # Open Notificaties' callback check: the test notificatie, with the abonnement's auth.
    (check,) = subscriber.received()
    assert json.loads(check["body"])["kanaal"] == "test"
    assert check["headers"]["authorization"] == made["auth"]
    registered = consument(
        "registreer",
        identifier="alles",
        callback_url=second_subscriber.hook_url,
        channels=[GEMEENTE_KANAAL],
    )
    assert registered["url"].startswith(router.url + "/api/v1/abonnement/")

    dossier = f"dos-{uuid.uuid4().hex[:8]}"
    amsterdam = notificatie(AMSTERDAM, "0363", dossier)
    utrecht = notificatie(UTRECHT, "0344", f"dos-{uuid.uuid4().hex[:8]}")
    gemeente_amsterdam = Consument(tmp_path / "amsterdam", router, AMSTERDAM)
    gemeente_amsterdam("publiceer", message=amsterdam)
    gemeente_amsterdam("publiceer", message=amsterdam)  # a retry: published once
    Consument(tmp_path / "utrecht", router, UTRECHT)("publiceer", message=utrecht)

    both = wait_for(second_subscriber, 2)
    (got,) = wait_for(subscriber, 1)
    time.sleep(1.5)  # anything more would be a leak or a duplicate
    assert len(posts(subscriber)) == 1 and len(posts(second_subscriber)) == 2
    assert {json.loads(r["body"])["kenmerken"]["gemeentecode"] for r in both} == {"0363", "0344"}

    body = json.loads(got["body"])
    assert got["headers"]["authorization"] == made["auth"]
    assert got["headers"]["content-type"].startswith("application/json")
    for veld in ("kanaal", "hoofdObject", "resource", "resourceUrl", "actie"):
        assert body[veld] == amsterdam[veld], veld
    assert datetime.fromisoformat(body["aanmaakdatum"]) == datetime.fromisoformat(
        amsterdam["aanmaakdatum"]
    )
    assert body["kenmerken"] == {"gemeentecode": "0363", "partitionkey": dossier}
    # The CloudEvent's id is the notificatie's stable id (the webhook-id is the event id).
    source = source_urn(AMSTERDAM.oin, "notificaties-api")
    expected = notificatie_id(Notificatie.model_validate(amsterdam), source=source)
    assert got["headers"]["webhook-id"] == str(expected)


def test_an_unknown_kanaal_is_refused_with_400(
    router: Router, subscriber: SubscriberProcess
) -> None:
    subscriber.behave(status=204)
    with httpx.Client(base_url=router.url + "/api/v1", headers=headers(AMSTERDAM)) as api:
        published = api.post(
            "/notificaties", json={**notificatie(AMSTERDAM, "0363", "d"), "kanaal": "zaken"}
        )
        subscribed = api.post(
            "/abonnement",
            json={
                "callbackUrl": subscriber.hook_url,
                "auth": "Bearer x",
                "kanalen": [{"naam": "zaken", "filters": {}}],
            },
        )
    for response in (published, subscribed):
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/onbekend-kanaal")
        assert "zaken" in response.json()["detail"]


def test_kanalen_are_listed_and_readable(router: Router) -> None:
    with httpx.Client(base_url=router.url + "/api/v1", headers=headers(DUO)) as api:
        listed = api.get("/kanaal")
        assert listed.status_code == 200
        names = {k["naam"] for k in listed.json()}
        assert GEMEENTE_KANAAL in names and "inburgering-duo" in names
        one = next(k for k in listed.json() if k["naam"] == GEMEENTE_KANAAL)
        assert api.get(one["url"]).json() == one
        assert api.get("/kanaal", params={"naam": "inburgering-duo"}).json()[0]["naam"] == (
            "inburgering-duo"
        )
        assert api.get(f"/kanaal/{uuid.uuid4()}").status_code == 404
    assert httpx.get(router.url + "/api/v1/kanaal").status_code == 401


def test_an_abonnement_is_refused_without_a_working_callback_or_by_the_policy(
    router: Router, subscriber: SubscriberProcess
) -> None:
    body = {
        "callbackUrl": subscriber.hook_url,
        "auth": "Bearer geheim",
        "kanalen": [{"naam": "inburgering-duo", "filters": {"gemeentecode": "0363"}}],
    }
    with httpx.Client(base_url=router.url + "/api/v1", headers=headers(AMSTERDAM)) as api:
        no_204 = api.post("/abonnement", json=body)  # the subscriber answers 200
        assert no_204.status_code == 400, no_204.text
        assert no_204.json()["type"].endswith("/invalid-callback-url")
        assert subscriber.received()[0]["headers"]["authorization"] == "Bearer geheim"

        subscriber.behave(status=204)
        foreign = api.post(
            "/abonnement",
            json={
                **body,
                "kanalen": [{"naam": "inburgering-duo", "filters": {"gemeentecode": "0344"}}],
            },
        )
        assert foreign.status_code == 403 and "0344" in foreign.json()["detail"]
        unknown_filter = api.post(
            "/abonnement",
            json={**body, "kanalen": [{"naam": "inburgering-duo", "filters": {"bsn": "1"}}]},
        )
        assert unknown_filter.status_code == 400
        assert unknown_filter.json()["type"].endswith("/inconsistent-abonnement-filters")

        made = api.post("/abonnement", json=body)
        assert made.status_code == 201, made.text
        url = made.json()["url"]
        assert api.get(url).json()["callbackUrl"] == subscriber.hook_url
        assert url in [a["url"] for a in api.get("/abonnement").json()]
        with httpx.Client(headers=headers(UTRECHT)) as other:
            assert other.get(url).status_code == 404
        assert api.delete(url).status_code == 204
        assert api.get(url).status_code == 404
    with httpx.Client(base_url=router.url + "/api/v1", headers=headers(MAP)) as api:
        nothing = api.post("/abonnement", json={**body, "kanalen": [{"naam": "inburgering-duo"}]})
        assert nothing.status_code == 403


@pytest.mark.parametrize(
    ("party", "change", "fragment"),
    [
        (AMSTERDAM, {"kenmerken": {"gemeentecode": "0344"}}, "gemeentecode '0344'"),
        (AMSTERDAM, {"resourceUrl": "http://evil.example/api/v1/map-trajecten/x"}, "dataref"),
        (DUO, {}, "may not produce"),
        (MAP, {}, "dossier-bron"),
    ],
)
def test_a_notificatie_gets_the_publishing_checks(
    router: Router, party: Party, change: dict[str, Any], fragment: str
) -> None:
    bericht = {**notificatie(AMSTERDAM, "0363", "dos-x"), **change}
    with httpx.Client(base_url=router.url + "/api/v1", headers=headers(party)) as api:
        refused = api.post("/notificaties", json=bericht)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert fragment in refused.json()["detail"]
