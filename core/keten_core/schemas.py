"""Every service serves the contracts it speaks: the JSON Schemas and the AsyncAPI document.

NL GOV profile for CloudEvents: ``dataschema`` "Identifies the schema that data adheres to";
a consumer must be able to fetch it. So the events a service emits point at its own
``/contracts/schemas/events/<type>.json`` (``KetenSettings.schema_base_url``), and in a running
chain that URL resolves, whichever service produced the event, at the release the service runs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import FileResponse

from keten_contracts.render import ASYNCAPI_FILE, SCHEMAS_DIR
from keten_core.problems import Problem

__all__ = ["SCHEMAS_PATH", "contracts_router"]

SCHEMAS_PATH: Final = "/contracts/schemas"
_CACHE: Final = {"Cache-Control": "public, max-age=3600"}


@cache
def _schema_files() -> dict[str, Path]:
    # Only the files the release ships are served: a request path is looked up, never joined
    # onto the directory, so no path can reach outside it.
    return {path.relative_to(SCHEMAS_DIR).as_posix(): path for path in SCHEMAS_DIR.rglob("*.json")}


def contracts_router() -> APIRouter:
    router = APIRouter(prefix="/contracts", tags=["contracts"])

    @router.get(
        "/schemas/{name:path}",
        summary="A JSON Schema of the contracts (event data, resources, views)",
        response_class=FileResponse,
    )
    async def schema(name: str) -> FileResponse:
        path = _schema_files().get(name)
        if path is None:
            raise Problem(404, detail=f"No schema {name!r} in this release of the contracts.")
        return FileResponse(path, media_type="application/schema+json", headers=_CACHE)

    @router.get(
        "/asyncapi.yaml",
        summary="The AsyncAPI 3.0 document of the chain's events",
        response_class=FileResponse,
    )
    async def asyncapi() -> FileResponse:
        return FileResponse(ASYNCAPI_FILE, media_type="application/yaml", headers=_CACHE)

    return router
