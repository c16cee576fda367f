"""dossier-bron's tables (its own database; Alembic branch ``dossier_bron``) and their
contract form (``keten_contracts.resources.gemeente.Dossier``): a row becomes a contract model
only here.

- ``dossier``: one per person per gemeente (unique gemeentecode + BSN), with the current value
  of each field the Dossier contract serves. The personal fields may be empty while no source
  has told them (DUO's plicht carries no name or address): such a dossier is not yet complete
  and is not served (the contract needs them).
- ``dossier_feit``: the history behind those values, append-only: every field value with the
  source system, resource, resource id (and version) and the moment the source registered it.
  A repeated value adds no row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from keten_contracts.common import Doelgroep
from keten_contracts.resources.gemeente import Adres, Dossier, Dossierstatus, Intake, Pip
from keten_core.db import Base

__all__ = [
    "VELDEN",
    "AanbiederRapportRij",
    "BegeleidingRij",
    "BewaartermijnRij",
    "DoelgroepkeuzeRij",
    "DossierFeit",
    "DossierRij",
    "InburgeringsaanbodRij",
    "IntakeRij",
    "OpdrachtRij",
    "OverdrachtRij",
    "OverdrachtsverzoekRij",
    "PipVersieRij",
    "TermijnoverschrijdingRij",
    "UrenverantwoordingRij",
]

# Contract field (wire name) -> column of ``dossier``: the fields a fact can set.
VELDEN: dict[str, str] = {
    "bsn": "bsn",
    "voornamen": "voornamen",
    "geslachtsnaam": "geslachtsnaam",
    "geboortedatum": "geboortedatum",
    "adres": "adres",
    "telefoon": "telefoon",
    "email": "email",
    "doelgroep": "doelgroep",
    "vestigingsdatum": "vestigingsdatum",
    "koppelingId": "koppeling_id",
    "klantprofielId": "klantprofiel_id",
    "inburgeringsplichtId": "inburgeringsplicht_id",
    "rechtMaatschappelijkeBegeleiding": "recht_maatschappelijke_begeleiding",
}


class DossierRij(Base):
    __tablename__ = "dossier"
    # Domain primer: one dossier per person per gemeente (the partition key's promise); the
    # constraint is what makes a COA and a DUO event racing for one person open one dossier.
    __table_args__ = (UniqueConstraint("gemeentecode", "bsn"),)

    dossier_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    gemeentecode: Mapped[str] = mapped_column(String(4), index=True)
    bsn: Mapped[str] = mapped_column(String(9))
    doelgroep: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    voornamen: Mapped[str | None] = mapped_column(String(200))
    geslachtsnaam: Mapped[str | None] = mapped_column(String(200))
    geboortedatum: Mapped[date | None] = mapped_column(Date)
    adres: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    telefoon: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    vestigingsdatum: Mapped[date | None] = mapped_column(Date)
    koppeling_id: Mapped[str | None] = mapped_column(String(100), index=True)
    klantprofiel_id: Mapped[str | None] = mapped_column(String(100))
    inburgeringsplicht_id: Mapped[str | None] = mapped_column(String(100), index=True)
    recht_maatschappelijke_begeleiding: Mapped[bool | None]
    # The person's one choice to opt out of the asielstatushouder rights (``begeleiding``).
    afzien_rechten_asielstatushouder: Mapped[bool] = mapped_column(Boolean, default=False)
    geopend_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    gewijzigd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def zet(self, veld: str, waarde: Any) -> None:
        """Set the column of contract field ``veld`` from its JSON value."""
        column = VELDEN[veld]
        if column in ("geboortedatum", "vestigingsdatum") and waarde is not None:
            waarde = date.fromisoformat(waarde)
        setattr(self, column, waarde)

    def waarde(self, veld: str) -> Any:
        """The current JSON value of contract field ``veld``."""
        value = getattr(self, VELDEN[veld])
        return value.isoformat() if isinstance(value, date) else value

    @property
    def volledig(self) -> bool:
        """The contract's required personal fields are known (a DUO-opened dossier has only
        the BSN until the gemeente registers the person's BRP data)."""
        return None not in (
            self.voornamen,
            self.geslachtsnaam,
            self.geboortedatum,
            self.adres,
            self.doelgroep,
        )

    def als_contract(
        self, *, einde_plicht: date | None = None, overgedragen_op: date | None = None
    ) -> Dossier:
        """The contract's dossier. ``einde_plicht`` (``BewaartermijnRij``) and
        ``overgedragen_op`` (``OverdrachtRij``) live in their own tables:
        ``api.dossier_contracten`` reads them."""
        if not self.volledig:
            raise ValueError(f"dossier {self.dossier_id} is not complete yet")
        return Dossier(
            dossier_id=self.dossier_id,
            gemeentecode=self.gemeentecode,
            bsn=self.bsn,
            voornamen=self.voornamen,
            geslachtsnaam=self.geslachtsnaam,
            geboortedatum=self.geboortedatum,
            adres=Adres.model_validate(self.adres),
            telefoon=self.telefoon,
            email=self.email,
            doelgroep=Doelgroep(self.doelgroep),
            afzien_rechten_asielstatushouder=bool(self.afzien_rechten_asielstatushouder),
            vestigingsdatum=self.vestigingsdatum,
            status=Dossierstatus(self.status),
            koppeling_id=self.koppeling_id,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            einde_plicht=einde_plicht,
            overgedragen_op=overgedragen_op,
        )


class DossierFeit(Base):
    __tablename__ = "dossier_feit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    veld: Mapped[str] = mapped_column(String(60))
    waarde: Mapped[Any] = mapped_column(JSONB)
    bronsysteem: Mapped[str] = mapped_column(String(60))
    bron_resource: Mapped[str] = mapped_column(String(60))
    bron_resource_id: Mapped[str] = mapped_column(String(100))
    bron_versie: Mapped[int | None] = mapped_column(Integer)
    # When the source registered it (the event's time) and when dossier-bron stored it.
    moment: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IntakeRij(Base):
    """The brede intake of a dossier (one per dossier): the invitations with their attendance,
    and on completion the intake items (``gegevens``: the 0.2 contract's code-list items in
    wire form, validated by the contract before they are stored)."""

    __tablename__ = "intake"

    intake_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), unique=True)
    # [{"datum": "2026-01-05", "volgnummer": 1, "verschenen": null}, ...] (at most 3)
    uitnodigingen: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    eerste_gesprek_op: Mapped[date | None] = mapped_column(Date)
    afgerond_op: Mapped[date | None] = mapped_column(Date)
    afgerond_zonder_medewerking: Mapped[bool] = mapped_column(Boolean)
    gegevens: Mapped[dict[str, Any]] = mapped_column(JSONB)
    gewijzigd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def als_contract(self) -> Intake:
        return Intake.model_validate(
            {
                **self.gegevens,
                "intakeId": self.intake_id,
                "dossierId": self.dossier_id,
                "uitnodigingen": self.uitnodigingen,
                "eersteGesprekOp": self.eerste_gesprek_op,
                "afgerondOp": self.afgerond_op,
                "afgerondZonderMedewerking": self.afgerond_zonder_medewerking,
            }
        )


class PipVersieRij(Base):
    """One version of the PIP (a beschikking; each version its own ``pip_id``, as the
    ``pip.*`` events name a version). Append-only: a change adds a row, never edits one.
    ``gebaseerd_op`` is what the decision rested on (domain primer section 6: "history must
    show on which data a decision was based"): the intake id and the ids of the dossier facts
    current at the time, plus inputs of the decision such as the hours followed."""

    __tablename__ = "pip_versie"
    __table_args__ = (UniqueConstraint("dossier_id", "versie"),)

    pip_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    versie: Mapped[int] = mapped_column(Integer)
    # The contract's fields in wire form (validated by ``Pip`` before storing).
    gegevens: Mapped[dict[str, Any]] = mapped_column(JSONB)
    gebaseerd_op: Mapped[dict[str, Any]] = mapped_column(JSONB)
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))

    def als_contract(self) -> Pip:
        return Pip.model_validate(
            {
                **self.gegevens,
                "pipId": self.pip_id,
                "dossierId": self.dossier_id,
                "versie": self.versie,
            }
        )


class OpdrachtRij(Base):
    """An opdracht to one aanbieder. It copies none of the person's data: the contact data and
    (for the language part of a leerroute only) the BSN are the dossier's, put in at each read
    (``opdrachten.als_opdracht``), so an opdracht for a MAP, PVT, MB or LBT aanbieder never
    holds a BSN to leak. ``gegevens``: the gemeente's content of the contract, wire form."""

    __tablename__ = "opdracht"

    opdracht_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    soort: Mapped[str] = mapped_column(String(40))
    aanbiedersoort: Mapped[str] = mapped_column(String(40))
    aanbieder_oin: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20))
    gegevens: Mapped[dict[str, Any]] = mapped_column(JSONB)
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))
    # Set when the gemeente ends the opdracht (a ``RedenNietAfgerond`` code, never free text).
    einde_reden: Mapped[str | None] = mapped_column(String(40))
    beeindigd_op: Mapped[date | None] = mapped_column(Date)


class AanbiederRapportRij(Base):
    """A report an aanbieder submitted on its opdracht (``soort``: the contract resource, e.g.
    ``voortgang-rapport``), validated for its kind before it is stored. Only accepted reports
    are here: a refused one leaves no row. ``idempotentiesleutel`` is the aanbieder's
    ``Idempotency-Key``, unique per aanbieder: a retried POST finds its first report here
    instead of adding (and counting the hours of) a second one."""

    __tablename__ = "aanbieder_rapport"
    __table_args__ = (UniqueConstraint("aanbieder_oin", "idempotentiesleutel"),)

    rapport_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    soort: Mapped[str] = mapped_column(String(40))
    opdracht_id: Mapped[str] = mapped_column(ForeignKey("opdracht.opdracht_id"), index=True)
    versie: Mapped[int] = mapped_column(Integer)
    aanbieder_oin: Mapped[str] = mapped_column(String(20))
    idempotentiesleutel: Mapped[str] = mapped_column(String(100))
    # The full contract in wire form (validated by its model before storing).
    gegevens: Mapped[dict[str, Any]] = mapped_column(JSONB)
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A correction names the report it supersedes (kept, no longer counted); unique, so a
    # report is corrected once and corrections form a chain.
    corrigeert: Mapped[str | None] = mapped_column(
        ForeignKey("aanbieder_rapport.rapport_id"), unique=True
    )


class HandhavingsmaatregelRij(Base):
    """A warning or fine by the gemeente (``Handhavingsmaatregel``), append-only: what the rules
    counted when it was imposed (the opbouw, the termijn, the missed invitations) is kept in
    ``gebaseerd_op`` (domain primer section 6: history shows what a decision rested on)."""

    __tablename__ = "handhavingsmaatregel"

    handhavingsmaatregel_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    soort: Mapped[str] = mapped_column(String(20))
    datum: Mapped[date] = mapped_column(Date)
    reden: Mapped[str] = mapped_column(String(40))
    bedrag_in_centen: Mapped[int | None] = mapped_column(Integer)
    verwijtbaar: Mapped[bool] = mapped_column(Boolean)
    rechtsmiddel: Mapped[str] = mapped_column(String(20))
    participatiewet_maatregel_id: Mapped[str | None] = mapped_column(String(100))
    gebaseerd_op: Mapped[dict[str, Any]] = mapped_column(JSONB)
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))


class ParticipatiewetMaatregelRij(Base):
    """A Participatiewet measure for conduct that is also inburgering conduct, recorded by the
    klantmanager Participatiewet: it stops a Wet inburgering fine for the same conduct."""

    __tablename__ = "participatiewet_maatregel"

    participatiewet_maatregel_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    gedraging: Mapped[str] = mapped_column(String(40))
    besluitdatum: Mapped[date] = mapped_column(Date)
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))


class TrajectRij(Base):
    """The MAP or the PVT of a dossier (``soort``: the contract resource, ``map`` or ``pvt``;
    one of each per dossier). ``gegevens``: the contract's fields in wire form, validated by
    ``MapTraject``/``PvtTraject`` before they are stored."""

    __tablename__ = "traject"
    __table_args__ = (UniqueConstraint("dossier_id", "soort"),)

    traject_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    soort: Mapped[str] = mapped_column(String(10))
    gegevens: Mapped[dict[str, Any]] = mapped_column(JSONB)
    gewijzigd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))


class InburgeringsaanbodRij(Base):
    """The concrete inburgeringsaanbod of a dossier (one per dossier), resting on the PIP
    version current when it was made (``pip_id``)."""

    __tablename__ = "inburgeringsaanbod"

    inburgeringsaanbod_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), unique=True)
    pip_id: Mapped[str] = mapped_column(ForeignKey("pip_versie.pip_id"))
    datum_aanbod: Mapped[date] = mapped_column(Date)
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))


class UrenverantwoordingRij(Base):
    """Hours delivered to DUO on its request (``Urenverantwoording``, wire form in
    ``gegevens``), with the reports counted (``gebaseerd_op``)."""

    __tablename__ = "urenverantwoording"

    urenverantwoording_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    gegevens: Mapped[dict[str, Any]] = mapped_column(JSONB)
    gebaseerd_op: Mapped[dict[str, Any]] = mapped_column(JSONB)
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))


class BegeleidingRij(Base):
    """A period of maatschappelijke begeleiding, financieel ontzorgen or stimuleren financiële
    zelfredzaamheid, or one voortgangsgesprek (``Begeleiding``; ``soort`` its code). Kept for
    the SWI delivery: the CBS reader finds them per dossier and ``soort``."""

    __tablename__ = "begeleiding"

    begeleiding_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    soort: Mapped[str] = mapped_column(String(50))
    startdatum: Mapped[date] = mapped_column(Date)
    einddatum: Mapped[date | None] = mapped_column(Date)
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))


class DoelgroepkeuzeRij(Base):
    """The asielstatushouder's one choice to opt out of the asiel rights (seed 002: "eenmalig");
    the primary key on the dossier is what makes a second choice impossible, also for two
    requests at the same moment."""

    __tablename__ = "doelgroepkeuze"

    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), primary_key=True)
    datum: Mapped[date] = mapped_column(Date)
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))


class TermijnoverschrijdingRij(Base):
    """An overdue deadline the watch found (``Termijnoverschrijding``). Unique per dossier,
    deadline and part (``sleutel``: the PIP version's id, or the dossier's): the watch records
    and announces each one once, however often it runs."""

    __tablename__ = "termijnoverschrijding"
    __table_args__ = (UniqueConstraint("dossier_id", "termijn", "sleutel"),)

    termijnoverschrijding_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    gemeentecode: Mapped[str] = mapped_column(String(4), index=True)
    termijn: Mapped[str] = mapped_column(String(40))
    sleutel: Mapped[str] = mapped_column(String(100))
    betreft_id: Mapped[str | None] = mapped_column(String(100))
    referentiedatum: Mapped[date] = mapped_column(Date)
    uiterste_datum: Mapped[date] = mapped_column(Date)
    geconstateerd_op: Mapped[date] = mapped_column(Date)


class BewaartermijnRij(Base):
    """When the 5-year retention of a dossier runs (``bewaartermijnen``): the end of the plicht
    as DUO registered it (``inburgeringsplicht.beeindigd``; death is one of its reasons), and
    when the retention job cleaned the dossier. The date and way the plicht was met are art.
    9.9 item h: kept 50 years, so they stay here after the cleaning."""

    __tablename__ = "bewaartermijn"

    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), primary_key=True)
    inburgeringsplicht_id: Mapped[str] = mapped_column(String(100))
    einde_plicht: Mapped[date] = mapped_column(Date)
    reden: Mapped[str | None] = mapped_column(String(30))
    datum_voldaan: Mapped[date | None] = mapped_column(Date)
    wijze_voldaan: Mapped[str | None] = mapped_column(String(30))
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opgeschoond_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OverdrachtsverzoekRij(Base):
    """The new gemeente's request to the old one after a move (``Overdrachtsverzoek``).
    ``dossier_id``: the new gemeente's own dossier, once it opened it from the package."""

    __tablename__ = "overdrachtsverzoek"

    overdrachtsverzoek_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    gemeentecode: Mapped[str] = mapped_column(String(4), index=True)
    vorige_gemeentecode: Mapped[str] = mapped_column(String(4), index=True)
    inburgeringsplicht_id: Mapped[str] = mapped_column(String(100))
    datum: Mapped[date] = mapped_column(Date)
    # The id the new gemeente's dossier gets: the key of the request's event already.
    sleutel: Mapped[str] = mapped_column(String(100))
    dossier_id: Mapped[str | None] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))


class OverdrachtRij(Base):
    """The old gemeente's hand-over package (``Overdracht``): links to the parts of its own
    dossier (``dossier_id``, which it keeps, closed), one package per request."""

    __tablename__ = "overdracht"

    overdracht_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    # No foreign key: the request is the other gemeente's (at its own source, in general),
    # and each gemeente's retention runs on its own dossier.
    overdrachtsverzoek_id: Mapped[str] = mapped_column(String(100), unique=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.dossier_id"), index=True)
    gemeentecode: Mapped[str] = mapped_column(String(4))
    nieuwe_gemeentecode: Mapped[str] = mapped_column(String(4), index=True)
    inburgeringsplicht_id: Mapped[str] = mapped_column(String(100))
    # [{"soort": "pip", "resourceId": "pip-...", "versie": 1}, ...] (wire form)
    onderdelen: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    datum: Mapped[date] = mapped_column(Date)
    vastgelegd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vastgelegd_door: Mapped[str] = mapped_column(String(200))


class HandhavingsverzoekRij(Base):
    """DUO's request for the gemeente's fines (``Handhavingsverzoek``, fetched from DUO after
    ``handhavingsverzoek.ingediend``): what DUO's read of the fines rests on. ``gegevens``: the
    contract in wire form as DUO served it."""

    __tablename__ = "handhavingsverzoek"

    handhavingsverzoek_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    gemeentecode: Mapped[str] = mapped_column(String(4))
    inburgeringsplicht_id: Mapped[str] = mapped_column(String(100))
    gegevens: Mapped[dict[str, Any]] = mapped_column(JSONB)
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
