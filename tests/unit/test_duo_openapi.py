"""The committed OpenAPI document of duo-adapter matches what the code serves.

Regenerate after an intended change:
    .venv/bin/python -m duo_adapter.main --openapi > services/duo_adapter/openapi.json
"""

from __future__ import annotations

import json
from pathlib import Path

from duo_adapter.main import build_service, openapi_document
from keten_core.settings import KetenSettings

COMMITTED = Path(__file__).parents[2] / "services" / "duo_adapter" / "openapi.json"

CONTROL = {
    "inburgeringsplichtige-aanmaken",
    "plicht-vaststellen",
    "vrijstelling-verlenen",
    "ontheffing-verlenen",
    "examenresultaat-vastleggen",
    "lbt-uitslag-vastleggen",
    "diploma-uitreiken",
    "verhuizen",
    "brp-inschrijving",
    "boete-opleggen",
    "verlenging-aanvragen",
    "verlenging-besluiten",
    "doelgroep-wijzigen",
    "handhavingsverzoek-indienen",
    "signaal-aanmaken",
}
BRON = {
    "inburgeringsplicht-lezen",
    "termijn-lezen",
    "termijnen-van-plicht",
    "vrijstelling-lezen",
    "ontheffing-lezen",
    "lbt-uitslag-lezen",
    "examenresultaat-lezen",
    "diploma-lezen",
    "verlenging-lezen",
    "boete-lezen",
    "handhavingsverzoek-lezen",
    "signalen-zoeken",
    "signaal-lezen",
    "signaal-afhandelen",
}


def test_the_committed_openapi_document_has_not_drifted() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(openapi_document())), (
        "services/duo_adapter/openapi.json is stale; regenerate it with "
        "`python -m duo_adapter.main --openapi > services/duo_adapter/openapi.json`"
    )
    assert committed["openapi"].startswith("3.1")


def test_every_operation_has_an_explicit_operation_id_and_problem_responses() -> None:
    document = openapi_document()
    ids = {
        op["operationId"]: (path, method)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if path.startswith(("/api/", "/control/"))
    }
    assert set(ids) == CONTROL | BRON
    for path, method in ids.values():
        responses = document["paths"][path][method]["responses"]
        for status in ("401", "403"):
            assert "application/problem+json" in responses[status]["content"], (path, status)


def test_the_control_api_is_only_in_the_app_when_enabled() -> None:
    paths = build_service(KetenSettings(control_api=False)).app().openapi()["paths"]
    assert not any(p.startswith("/control/") for p in paths)
    assert "/api/v1/termijnen/{termijnId}" in paths
