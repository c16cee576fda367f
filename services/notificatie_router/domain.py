"""The router's rules, without I/O: who may subscribe to what, which subscriptions an event
goes to (the subscription's own choice and the contracts' policy, evaluated again for every
event), when a failed delivery is tried again, and what of a sink's answer may be logged."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from keten_contracts.envelope import (
    EXT_AANBIEDEROIN,
    EXT_AANBIEDERSOORT,
    EXT_ABONNEEOIN,
    EXT_GEMEENTECODE,
)
from keten_contracts.events.catalogue import all_event_types
from keten_contracts.parties import Rol
from keten_contracts.policy import may_receive, recipients_of

__all__ = [
    "Ontvanger",
    "RetrySchema",
    "abonnement_bezwaren",
    "fragment",
    "retry_after_s",
]


def ontvangbare_types(rol: Rol) -> frozenset[str]:
    """The catalogue types an organisation in ``rol`` may in principle receive."""
    return frozenset(et.type for et in all_event_types() if rol in et.recipients)


def abonnement_bezwaren(
    rol: Rol,
    gemeentecode: str | None,
    types: Sequence[str],
    gevraagde_gemeentecodes: Iterable[str] = (),
) -> list[str]:
    """Why a party may not hold this subscription (empty: it may). A party subscribes only to
    types its role may receive, and a gemeente only for its own gemeente (the gemeentecodes
    its filters ask for exactly must all be its own): the policy applies
    again to every event, but a subscription that could never receive anything is refused now,
    with the reason, rather than accepted and left silent."""
    bezwaren: list[str] = []
    known = {et.type for et in all_event_types()}
    for event_type in types:
        if event_type not in known:
            bezwaren.append(f"type {event_type!r} is not in the catalogue")
        elif rol not in recipients_of(event_type):
            bezwaren.append(f"a {rol.value} may not receive {event_type!r}")
    if not ontvangbare_types(rol):
        bezwaren.append(f"a {rol.value} receives no event type of the catalogue")
    if rol is Rol.GEMEENTE:
        if gemeentecode is None:
            bezwaren.append("the credential acts for no gemeente (namens)")
        else:
            bezwaren += [
                f"a gemeente receives only its own events: gemeentecode {gevraagd!r}"
                f" is not {gemeentecode!r}"
                for gevraagd in sorted(set(gevraagde_gemeentecodes))
                if gevraagd != gemeentecode
            ]
    return bezwaren


@dataclass(frozen=True, slots=True)
class Ontvanger:
    """A subscription as the hot path sees it: matched against every event's attributes, the
    policy applied with the owner's identity (``may_receive``), so a changed policy or an event
    about a moved dossier (its gemeentecode) applies at once."""

    id: uuid.UUID
    rol: Rol
    oin: str
    gemeentecode: str | None
    types: frozenset[str] | None  # None: every type the role may receive
    source: str | None
    filter: Callable[[Mapping[str, str]], bool]
    protocol: str
    sink: str
    rate_per_minuut: int | None
    soort: str = "cloudevents"
    # Signs each attempt with the secrets in force (geheimen.Ondertekenaar); None in tests of
    # the matching rules.
    tekenaar: Any = field(default=None, repr=False, compare=False)
    # A Notificaties API 1.0 abonnement's callback credential (its ``auth``), sent as the
    # Authorization header as Open Notificaties does.
    autorisatie: str | None = field(default=None, repr=False, compare=False)

    def wil(self, attributes: Mapping[str, str]) -> bool:
        """Does the subscription ask for this event (types, source, filters)?"""
        if self.types is not None and attributes["type"] not in self.types:
            return False
        if self.source is not None and attributes["source"] != self.source:
            return False
        return self.filter(attributes)

    def mag(self, attributes: Mapping[str, str]) -> bool:
        """May the owner be notified of this event (the contracts' policy)?"""
        return may_receive(
            self.rol,
            attributes["type"],
            recipient_gemeentecode=self.gemeentecode,
            event_gemeentecode=attributes.get(EXT_GEMEENTECODE),
            recipient_oin=self.oin,
            event_aanbiedersoort=attributes.get(EXT_AANBIEDERSOORT),
            event_aanbiederoin=attributes.get(EXT_AANBIEDEROIN),
            event_abonneeoin=attributes.get(EXT_ABONNEEOIN),
        )

    def ontvangt(self, attributes: Mapping[str, str]) -> bool:
        return self.wil(attributes) and self.mag(attributes)


class Ontvangers:
    """The active subscriptions indexed by type: an event is checked only against those that
    could want it."""

    def __init__(self, ontvangers: Iterable[Ontvanger]) -> None:
        self.alle = {o.id: o for o in ontvangers}
        by_type: dict[str, list[Ontvanger]] = {}
        for et in all_event_types():
            by_type[et.type] = [
                o
                for o in self.alle.values()
                if (o.types is None or et.type in o.types) and o.rol in et.recipients
            ]
        self._by_type = by_type

    def voor(self, attributes: Mapping[str, str]) -> list[Ontvanger]:
        """The subscriptions this event goes to. The policy's answer depends on the owner only
        (rol, gemeente, OIN), so it is asked once per owner per event, not per subscription."""
        gekozen: list[Ontvanger] = []
        mag: dict[tuple[Rol, str | None, str], bool] = {}
        for o in self._by_type.get(attributes["type"], ()):
            if not o.wil(attributes):
                continue
            eigenaar = (o.rol, o.gemeentecode, o.oin)
            toegestaan = mag.get(eigenaar)
            if toegestaan is None:
                toegestaan = mag[eigenaar] = o.mag(attributes)
            if toegestaan:
                gekozen.append(o)
        return gekozen


@dataclass(frozen=True)
class RetrySchema:
    """When a failed delivery is tried again: after ``stages[n-1]`` seconds following the n-th
    failed attempt; after the last stage it is dead. A ``Retry-After`` (429, 503) moves the next
    attempt later, never earlier, and never past the window's end."""

    stages: tuple[float, ...]

    @property
    def venster(self) -> timedelta:
        return timedelta(seconds=sum(self.stages))

    def volgende(
        self, pogingen: int, nu: datetime, retry_after: float | None = None
    ) -> datetime | None:
        """The next attempt after ``pogingen`` failed ones, or None: dead."""
        if pogingen > len(self.stages):
            return None
        wacht = self.stages[pogingen - 1]
        if retry_after is not None:
            resterend = sum(self.stages[pogingen - 1 :])
            wacht = min(max(wacht, retry_after), resterend)
        return nu + timedelta(seconds=wacht)


def retry_after_s(value: str | None, nu: datetime) -> float | None:
    """RFC 9110 section 10.2.3: ``Retry-After`` is delay-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - nu).total_seconds())


# A sink's answer may echo what it got or hold its own users' data: the log keeps a short
# excerpt with every digit run of 5 or more (a BSN, a phone number, a postcode with numbers)
# and every e-mail address masked.
_EXCERPT_CHARS = 200
_DIGITS = re.compile(r"\d{5,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def fragment(body: bytes | str | None) -> str | None:
    """The part of a sink's answer the delivery log may keep."""
    if not body:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text[: _EXCERPT_CHARS * 2]
    text = _EMAIL.sub("[e-mail]", text)
    text = _DIGITS.sub(lambda m: "#" * len(m.group()), text)
    return text[:_EXCERPT_CHARS]
