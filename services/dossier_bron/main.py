"""dossier-bron's composition root: ``keten run dossier-bron`` serves ``build_service()``.

The gemeente's source registration of the inburgering dossier. One dossier-bron may serve
several gemeenten (a shared-service centre): ``KETEN_GEMEENTEN`` maps each gemeentecode it
serves to that gemeente's OIN (``'{"0363": "00000001002564440000"}'``); events for any other
gemeente are skipped. ``KETEN_BRONNEN`` holds the gemeente's credentials at coa-adapter and
duo-adapter, to fetch what their events point at.

The committed OpenAPI document (``services/dossier_bron/openapi.json``) is regenerated with::

    .venv/bin/python -m dossier_bron.main --openapi > services/dossier_bron/openapi.json

and a test fails when it drifts from what the code serves.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from keten_contracts.parties import Rol
from keten_core.auth import PartyRegistry
from keten_core.dataref import DatarefLezer
from keten_core.service import KetenService
from keten_core.settings import KetenSettings

from . import (
    aanbod,
    api,
    begeleiding,
    beschikkingen,
    bewaking,
    inzage,
    maatregelen,
    opdrachten,
    signalen,
    trajecten,
    verhuizing,
)
from .domain import Gemeenten
from .handlers import build_events

__all__ = ["MIGRATIONS", "SERVICE", "GemeentenSettings", "build_service", "openapi_document"]

SERVICE: Final = api.SERVICE_NAAM
MIGRATIONS: Final = Path(__file__).parent / "migrations" / "versions"


class GemeentenSettings(BaseSettings):
    """``KETEN_GEMEENTEN``: the gemeenten this dossier-bron serves, gemeentecode -> OIN."""

    model_config = SettingsConfigDict(env_prefix="KETEN_", extra="ignore")

    gemeenten: dict[str, str] = Field(default_factory=dict)


def build_service(
    settings: KetenSettings | None = None,
    *,
    parties: PartyRegistry | None = None,
    bronnen: DatarefLezer | None = None,
    gemeenten: Gemeenten | None = None,
) -> KetenService:
    """The service; ``parties``, ``bronnen`` (the gemeente's credentials at COA's and DUO's
    sources) and ``gemeenten`` default to the environment (``KETEN_PARTIES*``,
    ``KETEN_BRONNEN``, ``KETEN_GEMEENTEN``)."""
    settings = settings or KetenSettings()
    lezer = bronnen or DatarefLezer.from_settings(Rol.GEMEENTE)
    bediend = gemeenten or Gemeenten(GemeentenSettings().gemeenten)
    return KetenService(
        SERVICE,
        settings=settings,
        routers=[
            api.router,
            beschikkingen.build_router(bediend),
            opdrachten.build_router(bediend),
            aanbod.build_router(bediend),
            maatregelen.build_router(bediend),
            trajecten.build_router(bediend),
            begeleiding.build_router(bediend),
            signalen.build_router(lezer),
            bewaking.build_router(bediend),
            inzage.router,
            verhuizing.build_router(bediend),
        ],
        events=maatregelen.met_handhavingsverzoeken(
            build_events(bediend, lezer, settings.base_url), bediend, lezer
        ),
        migrations=[MIGRATIONS],
        title=SERVICE,
        parties=parties,
        on_stop=[lezer.aclose],
    )


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as committed (sandbox clock off)."""
    settings = KetenSettings(sandbox=False)
    document: dict[str, Any] = build_service(settings, gemeenten=Gemeenten({})).app().openapi()
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dossier_bron.main")
    parser.add_argument("--openapi", action="store_true", help="print the OpenAPI document")
    args = parser.parse_args(argv)
    if not args.openapi:
        parser.error("nothing to do; use `keten run dossier-bron` to run the service")
    json.dump(openapi_document(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
