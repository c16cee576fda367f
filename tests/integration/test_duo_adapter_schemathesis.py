"""Schemathesis against duo-adapter running as its own process (``keten run duo-adapter``), on a
real PostgreSQL and Kafka: a fixed seed, 50 examples per operation, every phase including the
stateful one, a valid token per role (DUO's own application for the control API, a gemeente
for the source API). Checks: not_a_server_error, response_schema_conformance,
status_code_conformance. The run fails when an operation never got an answer other than 401
or 403 (then it was never really exercised)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from keten_core.testing import fresh_database
from tests.integration.test_duo_adapter import AMSTERDAM, DUO_OIN, DUO_TESTER, PARTIES, SLEUTEL
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
def duo_adapter(database: str, kafka_bootstrap_servers: str, tmp_path: Path) -> Iterator[str]:
    """duo-adapter as its own process (``keten run duo-adapter``), configured by KETEN_*."""
    with service_process(
        "duo-adapter",
        database=database,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        oin=DUO_OIN,
        parties=PARTIES,
        sleutel=SLEUTEL,
        log_path=tmp_path / "service.log",
    ) as url:
        yield url


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
