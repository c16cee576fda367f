"""The deadline watch: overdue deadlines per gemeente, recorded and announced once each.

The rules are ``termijnbewaking`` (pure); this module applies them to the active dossiers of
the gemeenten this source serves, as of today by the chain clock (``keten_core.clock``):

- each overdue deadline becomes one ``termijnoverschrijding`` row (unique per dossier,
  deadline and PIP version) and one thin ``termijnoverschrijding.geconstateerd`` event on the
  gemeente topic, keyed by the dossier, in the same transaction (outbox). A second run finds
  the row and announces nothing again; two runs at once are kept apart by the unique key.
- the gemeente's staff read them: ``GET /termijnoverschrijdingen`` (their gemeente's, newest
  first) and ``GET /termijnoverschrijdingen/{id}`` (the events' dataref).

**How it runs.** On Kubernetes the watch is a CronJob on the service's image and environment
(the same ``KETEN_DATABASE_URL``, ``KETEN_GEMEENTEN``, ``KETEN_BASE_URL``), once a day::

    python -m dossier_bron.bewaking        # exit 0: done (prints how many were found)

It writes to the service's database only; the running service's outbox relay publishes the
events (woken by ``NOTIFY``), so the job needs no Kafka access and can be retried safely.
``POST /termijnbewaking`` runs the same watch for the caller's gemeente inside the service (a
staff member's "check now", and the sandbox, where only the service's clock is moved).

The inburgeringsaanbod deadline reads the ``inburgeringsaanbod`` table (``aanbod``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any, Final

import structlog
from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN, Doelgroep
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources.gemeente import (
    BewaakteTermijn,
    Dossierstatus,
    Termijnoverschrijding,
)
from keten_core import clock
from keten_core.clock import AMSTERDAM
from keten_core.dataref import DatarefLezer
from keten_core.db import create_engine, session_factory
from keten_core.outbox import OutboxSignal
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.settings import KetenSettings
from keten_core.source_read import BronLezing, bron_lezing, served_json
from keten_core.uow import UnitOfWork

from . import domain, termijnbewaking
from .api import API_PREFIX, PROBLEM_RESPONSES, Bron, _betrokkene, _rij, met_dossier
from .domain import Gemeenten
from .models import DossierRij, InburgeringsaanbodRij, PipVersieRij, TermijnoverschrijdingRij
from .termijnbewaking import Overschrijding

log = structlog.get_logger(__name__)

__all__ = ["bewaak", "build_router", "main", "run_once"]

Runtime = Annotated[ServiceRuntime, Depends(runtime)]

_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 422, 503)}

LEZEN = bron_lezing("termijnoverschrijding", Doel.UITVOERING_INBURGERING)

TermijnoverschrijdingView: Any = view_model(
    "termijnoverschrijding", Rol.GEMEENTE, same_gemeente=True
)


def _datum(gegevens: dict[str, Any], versie: int) -> date | None:
    """The date of a PIP version's event: the decision (version 1) or the change (None when
    a version names none: it is then not watched, rather than stopping the whole run)."""
    if versie == 1:
        return date.fromisoformat(gegevens["vaststellingsdatum"])
    datum = (gegevens.get("wijziging") or {}).get("datum")
    return date.fromisoformat(datum) if datum else None


def _overschrijdingen(
    dossier: DossierRij,
    versies: Sequence[PipVersieRij],
    aanbod_datum: date | None,
    vandaag: date,
) -> list[tuple[Overschrijding, str | None]]:
    """Every overdue deadline of one dossier, with the PIP version it concerns (if any)."""
    gevonden: list[tuple[Overschrijding, str | None]] = []
    pip_datum = _datum(versies[0].gegevens, 1) if versies else None
    doelgroep = Doelgroep(dossier.doelgroep) if dossier.doelgroep else None
    pip = termijnbewaking.pip_overschreden(dossier.vestigingsdatum, pip_datum, vandaag)
    if pip is not None:
        gevonden.append((pip, None))
    aanbod = termijnbewaking.aanbod_overschreden(doelgroep, pip_datum, aanbod_datum, vandaag)
    if aanbod is not None:
        gevonden.append((aanbod, None))
    for versie in versies:
        gebeurtenis = _datum(versie.gegevens, versie.versie)
        if gebeurtenis is None:
            continue
        geregistreerd = versie.vastgelegd_op.astimezone(AMSTERDAM).date()
        laat = termijnbewaking.registratie_overschreden(gebeurtenis, geregistreerd)
        if laat is not None:
            gevonden.append((laat, versie.pip_id))
    return gevonden


async def bewaak(
    keten: ServiceRuntime, bron: Bron, gemeentecodes: Iterable[str], vandaag: date
) -> list[str]:
    """Record and announce every overdue deadline not recorded before, for the active
    dossiers of ``gemeentecodes``; returns the ids of the new ones."""
    codes = sorted(set(gemeentecodes))
    nieuw: list[str] = []
    if not codes:
        return nieuw
    async with keten.unit_of_work() as uow:
        dossiers = list(
            (
                await uow.session.execute(
                    select(DossierRij)
                    .where(DossierRij.gemeentecode.in_(codes))
                    .where(DossierRij.status == Dossierstatus.ACTIEF.value)
                    .order_by(DossierRij.dossier_id)
                )
            ).scalars()
        )
        ids = [d.dossier_id for d in dossiers]
        versies: dict[str, list[PipVersieRij]] = {}
        for v in (
            await uow.session.execute(
                select(PipVersieRij)
                .where(PipVersieRij.dossier_id.in_(ids))
                .order_by(PipVersieRij.dossier_id, PipVersieRij.versie)
            )
        ).scalars():
            versies.setdefault(v.dossier_id, []).append(v)
        aanbod: dict[str, date] = {}
        for dossier_id, datum in await uow.session.execute(
            select(InburgeringsaanbodRij.dossier_id, InburgeringsaanbodRij.datum_aanbod).where(
                InburgeringsaanbodRij.dossier_id.in_(ids)
            )
        ):
            aanbod[dossier_id] = min(datum, aanbod.get(dossier_id, datum))
        for dossier in dossiers:
            try:
                gevonden = _overschrijdingen(
                    dossier,
                    versies.get(dossier.dossier_id, []),
                    aanbod.get(dossier.dossier_id),
                    vandaag,
                )
            except ValueError as exc:
                # A date the workday calendar does not cover: this dossier needs a person,
                # the other dossiers still get their watch (the error names no personal data).
                log.error(
                    "termijnbewaking_dossier_overgeslagen",
                    dossier_id=dossier.dossier_id,
                    error=str(exc),
                )
                continue
            for o, betreft in gevonden:
                rid = await _vastleggen(uow, dossier, o, betreft, vandaag)
                if rid is None:
                    continue  # recorded (and announced) by an earlier run
                bron.emit(
                    keten,
                    uow,
                    "termijnoverschrijding.geconstateerd",
                    dossier,
                    "termijnoverschrijding",
                    rid,
                    {"termijnoverschrijdingId": rid, "dossierId": dossier.dossier_id},
                )
                nieuw.append(rid)
    return nieuw


async def _vastleggen(
    uow: UnitOfWork, dossier: DossierRij, o: Overschrijding, betreft: str | None, vandaag: date
) -> str | None:
    """The new row's id, or None when this deadline of this dossier was recorded before."""
    rid: str | None = await uow.session.scalar(
        insert(TermijnoverschrijdingRij)
        .values(
            termijnoverschrijding_id=domain.nieuw_id("tov"),
            dossier_id=dossier.dossier_id,
            gemeentecode=dossier.gemeentecode,
            termijn=o.termijn.value,
            sleutel=betreft or dossier.dossier_id,
            betreft_id=betreft,
            referentiedatum=o.referentiedatum,
            uiterste_datum=o.uiterste_datum,
            geconstateerd_op=vandaag,
        )
        .on_conflict_do_nothing(index_elements=["dossier_id", "termijn", "sleutel"])
        .returning(TermijnoverschrijdingRij.termijnoverschrijding_id)
    )
    return rid


def _als_contract(rij: TermijnoverschrijdingRij) -> Termijnoverschrijding:
    return Termijnoverschrijding(
        termijnoverschrijding_id=rij.termijnoverschrijding_id,
        dossier_id=rij.dossier_id,
        termijn=BewaakteTermijn(rij.termijn),
        betreft_id=rij.betreft_id,
        referentiedatum=rij.referentiedatum,
        uiterste_datum=rij.uiterste_datum,
        geconstateerd_op=rij.geconstateerd_op,
    )


# --- HTTP ------------------------------------------------------------------------------------


def build_router(gemeenten: Gemeenten) -> APIRouter:
    """The gemeente's list of overdue deadlines, one of them, and "check now"."""
    router = APIRouter(prefix=API_PREFIX, tags=["bron"])
    bron = Bron(gemeenten)

    async def _lever_alle(
        keten: ServiceRuntime, lezing: BronLezing, *where: Any
    ) -> list[dict[str, Any]]:
        async with keten.unit_of_work() as uow:
            rows = (
                await uow.session.execute(
                    select(TermijnoverschrijdingRij, DossierRij)
                    .join(DossierRij, DossierRij.dossier_id == TermijnoverschrijdingRij.dossier_id)
                    .where(
                        TermijnoverschrijdingRij.gemeentecode == (lezing.caller.gemeentecode or ""),
                        *where,
                    )
                    .order_by(
                        TermijnoverschrijdingRij.geconstateerd_op.desc(),
                        TermijnoverschrijdingRij.termijnoverschrijding_id,
                    )
                    .limit(500)
                )
            ).all()
        views = await lezing.lever_alle(
            (_als_contract(t), _rij(d), _betrokkene(d)) for t, d in rows
        )
        result: list[dict[str, Any]] = served_json(views)
        return result

    @router.get(
        "/termijnoverschrijdingen",
        operation_id="termijnoverschrijdingen-lijst",
        summary="The caller's gemeente's overdue deadlines, newest first",
        responses={200: {"model": list[TermijnoverschrijdingView]}, **_ERRORS},
    )
    async def lijst(keten: Runtime, lezing: Annotated[BronLezing, Depends(LEZEN)]) -> Response:
        return JSONResponse(await _lever_alle(keten, lezing))

    @router.get(
        "/termijnoverschrijdingen/{termijnoverschrijdingId}",
        operation_id="termijnoverschrijding-lezen",
        summary="One overdue deadline",
        responses={200: {"model": TermijnoverschrijdingView}, **_ERRORS},
    )
    async def lezen_een(
        termijnoverschrijding_id: Annotated[
            str, Path(alias="termijnoverschrijdingId", pattern=OPAQUE_ID_PATTERN)
        ],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(LEZEN)],
    ) -> Response:
        rij, dossier = await met_dossier(
            keten, lezing, TermijnoverschrijdingRij, termijnoverschrijding_id
        )
        view = await lezing.lever(
            _als_contract(rij), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
        )
        return JSONResponse(served_json(view))

    @router.post(
        "/termijnbewaking",
        operation_id="termijnbewaking-uitvoeren",
        summary="Run the deadline watch now for the caller's gemeente; answers the overdue "
        "deadlines it found new",
        responses={200: {"model": list[TermijnoverschrijdingView]}, **_ERRORS},
    )
    async def uitvoeren(
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "termijnoverschrijding",
                    Doel.UITVOERING_INBURGERING,
                    activiteit="termijnbewaking uitvoeren",
                )
            ),
        ],
    ) -> Response:
        code = lezing.caller.gemeentecode
        if not gemeenten.bedient(code):
            raise Problem(403, detail="This source does not serve the caller's gemeente.")
        assert code is not None
        nieuw = await bewaak(keten, bron, [code], clock.today())
        return JSONResponse(
            await _lever_alle(
                keten, lezing, TermijnoverschrijdingRij.termijnoverschrijding_id.in_(nieuw)
            )
        )

    return router


# --- the scheduled job (Kubernetes CronJob) --------------------------------------------------


async def run_once(settings: KetenSettings, gemeenten: Gemeenten) -> list[str]:
    """One run of the watch for every gemeente this source serves, on its database, as of
    today by the process's clock. The events go to the outbox; the running service's relay
    publishes them (``NOTIFY`` wakes it)."""
    from .main import build_service  # main imports this module

    lezer = DatarefLezer([], rol=Rol.GEMEENTE)  # the watch reads no other source
    service = build_service(settings, gemeenten=gemeenten, bronnen=lezer)
    engine = create_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        signal = OutboxSignal(engine)

        def unit_of_work(consumer: str | None = None) -> UnitOfWork:
            return UnitOfWork(
                sessions,
                source=service.source,
                now=clock.now,
                consumer=consumer,
                signal=signal,
                topic_prefix=settings.topic_prefix,
                schema_base_url=settings.schema_base_url,
            )

        keten = ServiceRuntime(service, settings, clock.get_clock(), unit_of_work)
        return await bewaak(keten, Bron(gemeenten), gemeenten.codes, clock.today())
    finally:
        await engine.dispose()
        await lezer.aclose()


DOEL = (
    "Run dossier-bron's deadline watch once (a CronJob): record and announce every overdue "
    "deadline not announced before."
)


def arguments(parser: argparse.ArgumentParser) -> None:
    """The job's options (none: what it watches comes from KETEN_GEMEENTEN)."""


def run(args: argparse.Namespace) -> int:
    from .main import GemeentenSettings

    settings = KetenSettings()
    gemeenten = Gemeenten(GemeentenSettings().gemeenten)
    nieuw = asyncio.run(run_once(settings, gemeenten))
    sys.stdout.write(f"termijnbewaking: {len(nieuw)} new overdue deadline(s)\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dossier_bron.bewaking", description=DOEL)
    arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
