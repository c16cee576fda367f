"""Schemathesis against duo-adapter running as its own process (``keten run duo-adapter``), on a
real PostgreSQL and Kafka: a fixed seed, 50 examples per operation, every phase including the
stateful one, a valid token per role (DUO's own application for the control API, a gemeente
for the source API). Checks: not_a_server_error, response_schema_conformance,
status_code_conformance. The run fails when an operation never got an answer other than 401
or 403 (then it was never really exercised)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from keten_core.auth import encode_zgw_token
from keten_core.testing import fresh_database
from tests.integration.test_duo_adapter import AMSTERDAM, DUO_OIN, DUO_TESTER, PARTIES, SLEUTEL
from tests.integration.test_service import free_port

pytest.importorskip("schemathesis")

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

SEED = 20261130
EXAMPLES = 50
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
BIN = Path(sys.executable).parent


def token(party: Any) -> str:
    return encode_zgw_token(
        party.client_id, party.secret, user_id="schemathesis", lifetime=timedelta(hours=2)
    )


def schemathesis(
    url: str, party: Any, tag: str, report: Path, config: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(BIN / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            f"{url}/openapi.json",
            "--include-tag",
            tag,
            "--checks",
            CHECKS,
            "--seed",
            str(SEED),
            "--max-examples",
            str(EXAMPLES),
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--header",
            f"Authorization: Bearer {token(party)}",
            "--workers",
            "1",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


def statuses_per_operation(report: Path) -> dict[str, set[int]]:
    """ "METHOD /path/template" -> every status it answered, from the ndjson event stream."""
    found: dict[str, set[int]] = defaultdict(set)
    for line in report.read_text(encoding="utf-8").splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        for case_id, interaction in recorder.get("interactions", {}).items():
            case = recorder["cases"][case_id]["value"]
            if interaction.get("response"):
                label = f"{case['method']} {case['path']}"
                found[label].add(int(interaction["response"]["status_code"]))
    return found


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def duo_adapter(database: str, kafka_bootstrap_servers: str, tmp_path: Path) -> Iterator[str]:
    """duo-adapter as its own process (``keten run duo-adapter``), configured by KETEN_*."""
    port = free_port()
    parties = [
        {**p.model_dump(mode="json"), "secret": p.secret.get_secret_value()} for p in PARTIES
    ]
    env = {
        **os.environ,
        "KETEN_DATABASE_URL": database,
        "KETEN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "KETEN_TOPIC_PREFIX": f"st{port}.",
        "KETEN_DEAD_LETTER_TOPIC": f"st{port}.deadletter",
        "KETEN_OIN": DUO_OIN,
        "KETEN_CONTROL_API": "true",
        "KETEN_VERWERKINGSLOG_SLEUTEL": SLEUTEL,
        "KETEN_PARTIES": json.dumps(parties),
        "KETEN_LOG_LEVEL": "WARNING",
    }
    with (tmp_path / "service.log").open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "keten"), "run", "duo-adapter", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, (tmp_path / "service.log").read_text()
                assert time.monotonic() < deadline, "duo-adapter did not become ready"
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=60)


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(duo_adapter, tmp_path):
    document = httpx.get(f"{duo_adapter}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if path.startswith(("/api/", "/control/"))
    }
    # A person of the gemeente whose token the source run uses, with DUO's decisions: their
    # ids are given to the source run, so reads answer 200 and the views are checked against
    # the documented schemas (random ids only ever get 404).
    duo = httpx.Client(
        base_url=duo_adapter, headers={"Authorization": f"Bearer {token(DUO_TESTER)}"}
    )

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = duo.post(f"/control{path}", json=body)
        assert answer.status_code in (200, 201), answer.text
        result: dict[str, Any] = answer.json()
        return result

    person = post(
        "/inburgeringsplichtigen",
        {"bsn": "111222333", "doelgroep": "asielstatushouder", "gemeentecode": AMSTERDAM.namens},
    )["inburgeringsplichtigeId"]
    base = f"/inburgeringsplichtigen/{person}"
    plicht = post(base + "/plicht", {})["inburgeringsplichtId"]
    ids = {
        "inburgeringsplichtId": plicht,
        "vrijstellingId": post(base + "/vrijstellingen", {"omvang": "gedeeltelijk"})[
            "vrijstellingId"
        ],
        "ontheffingId": post(base + "/ontheffingen", {"omvang": "aangepaste-examenomstandigheden"})[
            "ontheffingId"
        ],
        "lbtUitslagId": post(
            base + "/lbt-uitslagen", {"afnamedatum": "2026-02-01", "uitkomst": "B1 haalbaar"}
        )["lbtUitslagId"],
        "examenresultaatId": post(
            base + "/examenresultaten",
            {"onderdeel": "lezen", "examendatum": "2026-06-01", "uitslag": "niet-behaald"},
        )["examenresultaatId"],
        "verlengingId": post(base + "/verlengingen", {})["verlengingId"],
        "duoBoeteId": post(
            base + "/boetes", {"grond": "termijn-overschreden", "bedragInCenten": 50000}
        )["duoBoeteId"],
        "handhavingsverzoekId": post(base + "/handhavingsverzoeken", {})["handhavingsverzoekId"],
        "signaalId": post(base + "/signalen", {"code": "pip-aanleveren"})["signaalId"],
    }
    configs = {"control": tmp_path / "control.toml", "bron": tmp_path / "bron.toml"}
    configs["control"].write_text(
        f'[parameters]\n"path.inburgeringsplichtigeId" = "{person}"\n'
        f'"path.verlengingId" = "{ids["verlengingId"]}"\n'
    )
    configs["bron"].write_text(
        "[parameters]\n" + "".join(f'"path.{name}" = "{value}"\n' for name, value in ids.items())
    )

    seen: dict[str, set[int]] = defaultdict(set)
    for party, tag in ((DUO_TESTER, "control"), (AMSTERDAM, "bron")):
        report = tmp_path / f"{tag}.ndjson"
        run = schemathesis(duo_adapter, party, tag, report, configs[tag])
        assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
        assert "Stateful" in run.stdout
        for label, statuses in statuses_per_operation(report).items():
            if label in operations:  # not the probes of undocumented methods (405)
                seen[label] |= statuses
    assert set(seen) == operations
    only_refused = {label for label, statuses in seen.items() if statuses <= {401, 403}}
    assert not only_refused, f"never exercised beyond 401/403: {sorted(only_refused)}"
    # The source API served real views (checked against their schemas).
    for label in (
        "GET /api/v1/inburgeringsplichten/{inburgeringsplichtId}",
        "GET /api/v1/vrijstellingen/{vrijstellingId}",
        "GET /api/v1/examenresultaten/{examenresultaatId}",
        "GET /api/v1/signalen/{signaalId}",
        "GET /api/v1/handhavingsverzoeken/{handhavingsverzoekId}",
        "POST /control/inburgeringsplichtigen",
    ):
        assert seen[label] & {200, 201}, (label, seen[label])
