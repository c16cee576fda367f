"""The example aanbieder (``examples/aanbieder``) against the real chain: coa-adapter,
dossier-bron and the notificatie-router as their own processes (``keten run``) on one topic
prefix, the example as its own process (``python -m examples.aanbieder``), configured only as a
vendor would be: a router credential and a dossier-bron credential.

COA links a statushouder to Amsterdam (the dossier opens at dossier-bron), the gemeente
completes the intake, decides the PIP and gives a MAP opdracht to the example's organisation.
The example must have agreed to the handshake, received ``opdracht.verstrekt`` with a valid
signature, fetched the opdracht at dossier-bron, and submitted its report, which the gemeente
then reads there. A forged delivery is refused and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from keten_contracts.clients import Doel, Functie
from keten_contracts.parties import Rol
from keten_core.auth import Party, ZGWTokenAuth
from keten_core.testing import fresh_database
from tests.integration.test_dossier_bron import party
from tests.integration.test_service import free_port
from tests.router_support import MAP, MAP_OIN, router_process
from tests.schemathesis_support import ServiceProcess

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
BSN = "111222333"
COA_OIN = "00000001801118390000"
AMSTERDAM_OIN = "00000001002564440000"
SLEUTEL = "verwerkingslog-sleutel-voorbeeld-0123456789abcdef-01"
ADRES = {"straat": "Dam", "huisnummer": "1", "postcode": "1012JS", "woonplaats": "Amsterdam"}
CONTACTPERSOON = {"naam": "Jannie de Vries", "telefoon": "088-7157000"}


G = {"functie": Functie.MEDEWERKER_INBURGERING, "namens": "0363"}
CASEMANAGER = party("coa-adapter", "coa-tvs", COA_OIN, Rol.COA, Doel.KOPPELING_EN_KLANTPROFIEL)
# dossier-bron's credential at coa-adapter (it fetches what COA's events point at).
BRON_BIJ_COA = party(
    "coa-adapter",
    "dossier-bron-0363",
    AMSTERDAM_OIN,
    Rol.GEMEENTE,
    Doel.UITVOERING_INBURGERING,
    **G,
)
AMSTERDAM = party(
    "dossier-bron", "amsterdam", AMSTERDAM_OIN, Rol.GEMEENTE, Doel.UITVOERING_INBURGERING, **G
)
# The example's organisation at dossier-bron: the same OIN as its router credential (MAP).
MAP_BIJ_BRON = party(
    "dossier-bron", "map-bureau-bij-bron", MAP_OIN, Rol.MAP_AANBIEDER, Doel.OPDRACHT_UITVOERING
)
PARTIES: tuple[Party, ...] = (CASEMANAGER, BRON_BIJ_COA, AMSTERDAM, MAP_BIJ_BRON, MAP)
OPDRACHT = {
    "soort": "map",
    "aanbiedersoort": "map-aanbieder",
    "aanbiederOin": MAP_OIN,
    "aanbiederNaam": "MAP Bureau Voorbeeld",
    "beoogdeStart": "2026-03-01",
    "uitersteDatum": "2027-01-15",
}

X = TypeVar("X")


def until(probe: Callable[[], X | None], what: str, timeout_s: float = 60.0) -> X:
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def auth(p: Party) -> ZGWTokenAuth:
    return ZGWTokenAuth(p.client_id, p.secret, user_id="medewerker-1")


@pytest.fixture
async def coa_db(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
async def bron_db(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "logs"
    directory.mkdir()
    yield directory


def _prefix_env(prefix: str) -> dict[str, str]:
    return {"KETEN_TOPIC_PREFIX": prefix, "KETEN_DEAD_LETTER_TOPIC": f"{prefix}deadletter"}


def _start_example(router_url: str, bron_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    # Only what a vendor gets: the URLs and its two credentials (no KETEN_* at all).
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETEN_")}
    env.update(
        {
            "AANBIEDER_ROUTER_URL": router_url,
            "AANBIEDER_ROUTER_CLIENT_ID": MAP.client_id,
            "AANBIEDER_ROUTER_SECRET": MAP.secret.get_secret_value(),
            "AANBIEDER_BRON_URL": bron_url + "/api/v1",
            "AANBIEDER_BRON_CLIENT_ID": MAP_BIJ_BRON.client_id,
            "AANBIEDER_BRON_SECRET": MAP_BIJ_BRON.secret.get_secret_value(),
        }
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "examples.aanbieder", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def dossier_met_pip(
    coa: httpx.Client,
    bron: httpx.Client,
    *,
    casemanager: httpx.Auth | None = None,
    medewerker: httpx.Auth | None = None,
    bsn: str = BSN,
) -> str:
    """COA's koppeling opens the dossier; the gemeente completes the intake and the PIP.
    ``casemanager`` is COA's control client, ``medewerker`` the gemeente's at dossier-bron."""
    casemanager = casemanager or auth(CASEMANAGER)
    medewerker = medewerker or auth(AMSTERDAM)
    sh = coa.post(
        "/control/v1/statushouders",
        json={
            "bsn": bsn,
            "voornamen": "Amal",
            "geslachtsnaam": "Haddad",
            "geboortedatum": "1994-05-17",
            "coaContactpersoon": CONTACTPERSOON,
            "adres": ADRES,
        },
        auth=casemanager,
    )
    assert sh.status_code in (200, 201), sh.text
    koppeling = coa.post(
        f"/control/v1/statushouders/{sh.json()['statushouderId']}/koppeling",
        json={"gemeentecode": "0363", "azcLocatie": "AZC Budel-Cranendonck"},
        auth=casemanager,
    )
    assert koppeling.status_code in (200, 201), koppeling.text

    def zoek() -> list[dict[str, Any]]:
        answer = bron.post("/api/v1/dossiers/zoeken", json={"bsn": bsn}, auth=medewerker)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found

    [dossier] = until(zoek, "the dossier at dossier-bron")
    did = str(dossier["dossierId"])

    def post(path: str, body: Any) -> httpx.Response:
        answer = bron.post(f"/api/v1{path}", json=body, auth=medewerker)
        assert answer.status_code in (200, 201), answer.text
        return answer

    intake_id = post(f"/dossiers/{did}/intake/uitnodigingen", {"datum": "2026-01-05"}).json()[
        "intakeId"
    ]
    came = bron.put(
        f"/api/v1/intakes/{intake_id}/uitnodigingen/1/aanwezigheid",
        json={"verschenen": True},
        auth=medewerker,
    )
    assert came.status_code == 200, came.text
    post(
        f"/intakes/{intake_id}/afronding",
        {
            "afgerondOp": "2026-01-12",
            "lbtAfgenomen": True,
            "lbtUitkomst": "b1-haalbaar",
            "opleidingsniveau": "isced-3",
            "alfabetisering": "gealfabetiseerd",
            "taalniveau": "A1",
            "zelfredzaamheid": "grotendeels-zelfredzaam",
            "gezinssituatie": "alleenstaand",
            "sociaalNetwerk": "beperkt",
        },
    )
    post(
        f"/dossiers/{did}/pip",
        {
            "vaststellingsdatum": "2026-01-15",
            "leerroute": "b1-route",
            "taalniveauEerstePip": "B1",
            "doelen": ["B1 behalen"],
            "intensiteitUren": 600,
        },
    )
    return did


def test_the_example_aanbieder_receives_verifies_fetches_and_reports(
    router_db: str,
    coa_db: str,
    bron_db: str,
    kafka_bootstrap_servers: str,
    logs: Path,
) -> None:
    prefix = f"vb{uuid.uuid4().hex[:8]}."
    example: subprocess.Popen[bytes] | None = None
    coa_process = ServiceProcess(
        "coa-adapter",
        database=coa_db,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        oin=COA_OIN,
        parties=PARTIES,
        sleutel=SLEUTEL,
        log_path=logs / "coa-adapter.log",
        extra_env=_prefix_env(prefix),
    )
    bron_process = ServiceProcess(
        "dossier-bron",
        database=bron_db,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        oin=AMSTERDAM_OIN,
        parties=PARTIES,
        sleutel=SLEUTEL,
        log_path=logs / "dossier-bron.log",
        extra_env={
            **_prefix_env(prefix),
            "KETEN_GEMEENTEN": json.dumps({"0363": AMSTERDAM_OIN}),
            "KETEN_BRONNEN": json.dumps(
                [
                    {
                        "base_url": coa_process.url + "/api/v1",
                        "client_id": BRON_BIJ_COA.client_id,
                        "secret": BRON_BIJ_COA.secret.get_secret_value(),
                    }
                ]
            ),
        },
    )
    failed = True
    try:
        coa_process.start()
        bron_process.start()
        with router_process(
            database=router_db,
            kafka_bootstrap_servers=kafka_bootstrap_servers,
            log_path=logs / "router.log",
            extra_env=_prefix_env(prefix),
            clients=PARTIES,
        ) as router:
            port = free_port()
            example_url = f"http://127.0.0.1:{port}"
            example = _start_example(router.url, bron_process.url, port, logs / "example.log")

            def status() -> dict[str, Any] | None:
                assert example is not None and example.poll() is None, "the example exited"
                try:
                    found: dict[str, Any] = httpx.get(example_url + "/status", timeout=2).json()
                except httpx.TransportError:
                    return None
                return found

            # Subscribed: the router asked for consent (the handshake) and answered 201.
            subscribed = until(lambda: (s := status()) and s["subscription"] and s, "subscribe")
            assert subscribed["handshakes"] >= 1

            with (
                httpx.Client(base_url=coa_process.url, timeout=30) as coa,
                httpx.Client(base_url=bron_process.url, timeout=30) as bron,
            ):
                did = dossier_met_pip(coa, bron)
                given = bron.post(
                    f"/api/v1/dossiers/{did}/opdrachten", json=OPDRACHT, auth=auth(AMSTERDAM)
                )
                assert given.status_code == 201, given.text
                opdracht_id = given.json()["opdrachtId"]

                def reported() -> dict[str, Any] | None:
                    for entry in (status() or {}).get("received", []):
                        assert "fout" not in entry, entry
                        if entry.get("rapportId"):
                            return dict(entry)
                    return None

                entry = until(reported, "the example's report")
                assert entry["verified"] is True
                assert entry["type"] == "nl.inburgering.opdracht.verstrekt.v1"
                assert entry["opdrachtId"] == opdracht_id
                # It fetched the MAP aanbieder's view: no BSN in it (a MAP is no language task).
                assert "beoogdeStart" in entry["opdrachtVelden"]
                assert "bsn" not in entry["opdrachtVelden"]

                # The report arrived at dossier-bron: the gemeente reads it on the opdracht.
                rapporten = bron.get(
                    f"/api/v1/opdrachten/{opdracht_id}/traject-gestart-rapporten",
                    auth=auth(AMSTERDAM),
                )
                assert rapporten.status_code == 200, rapporten.text
                [rapport] = rapporten.json()
                assert rapport["rapportId"] == entry["rapportId"]
                assert rapport["gerealiseerdeStartdatum"] == OPDRACHT["beoogdeStart"]

            # A delivery not signed with the subscription's secret is refused and ignored.
            before = status()
            assert before is not None
            forged = httpx.post(
                example_url + "/webhook",
                content=b'{"type": "nl.inburgering.opdracht.verstrekt.v1"}',
                headers={
                    "content-type": "application/cloudevents+json",
                    "webhook-id": "msg_forged",
                    "webhook-timestamp": str(int(time.time())),
                    "webhook-signature": "v1,bm90LWEtc2lnbmF0dXJl",
                },
                timeout=5,
            )
            assert forged.status_code == 401
            after = status()
            assert after is not None
            assert after["rejected"] == before["rejected"] + 1
            assert after["received"] == before["received"]
            failed = False
    finally:
        if example is not None:
            example.terminate()
            example.wait(timeout=10)
        bron_process.stop()
        coa_process.stop()
        if failed:
            for log in sorted(logs.glob("*.log")):
                print(f"===== {log.name} =====\n{log.read_text(errors='replace')[-8000:]}")
