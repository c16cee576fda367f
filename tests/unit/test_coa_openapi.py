"""The committed OpenAPI document of coa-adapter matches what the code serves.

Regenerate after an intended change:
    .venv/bin/python -m coa_adapter.main --openapi > services/coa_adapter/openapi.json
"""

from __future__ import annotations

import json
from pathlib import Path

from coa_adapter.main import build_service, openapi_document
from keten_core.settings import KetenSettings

COMMITTED = Path(__file__).parents[2] / "services" / "coa_adapter" / "openapi.json"


def test_the_committed_openapi_document_has_not_drifted():
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(openapi_document())), (
        "services/coa_adapter/openapi.json is stale; regenerate it with "
        "`python -m coa_adapter.main --openapi > services/coa_adapter/openapi.json`"
    )
    assert committed["openapi"].startswith("3.1")


def test_every_operation_has_an_explicit_operation_id_and_problem_responses():
    document = openapi_document()
    ids = {
        op["operationId"]: (path, method)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if path.startswith(("/api/", "/control/"))
    }
    assert set(ids) == {
        "koppelingen-lijst",
        "koppeling-lezen",
        "klantprofiel-lezen",
        "klantprofiel-pdf",
        "warme-overdracht-lezen",
        "statushouder-aanmaken",
        "koppelen",
        "klantprofiel-bijwerken",
        "warme-overdracht-plannen",
        "warme-overdracht-houden",
        "vertrek-uit-azc",
    }
    for path, method in ids.values():
        responses = document["paths"][path][method]["responses"]
        for status in ("401", "403", "404"):
            assert "application/problem+json" in responses[status]["content"]


def test_the_control_api_is_only_in_the_app_when_enabled():
    paths = build_service(KetenSettings(control_api=False)).app().openapi()["paths"]
    assert not any(p.startswith("/control/") for p in paths)
    assert "/api/v1/klantprofielen/{klantprofielId}" in paths
