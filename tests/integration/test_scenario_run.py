"""`keten scenario run` against a real HTTP service: a small FastAPI app on a loopback port with
a few operations, ZGW JWT authentication of two registered clients, an effect that appears a
moment after the call and the kit's sandbox clock router on a clock of its own."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI
from pydantic import BaseModel

from keten_core import cli
from keten_core.auth import (
    AuthenticatedCaller,
    Party,
    PartyRegistry,
    TokenVerifier,
    authenticated_party,
)
from keten_core.clock import AMSTERDAM, Clock, sandbox_clock_router
from keten_core.problems import Problem, install_problem_handlers
from keten_core.scenario import ScenarioFout, StapMislukt, laad_scenario, lees_scenario, voer_uit

pytestmark = pytest.mark.slow

VOORBEELD = Path(__file__).parents[1] / "data" / "scenario_voorbeeld.yaml"
CLIENT_ID = "scenario-test"
SECRET = "s" * 40
OMGEVING = {"SCENARIO_TEST_CLIENT_ID": CLIENT_ID, "SCENARIO_TEST_SECRET": SECRET}
# A second party the same file acts as (e.g. a gemeente medewerker beside a control client).
MEDEWERKER_ID = "scenario-medewerker"
MEDEWERKER_SECRET = "m" * 40
# Every operation of the test service needs the runner's ZGW token.
Caller = Annotated[AuthenticatedCaller, Depends(authenticated_party)]


class NieuwePersoon(BaseModel):
    naam: str


@dataclass
class Testdienst:
    __test__ = False  # not a test class, whatever its name

    clock: Clock = field(default_factory=lambda: Clock(sandbox=True))
    personen: dict[str, dict[str, Any]] = field(default_factory=dict)

    def app(self) -> FastAPI:
        app = FastAPI()
        install_problem_handlers(app)
        parties = [
            Party.model_validate(
                {
                    "client_id": client_id,
                    "service": "testdienst",
                    "oin": "00000001003214345000",
                    "rol": "duo",
                    "doelen": ["plicht-en-termijnen"],
                    "secret": secret,
                }
            )
            for client_id, secret in ((CLIENT_ID, SECRET), (MEDEWERKER_ID, MEDEWERKER_SECRET))
        ]
        app.state.token_verifier = TokenVerifier(
            PartyRegistry(parties, service="testdienst"), service="testdienst"
        )
        app.include_router(sandbox_clock_router(self.clock))

        @app.post("/personen", operation_id="maakPersoon", status_code=201)
        async def maak(body: NieuwePersoon, caller: Caller) -> dict[str, str]:
            persoon_id = f"p-{len(self.personen) + 1}"
            self.personen[persoon_id] = {
                "id": persoon_id,
                "naam": body.naam,
                "sinds": self.clock.today(),
                "verwerkt": False,
            }
            # The asynchronous effect a `wacht` step waits for.
            asyncio.get_running_loop().call_later(
                0.3, self.personen[persoon_id].__setitem__, "verwerkt", True
            )
            return {"id": persoon_id}

        @app.get("/wie", operation_id="wieBenIk")
        async def wie(caller: Caller) -> dict[str, str]:
            # What the token said: which client, for which user.
            return {
                "client_id": caller.client_id,
                "user_id": caller.user_id,
                "user_representation": caller.user_representation,
            }

        @app.get("/personen", operation_id="zoekPersonen")
        async def zoek(caller: Caller) -> list[dict[str, Any]]:
            return [
                {"id": p["id"], "naam": p["naam"], "verwerkt": p["verwerkt"]}
                for p in self.personen.values()
            ]

        @app.get("/personen/{persoon_id}", operation_id="leesPersoon")
        async def lees(persoon_id: str, caller: Caller) -> dict[str, Any]:
            persoon = self.personen.get(persoon_id)
            if persoon is None:
                raise Problem(404, detail=f"no person {persoon_id}")
            sinds: date = persoon["sinds"]
            verstreken = (self.clock.today() - sinds).days >= 89  # three months, near enough
            return {
                "id": persoon_id,
                "verwerkt": persoon["verwerkt"],
                "status": "termijn-verstreken" if verstreken else "lopend",
            }

        return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(30):
            await task


@pytest.fixture
async def dienst() -> AsyncIterator[tuple[Testdienst, str]]:
    testdienst = Testdienst()
    async with serving(testdienst.app()) as url:
        yield testdienst, url


async def test_the_example_scenario_runs_its_four_steps(dienst):
    testdienst, url = dienst
    regels: list[str] = []
    resultaten = await voer_uit(
        laad_scenario(VOORBEELD), {"testdienst": url}, omgeving=OMGEVING, schrijf=regels.append
    )
    assert resultaten == {"persoon": {"id": "p-1"}}
    assert len(regels) == 4 and all(regel.endswith("  ok") for regel in regels)
    assert regels[0].startswith("step  1  line  11 [persoon aanmaken]  testdienst maakPersoon: ")
    assert "POST /personen -> 201" in regels[0]
    assert regels[1].startswith("step  2  line  19  klok vooruit P3M: testdienst ")
    assert "GET /personen/p-1 -> 200 after" in regels[2]
    # The clock moved three calendar months, and only the test service's own clock did.
    assert testdienst.clock.moved
    assert (testdienst.clock.today() - testdienst.personen["p-1"]["sinds"]).days >= 89


async def test_the_command_runs_the_file_and_exits_non_zero_naming_the_failed_step(
    dienst, capsys, monkeypatch, tmp_path
):
    _, url = dienst
    for naam, waarde in OMGEVING.items():
        monkeypatch.setenv(naam, waarde)
    # The command starts its own event loop: run it beside the one serving the test service.
    argumenten = ["scenario", "run", str(VOORBEELD), "--dienst", f"testdienst={url}"]
    assert await asyncio.to_thread(cli.main, argumenten) == 0
    uit = capsys.readouterr().out
    assert "all 4 steps passed" in uit
    assert uit.count("  ok\n") == 4

    # The same journey, expecting the wrong state in the last step.
    fout = tmp_path / "fout.yaml"
    fout.write_text(VOORBEELD.read_text().replace("status: termijn-verstreken", "status: lopend"))
    monkeypatch.setenv("KETEN_TESTDIENST_URL", url)  # the environment names the URL this time
    assert await asyncio.to_thread(cli.main, ["scenario", "run", str(fout)]) == 1
    vastgelegd = capsys.readouterr()
    assert "FAILED" in vastgelegd.out.splitlines()[-1]
    assert vastgelegd.err.strip() == (
        "keten scenario: step 4 (line 31) failed: testdienst leesPersoon: "
        'GET /personen/p-2 -> 200: $.status: expected "lopend", got "termijn-verstreken"'
    )


async def test_klok_naar_bevroren_months_and_herstel(dienst):
    testdienst, url = dienst
    scenario = lees_scenario(
        """\
naam: klok
diensten: {testdienst: null}
stappen:
  - klok: {naar: "2026-01-31T09:00:00+01:00", bevroren: true}
  - klok: {vooruit: P1M}
  - klok: {vooruit: P2M}
  - klok: {vooruit: PT1H}
"""
    )
    regels: list[str] = []
    await voer_uit(scenario, {"testdienst": url}, omgeving={}, schrijf=regels.append)
    # Calendar months in Amsterdam: 31 January + 1 month = 28 February, + 2 = 28 April, and
    # 09:00 stays 09:00 across the change to summer time; a frozen clock stays frozen.
    assert testdienst.clock.frozen
    assert testdienst.clock.now() == datetime(2026, 4, 28, 10, 0, tzinfo=AMSTERDAM)
    assert "testdienst 2026-02-28T09:00:00+01:00" in regels[1]
    assert "testdienst 2026-04-28T09:00:00+02:00" in regels[2]

    herstel = lees_scenario(
        "naam: h\ndiensten: {testdienst: null}\nstappen:\n  - klok: {herstel: true}\n"
    )
    await voer_uit(herstel, {"testdienst": url}, omgeving={}, schrijf=regels.append)
    assert not testdienst.clock.moved


async def test_an_unknown_operation_is_refused_before_the_first_step_runs(dienst):
    testdienst, url = dienst
    scenario = lees_scenario(
        """\
naam: typo
diensten: {testdienst: null}
client:
  testdienst: {client_id_env: SCENARIO_TEST_CLIENT_ID, secret_env: SCENARIO_TEST_SECRET}
stappen:
  - dienst: testdienst
    operatie: maakPersoon
    met: {naam: Amal}
  - dienst: testdienst
    operatie: leesPersoo
  - wacht: {dienst: testdienst, operatie: maakPersoon, tot: {status: 201}}
"""
    )
    with pytest.raises(ScenarioFout) as info:
        await voer_uit(scenario, {"testdienst": url}, omgeving=OMGEVING, schrijf=print)
    assert str(info.value) == (
        "<scenario>:9: step 2: testdienst has no operation 'leesPersoo' "
        "(did you mean leesPersoon?)\n"
        "<scenario>:11: step 3: wacht polls a GET operation; maakPersoon is POST"
    )
    assert testdienst.personen == {}


async def test_a_wacht_that_never_holds_fails_after_its_time(dienst):
    _, url = dienst
    scenario = lees_scenario(
        """\
naam: wacht
diensten: {testdienst: null}
client:
  testdienst: {client_id_env: SCENARIO_TEST_CLIENT_ID, secret_env: SCENARIO_TEST_SECRET}
stappen:
  - dienst: testdienst
    operatie: maakPersoon
    met: {naam: Amal}
    als: p
  - wacht:
      dienst: testdienst
      operatie: leesPersoon
      met: {persoon_id: "${p.id}"}
      tot: {json: {status: termijn-verstreken}}
      binnen: PT0.5S
      interval: PT0.1S
"""
    )
    with pytest.raises(StapMislukt) as info:
        await voer_uit(scenario, {"testdienst": url}, omgeving=OMGEVING, schrijf=lambda _: None)
    melding = str(info.value)
    assert melding.startswith("step 2 (line 10) failed: wacht testdienst leesPersoon: ")
    assert "not within PT0.5S" in melding
    assert 'last: $.status: expected "termijn-verstreken", got "lopend"' in melding


TWEE_CLIENTS = """\
naam: twee partijen
diensten: {testdienst: null}
client:
  testdienst: {client_id_env: SCENARIO_TEST_CLIENT_ID, secret_env: SCENARIO_TEST_SECRET}
  medewerker:
    client_id_env: SCENARIO_MEDEWERKER_CLIENT_ID
    secret_env: SCENARIO_MEDEWERKER_SECRET
    user_id_env: SCENARIO_MEDEWERKER
    user_representation: M. de Wit
stappen:
  - dienst: testdienst
    operatie: wieBenIk
    verwacht: {json: {client_id: scenario-test, user_id: ""}}
  - dienst: testdienst
    als_client: medewerker
    operatie: wieBenIk
    verwacht:
      json: {client_id: scenario-medewerker, user_id: mdw-0001, user_representation: M. de Wit}
  - {dienst: testdienst, operatie: maakPersoon, met: {naam: Amal}}
  - {dienst: testdienst, operatie: maakPersoon, met: {naam: Sara}, als: sara}
  - wacht:
      dienst: testdienst
      als_client: medewerker
      operatie: zoekPersonen
      tot: {json: {bevat: {id: "${sara.id}", verwerkt: true}}}
      binnen: PT10S
      interval: PT0.1S
"""


async def test_one_file_acts_as_two_clients_one_with_a_user(dienst):
    _, url = dienst
    omgeving = {
        **OMGEVING,
        "SCENARIO_MEDEWERKER_CLIENT_ID": MEDEWERKER_ID,
        "SCENARIO_MEDEWERKER_SECRET": MEDEWERKER_SECRET,
        "SCENARIO_MEDEWERKER": "mdw-0001",
    }
    verzoeken: list[dict[str, Any]] = []
    regels: list[str] = []
    await voer_uit(
        lees_scenario(TWEE_CLIENTS),
        {"testdienst": url},
        omgeving=omgeving,
        schrijf=regels.append,
        verzoeken=verzoeken.append,
    )
    assert len(regels) == 5 and all(regel.endswith("  ok") for regel in regels)
    # Every request is reported with the client (and user) whose token it carried; the wacht
    # reports each poll.
    per_stap = [(v["stap"], v["client"], v["client_id"], v["gebruiker"]) for v in verzoeken]
    assert per_stap[:4] == [
        (1, "testdienst", CLIENT_ID, None),
        (2, "medewerker", MEDEWERKER_ID, "mdw-0001"),
        (3, "testdienst", CLIENT_ID, None),
        (4, "testdienst", CLIENT_ID, None),
    ]
    assert {s[1:] for s in per_stap[4:]} == {("medewerker", MEDEWERKER_ID, "mdw-0001")}
    laatste = verzoeken[-1]
    assert (laatste["operatie"], laatste["methode"], laatste["pad"], laatste["status"]) == (
        "zoekPersonen",
        "GET",
        "/personen",
        200,
    )
    assert {"id": "p-2", "naam": "Sara", "verwerkt": True} in laatste["antwoord"]


async def test_a_bevat_that_never_holds_names_the_pattern(dienst):
    _, url = dienst
    scenario = lees_scenario(
        """\
naam: bevat
diensten: {testdienst: null}
client:
  testdienst: {client_id_env: SCENARIO_TEST_CLIENT_ID, secret_env: SCENARIO_TEST_SECRET}
stappen:
  - {dienst: testdienst, operatie: maakPersoon, met: {naam: Amal}}
  - dienst: testdienst
    operatie: zoekPersonen
    verwacht: {json: {bevat: {naam: Sara}}}
"""
    )
    with pytest.raises(StapMislukt) as info:
        await voer_uit(scenario, {"testdienst": url}, omgeving=OMGEVING, schrijf=lambda _: None)
    assert str(info.value).startswith(
        "step 2 (line 7) failed: testdienst zoekPersonen: GET /personen -> 200: $: no element "
        'contains {"naam": "Sara"} (got [{"id": "p-1", "naam": "Amal"'
    )


async def test_the_command_prints_json_lines_with_json(dienst, capsys, monkeypatch):
    _, url = dienst
    for naam, waarde in OMGEVING.items():
        monkeypatch.setenv(naam, waarde)
    argumenten = ["scenario", "run", "--json", str(VOORBEELD), "--dienst", f"testdienst={url}"]
    assert await asyncio.to_thread(cli.main, argumenten) == 0
    records = [json.loads(regel) for regel in capsys.readouterr().out.splitlines()]
    assert [r["soort"] for r in records if r["soort"] == "stap"] == ["stap"] * 4
    eerste = records[0]
    assert eerste["soort"] == "verzoek"
    assert (eerste["stap"], eerste["regel"], eerste["client_id"], eerste["status"]) == (
        1,
        11,
        CLIENT_ID,
        201,
    )
    assert eerste["antwoord"] == {"id": "p-1"}


async def test_without_a_token_the_service_refuses(dienst):
    # The runner's token is what lets the steps above through.
    _, url = dienst
    async with httpx.AsyncClient(base_url=url) as client:
        assert (await client.post("/personen", json={"naam": "x"})).status_code == 401
