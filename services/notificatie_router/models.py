"""notificatie-router's tables (PostgreSQL, migrations in ``migrations/versions``).

- ``router_abonnement``: a subscription, with its owner (from the token, never the body), its
  sink, types, source and filters, its signing secret encrypted at rest (and the previous one
  during a rotation's overlap), its rate limit, whether it is active, and its per-subscriber
  sequence counter (the pull endpoint's cursor).
- ``router_gebeurtenis``: every event the router consumed, thin and without personal data, kept
  for the replay and pull window, as it came from Kafka (attributes and data).
- ``router_aflevering``: one row per (subscription, event) with the subscriber's sequence
  number, its state (``afgeleverd``, ``wacht`` for a retry or behind one in the same chain,
  ``dood`` after the last attempt) and the full history of attempts (JSONB, one element per
  attempt: time, status, latency, error, response excerpt).
- ``router_audit``: every resend, replay, rotation, disable and deletion, by whom.
- ``router_ontvangen``: events published at the router over HTTP (inbound CloudEvents and 1.0
  notificaties), one row per (source, id): a duplicate is accepted once and published once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from keten_core.db import Base

__all__ = [
    "AbonnementRij",
    "AfleveringRij",
    "AuditRij",
    "GebeurtenisRij",
    "KafkaLeveringRij",
    "OntvangenRij",
]

# Delivery states.
AFGELEVERD = "afgeleverd"
WACHT = "wacht"
DOOD = "dood"

# Subscription protocols (the spec's names).
HTTP = "HTTP"
KAFKA = "KAFKA"


class AbonnementRij(Base):
    __tablename__ = "router_abonnement"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    # The owner as its token showed it: the client, its organisation, rol and gemeente.
    client_id: Mapped[str] = mapped_column(String(200))
    oin: Mapped[str] = mapped_column(String(20))
    rol: Mapped[str] = mapped_column(String(40))
    gemeentecode: Mapped[str | None] = mapped_column(String(4))
    # "cloudevents" (Subscriptions API) or "notificaties" (Notificaties API 1.0 abonnement).
    soort: Mapped[str] = mapped_column(String(20))
    protocol: Mapped[str] = mapped_column(String(10))  # HTTP | KAFKA
    sink: Mapped[str] = mapped_column(Text)
    types: Mapped[list[str]] = mapped_column(ARRAY(Text))
    source: Mapped[str | None] = mapped_column(Text)
    filters: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    # Protocol settings (for a 1.0 abonnement: the callback's Authorization value, encrypted).
    instellingen: Mapped[dict[str, Any]] = mapped_column(JSONB)
    geheim: Mapped[bytes] = mapped_column(LargeBinary)  # Fernet token of the signing secret
    vorig_geheim: Mapped[bytes | None] = mapped_column(LargeBinary)
    vorig_geheim_tot: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # WebHook-Allowed-Rate from the handshake: requests per minute; None is unlimited.
    rate_per_minuut: Mapped[int | None] = mapped_column(Integer)
    actief: Mapped[bool] = mapped_column(default=True)
    uitgeschakeld_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    uitgeschakeld_reden: Mapped[str | None] = mapped_column(Text)
    # Since when every attempt failed (None after a success): drives automatic disabling.
    falend_sinds: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    laatste_succes_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    volgnummer: Mapped[int] = mapped_column(BigInteger, default=0)
    # The highest sequence number removed with its event at the end of the retention window:
    # a pull after an older cursor is answered 410 Gone.
    gewist_tot: Mapped[int] = mapped_column(BigInteger, default=0)
    aangemaakt_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    gewijzigd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GebeurtenisRij(Base):
    __tablename__ = "router_gebeurtenis"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    bron: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    partitionkey: Mapped[str] = mapped_column(Text)
    tijd: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The Kafka append time (LogAppendTime topics) or the router's receipt: replay windows.
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    topic: Mapped[str] = mapped_column(Text)
    partitie: Mapped[int] = mapped_column(Integer)
    positie: Mapped[int] = mapped_column(BigInteger)
    # The event as it came from Kafka (binary content mode): its attributes as strings, and its
    # data as sent. A webhook subscriber gets the structured form built from both.
    attributen: Mapped[dict[str, str]] = mapped_column(JSONB)
    inhoud: Mapped[bytes] = mapped_column(LargeBinary)


class AfleveringRij(Base):
    __tablename__ = "router_aflevering"
    __table_args__ = (
        UniqueConstraint("abonnement_id", "gebeurtenis_id"),
        UniqueConstraint(
            "abonnement_id", "volgnummer", name="uq_router_aflevering_abonnement_volgnummer"
        ),
        Index("ix_router_aflevering_gebeurtenis", "gebeurtenis_id"),
        Index(
            "ix_router_aflevering_open",
            "abonnement_id",
            "status",
            "volgnummer",
            postgresql_where="status <> 'afgeleverd'",
        ),
        # The retry scheduler's scan and the per-chain order check.
        Index(
            "ix_router_aflevering_wacht",
            "abonnement_id",
            "partitionkey",
            "volgnummer",
            postgresql_where="status = 'wacht'",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    abonnement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("router_abonnement.id", ondelete="CASCADE")
    )
    gebeurtenis_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("router_gebeurtenis.id", ondelete="CASCADE")
    )
    volgnummer: Mapped[int] = mapped_column(BigInteger)
    partitionkey: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    pogingen: Mapped[int] = mapped_column(Integer)
    volgende_poging_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A scheduler that took the row holds it until then (a crashed one's rows come free).
    lease_tot: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geschiedenis: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    aangemaakt_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    afgeleverd_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class KafkaLeveringRij(Base):
    """A Kafka sink's deliveries the broker acknowledged, one row per subscription per log
    flush: the subscriber's topic holds each record durably with its offset, so a row per record
    (as a webhook gets) would only repeat it, at the cost of half a sink's throughput. A Kafka
    delivery that fails gets a ``router_aflevering`` row like a webhook's and is retried."""

    __tablename__ = "router_kafka_levering"
    __table_args__ = (Index("ix_router_kafka_levering_abonnement", "abonnement_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    abonnement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("router_abonnement.id", ondelete="CASCADE")
    )
    # The first attempt's start and the last acknowledgement in the group.
    eerste_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    laatste_op: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    aantal: Mapped[int] = mapped_column(Integer)
    # The events, in the order they were produced (per key, the order on the partition).
    gebeurtenis_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    ms_max: Mapped[float] = mapped_column(Float)


class AuditRij(Base):
    __tablename__ = "router_audit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    client_id: Mapped[str] = mapped_column(String(200))
    oin: Mapped[str] = mapped_column(String(20))
    actie: Mapped[str] = mapped_column(String(40))
    abonnement_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)


class OntvangenRij(Base):
    __tablename__ = "router_ontvangen"
    __table_args__ = (
        UniqueConstraint("bron", "event_id", name="uq_router_ontvangen_bron_event_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # The CloudEvent's source and id: its identity (CloudEvents 1.0, "id").
    bron: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    # Who published it (the token's client).
    client_id: Mapped[str] = mapped_column(String(200))
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
