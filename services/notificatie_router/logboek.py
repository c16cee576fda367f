"""The delivery log, written in bulk: the events the router consumed and the first outcome of
each delivery, one transaction every ``router_flush_s`` (an insert per delivery cost the
prototype most of its margin over raw HTTP; issue 11).

One flush, in one transaction:

1. the events (``router_gebeurtenis``), a repeat after a crash ignored;
2. the subscriptions whose deliveries are in it, locked in id order, each getting the next
   numbers of its per-subscriber sequence for them (the pull endpoint's cursor): since a
   subscription row stays locked until commit, a later flush, in this process or a replica,
   commits higher numbers later, and a reader after cursor ``n`` never skips one; its health
   (last success, failing since) is updated in the same statement;
3. the deliveries (``router_aflevering``); a repeat of a delivery already logged (the event was
   consumed again after a crash) adds its attempts to the existing row;
4. a Kafka sink's acknowledged deliveries, one ``router_kafka_levering`` row per subscription
   (its topic holds each record with its offset; a row per record cost half the sink's speed).

Only after the commit does an event's Kafka offset count as settled (``Gebeurtenis.open``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from asyncpg import UniqueViolationError
from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncEngine

from notificatie_router.bezorging import Gebeurtenis, Poging, Sleutel, Taak
from notificatie_router.metrics import RouterMetrics
from notificatie_router.models import AFGELEVERD, DOOD, KAFKA, WACHT

log = structlog.get_logger(__name__)

__all__ = ["Logboek"]


@dataclass(slots=True)
class _Rij:
    gebeurtenis: Gebeurtenis
    abonnement_id: uuid.UUID
    status: str
    pogingen: int
    volgende: datetime | None
    geschiedenis: list[dict[str, Any]]
    afgeleverd_op: datetime | None
    gefaald_op: datetime | None  # an attempt in this row failed (subscription health)
    ms: float | None  # the delivered attempt's latency (metrics)


@dataclass(slots=True)
class _KafkaGroep:
    """One subscription's acknowledged Kafka deliveries in this flush."""

    eerste_op: datetime
    laatste_op: datetime
    ids: list[uuid.UUID]
    gebeurtenissen: list[Gebeurtenis]
    ms: list[float]


_GEBEURTENIS_KOLOMMEN = (
    "id",
    "bron",
    "type",
    "partitionkey",
    "tijd",
    "ontvangen_op",
    "topic",
    "partitie",
    "positie",
    "attributen",
    "inhoud",
)
_INSERT_GEBEURTENISSEN = """
INSERT INTO router_gebeurtenis
    (id, bron, type, partitionkey, tijd, ontvangen_op, topic, partitie, positie, attributen,
     inhoud)
SELECT i, b, t, k, ti, o, tp, p, po, a::jsonb, d FROM unnest(
    $1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
    $7::text[], $8::int[], $9::bigint[], $10::text[], $11::bytea[])
    AS u(i, b, t, k, ti, o, tp, p, po, a, d)
ON CONFLICT (id) DO NOTHING
"""

_LOCK_ABONNEMENTEN = """
SELECT id FROM router_abonnement WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
"""

_NUMMER_ABONNEMENTEN = """
UPDATE router_abonnement AS a
SET volgnummer = a.volgnummer + c.n,
    laatste_succes_op = GREATEST(a.laatste_succes_op, c.ok),
    falend_sinds = CASE
        WHEN c.ok IS NOT NULL AND (c.fout IS NULL OR c.ok >= c.fout) THEN NULL
        ELSE LEAST(a.falend_sinds, c.fout) END
FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::timestamptz[]) AS c(id, n, ok, fout)
WHERE a.id = c.id
RETURNING a.id, a.volgnummer
"""

_INSERT_AFLEVERINGEN = """
INSERT INTO router_aflevering AS r
    (abonnement_id, gebeurtenis_id, volgnummer, partitionkey, status, pogingen,
     volgende_poging_op, geschiedenis, aangemaakt_op, afgeleverd_op)
SELECT a, g, v, k, s, p, vo, h::jsonb, ao, af FROM unnest(
    $1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::int[],
    $7::timestamptz[], $8::text[], $9::timestamptz[], $10::timestamptz[])
    AS t(a, g, v, k, s, p, vo, h, ao, af)
ON CONFLICT (abonnement_id, gebeurtenis_id) DO UPDATE SET
    geschiedenis = r.geschiedenis || excluded.geschiedenis,
    status = CASE WHEN excluded.status = 'afgeleverd' THEN 'afgeleverd' ELSE r.status END,
    afgeleverd_op = COALESCE(r.afgeleverd_op, excluded.afgeleverd_op)
"""


_INSERT_KAFKA = """
INSERT INTO router_kafka_levering
    (abonnement_id, eerste_op, laatste_op, aantal, gebeurtenis_ids, ms_max)
VALUES ($1, $2, $3, $4, $5::uuid[], $6)
"""


class Logboek:
    """Buffers the fast path's outcomes and writes them in one transaction per flush."""

    def __init__(self, engine: AsyncEngine, metrics: RouterMetrics) -> None:
        self._engine = engine
        self._metrics = metrics
        self._gebeurtenissen: list[Gebeurtenis] = []
        self._rijen: list[_Rij] = []
        self._kafka: dict[uuid.UUID, _KafkaGroep] = {}
        # Chains with a ``wacht`` row still in the buffer: not to be released before it is
        # written (``Bezorger.vrijgeven``).
        self.wacht_gebufferd: Counter[Sleutel] = Counter()

    def __len__(self) -> int:
        kafka = sum(len(groep.ids) for groep in self._kafka.values())
        return len(self._rijen) + len(self._gebeurtenissen) + kafka

    def gebeurtenis(self, gebeurtenis: Gebeurtenis) -> None:
        self._gebeurtenissen.append(gebeurtenis)

    def afgeleverd(self, taak: Taak, poging: Poging) -> None:
        if taak.ontvanger.protocol == KAFKA:
            groep = self._kafka.get(taak.ontvanger.id)
            if groep is None:
                groep = _KafkaGroep(poging.op, poging.op, [], [], [])
                self._kafka[taak.ontvanger.id] = groep
            groep.laatste_op = max(groep.laatste_op, poging.op)
            groep.ids.append(taak.gebeurtenis.id)
            groep.gebeurtenissen.append(taak.gebeurtenis)
            groep.ms.append(poging.ms)
            return
        self._rijen.append(
            _Rij(
                taak.gebeurtenis,
                taak.ontvanger.id,
                AFGELEVERD,
                1,
                None,
                [poging.als_json()],
                poging.op,
                None,
                poging.ms,
            )
        )

    def wacht(self, taak: Taak, pogingen: list[Poging], aantal: int, volgende: datetime) -> None:
        self.wacht_gebufferd[taak.sleutel] += 1
        self._rijen.append(
            _Rij(
                taak.gebeurtenis,
                taak.ontvanger.id,
                WACHT,
                aantal,
                volgende,
                [p.als_json() for p in pogingen],
                None,
                pogingen[-1].op if pogingen else None,
                None,
            )
        )

    def dood(self, taak: Taak, pogingen: list[Poging], aantal: int, reden: str) -> None:
        geschiedenis = [p.als_json() for p in pogingen]
        geschiedenis.append({"dood": reden})
        self._rijen.append(
            _Rij(
                taak.gebeurtenis,
                taak.ontvanger.id,
                DOOD,
                aantal,
                None,
                geschiedenis,
                None,
                pogingen[-1].op if pogingen else None,
                None,
            )
        )

    async def flush(self) -> bool:
        """Write what is buffered; False (and everything kept for the next try) on a database
        fault: offsets then stay uncommitted, so nothing is lost."""
        if not self._gebeurtenissen and not self._rijen and not self._kafka:
            return True
        gebeurtenissen, self._gebeurtenissen = self._gebeurtenissen, []
        rijen, self._rijen = self._rijen, []
        kafka, self._kafka = self._kafka, {}
        start = time.perf_counter()
        try:
            async with self._engine.connect() as connection:
                raw = await connection.get_raw_connection()
                driver: Any = raw.driver_connection
                async with driver.transaction():
                    await _schrijf(driver, gebeurtenissen, rijen, kafka)
        except Exception as exc:
            log.warning("logboek_flush_failed", error=repr(exc), rows=len(rijen))
            self._gebeurtenissen[:0] = gebeurtenissen
            self._rijen[:0] = rijen
            for abonnement_id, groep in kafka.items():
                self._voeg_terug(abonnement_id, groep)
            return False
        geschreven = len(rijen) + len(gebeurtenissen) + sum(len(g.ids) for g in kafka.values())
        self._metrics.stage("log", time.perf_counter() - start, geschreven)
        self._metrics.publish_stages()
        for gebeurtenis in gebeurtenissen:
            gebeurtenis.open -= 1
        for abonnement_id, groep in kafka.items():
            for gebeurtenis in groep.gebeurtenissen:
                gebeurtenis.open -= 1
            self._metrics.kafka_afgeleverd(str(abonnement_id), groep.ms)
        for rij in rijen:
            rij.gebeurtenis.open -= 1
            if rij.status == WACHT:
                sleutel = (rij.abonnement_id, rij.gebeurtenis.partitionkey)
                self.wacht_gebufferd[sleutel] -= 1
                if self.wacht_gebufferd[sleutel] <= 0:
                    del self.wacht_gebufferd[sleutel]
        self._metrics.gelogd((str(r.abonnement_id), r.status, r.pogingen, r.ms) for r in rijen)
        return True

    def _voeg_terug(self, abonnement_id: uuid.UUID, groep: _KafkaGroep) -> None:
        """A failed flush's group back in front of what came meanwhile (order kept)."""
        nieuw = self._kafka.get(abonnement_id)
        if nieuw is not None:
            groep.laatste_op = max(groep.laatste_op, nieuw.laatste_op)
            groep.ids += nieuw.ids
            groep.gebeurtenissen += nieuw.gebeurtenissen
            groep.ms += nieuw.ms
        self._kafka[abonnement_id] = groep


async def _schrijf(
    driver: Any,
    gebeurtenissen: list[Gebeurtenis],
    rijen: list[_Rij],
    kafka: dict[uuid.UUID, _KafkaGroep],
) -> None:
    if gebeurtenissen:
        await _schrijf_gebeurtenissen(driver, gebeurtenissen)
    if not rijen and not kafka:
        return
    per_abonnement: dict[uuid.UUID, list[_Rij]] = {a: [] for a in kafka}
    for rij in rijen:
        per_abonnement.setdefault(rij.abonnement_id, []).append(rij)
    ids = sorted(per_abonnement)
    await driver.execute(_LOCK_ABONNEMENTEN, ids)
    aantallen, ok, fout = [], [], []
    for abonnement_id in ids:
        eigen = per_abonnement[abonnement_id]
        aantallen.append(len(eigen))  # sequence numbers: a Kafka sink's topic has its own
        groep = kafka.get(abonnement_id)
        ok.append(
            max(
                [r.afgeleverd_op for r in eigen if r.afgeleverd_op]
                + ([groep.laatste_op] if groep else []),
                default=None,
            )
        )
        fout.append(min((r.gefaald_op for r in eigen if r.gefaald_op), default=None))
    hoogste = {
        record["id"]: record["volgnummer"]
        for record in await driver.fetch(_NUMMER_ABONNEMENTEN, ids, aantallen, ok, fout)
    }
    kolommen: list[list[Any]] = [[] for _ in range(10)]
    for abonnement_id in ids:
        if abonnement_id not in hoogste:
            continue  # deleted meanwhile: nothing to log for it
        eigen = per_abonnement[abonnement_id]
        eerste = hoogste[abonnement_id] - len(eigen) + 1
        for nummer, rij in enumerate(eigen, start=eerste):
            for kolom, waarde in zip(
                kolommen,
                (
                    abonnement_id,
                    rij.gebeurtenis.id,
                    nummer,
                    rij.gebeurtenis.partitionkey,
                    rij.status,
                    rij.pogingen,
                    rij.volgende,
                    json.dumps(rij.geschiedenis),
                    rij.gebeurtenis.ontvangen_op,
                    rij.afgeleverd_op,
                ),
                strict=True,
            ):
                kolom.append(waarde)
    if kolommen[0]:
        await driver.execute(_INSERT_AFLEVERINGEN, *kolommen)
    groepen = [
        (a, g.eerste_op, g.laatste_op, len(g.ids), g.ids, max(g.ms))
        for a, g in kafka.items()
        if a in hoogste  # deleted meanwhile: nothing to log for it
    ]
    if groepen:
        await driver.executemany(_INSERT_KAFKA, groepen)


async def _schrijf_gebeurtenissen(driver: Any, gebeurtenissen: list[Gebeurtenis]) -> None:
    """By COPY: 2.4 instead of 5.3 us of the router's CPU per row of the array insert
    (measured against the local PostgreSQL; on a Kafka sink this row is most of the log). An
    event read again (after a restart or a rebalance) is in the table already, which COPY
    cannot skip: then the insert that does."""
    rijen = [
        (
            g.id,
            g.attributes["source"],
            g.attributes["type"],
            g.partitionkey,
            g.tijd,
            g.ontvangen_op,
            g.topic,
            g.partitie,
            g.positie,
            to_json(g.attributes).decode(),  # a fifth of json.dumps's time
            g.value,
        )
        for g in gebeurtenissen
    ]
    try:
        async with driver.transaction():  # a savepoint: the fallback runs in the same flush
            await driver.copy_records_to_table(
                "router_gebeurtenis", records=rijen, columns=_GEBEURTENIS_KOLOMMEN
            )
    except UniqueViolationError:
        await driver.execute(_INSERT_GEBEURTENISSEN, *(list(k) for k in zip(*rijen, strict=True)))
