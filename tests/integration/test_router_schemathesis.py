"""Schemathesis against the notificatie-router running as its own process (``keten run
notificatie-router``), on a real PostgreSQL and Kafka, with a real webhook subscriber in its own
process: a fixed seed, 50 examples per operation, every phase including the stateful one, a
valid token per role (a gemeente over every tag, the gemeente's notification operator and a MAP
aanbieder over the subscriptions, DUO publishing). Checks: not_a_server_error,
response_schema_conformance, status_code_conformance.

A subscription of each kind is made first through the API (the sink is the subscriber, so the
handshake and the test notificatie succeed), events are published for them, and their ids are
given to the runs, so path parameters resolve and the views (the delivery log and the pull
endpoint with items) are checked against their documented schemas (random ids only ever get
404); each delete gets a subscription of its own. The coverage phase's sinks and callback URLs
are random and fail the handshake (422 or 400, documented); a schemathesis hook (``HOOKS``)
points the bodies the other phases generate at the subscriber, so that creation succeeds and
the stateful phase follows real subscriptions. The test fails when an ``/api/`` operation was
never exercised, or only ever answered 401 or 403."""

from __future__ import annotations

import asyncio
import os
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from keten_contracts.parties import Rol
from keten_core.auth import Party
from keten_core.testing import fresh_database
from tests.router_support import (
    AMSTERDAM,
    BEHEERDER_AMSTERDAM,
    DUO_OIN,
    MAP,
    Router,
    client,
    event,
    publish,
    router_process,
)
from tests.schemathesis_support import schemathesis, statuses_per_operation
from tests.webhook_subscriber import SubscriberProcess

pytest.importorskip("schemathesis")

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(900)]

DUO = client("router-duo-schemathesis", DUO_OIN, Rol.DUO)
BRONNEN = {
    AMSTERDAM.client_id: "http://dossier-bron.amsterdam.example/api/v1",
    DUO.client_id: "http://duo.example/api/v1",
}
TERMIJN = "nl.inburgering.termijn.vastgesteld.v1"
OPDRACHT = "nl.inburgering.opdracht.verstrekt.v1"
PARTIES = tuple(
    p.model_copy(update={"bron": BRONNEN.get(p.client_id)})
    for p in (AMSTERDAM, BEHEERDER_AMSTERDAM, MAP, DUO)
)

# Loaded by schemathesis (SCHEMATHESIS_HOOKS). A generated webhook subscription (either API) gets
# the real subscriber as its sink, and every other one is reduced to a minimal valid
# subscription (random filters, types and kanalen almost always answer 400, 403 or 422), so that
# creation succeeds and the stateful phase follows real subscriptions. The coverage phase, which
# hooks do not touch, keeps its random sinks and callback URLs (the handshake fails: 422 or 400).
HOOKS = """
import json
import os

import schemathesis

SINK = os.environ["ROUTER_SCHEMATHESIS_SINK"]
KANAAL = os.environ["ROUTER_SCHEMATHESIS_KANAAL"]
VELD = {"/api/v1/subscriptions": "sink", "/api/v1/abonnement": "callbackUrl"}
MINIMAAL = {
    "/api/v1/subscriptions": {"sink": SINK, "protocol": "HTTP"},
    "/api/v1/abonnement": {
        "callbackUrl": SINK,
        "auth": "Bearer abonnee",
        "kanalen": [{"naam": KANAAL, "filters": {}}],
    },
}


@schemathesis.hook
def map_body(context, body):
    operation = context.operation
    if operation is None or operation.method.upper() != "POST" or operation.path not in VELD:
        return body
    veld = VELD[operation.path]
    if not isinstance(body, dict) or not (isinstance(body.get(veld), str) or "protocol" in body):
        return body
    if len(json.dumps(body, default=str)) % 2 == 0:
        return MINIMAAL[operation.path]
    return {**body, veld: SINK}
"""


@dataclass
class Run:
    """One schemathesis run: a party over one tag, with its path parameters (``per_operation``:
    where one name means different resources in different operations)."""

    name: str
    who: Party
    tag: str
    parameters: dict[str, str] = field(default_factory=dict)
    per_operation: dict[str, dict[str, str]] = field(default_factory=dict)

    def config(self) -> str:
        # Every failure of an operation is reported, not only its first.
        lines = ["continue-on-failure = true", "", "[parameters]"]
        lines += [f'"path.{k}" = "{v}"' for k, v in sorted(self.parameters.items())]
        for label, values in sorted(self.per_operation.items()):
            lines += ["", "[[operations]]", f"include-name = '{label}'"]
            lines.append(
                "parameters = { "
                + ", ".join(f'"path.{k}" = "{v}"' for k, v in sorted(values.items()))
                + " }"
            )
        return "\n".join(lines) + "\n"


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def subscriber() -> Iterator[SubscriberProcess]:
    with SubscriberProcess() as process:
        # 204: what a Notificaties API 1.0 callback must answer its test notificatie (and a
        # success for a webhook too).
        process.behave(status=204)
        yield process


@pytest.fixture
def router(database: str, kafka_bootstrap_servers: str, tmp_path: Path) -> Iterator[Router]:
    with router_process(
        database=database,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        log_path=tmp_path / "service.log",
        clients=PARTIES,
    ) as running:
        yield running


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    router: Router,
    subscriber: SubscriberProcess,
    kafka_bootstrap_servers: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = httpx.get(f"{router.url}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if path.startswith("/api/")
    }

    def call(who: Party, method: str, path: str, body: Any = None) -> Any:
        with router.api(who) as api:
            answer = api.request(method, path, json=body)
        assert answer.status_code in (200, 201), (method, path, answer.text)
        return answer.json()

    def abonnement(who: Party = AMSTERDAM) -> str:
        return str(call(who, "POST", "/subscriptions", {"sink": sink, "protocol": "HTTP"})["id"])

    def abonnement_1_0() -> str:
        body = {
            "callbackUrl": sink,
            "auth": "Bearer abonnee",
            "kanalen": [{"naam": kanaal["naam"], "filters": {}}],
        }
        return str(call(AMSTERDAM, "POST", "/abonnement", body)["url"].rsplit("/", 1)[1])

    sink = subscriber.hook_url
    kanaal = call(AMSTERDAM, "GET", "/kanaal")[0]
    kanaal_id = kanaal["url"].rsplit("/", 1)[1]
    ids = {"abonnementId": abonnement()}
    weg = {"DELETE /api/v1/subscriptions/{abonnementId}": {"abonnementId": abonnement()}}
    map_weg = {"DELETE /api/v1/subscriptions/{abonnementId}": {"abonnementId": abonnement(MAP)}}
    map_ids = {"abonnementId": abonnement(MAP)}
    # Events for both subscribers, so the delivery log and the pull endpoint serve real items
    # (checked against their schemas).
    asyncio.run(
        publish(
            kafka_bootstrap_servers,
            router.prefix,
            [
                *(event(TERMIJN, partitionkey="p-1", nummer=n) for n in range(3)),
                event(OPDRACHT, partitionkey="p-2", aanbiederoin=MAP.oin),
            ],
        )
    )
    for who, abonnement_id in ((AMSTERDAM, ids["abonnementId"]), (MAP, map_ids["abonnementId"])):
        deadline = time.monotonic() + 60
        while not call(who, "GET", f"/subscriptions/{abonnement_id}/events")["items"]:
            assert time.monotonic() < deadline, "no event reached the subscription"
            time.sleep(0.3)
    notificaties = {
        "GET /api/v1/kanaal/{uuid}": {"uuid": kanaal_id},
        "GET /api/v1/abonnement/{uuid}": {"uuid": abonnement_1_0()},
        "DELETE /api/v1/abonnement/{uuid}": {"uuid": abonnement_1_0()},
    }
    runs = [
        Run("gemeente", AMSTERDAM, "abonnementen", ids, weg),
        Run("beheerder", BEHEERDER_AMSTERDAM, "abonnementen", ids),
        Run("map", MAP, "abonnementen", map_ids, map_weg),
        Run("notificaties", AMSTERDAM, "notificaties-api-1.0", {}, notificaties),
        Run("publiceren-gemeente", AMSTERDAM, "publiceren"),
        Run("publiceren-duo", DUO, "publiceren"),
    ]
    (tmp_path / "router_hooks.py").write_text(HOOKS)
    monkeypatch.setenv("SCHEMATHESIS_HOOKS", "router_hooks")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path), prepend=os.pathsep)
    monkeypatch.setenv("ROUTER_SCHEMATHESIS_SINK", sink)
    monkeypatch.setenv("ROUTER_SCHEMATHESIS_KANAAL", kanaal["naam"])

    seen: dict[str, set[int]] = defaultdict(set)
    failed: list[str] = []
    for run in runs:
        config = tmp_path / f"{run.name}.toml"
        config.write_text(run.config())
        report = tmp_path / f"{run.name}.ndjson"
        started = time.monotonic()
        result = schemathesis(router.url, run.who, run.tag, report, config)
        (tmp_path / f"{run.name}.out").write_text(result.stdout + result.stderr)
        print(
            f"{run.name} ({run.tag}): exit {result.returncode}, {time.monotonic() - started:.0f} s"
        )
        if result.returncode != 0 or "Stateful" not in result.stdout:
            failed.append(f"== {run.name} ==\n{result.stdout[-20000:]}{result.stderr[-5000:]}")
        for label, statuses in statuses_per_operation(report).items():
            if label in operations:  # not the probes of undocumented methods (405)
                seen[label] |= statuses
    assert set(seen) == operations, sorted(operations - set(seen))
    only_refused = {label for label, statuses in seen.items() if statuses <= {401, 403}}
    assert not only_refused, f"never exercised beyond 401/403: {sorted(only_refused)}"
    # Real views were served (and so checked against their schemas).
    for label in (
        "GET /api/v1/subscriptions",
        "GET /api/v1/subscriptions/{abonnementId}",
        "GET /api/v1/subscriptions/{abonnementId}/deliveries",
        "GET /api/v1/subscriptions/{abonnementId}/events",
        "POST /api/v1/subscriptions/{abonnementId}/secret",
        "GET /api/v1/kanaal",
        "GET /api/v1/kanaal/{uuid}",
        "GET /api/v1/abonnement",
        "GET /api/v1/abonnement/{uuid}",
    ):
        assert seen[label] & {200}, (label, seen[label])
    for label in ("POST /api/v1/subscriptions", "POST /api/v1/abonnement"):
        assert seen[label] & {201}, (label, seen[label])
    assert not failed, "\n".join(failed)
