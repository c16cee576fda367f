"""Key rotation of the data at rest: after a new key was put first in ``KETEN_CBS_SLEUTELS``,
this job encrypts every stored view, snapshot and file again with it; then the old key can be
dropped from the setting (``keten_core.versleuteling``)::

    keten cbs-leverancier herversleutelen

Rows are read and rewritten in batches, each batch in its own transaction; a row already under
the first key gets a fresh token too (Fernet cannot tell which key made a token without trying).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from keten_core.versleuteling import Sleutelring

from .models import BronversieRij, LeveringRij

__all__ = ["DOEL", "arguments", "herversleutel", "run"]

DOEL: Final = "encrypt the stored views, snapshots and files again with the first key"
BATCH: Final = 500


async def herversleutel(engine: AsyncEngine, ring: Sleutelring) -> dict[str, int]:
    """Counts of the rows encrypted again, per table."""
    versies = 0
    vanaf = 0
    while True:
        async with engine.begin() as connection:
            rows = (
                await connection.execute(
                    select(BronversieRij.volgnummer, BronversieRij.inhoud)
                    .where(BronversieRij.volgnummer > vanaf)
                    .order_by(BronversieRij.volgnummer)
                    .limit(BATCH)
                )
            ).all()
            for volgnummer, inhoud in rows:
                await connection.execute(
                    update(BronversieRij)
                    .where(BronversieRij.volgnummer == volgnummer)
                    .values(inhoud=ring.herversleutel(inhoud))
                )
        if not rows:
            break
        versies += len(rows)
        vanaf = rows[-1][0]
    leveringen = 0
    async with engine.begin() as connection:
        rows = (
            await connection.execute(
                select(LeveringRij.levering_id, LeveringRij.snapshot, LeveringRij.bestand)
            )
        ).all()
        for levering_id, snapshot, bestand in rows:
            await connection.execute(
                update(LeveringRij)
                .where(LeveringRij.levering_id == levering_id)
                .values(snapshot=ring.herversleutel(snapshot), bestand=ring.herversleutel(bestand))
            )
        leveringen = len(rows)
    return {"bronversies": versies, "leveringen": leveringen}


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="cbs-leverancier's database (default: settings)")


def run(args: argparse.Namespace) -> int:
    from keten_core.db import create_engine

    from .bewaartermijnen import database_url
    from .main import CbsSettings

    sleutels = CbsSettings().cbs_sleutels
    if sleutels is None:
        sys.stderr.write("KETEN_CBS_SLEUTELS is not set\n")
        return 2
    ring = Sleutelring(sleutels, naam="KETEN_CBS_SLEUTELS")

    async def uitvoeren() -> dict[str, int]:
        engine = create_engine(database_url(args.database_url))
        try:
            return await herversleutel(engine, ring)
        finally:
            await engine.dispose()

    json.dump(asyncio.run(uitvoeren()), sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0
