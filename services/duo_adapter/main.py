"""duo-adapter's composition root: ``keten run duo-adapter`` serves ``build_service()``.

The DUO simulator (ISI-like): inburgeringsplicht, termijnen, vrijstellingen and ontheffingen,
exams, LBT, diploma, verlengingen, fines and signalen; it consumes the gemeente's events and
serves its data at its own source. The control API is mounted only when
``KETEN_CONTROL_API`` is on; the sandbox clock router (``KETEN_SANDBOX``) by the kit, and, in
the sandbox only, the emulated DUO portal for gemeenten below ``/portaal`` (``portaal``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from keten_contracts.parties import Rol
from keten_core.auth import PartyRegistry
from keten_core.dataref import DatarefLezer
from keten_core.service import KetenService
from keten_core.settings import KetenSettings

from . import api, control, portaal
from .handlers import build_events

NAME = "duo-adapter"
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


def build_service(
    settings: KetenSettings | None = None,
    *,
    parties: PartyRegistry | None = None,
    bronnen: DatarefLezer | None = None,
) -> KetenService:
    """The service; ``parties`` and ``bronnen`` (DUO's credentials at the gemeenten's sources,
    to fetch what their events point at) default to the environment (``KETEN_PARTIES*``,
    ``KETEN_BRONNEN``)."""
    settings = settings or KetenSettings()
    routers = [api.router]
    if settings.control_api:
        routers.append(control.router)
    # Sandbox only; a Mount, so the OpenAPI document does not change.
    routers.append(portaal.router(settings))
    # The base URL is fixed before the service copies its settings: the service name does not
    # change it.
    lezer = bronnen or DatarefLezer.from_settings(Rol.DUO)
    events = build_events(settings.base_url, lezer)
    return KetenService(
        NAME,
        settings=settings,
        routers=routers,
        events=events,
        migrations=[MIGRATIONS],
        title="duo-adapter",
        parties=parties,
        on_stop=[lezer.aclose],
    )


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as committed (services/duo_adapter/openapi.json): control API on,
    sandbox clock off (the kit's router, documented by the core)."""
    settings = KetenSettings(control_api=True, sandbox=False)
    document: dict[str, Any] = build_service(settings).app().openapi()
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m duo_adapter.main")
    parser.add_argument("--openapi", action="store_true", help="print the OpenAPI document")
    args = parser.parse_args(argv)
    if not args.openapi:
        parser.error("nothing to do; use `keten run duo-adapter` to run the service")
    json.dump(openapi_document(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
