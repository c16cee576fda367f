"""The subscription store as the delivery engine reads it: the active subscriptions compiled
into ``Ontvangers`` (filters into predicates, secrets decrypted into a signer), reloaded when
one changes and whenever a rotated-out secret's overlap ends."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Final

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from keten_contracts.parties import Rol
from keten_core.uow import UnitOfWork
from notificatie_router.domain import Ontvanger, Ontvangers
from notificatie_router.filters import compile_filters, parse_filters
from notificatie_router.geheimen import Kluis, Ondertekenaar
from notificatie_router.models import AbonnementRij

log = structlog.get_logger(__name__)

__all__ = ["AbonnementenCache", "als_ontvanger", "uitschakelen"]


def als_ontvanger(rij: AbonnementRij, kluis: Kluis, nu: datetime) -> Ontvanger:
    geheimen = [kluis.ontsleutel(rij.geheim)]
    if rij.vorig_geheim is not None and rij.vorig_geheim_tot and rij.vorig_geheim_tot > nu:
        geheimen.append(kluis.ontsleutel(rij.vorig_geheim))
    return Ontvanger(
        id=rij.id,
        rol=Rol(rij.rol),
        oin=rij.oin,
        gemeentecode=rij.gemeentecode,
        types=frozenset(rij.types) if rij.types else None,
        source=rij.source,
        filter=compile_filters(parse_filters(rij.filters)),
        protocol=rij.protocol,
        sink=rij.sink,
        rate_per_minuut=rij.rate_per_minuut,
        soort=rij.soort,
        tekenaar=Ondertekenaar(geheimen),
        autorisatie=kluis.ontsleutel(rij.instellingen["auth"].encode())
        if rij.instellingen.get("auth")
        else None,
    )


class AbonnementenCache:
    """The active subscriptions, current within one ``ververs`` interval."""

    def __init__(self, engine: AsyncEngine, kluis: Kluis) -> None:
        self._engine = engine
        self._kluis = kluis
        self.ontvangers = Ontvangers(())
        self._stand: tuple[object, ...] | None = None
        self._geldig_tot: datetime | None = None

    def ontvanger(self, abonnement_id: uuid.UUID) -> Ontvanger | None:
        return self.ontvangers.alle.get(abonnement_id)

    async def ververs(self, *, altijd: bool = False) -> bool:
        """Reload when a subscription changed (or a secret's overlap ended); True if it did."""
        nu = datetime.now(UTC)
        async with AsyncSession(self._engine) as session:
            stand = tuple(
                (
                    await session.execute(
                        select(func.max(AbonnementRij.gewijzigd_op), func.count())
                    )
                ).one()
            )
            if (
                not altijd
                and stand == self._stand
                and (self._geldig_tot is None or nu < self._geldig_tot)
            ):
                return False
            rijen = (
                await session.scalars(select(AbonnementRij).where(AbonnementRij.actief.is_(True)))
            ).all()
        ontvangers = []
        geldig_tot: datetime | None = None
        for rij in rijen:
            try:
                ontvangers.append(als_ontvanger(rij, self._kluis, nu))
            except ValueError as exc:
                log.error("abonnement_unusable", abonnement=str(rij.id), error=str(exc))
                continue
            if rij.vorig_geheim_tot is not None and rij.vorig_geheim_tot > nu:
                geldig_tot = min(geldig_tot or rij.vorig_geheim_tot, rij.vorig_geheim_tot)
        self.ontvangers = Ontvangers(ontvangers)
        self._stand = stand
        self._geldig_tot = geldig_tot
        return True


UITGESCHAKELD: Final = "nl.inburgering.abonnement.uitgeschakeld.v1"
# ``uitschakelen`` bound to the running service: (subscription, reason, when) -> changed.
Uitschakelaar = Callable[[uuid.UUID, str, datetime], Awaitable[bool]]


async def uitschakelen(
    unit_of_work: Callable[[], UnitOfWork],
    api_url: str,
    abonnement_id: uuid.UUID,
    reden: str,
    nu: datetime,
) -> bool:
    """Disable a subscription with the reason its owner will see, and tell the owner: the
    notice (``abonnement.uitgeschakeld``, to the owner's OIN only) is staged in the kit's
    outbox in the same transaction, so it goes out exactly when the subscription stopped.
    False if it was not active."""
    async with unit_of_work() as uow:
        oin = (
            await uow.session.execute(
                update(AbonnementRij)
                .where(AbonnementRij.id == abonnement_id, AbonnementRij.actief.is_(True))
                .values(
                    actief=False, uitgeschakeld_op=nu, uitgeschakeld_reden=reden, gewijzigd_op=nu
                )
                .returning(AbonnementRij.oin)
            )
        ).scalar_one_or_none()
        if oin is None:
            return False
        uow.emit(
            UITGESCHAKELD,
            subject=str(abonnement_id),
            partitionkey=str(abonnement_id),
            dataref=f"{api_url.rstrip('/')}/subscriptions/{abonnement_id}",
            data={"id": str(abonnement_id)},
            abonneeoin=oin,
        )
    log.warning("abonnement_uitgeschakeld", abonnement=str(abonnement_id), reden=reden)
    return True
