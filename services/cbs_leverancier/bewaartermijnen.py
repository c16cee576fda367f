"""The retention job: deliveries and the history of CBS views are deleted when art. 9.9 Besluit
no longer lets them be kept (``domain.bewaren_tot``: 5 years after the first day of their
quarter; the BSN's 50 years are the dossier's at the source, not this copy's).

- A delivery version (its snapshot, file and manifest) goes on its ``bewaren_tot``.
- A fetched view goes 5 years after the first day of the quarter it was registered in, once a
  newer version of the same resource exists. The latest view of a resource stays: it is the
  state later quarters are built from. (The dossier's CBS view now carries the end of the plicht,
  ``eindePlicht``; deleting a dossier's whole history 5 years after that end is not built yet.)

A dry run unless ``--uitvoeren``; it prints counts only (never an id or a value), so a CronJob
can run it daily::

    keten cbs-leverancier bewaartermijnen [--uitvoeren] [--peildatum 2031-07-01]
    python -m cbs_leverancier.bewaartermijnen [--uitvoeren]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from typing import Final

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from keten_core import clock
from keten_core.clock import AMSTERDAM

from . import domain
from .models import BronversieRij, LeveringRij

__all__ = ["DOEL", "arguments", "main", "opschonen", "run"]

DOEL: Final = (
    "retention (art. 9.9 Besluit): delete deliveries and superseded views 5 years after their "
    "quarter began; a dry run unless --uitvoeren"
)


async def opschonen(
    engine: AsyncEngine, *, uitvoeren: bool, peildatum: date | None = None
) -> dict[str, int]:
    """Counts of what goes (and went, with ``uitvoeren``) on ``peildatum`` (default today)."""
    vandaag = peildatum or clock.today()
    nieuwer = aliased(BronversieRij)
    async with engine.begin() as connection:
        leveringen = select(LeveringRij.levering_id).where(LeveringRij.bewaren_tot <= vandaag)
        kandidaten = (
            await connection.execute(
                select(BronversieRij.volgnummer, BronversieRij.geregistreerd_op).where(
                    select(nieuwer.volgnummer)
                    .where(
                        nieuwer.resource == BronversieRij.resource,
                        nieuwer.resource_id == BronversieRij.resource_id,
                        nieuwer.volgnummer > BronversieRij.volgnummer,
                    )
                    .exists()
                )
            )
        ).all()
        versies = [
            nummer
            for nummer, moment in kandidaten
            if domain.bewaren_tot(domain.kwartaal_van(moment.astimezone(AMSTERDAM).date()))
            <= vandaag
        ]
        aantal_leveringen = (
            await connection.execute(select(func.count()).select_from(leveringen.subquery()))
        ).scalar_one()
        if uitvoeren:
            await connection.execute(delete(LeveringRij).where(LeveringRij.bewaren_tot <= vandaag))
            if versies:
                await connection.execute(
                    delete(BronversieRij).where(BronversieRij.volgnummer.in_(versies))
                )
    return {"leveringen": int(aantal_leveringen), "bronversies": len(versies)}


def database_url(given: str | None) -> str:
    """``given``, else the service's own database on the configured server, as
    ``KetenService`` picks it (unless KETEN_DATABASE_URL names one explicitly)."""
    if given is not None:
        return given
    from keten_core.settings import KetenSettings

    return KetenSettings().database_url_for("cbs-leverancier")


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--uitvoeren", action="store_true", help="delete")
    parser.add_argument(
        "--peildatum", type=date.fromisoformat, help="dry run for this date (default: today)"
    )
    parser.add_argument("--database-url", help="cbs-leverancier's database (default: settings)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cbs_leverancier.bewaartermijnen", description=DOEL
    )
    arguments(parser)
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    if args.uitvoeren and args.peildatum is not None:
        sys.stderr.write("--peildatum is for a dry run only: a run deletes on today's date\n")
        return 2
    from keten_core.db import create_engine

    async def uitvoeren() -> dict[str, int]:
        engine = create_engine(database_url(args.database_url))
        try:
            return await opschonen(engine, uitvoeren=args.uitvoeren, peildatum=args.peildatum)
        finally:
            await engine.dispose()

    rapport = {"uitgevoerd": bool(args.uitvoeren), **asyncio.run(uitvoeren())}
    json.dump(rapport, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
