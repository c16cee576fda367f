"""The reference scenarios (``scenarios/*.yaml``) end to end: coa-adapter and duo-adapter as
their own processes (``keten run``), dossier-bron played by the test stand-in
(``tests/integration/gemeente_standin.py``, its own process too), and ``keten scenario run``
driving them, as a chain tester would from the command line. The scenarios act as several
parties: COA's and DUO's control clients, the gemeente's system at the stand-in, and each
gemeente's own clients (with a medewerker in the token) at the adapters' source APIs.

Afterwards every read of personal data the journeys made must have its record in that
source's processing log (``keten_verwerkingslog``): the same client, the same user, the same
resource id, the outcome that matches the answer, and no record without a read. The reads are
what the runner reports with ``--json``: every request it sent (each poll of a ``wacht`` too),
so the expectation follows the journeys without a list here to keep in step with them.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from keten_core.testing import fresh_database
from tests.integration.test_service import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
KETEN = str(Path(sys.executable).with_name("keten"))
SCENARIOS = ROOT / "scenarios"

COA_OIN = "00000001003214345000"
DUO_OIN = "00000001800866472000"
AMSTERDAM_OIN = "00000001002564440000"
ROTTERDAM_OIN = "00000001002220647000"
GEMEENTEN = {"0363": ("amsterdam", AMSTERDAM_OIN), "0599": ("rotterdam", ROTTERDAM_OIN)}
ADAPTERS = ("coa-adapter", "duo-adapter")
BSNS = ("111222333", "123456782")
# The adapters' source API root (their dataref base); /control/... is their control API.
API = "/api/v1"
# The processing log's outcomes of a 404: another gemeente's row, or no row at all.
GEWEIGERD = ("geweigerd", "niet-gevonden")


def _secret(client_id: str) -> str:
    return f"{client_id}-{secrets.token_hex(24)}"


def _party(client_id: str, service: str, oin: str, rol: str, doel: str, **extra: str) -> dict:
    return {
        "client_id": client_id,
        "service": service,
        "oin": oin,
        "rol": rol,
        "doelen": [doel],
        "secret": _secret(client_id),
        **extra,
    }


def parties() -> list[dict[str, Any]]:
    """The registry of both adapters: their own control clients and, per gemeente, a
    medewerker-inburgering client at each adapter."""
    entries = [
        _party("coa-control", "coa-adapter", COA_OIN, "coa", "koppeling-en-klantprofiel"),
        _party("duo-control", "duo-adapter", DUO_OIN, "duo", "plicht-en-termijnen"),
    ]
    for code, (naam, oin) in GEMEENTEN.items():
        for service in ADAPTERS:
            entries.append(
                _party(
                    f"{naam}-{service.split('-')[0]}",
                    service,
                    oin,
                    "gemeente",
                    "uitvoering-inburgering",
                    functie="medewerker-inburgering",
                    namens=code,
                )
            )
    return entries


@contextmanager
def process(
    name: str,
    argv: list[str],
    env: Mapping[str, str],
    logs: Path,
    url: str,
    *,
    base_env: Mapping[str, str] | None = None,
    timeout_s: float = 90,
) -> Iterator[subprocess.Popen[bytes]]:
    """A process with its output in ``logs/<name>.log``, ready when ``url`` answers 200;
    terminated (then killed) on the way out. ``env`` on top of ``base_env`` (default: this
    process's environment)."""
    log_file = (logs / f"{name}.log").open("wb")
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**(os.environ if base_env is None else base_env), **env},
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready at {url} within {timeout_s:.0f} s")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log_file.close()


def print_logs(logs: Path) -> None:
    for log in sorted(logs.glob("*.log")):
        print(f"===== {log.name} =====\n{log.read_text(errors='replace')[-20000:]}")


async def verwerkingslog(database: str) -> list[dict[str, Any]]:
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT client_id, resource, resource_id, uitkomst, doel, betrokkene, "
                    "gebruiker FROM keten_verwerkingslog ORDER BY id"
                )
            )
            return [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()


# Starts one adapter: (service, its environment, the log folder, its readiness URL).
Starter = Callable[[str, dict[str, str], Path, str], AbstractContextManager[object]]


def keten_run(service: str, env: dict[str, str], logs: Path, ready: str) -> Any:
    """An adapter from this checkout (``keten run``)."""
    return process(service, [KETEN, "run", service], env, logs, ready)


def run_journeys(
    databases: Mapping[str, str],
    kafka_bootstrap_servers: str,
    logs: Path,
    *,
    start: Starter = keten_run,
    naam: str = "ref",
) -> list[dict[str, Any]]:
    """Start the adapters (with ``start``) and the stand-in, run both scenario files, stop
    everything; every request the runner sent, as ``keten scenario run --json`` reported it."""
    prefix = f"{naam}{secrets.token_hex(4)}."
    registry = parties()
    by_id = {p["client_id"]: p for p in registry}
    gemeente_systeem = {"client_id": "gemeente-systeem", "secret": _secret("gemeente-systeem")}
    duo_bij_bron = {"client_id": "duo-bij-dossier-bron", "secret": _secret("duo-bij-bron")}
    ports = {name: free_port() for name in (*ADAPTERS, "dossier-bron")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    oins = {"coa-adapter": COA_OIN, "duo-adapter": DUO_OIN}
    common = {
        "KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "KETEN_TOPIC_PREFIX": prefix,
        "KETEN_DEAD_LETTER_TOPIC": f"{prefix}deadletter",
        "KETEN_SANDBOX": "true",
        "KETEN_LOG_JSON": "false",
    }
    verzoeken: list[dict[str, Any]] = []
    with ExitStack() as stack:
        for service in ADAPTERS:
            env = {
                **common,
                "KETEN_DATABASE_URL": databases[service],
                "KETEN_OIN": oins[service],
                "KETEN_HTTP_PORT": str(ports[service]),
                "KETEN_PARTIES": json.dumps(registry),
                "KETEN_CONTROL_API": "true",
                "KETEN_VERWERKINGSLOG_SLEUTEL": _secret("verwerkingslog"),
                # DUO's credential at the gemeente's source (core DatarefLezer).
                "KETEN_BRONNEN": json.dumps(
                    [{"base_url": urls["dossier-bron"] + "/api/v1", **duo_bij_bron}]
                ),
            }
            stack.enter_context(start(service, env, logs, urls[service] + "/health/ready"))
        standin_env = {
            **common,
            "KETEN_OIN": AMSTERDAM_OIN,
            "KETEN_HTTP_PORT": str(ports["dossier-bron"]),
            "GEMEENTE_STANDIN_CLIENTS": json.dumps(
                [{**gemeente_systeem, "rol": "gemeente"}, {**duo_bij_bron, "rol": "duo"}]
            ),
        }
        stack.enter_context(
            process(
                "dossier-bron-standin",
                [sys.executable, "-m", "tests.integration.gemeente_standin"],
                standin_env,
                logs,
                urls["dossier-bron"] + "/health/ready",
            )
        )

        scenario_env = {
            **os.environ,
            "SCENARIO_COA_CLIENT_ID": "coa-control",
            "SCENARIO_COA_SECRET": by_id["coa-control"]["secret"],
            "SCENARIO_DUO_CLIENT_ID": "duo-control",
            "SCENARIO_DUO_SECRET": by_id["duo-control"]["secret"],
            "SCENARIO_GEMEENTE_CLIENT_ID": gemeente_systeem["client_id"],
            "SCENARIO_GEMEENTE_SECRET": gemeente_systeem["secret"],
        }
        # Each gemeente's own clients at the adapters: SCENARIO_AMSTERDAM_DUO_CLIENT_ID, ...
        for naam, _ in GEMEENTEN.values():
            for service in ADAPTERS:
                client_id = f"{naam}-{service.split('-')[0]}"
                variabele = f"SCENARIO_{client_id.upper().replace('-', '_')}"
                scenario_env[f"{variabele}_CLIENT_ID"] = client_id
                scenario_env[f"{variabele}_SECRET"] = by_id[client_id]["secret"]
        for bestand, diensten in (
            ("asielstatushouder.yaml", ("coa-adapter", "duo-adapter", "dossier-bron")),
            ("gezinsmigrant.yaml", ("duo-adapter", "dossier-bron")),
        ):
            argv = [KETEN, "scenario", "run", "--json", str(SCENARIOS / bestand)]
            for dienst in diensten:
                argv += ["--dienst", f"{dienst}={urls[dienst]}"]
            run = subprocess.run(
                argv,
                cwd=ROOT,
                env=scenario_env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            (logs / f"scenario-{bestand}.log").write_text(run.stdout + run.stderr)
            assert run.returncode == 0, f"{bestand}:\n{run.stdout}\n{run.stderr}"
            records = [json.loads(regel) for regel in run.stdout.splitlines()]
            stappen = [r for r in records if r["soort"] == "stap"]
            assert stappen and all(r["tekst"].endswith("  ok") for r in stappen), bestand
            verzoeken += [r for r in records if r["soort"] == "verzoek"]
    return verzoeken


async def test_reference_scenarios_run_end_to_end_and_every_read_is_logged(
    postgres_server_url: str, kafka_bootstrap_servers: str, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    failed = True
    async with (
        fresh_database(postgres_server_url) as coa_db,
        fresh_database(postgres_server_url) as duo_db,
    ):
        databases = {"coa-adapter": coa_db, "duo-adapter": duo_db}
        try:
            # Every process is stopped when it returns: the logs hold all the journeys read.
            verzoeken = await asyncio.to_thread(
                run_journeys, databases, kafka_bootstrap_servers, logs
            )
            await assert_every_read_logged(verzoeken, databases)
            failed = False
        finally:
            if failed:
                print_logs(logs)


def verwachte_rijen(verzoek: dict[str, Any]) -> tuple[str, list[str]]:
    """The processing-log rows one request to a source API must have left: (uitkomst, resource
    ids). A served row (200) is logged as geleverd, a list row by row; a refused or unknown id
    (404) as geweigerd or niet-gevonden; a request refused before any data was touched (422: a
    tick-off without a user) leaves none."""
    # /api/v1/<collection>/<id>[/<action>]: the id is the second segment below the API root.
    delen = verzoek["pad"].removeprefix(API).strip("/").split("/")
    if verzoek["status"] == 200:
        antwoord = verzoek["antwoord"]
        if isinstance(antwoord, list):
            # A search (signalen-zoeken): the id of each row served, its first ...Id field.
            return "geleverd", [
                next(str(v) for k, v in row.items() if k.endswith("Id")) for row in antwoord
            ]
        return "geleverd", [delen[1]]
    if verzoek["status"] == 404:
        return "geweigerd", [delen[1]]
    assert verzoek["status"] == 422, verzoek
    return "geen", []


async def assert_every_read_logged(
    verzoeken: list[dict[str, Any]], databases: Mapping[str, str]
) -> None:
    for service, database in databases.items():
        # The runner's requests at this source's API as a gemeente (not its control API).
        reads = [v for v in verzoeken if v["dienst"] == service and v["pad"].startswith(API + "/")]
        rows = await verwerkingslog(database)
        verwacht: dict[str, Counter[tuple[str, str, str | None]]] = {
            "geleverd": Counter(),
            "geweigerd": Counter(),
            "geen": Counter(),
        }
        for read in reads:
            uitkomst, ids = verwachte_rijen(read)
            verwacht[uitkomst].update((read["client_id"], rid, read["gebruiker"]) for rid in ids)
        for uitkomsten, soort in ((("geleverd",), "geleverd"), (GEWEIGERD, "geweigerd")):
            gelogd = Counter(
                (r["client_id"], r["resource_id"], r["gebruiker"])
                for r in rows
                if r["uitkomst"] in uitkomsten
            )
            # (client, resource id, user): read but not logged, and logged but never read.
            assert gelogd == verwacht[soort], (
                f"{service} {soort}: not logged {dict(verwacht[soort] - gelogd)}, "
                f"logged without a read {dict(gelogd - verwacht[soort])}"
            )
        assert len(rows) == sum(verwacht["geleverd"].values()) + sum(verwacht["geweigerd"].values())
        assert all(r["doel"] == "uitvoering-inburgering" for r in rows)
        # The subject is pseudonymised: no BSN in the log.
        assert not any(bsn in json.dumps(rows, default=str) for bsn in BSNS)

    # What the journeys read, per source (a check that the comparison above compared something),
    # each as the medewerker the scenario names in its client.
    resources = {
        (row["resource"], row["client_id"], row["gebruiker"], row["uitkomst"])
        for database in databases.values()
        for row in await verwerkingslog(database)
    }
    assert {
        ("klantprofiel", "amsterdam-coa", "mdw-ams-0001", "geleverd"),
        ("inburgeringsplicht", "amsterdam-duo", "mdw-ams-0001", "geleverd"),
        ("termijn", "amsterdam-duo", "mdw-ams-0001", "geleverd"),
        ("verlenging", "amsterdam-duo", "mdw-ams-0001", "geleverd"),
        ("signaal", "amsterdam-duo", "mdw-ams-0001", "geleverd"),
        ("signaal", "amsterdam-duo", "mdw-ams-0002", "geleverd"),
        ("inburgeringsplicht", "rotterdam-duo", "mdw-rtm-0001", "geleverd"),
        ("inburgeringsplicht", "amsterdam-duo", "mdw-ams-0002", "geweigerd"),
    } <= resources, resources
