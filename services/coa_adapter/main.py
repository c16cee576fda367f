"""The composition root of coa-adapter (``keten run coa-adapter``).

The committed OpenAPI document (``services/coa_adapter/openapi.json``, control API included) is
regenerated with::

    .venv/bin/python -m coa_adapter.main --openapi > services/coa_adapter/openapi.json

and a test fails when it drifts from what the code serves.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

from keten_core.auth import PartyRegistry
from keten_core.service import KetenService
from keten_core.settings import KetenSettings

from . import api, control, portaal

__all__ = ["MIGRATIONS", "SERVICE", "build_service", "openapi_document"]

SERVICE: Final = "coa-adapter"
MIGRATIONS: Final = Path(__file__).parent / "migrations" / "versions"


def build_service(
    settings: KetenSettings | None = None, *, parties: PartyRegistry | None = None
) -> KetenService:
    """coa-adapter: the source API always, the control API only with ``KETEN_CONTROL_API``, the
    emulated COA portal (``portaal``) only with ``KETEN_SANDBOX``.
    ``parties`` defaults to ``KETEN_PARTIES``/``KETEN_PARTIES_FILE`` (tests pass their own)."""
    settings = settings or KetenSettings()
    routers = [api.router]
    if settings.control_api:
        routers.append(control.router)
    # The emulated TVS portal: only in the sandbox (no routes otherwise, no OpenAPI change).
    routers.append(portaal.router(settings))
    return KetenService(
        SERVICE,
        settings=settings,
        routers=routers,
        migrations=[MIGRATIONS],
        title=SERVICE,
        parties=parties,
    )


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as committed: control API on, sandbox clock off."""
    settings = KetenSettings(control_api=True, sandbox=False)
    return build_service(settings).app().openapi()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coa_adapter.main")
    parser.add_argument("--openapi", action="store_true", help="print the OpenAPI document")
    args = parser.parse_args(argv)
    if not args.openapi:
        parser.error("nothing to do; use `keten run coa-adapter` to run the service")
    json.dump(openapi_document(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
