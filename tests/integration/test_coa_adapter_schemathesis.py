"""Schemathesis against coa-adapter running as its own process (``keten run coa-adapter``), on a
real PostgreSQL and Kafka: a fixed seed, 50 examples per operation, every phase including the
stateful one, a valid token per role (the COA casemanager's application for the control API, a
gemeente for the source API). Checks: not_a_server_error, response_schema_conformance,
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
from tests.integration.test_coa_adapter import AMSTERDAM, CASEMANAGER, COA_OIN, PARTIES, SLEUTEL
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
        timeout=900,
        cwd=report.parent,  # its cache directory stays out of the work tree
        check=False,
    )


def statuses_per_operation(report: Path) -> dict[str, set[int]]:
    """ "METHOD /path/template" -> every status it answered, from the ndjson event stream (each
    finished scenario records its cases and the interaction of each case)."""
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
def coa_adapter(database: str, kafka_bootstrap_servers: str, tmp_path: Path) -> Iterator[str]:
    """coa-adapter as its own process (``keten run coa-adapter``), configured by KETEN_*."""
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
        "KETEN_OIN": COA_OIN,
        "KETEN_CONTROL_API": "true",
        "KETEN_VERWERKINGSLOG_SLEUTEL": SLEUTEL,
        "KETEN_PARTIES": json.dumps(parties),
        "KETEN_LOG_LEVEL": "WARNING",
    }
    with (tmp_path / "service.log").open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "keten"), "run", "coa-adapter", "--port", str(port)],
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
                assert time.monotonic() < deadline, "coa-adapter did not become ready"
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=60)


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(coa_adapter, tmp_path):
    document = httpx.get(f"{coa_adapter}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if path.startswith(("/api/", "/control/"))
    }
    # A person linked to the gemeente whose token the source run uses, with a warme overdracht:
    # its ids are given to the source run, so reads answer 200 and their views are checked
    # against the documented schemas (random ids only ever get 404).
    coa = httpx.Client(
        base_url=coa_adapter, headers={"Authorization": f"Bearer {token(CASEMANAGER)}"}
    )
    body = document["paths"]["/control/v1/statushouders"]["post"]["requestBody"]
    voorbeeld = body["content"]["application/json"]["examples"]["klantprofiel"]["value"]
    sh = coa.post("/control/v1/statushouders", json=voorbeeld).json()
    shid = sh["statushouderId"]
    gekoppeld = coa.post(
        f"/control/v1/statushouders/{shid}/koppeling",
        json={"gemeentecode": AMSTERDAM.namens, "azcLocatie": "AZC Budel"},
    ).json()
    wo = coa.post(
        f"/control/v1/statushouders/{shid}/warme-overdrachten",
        json={"geplandOp": "2026-12-01T10:00:00+01:00", "locatie": "AZC Budel"},
    ).json()
    configs = {
        "control": tmp_path / "control.toml",
        "bron": tmp_path / "bron.toml",
    }
    configs["control"].write_text("")
    configs["bron"].write_text(
        "[parameters]\n"
        f'"path.klantprofielId" = "{sh["klantprofielId"]}"\n'
        f'"path.koppelingId" = "{gekoppeld["koppelingId"]}"\n'
        f'"path.warmeOverdrachtId" = "{wo["warmeOverdrachtId"]}"\n'
    )

    seen: dict[str, set[int]] = defaultdict(set)
    for party, tag in ((CASEMANAGER, "control"), (AMSTERDAM, "bron")):
        report = tmp_path / f"{tag}.ndjson"
        run = schemathesis(coa_adapter, party, tag, report, configs[tag])
        assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
        assert "Stateful" in run.stdout
        for label, statuses in statuses_per_operation(report).items():
            if label in operations:  # not the probes of undocumented methods (405)
                seen[label] |= statuses
    assert set(seen) == operations
    only_refused = {label for label, statuses in seen.items() if statuses <= {401, 403}}
    assert not only_refused, f"never exercised beyond 401/403: {sorted(only_refused)}"
    # The source API served real views (checked against their schemas), the PDF included.
    for label in (
        "GET /api/v1/klantprofielen/{klantprofielId}",
        "GET /api/v1/klantprofielen/{klantprofielId}/pdf",
        "GET /api/v1/koppelingen/{koppelingId}",
        "GET /api/v1/warme-overdrachten/{warmeOverdrachtId}",
        "POST /control/v1/statushouders",
    ):
        assert seen[label] & {200, 201}, (label, seen[label])
