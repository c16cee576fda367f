"""The retention of art. 9.9 Besluit inburgering: 50 years for the identity and the outcome of
the plicht, everything else 5 years after the plicht ended or the person died.

Seed 001 (``001_6bf09e723ef6bb05.txt``, "Bewaartermijnen nieuwe Wet inburgering"): "Volgens
artikel 9.9 van het Besluit inburgering is de bewaartermijn voor de volgende gegevens 50 jaar:
a BSN, b naamgegevens, c adresgegevens, d woonplaats, e geboortedatum, f [...] vrijstelling
[...], g [...] ontheffing [...], h de datum en de wijze waarop aan de inburgeringsplicht is
voldaan." and "Alle andere gegevens worden 5 jaar na beëindiging inburgeringsplicht of na
overlijden van de inburgeringsplichtige, verwijderd."

- **When** (``vervaldatum``): 5 years after the end of the plicht as DUO registered it
  (``inburgeringsplicht.beeindigd``, whose reasons include ``overleden``), or after the death
  when that comes first. A dossier whose plicht has not ended is never touched.
- **What** (``Veldregel``, from the contracts' field classes, ``keten_contracts.classification``):
  on the ``dossier`` row the 5-year columns are emptied and the 50-year ones kept; in its
  history (``dossier_feit``) the rows of 5-year fields go; every other table that hangs on the
  dossier (intake, PIP versions, opdrachten and reports, enforcement, hand-over, ...) holds
  "alle andere gegevens" and its rows of the dossier go. The 50-year items a-h are kept once,
  in the dossier (a-e) and in ``bewaartermijn`` (h: date and way the plicht was met); the BSN a
  report copied goes with the report. Vrijstelling and ontheffing (f, g) are DUO's data.
- **Fail closed on the schema**: the job refuses to run when the dossier table has a column
  neither the contract nor this module classifies (it might hold a 50-year item). A table that
  references a dossier is "alle andere gegevens" by the law's default: a new one is cleaned
  without being listed here.

The job (``python -m dossier_bron.bewaartermijnen``) is a dry run unless ``--uitvoeren``: it
prints a JSON report (counts per table and field, never an id or a value) and exits 0, so a
Kubernetes CronJob can run it daily; a second run finds nothing left to do::

    python -m dossier_bron.bewaartermijnen                 # dry run: what would go today
    python -m dossier_bron.bewaartermijnen --peildatum 2031-07-01   # dry run for a later day
    python -m dossier_bron.bewaartermijnen --uitvoeren     # delete and anonymise, today

The database is dossier-bron's own (``KETEN_DATABASE_URL``, like the service) or
``--database-url``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import structlog
from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from keten_contracts.classification import Bewaartermijn, field_tags
from keten_contracts.envelope import EnvelopeAttributes
from keten_contracts.resources.gemeente import Dossier, Dossierstatus
from keten_core import clock
from keten_core.db import Base
from keten_core.uow import UnitOfWork

from .models import VELDEN, BewaartermijnRij, DossierFeit, DossierRij

__all__ = [
    "BEWAARJAREN",
    "Opschoonrapport",
    "dossierkolommen",
    "feit_vervalt",
    "hoort_bij_dossier",
    "main",
    "opschonen",
    "plicht_beeindigd",
    "te_wissen_tabellen",
    "vervaldatum",
]

log = structlog.get_logger(__name__)

# Art. 9.9 Besluit: "5 jaar na beëindiging inburgeringsplicht of na overlijden".
BEWAARJAREN: Final = 5

# Dossier columns outside the contract, classified here: the record's own moments and COA's
# profile id (as opaque as the koppeling id) say nothing about the person; the right to
# maatschappelijke begeleiding is "alle andere gegevens". A column in neither place stops the
# job (fail closed: it might hold a 50-year item).
_BUITEN_CONTRACT: Final[dict[str, Bewaartermijn]] = {
    "geopend_op": Bewaartermijn.NVT,
    "gewijzigd_op": Bewaartermijn.NVT,
    "klantprofiel_id": Bewaartermijn.NVT,
    "recht_maatschappelijke_begeleiding": Bewaartermijn.VIJF_JAAR_NA_EINDE_PLICHT,
}
# A NOT NULL column cannot be emptied: it gets the value that says nothing any more.
_LEEG: Final[dict[str, Any]] = {
    "status": Dossierstatus.AFGESLOTEN.value,
    "afzien_rechten_asielstatushouder": False,
}
# Tables that are not "the rest of the dossier": the dossier itself, its history (cleaned per
# field) and the retention record (kept: it holds item h).
_EIGEN: Final = frozenset({"dossier", "dossier_feit", "bewaartermijn"})


# --- the pure rules ---------------------------------------------------------------------------


def vervaldatum(einde_plicht: date, overleden_op: date | None = None) -> date:
    """The first day the 5-year data may go: 5 years after the plicht ended or the person
    died, whichever came first. 29 February counts on to 1 March (never a day early)."""
    begin = einde_plicht if overleden_op is None else min(einde_plicht, overleden_op)
    try:
        return begin.replace(year=begin.year + BEWAARJAREN)
    except ValueError:  # 29 February into a year without one
        return date(begin.year + BEWAARJAREN, 3, 1)


def vervallen(einde_plicht: date | None, peildatum: date) -> bool:
    """Whether the 5-year data of a dossier goes on ``peildatum``; never while the plicht
    has not ended."""
    return einde_plicht is not None and peildatum >= vervaldatum(einde_plicht)


def _termijn_van_contractveld(naam: str) -> Bewaartermijn | None:
    tags = field_tags(Dossier).get(naam)
    return None if tags is None else tags.bewaartermijn


def dossierkolommen(kolommen: Sequence[str]) -> dict[str, Bewaartermijn]:
    """The retention class of each column of the ``dossier`` table: the contract field of the
    same name says it, else ``_BUITEN_CONTRACT``; an unclassified column raises."""
    uit: dict[str, Bewaartermijn] = {}
    for kolom in kolommen:
        termijn = _termijn_van_contractveld(kolom) or _BUITEN_CONTRACT.get(kolom)
        if termijn is None:
            raise LookupError(f"dossier column {kolom!r} has no retention class")
        uit[kolom] = termijn
    return uit


def feit_vervalt(veld: str) -> bool:
    """Whether a history row of contract field ``veld`` (wire name) goes after 5 years: only
    the 50-year fields and the ids that are no personal data stay."""
    kolom = VELDEN.get(veld)
    if kolom is None:
        return True  # a field the dossier no longer has: not one of the items a-h
    return dossierkolommen([kolom])[kolom] is Bewaartermijn.VIJF_JAAR_NA_EINDE_PLICHT


def te_wissen_tabellen(tabellen: Sequence[Table]) -> list[Table]:
    """The tables that hang on a dossier (a foreign key path to ``dossier``) apart from the
    dossier, its history and the retention record: their rows of the dossier are "alle andere
    gegevens". Children before parents, so the rows can be deleted in this order."""
    hangt: set[str] = set()
    changed = True
    while changed:
        changed = False
        for t in tabellen:
            if t.name in hangt or t.name in _EIGEN:
                continue
            doelen = {fk.column.table.name for fk in t.foreign_keys}
            if doelen & ({"dossier"} | hangt):
                hangt.add(t.name)
                changed = True
    volgorde = [t for t in tabellen if t.name in hangt]  # metadata order: parents first
    return list(reversed(volgorde))


# --- the I/O: recording the end of the plicht, and the job ------------------------------------


async def plicht_beeindigd(
    uow: UnitOfWork, gemeentecode: str, plicht: Any, envelope: EnvelopeAttributes
) -> DossierRij | None:
    """DUO ended the plicht (``inburgeringsplicht.beeindigd``, ``plicht`` as the gemeente read
    it): the retention clock of the person's dossier in this gemeente starts at its end date.
    Returns that dossier (its view's ``eindePlicht`` changed). No dossier here: nothing to keep,
    nothing to do."""
    dossier = (
        await uow.session.execute(
            select(DossierRij).where(
                DossierRij.gemeentecode == gemeentecode, DossierRij.bsn == plicht.bsn
            )
        )
    ).scalar_one_or_none()
    einde = getattr(plicht, "beeindigd_op", None)
    if dossier is None or einde is None:
        log.info("plicht_beeindigd_zonder_dossier", event_id=str(envelope.id))
        return None
    waarden = {
        "inburgeringsplicht_id": plicht.inburgeringsplicht_id,
        "einde_plicht": einde,
        "reden": _code(getattr(plicht, "beeindigingsreden", None)),
        "datum_voldaan": getattr(plicht, "datum_voldaan", None),
        "wijze_voldaan": _code(getattr(plicht, "wijze_voldaan", None)),
        "vastgelegd_op": clock.now(),
    }
    await uow.session.execute(
        insert(BewaartermijnRij)
        .values(dossier_id=dossier.dossier_id, **waarden)
        # A later end (the plicht ended again after a correction at DUO) replaces the earlier.
        .on_conflict_do_update(index_elements=["dossier_id"], set_=waarden)
    )
    return dossier


def _code(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


@dataclass
class Opschoonrapport:
    """What the job removed (or would remove): counts only, no ids, no values."""

    peildatum: date
    uitgevoerd: bool
    dossiers: int = 0
    velden: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    rijen: Counter[str] = field(default_factory=Counter)

    def als_json(self) -> dict[str, Any]:
        tabellen: dict[str, dict[str, Any]] = {}
        for tabel, aantal in sorted(self.rijen.items()):
            tabellen.setdefault(tabel, {})["rijenVerwijderd"] = aantal
        for tabel, velden in sorted(self.velden.items()):
            tabellen.setdefault(tabel, {})["veldenGewist"] = dict(sorted(velden.items()))
        return {
            "peildatum": self.peildatum.isoformat(),
            "uitgevoerd": self.uitgevoerd,
            "dossiers": self.dossiers,
            "tabellen": tabellen,
        }


def _controleer_schema() -> list[Table]:
    """The tables to clean; refuses (fail closed) when the dossier has a column this module
    cannot classify: it might hold a 50-year item."""
    dossier = Base.metadata.tables["dossier"]
    dossierkolommen([c.name for c in dossier.columns])  # raises on an unknown column
    return te_wissen_tabellen(list(Base.metadata.sorted_tables))


async def opschonen(
    engine: AsyncEngine, *, uitvoeren: bool, peildatum: date | None = None
) -> Opschoonrapport:
    """Clean every dossier whose 5 years are over on ``peildatum`` (default: today by the
    chain's clock). A dry run does the same work in a transaction it rolls back, so its report
    is exactly what a run would do; a run marks each dossier cleaned (a second run skips it).
    A later ``peildatum`` than today is for a dry run only: nothing goes early."""
    vandaag = clock.today()
    dag = peildatum or vandaag
    if uitvoeren and dag > vandaag:
        raise ValueError("a run deletes on today's date only; a later date is for a dry run")
    rapport = Opschoonrapport(peildatum=dag, uitgevoerd=uitvoeren)
    tabellen = _controleer_schema()
    kolommen = dossierkolommen([c.name for c in Base.metadata.tables["dossier"].columns])
    vijf_jaar = [k for k, t in kolommen.items() if t is Bewaartermijn.VIJF_JAAR_NA_EINDE_PLICHT]
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            termijnen = (
                await connection.execute(
                    select(BewaartermijnRij.dossier_id, BewaartermijnRij.einde_plicht)
                    .where(BewaartermijnRij.opgeschoond_op.is_(None))
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for dossier_id, einde in termijnen:
                if not vervallen(einde, dag):
                    continue
                rapport.dossiers += 1
                await _dossier_opschonen(connection, dossier_id, vijf_jaar, tabellen, rapport)
                await connection.execute(
                    update(BewaartermijnRij)
                    .where(BewaartermijnRij.dossier_id == dossier_id)
                    .values(opgeschoond_op=clock.now())
                )
            if uitvoeren:
                await transaction.commit()
            else:
                await transaction.rollback()
        except BaseException:
            if transaction.is_active:
                await transaction.rollback()
            raise
    log.info("bewaartermijnen", **rapport.als_json())
    return rapport


async def _dossier_opschonen(
    connection: Any,
    dossier_id: str,
    vijf_jaar: list[str],
    tabellen: list[Table],
    rapport: Opschoonrapport,
) -> None:
    dossier_t = Base.metadata.tables["dossier"]
    rij = (
        (await connection.execute(select(dossier_t).where(dossier_t.c.dossier_id == dossier_id)))
        .mappings()
        .one()
    )
    gewist = {}
    for kolom in vijf_jaar:
        leeg = _LEEG.get(kolom)
        if rij[kolom] is not None and rij[kolom] != leeg:
            gewist[kolom] = leeg
            rapport.velden["dossier"][kolom] += 1
    if gewist:
        await connection.execute(
            update(dossier_t).where(dossier_t.c.dossier_id == dossier_id).values(**gewist)
        )
    feiten = (
        await connection.execute(
            select(DossierFeit.id, DossierFeit.veld).where(DossierFeit.dossier_id == dossier_id)
        )
    ).all()
    weg = [fid for fid, veld in feiten if feit_vervalt(veld)]
    for _, veld in feiten:
        if feit_vervalt(veld):
            rapport.velden["dossier_feit"][veld] += 1
    if weg:
        await connection.execute(delete(DossierFeit).where(DossierFeit.id.in_(weg)))
        rapport.rijen["dossier_feit"] += len(weg)
    for tabel in tabellen:
        aantal = await _rijen_verwijderen(connection, tabel, dossier_id)
        if aantal:
            rapport.rijen[tabel.name] += aantal


def _pad_naar_dossier(tabel: Table) -> list[tuple[Any, Any]]:
    """The foreign-key hops (child column, parent column) from ``tabel`` to ``dossier``,
    shortest first (breadth first)."""
    wachtrij: deque[tuple[Table, list[tuple[Any, Any]]]] = deque([(tabel, [])])
    gezien = {tabel.name}
    while wachtrij:
        t, pad = wachtrij.popleft()
        for fk in sorted(t.foreign_keys, key=lambda f: f.parent.name):
            doel = fk.column.table
            hop = [*pad, (fk.parent, fk.column)]
            if doel.name == "dossier":
                return hop
            if doel.name not in gezien and doel.name not in _EIGEN:
                gezien.add(doel.name)
                wachtrij.append((doel, hop))
    raise RuntimeError(f"table {tabel.name} has no foreign key path to dossier")


def hoort_bij_dossier(tabel: Table, dossier_ids: Sequence[str]) -> Any:
    """The condition on ``tabel``'s rows that belong to one of ``dossier_ids`` (directly or
    through their parent rows): what the job deletes, and what a subject-access report of the
    gemeente covers (``inzage``)."""
    pad = _pad_naar_dossier(tabel)

    def stap(i: int) -> Any:
        kolom, doel = pad[i]
        if i == len(pad) - 1:
            return kolom.in_(list(dossier_ids))
        return kolom.in_(select(doel).where(stap(i + 1)))

    return stap(0)


async def _rijen_verwijderen(connection: Any, tabel: Table, dossier_id: str) -> int:
    result = await connection.execute(delete(tabel).where(hoort_bij_dossier(tabel, [dossier_id])))
    return int(result.rowcount or 0)


# --- the command --------------------------------------------------------------------------------


DOEL = "Art. 9.9 Besluit inburgering retention for dossier-bron (dry run by default)."


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--uitvoeren", action="store_true", help="delete and anonymise")
    parser.add_argument(
        "--peildatum", type=date.fromisoformat, help="dry run for this date (default: today)"
    )
    parser.add_argument("--database-url", help="dossier-bron's database (default: settings)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dossier_bron.bewaartermijnen", description=DOEL
    )
    arguments(parser)
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    if args.uitvoeren and args.peildatum is not None:
        sys.stderr.write("--peildatum is for a dry run only: a run deletes on today's date\n")
        return 2

    from keten_core.db import create_engine
    from keten_core.settings import KetenSettings

    # The service's own database, as ``KetenService`` picks it.
    url = args.database_url or KetenSettings().database_url_for("dossier-bron")

    async def run() -> Opschoonrapport:
        engine = create_engine(url)
        try:
            return await opschonen(engine, uitvoeren=args.uitvoeren, peildatum=args.peildatum)
        finally:
            await engine.dispose()

    rapport = asyncio.run(run())
    json.dump(rapport.als_json(), sys.stdout, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
