"""The processing log: every read of personal data, and every refused attempt, is recorded.

In the spirit of the Logboek Dataverwerkingen (Logius): per processing one record with the
trace (``trace_id``, ``span_id``), the processing activity, the purpose (doelbinding), the
pseudonymised data subject, the caller (client, organisation, rol, functie, mandate, user) and
the time; which resource and which fields were served. No sampling: a record per read, whatever
the trace sampler decides. The record is written and committed in its own transaction BEFORE
the data leaves the source (``keten_core.source_read``); when it cannot be written the read is
refused, so there is never an unlogged read.

The subject is stored as an HMAC-SHA256 over its identifier with a key from a secret
(``KETEN_VERWERKINGSLOG_SLEUTEL``): the log alone does not tell whose data was read, but a
subject-access request ("who read my data, when, for which purpose") is answered by computing
the same pseudonym for the person's identifier (``verwerkingen_van``, ``keten verwerkingen``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import structlog
from opentelemetry import trace
from pydantic import SecretStr
from sqlalchemy import BigInteger, DateTime, Identity, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from keten_core import clock
from keten_core.db import Base

__all__ = [
    "MIN_SLEUTEL_BYTES",
    "Betrokkene",
    "Pseudonimiseerder",
    "Verwerking",
    "Verwerkingslog",
    "VerwerkingslogOnbeschikbaar",
    "VerwerkingslogRecord",
    "register",
]

log = structlog.get_logger(__name__)

# As for the JWT secrets: an HMAC-SHA256 key of at least the hash's length.
MIN_SLEUTEL_BYTES: Final = 32
_GEEN_SLEUTEL: Final = "no processing log key configured (KETEN_VERWERKINGSLOG_SLEUTEL)"


class VerwerkingslogOnbeschikbaar(RuntimeError):
    """The record could not be written (or no key is configured): the read must be refused."""


@dataclass(frozen=True, slots=True)
class Betrokkene:
    """The data subject of a read: the kind of identifier and its value, e.g. ``("bsn",
    "111222333")`` or ``("statushouder", "sh-6a2d90")`` before COA knows a BSN."""

    soort: str
    waarde: str


class Pseudonimiseerder:
    """Keyed pseudonyms of subject identifiers (HMAC-SHA256, hex)."""

    def __init__(self, sleutel: SecretStr | str) -> None:
        raw = sleutel.get_secret_value() if isinstance(sleutel, SecretStr) else sleutel
        key = raw.encode()
        if len(key) < MIN_SLEUTEL_BYTES:
            raise ValueError(f"the processing log key must be at least {MIN_SLEUTEL_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonimiseerder(<key>)"

    def pseudoniem(self, betrokkene: Betrokkene) -> str:
        message = f"{betrokkene.soort}:{betrokkene.waarde}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Verwerking:
    """One record of the processing log."""

    tijdstip: datetime
    dienst: str
    activiteit: str
    doel: str | None
    client_id: str
    oin: str
    rol: str
    functie: str
    namens: str | None
    resource: str
    resource_id: str | None
    uitkomst: str
    betrokkene_soort: str | None = None
    gebruiker: str | None = None
    velden: Sequence[str] | None = None
    trace_id: str | None = None
    span_id: str | None = None
    betrokkene: str | None = field(default=None, repr=False)


class VerwerkingslogRecord(Base):
    """The table (migration keten_core_0003); written and read with plain statements."""

    __tablename__ = "keten_verwerkingslog"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tijdstip: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    trace_id: Mapped[str | None] = mapped_column(String(32))
    span_id: Mapped[str | None] = mapped_column(String(16))
    dienst: Mapped[str] = mapped_column(String(100))
    activiteit: Mapped[str] = mapped_column(String(200))
    doel: Mapped[str | None] = mapped_column(String(100))
    betrokkene: Mapped[str | None] = mapped_column(String(64))
    betrokkene_soort: Mapped[str | None] = mapped_column(String(100))
    client_id: Mapped[str] = mapped_column(String(200))
    oin: Mapped[str] = mapped_column(String(20))
    rol: Mapped[str] = mapped_column(String(50))
    functie: Mapped[str] = mapped_column(String(50))
    namens: Mapped[str | None] = mapped_column(String(4))
    gebruiker: Mapped[str | None] = mapped_column(String(200))
    resource: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[str | None] = mapped_column(String(200))
    uitkomst: Mapped[str] = mapped_column(String(20))
    velden: Mapped[list[str] | None] = mapped_column(JSONB)

    __table_args__ = (Index("ix_keten_verwerkingslog_betrokkene", "betrokkene", "tijdstip"),)


_INSERT: Final = text(
    "INSERT INTO keten_verwerkingslog (tijdstip, trace_id, span_id, dienst, activiteit, doel,"
    " betrokkene, betrokkene_soort, client_id, oin, rol, functie, namens, gebruiker, resource,"
    " resource_id, uitkomst, velden) VALUES (:tijdstip, :trace_id, :span_id, :dienst,"
    " :activiteit, :doel, :betrokkene, :betrokkene_soort, :client_id, :oin, :rol, :functie,"
    " :namens, :gebruiker, :resource, :resource_id, :uitkomst, CAST(:velden AS jsonb))"
)
_COLUMNS: Final = (
    "tijdstip, trace_id, span_id, dienst, activiteit, doel, betrokkene, betrokkene_soort,"
    " client_id, oin, rol, functie, namens, gebruiker, resource, resource_id, uitkomst, velden"
)


def _trace_ids() -> tuple[str | None, str | None]:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class Verwerkingslog:
    """Writes and queries one service's processing log (in the service's own database)."""

    def __init__(
        self, engine: AsyncEngine, *, dienst: str, sleutel: SecretStr | str | None
    ) -> None:
        self.engine = engine
        self.dienst = dienst
        self._pseudo = None if sleutel is None else Pseudonimiseerder(sleutel)

    def pseudoniem(self, betrokkene: Betrokkene) -> str:
        if self._pseudo is None:
            raise VerwerkingslogOnbeschikbaar(_GEEN_SLEUTEL)
        return self._pseudo.pseudoniem(betrokkene)

    def record(
        self,
        *,
        activiteit: str,
        resource: str,
        uitkomst: str,
        caller: Any,
        doel: str | None,
        resource_id: str | None = None,
        betrokkene: Betrokkene | None = None,
        velden: Sequence[str] | None = None,
    ) -> Verwerking:
        """A record for ``caller`` (an ``AuthenticatedCaller``), stamped now, in the current
        trace."""
        trace_id, span_id = _trace_ids()
        party = caller.party
        return Verwerking(
            tijdstip=clock.now(),
            dienst=self.dienst,
            activiteit=activiteit,
            doel=doel,
            client_id=party.client_id,
            oin=party.oin,
            rol=str(party.rol),
            functie=str(party.functie),
            namens=party.namens,
            gebruiker=caller.user_id or None,
            resource=resource,
            resource_id=resource_id,
            uitkomst=uitkomst,
            betrokkene_soort=None if betrokkene is None else betrokkene.soort,
            betrokkene=None if betrokkene is None else self.pseudoniem(betrokkene),
            velden=None if velden is None else list(velden),
            trace_id=trace_id,
            span_id=span_id,
        )

    async def schrijf(self, *records: Verwerking) -> None:
        """Insert and commit ``records`` in a transaction of their own; raise
        ``VerwerkingslogOnbeschikbaar`` when that fails (the caller must then refuse the read)."""
        if self._pseudo is None:
            raise VerwerkingslogOnbeschikbaar(_GEEN_SLEUTEL)

        rows = [
            {
                "tijdstip": r.tijdstip,
                "trace_id": r.trace_id,
                "span_id": r.span_id,
                "dienst": r.dienst,
                "activiteit": r.activiteit,
                "doel": r.doel,
                "betrokkene": r.betrokkene,
                "betrokkene_soort": r.betrokkene_soort,
                "client_id": r.client_id,
                "oin": r.oin,
                "rol": r.rol,
                "functie": r.functie,
                "namens": r.namens,
                "gebruiker": r.gebruiker,
                "resource": r.resource,
                "resource_id": r.resource_id,
                "uitkomst": r.uitkomst,
                "velden": None if r.velden is None else json.dumps(list(r.velden)),
            }
            for r in records
        ]
        try:
            async with self.engine.begin() as connection:
                await connection.execute(_INSERT, rows)
        except Exception as exc:
            # Any failure (database down, table not writable, constraint) denies the read.
            log.error("verwerkingslog_unwritable", error=repr(exc), records=len(rows))
            raise VerwerkingslogOnbeschikbaar(f"processing log not writable: {exc!r}") from exc

    async def van_betrokkene(
        self,
        betrokkene: Betrokkene,
        *,
        van: datetime | None = None,
        tot: datetime | None = None,
        resource_ids: Collection[str] | None = None,
    ) -> list[Verwerking]:
        """Every record of ``betrokkene`` (oldest first): who read their data, when, what for.
        ``resource_ids`` keeps only the records about those rows: a source that serves several
        gemeenten answers each gemeente's request from the records of its own rows."""
        # Optional bounds as NULL-tolerant parameters: one fixed statement, no SQL built here.
        statement = text(
            f"SELECT {_COLUMNS} FROM keten_verwerkingslog WHERE betrokkene = :p"  # noqa: S608
            " AND (CAST(:van AS timestamptz) IS NULL OR tijdstip >= :van)"
            " AND (CAST(:tot AS timestamptz) IS NULL OR tijdstip < :tot)"
            " AND (CAST(:ids AS text[]) IS NULL OR resource_id = ANY(CAST(:ids AS text[])))"
            " ORDER BY tijdstip, id"
        )
        params: dict[str, Any] = {
            "p": self.pseudoniem(betrokkene),
            "van": van,
            "tot": tot,
            "ids": None if resource_ids is None else sorted(resource_ids),
        }
        async with self.engine.connect() as connection:
            result = await connection.execute(statement, params)
            return [Verwerking(**row._mapping) for row in result]


# --- keten verwerkingen: the subject-access query from the command line -----------------------


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verwerkingen",
        help="who read a person's data at a service, when and for which purpose",
        description=(
            "Answer a subject-access request from a service's processing log. The key is "
            "KETEN_VERWERKINGSLOG_SLEUTEL (the service's own); the database is the service's "
            "own on the configured server, or --database-url."
        ),
    )
    parser.add_argument("dienst", help="the service, e.g. coa-adapter")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--bsn", help="the person's BSN")
    who.add_argument(
        "--id", metavar="SOORT=WAARDE", help="another identifier, e.g. statushouder=sh-6a2d90"
    )
    parser.add_argument("--van", type=datetime.fromisoformat, help="from (ISO 8601)")
    parser.add_argument("--tot", type=datetime.fromisoformat, help="until (ISO 8601)")
    parser.add_argument("--database-url", help="override the service's database URL")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(handler=_run_cli)


def _run_cli(args: Any) -> int:
    import asyncio
    import sys

    from sqlalchemy.engine import make_url

    from keten_core.db import create_engine
    from keten_core.settings import KetenSettings, service_database

    settings = KetenSettings()
    if settings.verwerkingslog_sleutel is None:
        print(f"keten: {_GEEN_SLEUTEL}", file=sys.stderr)
        return 2
    if args.bsn is not None:
        betrokkene = Betrokkene("bsn", args.bsn)
    else:
        soort, sep, waarde = args.id.partition("=")
        if not sep or not soort or not waarde:
            print("keten: --id takes SOORT=WAARDE", file=sys.stderr)
            return 2
        betrokkene = Betrokkene(soort, waarde)
    url = args.database_url or make_url(settings.database_url).set(
        database=service_database(args.dienst)
    ).render_as_string(hide_password=False)

    async def query() -> list[Verwerking]:
        engine = create_engine(url)
        try:
            logboek = Verwerkingslog(
                engine, dienst=args.dienst, sleutel=settings.verwerkingslog_sleutel
            )
            return await logboek.van_betrokkene(betrokkene, van=args.van, tot=args.tot)
        finally:
            await engine.dispose()

    for r in asyncio.run(query()):
        if args.json:
            print(
                json.dumps(
                    {
                        "tijdstip": r.tijdstip.isoformat(),
                        "dienst": r.dienst,
                        "activiteit": r.activiteit,
                        "doel": r.doel,
                        "uitkomst": r.uitkomst,
                        "oin": r.oin,
                        "rol": r.rol,
                        "functie": r.functie,
                        "namens": r.namens,
                        "client_id": r.client_id,
                        "resource": r.resource,
                        "resource_id": r.resource_id,
                        "velden": list(r.velden or ()),
                        "trace_id": r.trace_id,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(
                f"{r.tijdstip.isoformat()}  {r.uitkomst:<13} {r.activiteit}  doel={r.doel}  "
                f"door {r.rol}/{r.functie} {r.client_id} (OIN {r.oin}"
                + (f", namens {r.namens}" if r.namens else "")
                + f")  {r.resource} {r.resource_id or '-'}"
            )
    return 0
