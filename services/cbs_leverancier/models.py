"""The cbs-leverancier's tables: the history of the CBS views it fetched (``swi_bronversie``)
and the delivered versions of each quarter (``cbs_levering``). Everything that holds personal
data is a Fernet token (``keten_core.versleuteling``): a view, a snapshot, a file."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from keten_core.db import Base

__all__ = ["BronversieRij", "LeveringRij"]


class BronversieRij(Base):
    """One fetched CBS view of one resource at dossier-bron; appended, never changed, so any
    past version of a quarter can be rebuilt from it (``domain.kies_versies``)."""

    __tablename__ = "swi_bronversie"

    volgnummer: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    gemeentecode: Mapped[str] = mapped_column(String(4))
    dossier_id: Mapped[str] = mapped_column(String(100))
    resource: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(100))
    # The event's ``time``: when the source registered the change.
    geregistreerd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event_id: Mapped[str] = mapped_column(String(100))
    # The view's JSON (wire names), encrypted: it holds the BSN and the person's facts.
    inhoud: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        Index("ix_swi_bronversie_resource", "resource", "resource_id", "volgnummer"),
        Index("ix_swi_bronversie_gemeente", "gemeentecode", "ontvangen_op"),
    )


class LeveringRij(Base):
    """One version of a gemeente's quarterly delivery: the frozen snapshot (the records) and
    the file built from it, both encrypted; the manifest holds no personal data."""

    __tablename__ = "cbs_levering"

    levering_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    gemeentecode: Mapped[str] = mapped_column(String(4))
    kwartaal: Mapped[str] = mapped_column(String(7))
    versie: Mapped[int] = mapped_column(Integer)
    # The freeze: only what was received before it is in this version.
    bevroren_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    aangemaakt_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    bestandsnaam: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSONB)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)
    bestand: Mapped[bytes] = mapped_column(LargeBinary)
    bewaren_tot: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("gemeentecode", "kwartaal", "versie", name="uq_cbs_levering_versie"),
    )
