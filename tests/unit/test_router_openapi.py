"""The committed OpenAPI document of notificatie-router matches what the code serves.

Regenerate after an intended change:
    .venv/bin/python -m notificatie_router.main --openapi > services/notificatie_router/openapi.json
"""

from __future__ import annotations

import json
from pathlib import Path

from notificatie_router.main import openapi_document

COMMITTED = Path(__file__).parents[2] / "services" / "notificatie_router" / "openapi.json"


def test_the_committed_document_is_what_the_code_serves() -> None:
    assert json.loads(COMMITTED.read_text()) == openapi_document()


def test_every_operation_answers_problems_and_is_named() -> None:
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            if not path.startswith("/api/v1/"):
                continue
            assert operation["operationId"], (method, path)
            assert "401" in operation["responses"], (method, path)
