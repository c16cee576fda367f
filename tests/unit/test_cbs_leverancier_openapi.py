"""The committed OpenAPI document of cbs-leverancier matches what the code serves (the NL API
Design Rules ruleset checks it with the others': tests/contract/test_openapi_adr.py).

Regenerate after an intended change:
    .venv/bin/python -m cbs_leverancier.main --openapi > services/cbs_leverancier/openapi.json
"""

from __future__ import annotations

import json
from pathlib import Path

from cbs_leverancier.main import openapi_document

COMMITTED = Path(__file__).parents[2] / "services" / "cbs_leverancier" / "openapi.json"


def test_the_committed_openapi_document_has_not_drifted():
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(openapi_document())), (
        "services/cbs_leverancier/openapi.json is stale; regenerate it with "
        "`python -m cbs_leverancier.main --openapi > services/cbs_leverancier/openapi.json`"
    )


def test_every_operation_has_an_id_and_problem_responses():
    document = openapi_document()
    ids = {
        op["operationId"]: (path, method)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/")
    }
    assert set(ids) == {
        "levering-samenstellen",
        "leveringen-lijst",
        "levering-lezen",
        "levering-manifest",
        "levering-bestand",
        "levering-controle",
    }
    for path, method in ids.values():
        responses = document["paths"][path][method]["responses"]
        for status in ("401", "403", "404"):
            assert "application/problem+json" in responses[status]["content"]
