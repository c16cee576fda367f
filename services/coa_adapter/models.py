"""coa-adapter's tables (PostgreSQL, migrations in ``migrations/versions``) and their contract
form (``keten_contracts.resources.coa``): a row becomes a contract model only here.

- ``coa_statushouder``: the person and the klantprofiel (one per person; the content is the
  contract's fields in wire form, JSONB, so every field of the contract is kept as it is
  validated, and a new optional field needs no migration).
- ``coa_koppeling``: each koppeling to a vestigingsgemeente; a re-link withdraws the old one
  (``ingetrokken``) and adds a new one, so what an old gemeente was told stays fetchable by id
  but is no longer its to read.
- ``coa_warme_overdracht``: the hand-over meetings of a koppeling.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from keten_contracts.common import Aanbiedmoment
from keten_contracts.resources import coa
from keten_core.db import Base

__all__ = ["KoppelingRij", "StatushouderRij", "WarmeOverdrachtRij"]


class StatushouderRij(Base):
    """A statushouder at COA with its klantprofiel."""

    __tablename__ = "coa_statushouder"

    statushouder_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    klantprofiel_id: Mapped[str] = mapped_column(String(100), unique=True)
    # The current koppeling (None before the first one).
    koppeling_id: Mapped[str | None] = mapped_column(String(100))
    versie: Mapped[int] = mapped_column(Integer)
    # The latest moment the profile was offered (None before the koppeling).
    aanbiedmoment: Mapped[str | None] = mapped_column(String(40))
    # The day the person left the AZC for the gemeente: from then on the profile is frozen.
    vertrokken_op: Mapped[date | None] = mapped_column(Date)
    # The klantprofiel's content fields (``control.KlantprofielInhoud``) in wire form.
    profiel: Mapped[dict[str, Any]] = mapped_column(JSONB)
    aangemaakt_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    gewijzigd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def bevroren(self) -> bool:
        return self.vertrokken_op is not None

    @property
    def bsn(self) -> str | None:
        value = self.profiel.get("bsn")
        return str(value) if value is not None else None

    def klantprofiel(self) -> coa.Klantprofiel:
        """The contract's klantprofiel; only for a linked person (the contract needs the
        koppeling and the moment it was offered)."""
        if self.koppeling_id is None or self.aanbiedmoment is None:
            raise ValueError("a klantprofiel exists for a linked statushouder only")
        return coa.Klantprofiel.model_validate(
            {
                **self.profiel,
                "klantprofielId": self.klantprofiel_id,
                "koppelingId": self.koppeling_id,
                "versie": self.versie,
                "aanbiedmoment": Aanbiedmoment(self.aanbiedmoment),
                "bevroren": self.bevroren,
            }
        )


class KoppelingRij(Base):
    __tablename__ = "coa_koppeling"

    koppeling_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    statushouder_id: Mapped[str] = mapped_column(
        ForeignKey("coa_statushouder.statushouder_id"), index=True
    )
    gemeentecode: Mapped[str] = mapped_column(String(4), index=True)
    koppeldatum: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    azc_locatie: Mapped[str] = mapped_column(String(200))
    verwachte_vestigingsdatum: Mapped[date | None] = mapped_column(Date)
    vestigingsdatum: Mapped[date | None] = mapped_column(Date)
    aangemaakt_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def als_contract(self, statushouder: StatushouderRij) -> coa.Koppeling:
        return coa.Koppeling(
            koppeling_id=self.koppeling_id,
            gemeentecode=self.gemeentecode,
            koppeldatum=self.koppeldatum,
            status=coa.Koppelingstatus(self.status),
            azc_locatie=self.azc_locatie,
            verwachte_vestigingsdatum=self.verwachte_vestigingsdatum,
            vestigingsdatum=self.vestigingsdatum,
            klantprofiel_id=statushouder.klantprofiel_id,
            # The casemanager of the profile (changeable while the person is in the AZC).
            coa_contactpersoon=statushouder.profiel["coaContactpersoon"],
        )


class WarmeOverdrachtRij(Base):
    __tablename__ = "coa_warme_overdracht"

    warme_overdracht_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    koppeling_id: Mapped[str] = mapped_column(ForeignKey("coa_koppeling.koppeling_id"))
    statushouder_id: Mapped[str] = mapped_column(
        ForeignKey("coa_statushouder.statushouder_id"), index=True
    )
    gemeentecode: Mapped[str] = mapped_column(String(4))
    gepland_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locatie: Mapped[str] = mapped_column(String(200))
    gehouden_op: Mapped[date | None] = mapped_column(Date)
    klantprofiel_versie: Mapped[int | None] = mapped_column(Integer)
    # Who was to attend for COA when it was planned (a later change of casemanager does not
    # rewrite the meeting).
    coa_contactpersoon: Mapped[dict[str, Any]] = mapped_column(JSONB)

    def als_contract(self) -> coa.WarmeOverdracht:
        return coa.WarmeOverdracht(
            warme_overdracht_id=self.warme_overdracht_id,
            koppeling_id=self.koppeling_id,
            gemeentecode=self.gemeentecode,
            gepland_op=self.gepland_op,
            locatie=self.locatie,
            gehouden_op=self.gehouden_op,
            klantprofiel_versie=self.klantprofiel_versie,
            coa_contactpersoon=coa.Contactpersoon.model_validate(self.coa_contactpersoon),
        )
