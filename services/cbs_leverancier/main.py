"""cbs-leverancier's composition root: ``keten run cbs-leverancier`` serves ``build_service()``.

The gemeente's (or SSC's) system for the Statistiek Wet Inburgering: it consumes the gemeente's
thin events, fetches dossier-bron's CBS view of what changed (purpose ``statistiek-swi``), and
freezes each quarter's delivery (``levering.py``). Configuration beyond the kit's ``KETEN_*``:

- ``KETEN_BRONNEN``: its credential at dossier-bron (a client with rol CBS registered for
  ``statistiek-swi``), as for every reader of a source (``keten_core.dataref``);
- ``KETEN_CBS_SLEUTELS``: comma-separated Fernet keys for the history, snapshots and files at
  rest; the first encrypts, every one decrypts (rotation: ``keten_core.versleuteling``, then
  ``keten cbs-leverancier herversleutelen``); required: without it the service does not start;
- ``KETEN_CBS_GEMEENTEN``: the gemeenten it delivers for, gemeentecode -> OIN (JSON,
  ``'{"0363": "00000001002564440000"}'``): events of others are skipped, and each delivery's
  event has its gemeente's OIN as ``source`` (an SSC delivers for several). Empty: every
  gemeente its events name, each delivery's event under ``KETEN_OIN``.

The OpenAPI document is printed with ``python -m cbs_leverancier.main --openapi``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from keten_contracts.parties import Rol
from keten_core.auth import PartyRegistry
from keten_core.dataref import DatarefLezer
from keten_core.service import KetenService
from keten_core.settings import KetenSettings
from keten_core.versleuteling import Sleutelring, nieuwe_sleutel

from . import api
from .handlers import build_events

__all__ = ["MIGRATIONS", "SERVICE", "CbsSettings", "build_service", "openapi_document"]

SERVICE: Final = api.SERVICE_NAAM
MIGRATIONS: Final = Path(__file__).parent / "migrations" / "versions"


class CbsSettings(BaseSettings):
    """The service's own settings (``KETEN_CBS_*``)."""

    model_config = SettingsConfigDict(env_prefix="KETEN_", extra="ignore")

    cbs_sleutels: SecretStr | None = None
    cbs_gemeenten: dict[str, str] = Field(default_factory=dict)


def build_service(
    settings: KetenSettings | None = None,
    *,
    parties: PartyRegistry | None = None,
    bronnen: DatarefLezer | None = None,
    sleutelring: Sleutelring | None = None,
    gemeenten: Mapping[str, str] | None = None,
) -> KetenService:
    """The service; what is not given comes from the environment."""
    settings = settings or KetenSettings()
    eigen = CbsSettings()
    if sleutelring is None:
        if eigen.cbs_sleutels is None:
            raise ValueError(
                "KETEN_CBS_SLEUTELS is not set: the deliveries are personal data and are kept "
                "encrypted (a key: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            )
        sleutelring = Sleutelring(eigen.cbs_sleutels, naam="KETEN_CBS_SLEUTELS")
    lezer = bronnen or DatarefLezer.from_settings(Rol.CBS)
    bediend = dict(eigen.cbs_gemeenten if gemeenten is None else gemeenten)
    return KetenService(
        SERVICE,
        settings=settings,
        routers=[api.router],
        events=build_events(lezer, sleutelring, bediend),
        migrations=[MIGRATIONS],
        title=SERVICE,
        parties=parties,
        on_stop=[lezer.aclose],
        state={"cbs_sleutelring": sleutelring, "cbs_gemeenten": bediend},
    )


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (sandbox clock off; a throw-away key)."""
    settings = KetenSettings(sandbox=False)
    ring = Sleutelring(nieuwe_sleutel())
    document: dict[str, Any] = build_service(settings, sleutelring=ring).app().openapi()
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cbs_leverancier.main")
    parser.add_argument("--openapi", action="store_true", help="print the OpenAPI document")
    args = parser.parse_args(argv)
    if not args.openapi:
        parser.error("nothing to do; use `keten run cbs-leverancier` to run the service")
    json.dump(openapi_document(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
