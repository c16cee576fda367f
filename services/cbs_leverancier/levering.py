"""Building, freezing and checking a quarter's delivery: the I/O around ``domain``.

``nieuwe_levering`` freezes the next version of a gemeente's quarter in one unit of work: it
reads the history of CBS views (decrypted), chooses the versions (``domain.kies_versies``),
builds the records at the peildatum (``domain.bouw_records``), renders the canonical XML valid
against the XSD (``keten_contracts.swi.render_levering``), stores the snapshot and the file
encrypted with the manifest beside them, and stages the thin event
``swi-levering.aangemaakt`` for CBS and the gemeente. Versions of one quarter are serialised by
a transaction-level advisory lock, so two requests cannot both become version 2.

``herbouw`` rebuilds a delivered version twice, from its frozen snapshot and from the history
at its freeze moment; both must give the delivered bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from keten_contracts.common import tolerant
from keten_contracts.events.data import CbsLeveringData
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources import get_resource
from keten_contracts.swi import (
    SwiHeader,
    SwiRecord,
    bestandsnaam,
    build_manifest,
    render_levering,
)
from keten_core.problems import Problem
from keten_core.uow import UnitOfWork
from keten_core.versleuteling import Sleutelring

from . import domain
from .domain import Bronversie
from .models import BronversieRij, LeveringRij

__all__ = [
    "AANGEMAAKT",
    "Herbouw",
    "bouw",
    "herbouw",
    "laad_versies",
    "levering_id",
    "nieuwe_levering",
    "records_uit_snapshot",
    "snapshot_bytes",
]

AANGEMAAKT: Final = "nl.inburgering.swi-levering.aangemaakt.v1"


def levering_id(gemeentecode: str, kwartaal: str, versie: int) -> str:
    """Opaque to CBS's readers but stable: one id per gemeente, quarter and version."""
    return f"lev-{gemeentecode}-{kwartaal.lower()}-v{versie}"


def snapshot_bytes(records: list[SwiRecord]) -> bytes:
    """The frozen records as canonical JSON (what is encrypted at rest)."""
    data = [r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in records]
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def records_uit_snapshot(data: bytes) -> list[SwiRecord]:
    return [SwiRecord.model_validate(r) for r in json.loads(data)]


async def laad_versies(
    session: AsyncSession, ring: Sleutelring, gemeentecode: str
) -> list[Bronversie]:
    """The gemeente's history of CBS views, decrypted and parsed, in order of receipt."""
    rows = (
        await session.execute(
            select(BronversieRij)
            .where(BronversieRij.gemeentecode == gemeentecode)
            .order_by(BronversieRij.volgnummer)
        )
    ).scalars()
    versies = []
    for row in rows:
        model = view_model(row.resource, Rol.CBS, same_gemeente=True)
        assert model is not None  # only resources CBS reads are stored
        versies.append(
            Bronversie(
                volgnummer=row.volgnummer,
                resource=row.resource,
                resource_id=row.resource_id,
                dossier_id=row.dossier_id,
                geregistreerd_op=row.geregistreerd_op,
                ontvangen_op=row.ontvangen_op,
                view=tolerant(model).model_validate_json(ring.ontsleutel(row.inhoud)),
            )
        )
    return versies


def bouw(
    versies: list[Bronversie],
    *,
    gemeentecode: str,
    kwartaal: str,
    versie: int,
    moment: datetime,
) -> tuple[SwiHeader, list[SwiRecord], bytes]:
    """Header, records and file of ``versie`` of the quarter frozen at ``moment``."""
    gekozen = domain.kies_versies(versies, kwartaal, moment=moment, correctie=versie > 1)
    records = domain.bouw_records(gekozen, gemeentecode=gemeentecode, kwartaal=kwartaal)
    header = SwiHeader(gemeentecode=gemeentecode, kwartaal=kwartaal, levering_versie=versie)
    return header, records, render_levering(header, records)


async def nieuwe_levering(
    uow: UnitOfWork,
    ring: Sleutelring,
    *,
    gemeentecode: str,
    kwartaal: str,
    nu: datetime,
    api_root: str,
    source: str,
) -> LeveringRij:
    """Freeze and store the next version of the quarter; 409 before the cut-off, and 409 when
    a correction would deliver the same file as the latest version."""
    if not domain.mag_bevriezen(kwartaal, nu):
        raise Problem(
            409,
            detail=f"{kwartaal} is frozen only after its cut-off "
            f"({domain.afsluitmoment(kwartaal).isoformat()}).",
            reden="kwartaal-niet-afgesloten",
        )
    session = uow.session
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
        {"k": f"cbs-levering:{gemeentecode}:{kwartaal}"},
    )
    vorige = (
        await session.execute(
            select(LeveringRij)
            .where(LeveringRij.gemeentecode == gemeentecode, LeveringRij.kwartaal == kwartaal)
            .order_by(LeveringRij.versie.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    versie = domain.volgende_versie(() if vorige is None else (vorige.versie,))
    versies = await laad_versies(session, ring, gemeentecode)
    header, records, xml = bouw(
        versies, gemeentecode=gemeentecode, kwartaal=kwartaal, versie=versie, moment=nu
    )
    snapshot = snapshot_bytes(records)
    # Versions differ in their header, so compare what they deliver: the records.
    if vorige is not None and ring.ontsleutel(vorige.snapshot) == snapshot:
        raise Problem(
            409,
            detail=f"Nothing of {kwartaal} changed since version {vorige.versie}.",
            reden="geen-correctie",
        )
    manifest = build_manifest(header, records, xml, aangemaakt_op=nu)
    rij = LeveringRij(
        levering_id=levering_id(gemeentecode, kwartaal, versie),
        gemeentecode=gemeentecode,
        kwartaal=kwartaal,
        versie=versie,
        bevroren_op=nu,
        aangemaakt_op=nu,
        bestandsnaam=bestandsnaam(header),
        sha256=manifest.sha256,
        manifest=manifest.model_dump(mode="json", by_alias=True),
        snapshot=ring.versleutel(snapshot),
        bestand=ring.versleutel(xml),
        bewaren_tot=domain.bewaren_tot(kwartaal),
    )
    session.add(rij)
    uow.emit(
        AANGEMAAKT,
        subject=rij.levering_id,
        partitionkey=f"{gemeentecode}-{kwartaal}",
        dataref=get_resource("cbs-levering").dataref(api_root, rij.levering_id),
        data=CbsLeveringData(levering_id=rij.levering_id, kwartaal=kwartaal),
        gemeentecode=gemeentecode,
        source=source,
    )
    return rij


@dataclass(frozen=True)
class Herbouw:
    """Whether a delivered version rebuilds to its bytes, from its snapshot and its history."""

    sha256: str
    uit_snapshot: str
    uit_historie: str

    @property
    def identiek(self) -> bool:
        return self.sha256 == self.uit_snapshot == self.uit_historie


async def herbouw(session: AsyncSession, ring: Sleutelring, rij: LeveringRij) -> Herbouw:
    header = SwiHeader(
        gemeentecode=rij.gemeentecode, kwartaal=rij.kwartaal, levering_versie=rij.versie
    )
    uit_snapshot = render_levering(header, records_uit_snapshot(ring.ontsleutel(rij.snapshot)))
    versies = await laad_versies(session, ring, rij.gemeentecode)
    _, _, uit_historie = bouw(
        versies,
        gemeentecode=rij.gemeentecode,
        kwartaal=rij.kwartaal,
        versie=rij.versie,
        moment=rij.bevroren_op,
    )
    return Herbouw(
        sha256=rij.sha256,
        uit_snapshot=hashlib.sha256(uit_snapshot).hexdigest(),
        uit_historie=hashlib.sha256(uit_historie).hexdigest(),
    )
