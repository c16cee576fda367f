"""notificatie-router's composition root: ``keten run notificatie-router`` serves
``build_service()``.

The hub of plateau 3: the subscription API and its operations (``api``), and the delivery
engine (``stroom``) as a supervised worker of the service: it consumes the domain topics and
delivers to webhooks, with retries (``herhaling``) and the delivery log (``logboek``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from keten_core.auth import PartyRegistry
from keten_core.service import KetenService
from keten_core.settings import KetenSettings

from . import api, console, inbound, notificaties_api
from .geheimen import Kluis
from .settings import RouterSettings
from .stroom import Stroom

NAME = "notificatie-router"
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


def router_settings(settings: KetenSettings | None) -> RouterSettings:
    """The router's settings: its own from the environment, the kit's as given."""
    if isinstance(settings, RouterSettings):
        return settings
    own = RouterSettings()
    if settings is None:
        return own
    return own.model_copy(update={k: getattr(settings, k) for k in settings.model_fields_set})


def build_service(
    settings: KetenSettings | None = None, *, parties: PartyRegistry | None = None
) -> KetenService:
    """The service; refuses to build without ``KETEN_ROUTER_SLEUTELS`` (subscription secrets
    are kept encrypted, and a key made up at start-up would lose them at the next one)."""
    s = router_settings(settings)
    if s.router_sleutels is None:
        raise RuntimeError(
            "KETEN_ROUTER_SLEUTELS is not set: the router keeps subscription secrets encrypted"
            " with it (a Fernet key: python -c 'from cryptography.fernet import Fernet;"
            " print(Fernet.generate_key().decode())')"
        )
    kluis = Kluis(s.router_sleutels.get_secret_value())
    stroom = Stroom(s.model_copy(update={"service_name": NAME}), kluis)
    return KetenService(
        NAME,
        settings=s,
        # The console is a Mount (no OpenAPI operations), and empty unless configured.
        routers=[api.router, notificaties_api.router, inbound.router, console.console_router(s)],
        migrations=[MIGRATIONS],
        title="notificatie-router",
        parties=parties,
        workers=[stroom],
        state={"router": api.RouterContext(s, kluis, stroom)},
    )


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as committed (services/notificatie_router/openapi.json)."""
    settings = RouterSettings(sandbox=False, router_sleutels=Fernet.generate_key().decode())
    document: dict[str, Any] = build_service(settings).app().openapi()
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notificatie_router.main")
    parser.add_argument("--openapi", action="store_true", help="print the OpenAPI document")
    args = parser.parse_args(argv)
    if not args.openapi:
        parser.error("nothing to do; use `keten run notificatie-router` to run the service")
    json.dump(openapi_document(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
