"""Schemathesis against coa-adapter running as its own process (``keten run coa-adapter``), on a
real PostgreSQL and Kafka: a fixed seed, 50 examples per operation, every phase including the
stateful one, a valid token per role (the COA casemanager's application for the control API, a
gemeente for the source API). Checks: not_a_server_error, response_schema_conformance,
status_code_conformance. The run fails when an operation never got an answer other than 401
or 403 (then it was never really exercised)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from keten_core.testing import fresh_database
from tests.integration.test_coa_adapter import AMSTERDAM, CASEMANAGER, COA_OIN, PARTIES, SLEUTEL
from tests.schemathesis_support import (
    schemathesis,
    service_process,
    statuses_per_operation,
    token,
)

pytest.importorskip("schemathesis")

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def coa_adapter(database: str, kafka_bootstrap_servers: str, tmp_path: Path) -> Iterator[str]:
    """coa-adapter as its own process (``keten run coa-adapter``), configured by KETEN_*."""
    with service_process(
        "coa-adapter",
        database=database,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        oin=COA_OIN,
        parties=PARTIES,
        sleutel=SLEUTEL,
        log_path=tmp_path / "service.log",
    ) as url:
        yield url


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
