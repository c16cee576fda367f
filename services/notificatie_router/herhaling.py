"""Retries without blocking: failed deliveries wait in PostgreSQL (``router_aflevering`` rows in
state ``wacht``) until their next attempt is due, and a scheduler in every replica takes the
due ones.

Why a PostgreSQL schedule and not retry topics: a retry topic per delay stage holds records
that cannot be consumed before their time, so each stage needs its own paused consumer, and
per-key order across stages needs the same bookkeeping this table gives for free; the delivery
log must be in PostgreSQL anyway (failed deliveries are listed, resent and replayed from it),
and the rows the fast path hands over are written there in the same bulk flush (``logboek``).
Retries are a small share of all deliveries, so a row update per retry costs nothing that
matters.

Rules:
- Only a chain's head (its lowest sequence number in ``wacht``) is attempted; when it is
  delivered the rest of the chain follows at once, in order, so a subscriber that was down
  gets its backlog per dossier in order.
- A scheduler takes a head by setting a lease (``lease_tot``); a crashed scheduler's heads come
  free when the lease ends.
- The policy is checked again before every attempt: an event the owner may no longer receive is
  not sent (dead, reason stated).
- After the last stage the head is dead, and so is the rest of its chain (with the reason), all
  with their history: a resend then delivers them all, in order.
- 410 Gone disables the subscription; a subscription whose every attempt failed for
  ``router_uitschakelen_na_s`` is disabled, with the reason its owner reads in the API and a
  notice to the owner (``abonnement.uitgeschakeld``).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from keten_core.envelope import validate_envelope
from notificatie_router.abonnementen import AbonnementenCache, Uitschakelaar
from notificatie_router.bezorging import Gebeurtenis, Poging, WebhookZender
from notificatie_router.domain import Ontvanger, RetrySchema
from notificatie_router.metrics import RouterMetrics
from notificatie_router.models import KAFKA

log = structlog.get_logger(__name__)

__all__ = ["Herhaler", "als_gebeurtenis"]

_NEEM_KOPPEN = """
WITH kop AS (
    SELECT DISTINCT ON (abonnement_id, partitionkey)
        id, volgende_poging_op, lease_tot
    FROM router_aflevering
    WHERE status = 'wacht'
    ORDER BY abonnement_id, partitionkey, volgnummer
), due AS (
    SELECT id FROM kop
    WHERE volgende_poging_op <= $1 AND (lease_tot IS NULL OR lease_tot < $1)
    ORDER BY volgende_poging_op
    LIMIT $3
)
UPDATE router_aflevering AS r SET lease_tot = $2
FROM due
WHERE r.id = due.id AND r.status = 'wacht' AND (r.lease_tot IS NULL OR r.lease_tot < $1)
RETURNING r.id, r.abonnement_id, r.partitionkey
"""

_RIJ = """
SELECT a.id, a.volgnummer, a.pogingen, a.geschiedenis, g.attributen, g.inhoud, g.ontvangen_op,
       g.topic,
       g.partitie, g.positie
FROM router_aflevering a JOIN router_gebeurtenis g ON g.id = a.gebeurtenis_id
WHERE a.id = $1 AND a.status = 'wacht'
"""

_VOLGENDE_IN_KETEN = """
UPDATE router_aflevering SET lease_tot = $4
WHERE id = (
    SELECT id FROM router_aflevering
    WHERE abonnement_id = $1 AND partitionkey = $2 AND status = 'wacht'
    ORDER BY volgnummer LIMIT 1
) AND (lease_tot IS NULL OR lease_tot < $3)
RETURNING id
"""

_AFGELEVERD = """
UPDATE router_aflevering
SET status = 'afgeleverd', pogingen = pogingen + 1, afgeleverd_op = $2, lease_tot = NULL,
    geschiedenis = geschiedenis || $3::jsonb
WHERE id = $1
"""

# A disabled or deleted subscription's row waits, without an attempt counted.
_UITSTELLEN = """
UPDATE router_aflevering SET volgende_poging_op = $2, lease_tot = NULL WHERE id = $1
"""

_OPNIEUW = """
UPDATE router_aflevering
SET pogingen = pogingen + 1, volgende_poging_op = $2, lease_tot = NULL,
    geschiedenis = geschiedenis || $3::jsonb
WHERE id = $1
"""

_DOOD = """
UPDATE router_aflevering
SET status = 'dood', pogingen = pogingen + $3, lease_tot = NULL,
    geschiedenis = geschiedenis || $2::jsonb
WHERE id = $1
"""

_KETEN_DOOD = """
UPDATE router_aflevering
SET status = 'dood', lease_tot = NULL, geschiedenis = geschiedenis || $3::jsonb
WHERE abonnement_id = $1 AND partitionkey = $2 AND status = 'wacht'
"""

_GEZONDHEID = """
UPDATE router_abonnement
SET laatste_succes_op = CASE
        WHEN $2 THEN GREATEST(laatste_succes_op, $3) ELSE laatste_succes_op END,
    falend_sinds = CASE WHEN $2 THEN NULL ELSE LEAST(falend_sinds, $3) END
WHERE id = $1
"""

_TE_LANG_FALEND = """
SELECT id, falend_sinds FROM router_abonnement WHERE actief AND falend_sinds < $1
"""

_OPRUIMEN = """
WITH oud AS (
    SELECT id FROM router_gebeurtenis WHERE ontvangen_op < $1 LIMIT 5000
), gewist AS (
    UPDATE router_abonnement AS a SET gewist_tot = GREATEST(a.gewist_tot, s.hoogste)
    FROM (
        SELECT abonnement_id, max(volgnummer) AS hoogste FROM router_aflevering
        WHERE gebeurtenis_id IN (SELECT id FROM oud) GROUP BY abonnement_id
    ) AS s
    WHERE a.id = s.abonnement_id
)
DELETE FROM router_gebeurtenis WHERE id IN (SELECT id FROM oud)
"""

_STANDEN = """
SELECT abonnement_id, status, count(*) AS n FROM router_aflevering
WHERE status IN ('wacht', 'dood') GROUP BY abonnement_id, status
"""

_UITGESCHAKELD = """
SELECT id, actief FROM router_abonnement
"""


def als_gebeurtenis(record: Any) -> Gebeurtenis:
    """A logged event (``router_gebeurtenis``: its attributes and data as they came)."""
    attributes = record["attributen"]
    if isinstance(attributes, str):
        attributes = json.loads(attributes)
    value = bytes(record["inhoud"])
    envelope = validate_envelope(attributes)
    return Gebeurtenis(
        id=envelope.id,
        attributes=attributes,
        envelope=envelope,
        payload=json.loads(value),
        value=value,
        ontvangen_op=record["ontvangen_op"],
        topic=record["topic"],
        partitie=record["partitie"],
        positie=record["positie"],
    )


class Herhaler:
    """The retry scheduler of one replica."""

    def __init__(
        self,
        engine: AsyncEngine,
        cache: AbonnementenCache,
        zender: WebhookZender,
        schema: RetrySchema,
        metrics: RouterMetrics,
        *,
        lease_s: float,
        interval_s: float,
        uitschakelen_na_s: float,
        bewaartermijn_s: float,
        parallel: int = 32,
        uitschakelen: Uitschakelaar,
        bij_succes: Callable[[uuid.UUID], None] = lambda a: None,
        kafka: Any = None,
    ) -> None:
        self._engine = engine
        self._cache = cache
        self._zender = zender
        self._schema = schema
        self._metrics = metrics
        self._lease = timedelta(seconds=lease_s)
        self._interval_s = interval_s
        self._uitschakelen_na = timedelta(seconds=uitschakelen_na_s)
        self._bewaartermijn = timedelta(seconds=bewaartermijn_s)
        self._ruimte = asyncio.Semaphore(parallel)
        self._parallel = parallel
        self._bij_succes = bij_succes
        self._uitschakelen = uitschakelen  # abonnementen.uitschakelen, bound to the service
        self._kafka = kafka  # kafka_sink.KafkaSink: the sender for KAFKA subscriptions
        self._ketens: set[asyncio.Task[None]] = set()
        self._onderhoud_op = 0.0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                if loop.time() >= self._onderhoud_op:
                    self._onderhoud_op = loop.time() + 10
                    await self.onderhoud()
                await self.ronde()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database outage: try again next round
                log.warning("herhaling_ronde_failed", error=repr(exc))
            await asyncio.sleep(self._interval_s)

    async def stop(self) -> None:
        for task in self._ketens:
            task.cancel()
        await asyncio.gather(*self._ketens, return_exceptions=True)

    async def ronde(self) -> int:
        """Take the due chain heads and work their chains; returns how many were taken."""
        vrij = self._parallel - len(self._ketens)
        if vrij <= 0:
            return 0
        nu = datetime.now(UTC)
        async with self._engine.connect() as connection:
            driver = await _driver(connection)
            koppen = await driver.fetch(_NEEM_KOPPEN, nu, nu + self._lease, vrij)
        for kop in koppen:
            task = asyncio.create_task(
                self._keten(kop["id"], kop["abonnement_id"], kop["partitionkey"])
            )
            self._ketens.add(task)
            task.add_done_callback(self._ketens.discard)
        return len(koppen)

    async def _keten(self, rij_id: int, abonnement_id: uuid.UUID, partitionkey: str) -> None:
        try:
            async with self._ruimte:
                await self._werk_keten(rij_id, abonnement_id, partitionkey)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The lease runs out and another round takes the chain again.
            log.exception("herhaling_keten_failed", abonnement=str(abonnement_id))

    async def _werk_keten(
        self, rij_id: int | None, abonnement_id: uuid.UUID, partitionkey: str
    ) -> None:
        while rij_id is not None:
            ontvanger = self._cache.ontvanger(abonnement_id)
            async with self._engine.connect() as connection:
                driver = await _driver(connection)
                if ontvanger is None:
                    # Disabled or deleted: the rows wait (a disabled one may be enabled again).
                    await driver.execute(
                        _UITSTELLEN, rij_id, datetime.now(UTC) + timedelta(minutes=5)
                    )
                    return
                record = await driver.fetchrow(_RIJ, rij_id)
            if record is None:
                return
            gebeurtenis = als_gebeurtenis(record)
            if not ontvanger.mag(gebeurtenis.attributes):
                await self._dood(
                    rij_id, abonnement_id, [], "the policy no longer allows this event", 0
                )
                rij_id = await self._volgende(abonnement_id, partitionkey)
                continue
            if ontvanger.protocol == KAFKA and self._kafka is not None:
                poging = await self._kafka.stuur(ontvanger, gebeurtenis)
            else:
                poging = await self._zender.stuur(ontvanger, gebeurtenis)
            self._metrics.poging(str(abonnement_id), poging.gelukt, poging.ms)
            if poging.gelukt:
                await self._afgeleverd(rij_id, ontvanger, poging)
                rij_id = await self._volgende(abonnement_id, partitionkey)
                continue
            await self._gefaald(rij_id, record["pogingen"] + 1, ontvanger, poging, partitionkey)
            return

    async def _volgende(self, abonnement_id: uuid.UUID, partitionkey: str) -> int | None:
        nu = datetime.now(UTC)
        async with self._engine.connect() as connection:
            driver = await _driver(connection)
            return await driver.fetchval(  # type: ignore[no-any-return]
                _VOLGENDE_IN_KETEN, abonnement_id, partitionkey, nu, nu + self._lease
            )

    async def _afgeleverd(self, rij_id: int, ontvanger: Ontvanger, poging: Poging) -> None:
        async with transactie(self._engine) as driver:
            await driver.execute(_AFGELEVERD, rij_id, poging.op, json.dumps([poging.als_json()]))
            await driver.execute(_GEZONDHEID, ontvanger.id, True, poging.op)
        self._bij_succes(ontvanger.id)

    async def _gefaald(
        self,
        rij_id: int,
        pogingen: int,
        ontvanger: Ontvanger,
        poging: Poging,
        partitionkey: str,
    ) -> None:
        if poging.weg:
            reden = "the sink answered 410 Gone"
            await self._uitschakelen(ontvanger.id, reden, poging.op)
            await self._dood(rij_id, ontvanger.id, [poging], reden, 1, keten=partitionkey)
            return
        volgende = self._schema.volgende(pogingen, poging.op, poging.retry_after)
        if volgende is None:
            reden = f"no answer with 2xx in {pogingen} attempts over {self._schema.venster}"
            await self._dood(rij_id, ontvanger.id, [poging], reden, 1, keten=partitionkey)
            return
        async with transactie(self._engine) as driver:
            await driver.execute(_OPNIEUW, rij_id, volgende, json.dumps([poging.als_json()]))
            await driver.execute(_GEZONDHEID, ontvanger.id, False, poging.op)

    async def _dood(
        self,
        rij_id: int,
        abonnement_id: uuid.UUID,
        pogingen: list[Poging],
        reden: str,
        aantal: int,
        *,
        keten: str | None = None,
    ) -> None:
        """The row is dead; with ``keten`` (its partitionkey) so is the rest of its chain."""
        geschiedenis = [p.als_json() for p in pogingen] + [{"dood": reden}]
        async with transactie(self._engine) as driver:
            await driver.execute(_DOOD, rij_id, json.dumps(geschiedenis), aantal)
            if keten is not None:
                achter = [{"dood": f"behind a dead delivery: {reden}"}]
                await driver.execute(_KETEN_DOOD, abonnement_id, keten, json.dumps(achter))
            if pogingen:
                await driver.execute(_GEZONDHEID, abonnement_id, False, pogingen[-1].op)

    async def onderhoud(self) -> None:
        """Disable subscriptions failing for too long, drop events past the retention window,
        refresh the gauges."""
        nu = datetime.now(UTC)
        async with transactie(self._engine) as driver:
            te_lang = await driver.fetch(_TE_LANG_FALEND, nu - self._uitschakelen_na)
            await driver.execute(_OPRUIMEN, nu - self._bewaartermijn)
            await driver.execute(
                "DELETE FROM router_kafka_levering WHERE laatste_op < $1", nu - self._bewaartermijn
            )
            # Duplicates of an inbound event are recognised within the same window.
            await driver.execute(
                "DELETE FROM router_ontvangen WHERE ontvangen_op < $1", nu - self._bewaartermijn
            )
        for rij in te_lang:
            reden = (
                f"every delivery failed since {rij['falend_sinds'].isoformat()}"
                f" (disabled after {self._uitschakelen_na})"
            )
            await self._uitschakelen(rij["id"], reden, nu)
        async with transactie(self._engine) as driver:
            standen = await driver.fetch(_STANDEN)
            abonnementen = await driver.fetch(_UITGESCHAKELD)
        self._metrics.waiting.clear()
        self._metrics.dead.clear()
        self._metrics.disabled.clear()
        for stand in standen:
            gauge = self._metrics.waiting if stand["status"] == "wacht" else self._metrics.dead
            gauge.labels(str(stand["abonnement_id"])).set(stand["n"])
        for abonnement in abonnementen:
            self._metrics.disabled.labels(str(abonnement["id"])).set(
                0 if abonnement["actief"] else 1
            )


async def _driver(connection: Any) -> Any:
    raw = await connection.get_raw_connection()
    return raw.driver_connection


@asynccontextmanager
async def transactie(engine: AsyncEngine) -> AsyncIterator[Any]:
    """The asyncpg connection of one pooled connection, in one transaction (the statements
    here are hand-written SQL over arrays; SQLAlchemy's own transaction is not involved)."""
    async with engine.connect() as connection:
        driver = await _driver(connection)
        async with driver.transaction():
            yield driver
