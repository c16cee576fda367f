"""Resource served by the notificatie-router: a subscription, as its owner reads it at
``GET /subscriptions/{id}`` (the fields a notice about it needs; the router's OpenAPI document
has the rest).

No personal data: a subscription belongs to an organisation's system. Every role may read it,
but the router shows a subscription only to its owner (and the owner's gemeente's
notificatiebeheerder); the policy's role views cannot say "the owner", the router's API does.
"""

from __future__ import annotations

from datetime import datetime

from keten_contracts.classification import Classificatie, veld
from keten_contracts.common import ContractModel, OpaqueId
from keten_contracts.parties import Rol

GEEN = Classificatie.GEEN
IEDEREEN = frozenset(Rol)


class Abonnement(ContractModel):
    """A subscription at the router: whether it is delivered to, and if not, since when and
    why."""

    id: OpaqueId = veld("The subscription's id.", GEEN, lezers=IEDEREEN)
    actief: bool = veld(
        "False: the router delivers nothing to it (stopped by its owner, its sink answered 410"
        " Gone, or every delivery failed for days).",
        GEEN,
        lezers=IEDEREEN,
    )
    uitgeschakeld_op: datetime | None = veld(
        "When the router stopped delivering.", GEEN, lezers=IEDEREEN, default=None
    )
    uitgeschakeld_reden: str | None = veld(
        "Why, for the owner (e.g. the sink answered 410 Gone).",
        GEEN,
        lezers=IEDEREEN,
        default=None,
        max_length=500,
    )
