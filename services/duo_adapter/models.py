"""duo-adapter's tables (its own database; Alembic branch ``duo_adapter``).

One table per resource DUO serves, columns named after the contract's fields, plus what DUO
learned from the gemeente's source (the dossier -> plicht link, PIP versions, the offer, MAP/PVT
and hours) to apply its rules. ``to_contract`` builds the contract model a source read serves.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from keten_contracts.resources import duo, gemeente
from keten_core.db import Base

ID = 40


class Inburgeringsplichtige(Base):
    """A person known to DUO. ``id`` (``ibpg-...``) is the partition key of every DUO event
    about the person: opaque, never the BSN."""

    __tablename__ = "duo_inburgeringsplichtige"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    # Seed 002 section 3.2: DUO decides the plicht only for a person with a BSN.
    bsn: Mapped[str] = mapped_column(String(9), unique=True)
    doelgroep: Mapped[str] = mapped_column(String(30))
    # The (future) vestigingsgemeente: the linked gemeente, the only one that reads the data.
    gemeentecode: Mapped[str] = mapped_column(String(4))
    aangemaakt_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Inburgeringsplicht(Base):
    __tablename__ = "duo_inburgeringsplicht"

    inburgeringsplicht_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    inburgeringsplichtige_id: Mapped[str] = mapped_column(
        ForeignKey("duo_inburgeringsplichtige.id"), unique=True
    )
    status: Mapped[str] = mapped_column(String(20))
    vastgesteld_op: Mapped[date] = mapped_column(Date)
    recht_maatschappelijke_begeleiding: Mapped[bool] = mapped_column(Boolean)
    beeindigd_op: Mapped[date | None] = mapped_column(Date)
    beeindigingsreden: Mapped[str | None] = mapped_column(String(30))
    datum_voldaan: Mapped[date | None] = mapped_column(Date)
    wijze_voldaan: Mapped[str | None] = mapped_column(String(30))

    def to_contract(self, persoon: Inburgeringsplichtige) -> duo.Inburgeringsplicht:
        return duo.Inburgeringsplicht(
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            gemeentecode=persoon.gemeentecode,
            bsn=persoon.bsn,
            status=duo.Plichtstatus(self.status),
            vastgesteld_op=self.vastgesteld_op,
            doelgroep=persoon.doelgroep,
            recht_maatschappelijke_begeleiding=self.recht_maatschappelijke_begeleiding,
            beeindigd_op=self.beeindigd_op,
            beeindigingsreden=self.beeindigingsreden,
            datum_voldaan=self.datum_voldaan,
            wijze_voldaan=self.wijze_voldaan,
        )


class _VanPlicht:
    inburgeringsplicht_id: Mapped[str] = mapped_column(
        ForeignKey("duo_inburgeringsplicht.inburgeringsplicht_id"), index=True
    )


class Termijn(_VanPlicht, Base):
    __tablename__ = "duo_termijn"
    __table_args__ = (UniqueConstraint("inburgeringsplicht_id", "soort"),)

    termijn_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    soort: Mapped[str] = mapped_column(String(30))
    begindatum: Mapped[date] = mapped_column(Date)
    einddatum: Mapped[date] = mapped_column(Date)
    laatste_wijziging: Mapped[str | None] = mapped_column(String(30))
    # The end as set from the PIP, before extensions: a repeated late-offer event recomputes
    # the extension from it instead of extending twice.
    oorspronkelijke_einddatum: Mapped[date] = mapped_column(Date)

    def to_contract(self) -> duo.Termijn:
        return duo.Termijn(
            termijn_id=self.termijn_id,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            soort=duo.Termijnsoort(self.soort),
            begindatum=self.begindatum,
            einddatum=self.einddatum,
            laatste_wijziging=self.laatste_wijziging,
        )


class Vrijstelling(_VanPlicht, Base):
    __tablename__ = "duo_vrijstelling"

    vrijstelling_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    omvang: Mapped[str] = mapped_column(String(30))
    onderdelen: Mapped[list[str]] = mapped_column(JSON, default=list)
    besluitdatum: Mapped[date] = mapped_column(Date)

    def to_contract(self) -> duo.Vrijstelling:
        return duo.Vrijstelling(
            vrijstelling_id=self.vrijstelling_id,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            omvang=duo.Omvang(self.omvang),
            onderdelen=self.onderdelen,
            besluitdatum=self.besluitdatum,
        )


class Ontheffing(_VanPlicht, Base):
    """Outcome only: there is no column for the ground (a medical one is health data)."""

    __tablename__ = "duo_ontheffing"

    ontheffing_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    omvang: Mapped[str] = mapped_column(String(40))
    onderdelen: Mapped[list[str]] = mapped_column(JSON, default=list)
    besluitdatum: Mapped[date] = mapped_column(Date)

    def to_contract(self) -> duo.Ontheffing:
        return duo.Ontheffing(
            ontheffing_id=self.ontheffing_id,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            omvang=duo.Ontheffingsomvang(self.omvang),
            onderdelen=self.onderdelen,
            besluitdatum=self.besluitdatum,
        )


class LbtUitslag(_VanPlicht, Base):
    __tablename__ = "duo_lbt_uitslag"

    lbt_uitslag_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    afnamedatum: Mapped[date] = mapped_column(Date)
    uitkomst: Mapped[str] = mapped_column(String(100))

    def to_contract(self) -> duo.LbtUitslag:
        return duo.LbtUitslag(
            lbt_uitslag_id=self.lbt_uitslag_id,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            afnamedatum=self.afnamedatum,
            uitkomst=self.uitkomst,
        )


class Examenresultaat(_VanPlicht, Base):
    __tablename__ = "duo_examenresultaat"

    examenresultaat_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    onderdeel: Mapped[str] = mapped_column(String(60))
    niveau: Mapped[str | None] = mapped_column(String(20))
    examendatum: Mapped[date] = mapped_column(Date)
    poging: Mapped[int] = mapped_column(Integer)
    uitslag: Mapped[str] = mapped_column(String(20))

    def to_contract(self) -> duo.Examenresultaat:
        return duo.Examenresultaat(
            examenresultaat_id=self.examenresultaat_id,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            onderdeel=self.onderdeel,
            niveau=self.niveau,
            examendatum=self.examendatum,
            poging=self.poging,
            uitslag=duo.Uitslag(self.uitslag),
        )


class Diploma(_VanPlicht, Base):
    __tablename__ = "duo_diploma"

    diploma_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    soort: Mapped[str] = mapped_column(String(30))
    datum: Mapped[date] = mapped_column(Date)

    def to_contract(self) -> duo.Diploma:
        return duo.Diploma(
            diploma_id=self.diploma_id,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            soort=duo.Diplomasoort(self.soort),
            datum=self.datum,
        )


class Verlenging(_VanPlicht, Base):
    __tablename__ = "duo_verlenging"

    verlenging_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    ambtshalve: Mapped[bool] = mapped_column(Boolean)
    aangevraagd_op: Mapped[date | None] = mapped_column(Date)
    besluit: Mapped[str] = mapped_column(String(20))
    besluitdatum: Mapped[date | None] = mapped_column(Date)
    ingangsdatum: Mapped[date | None] = mapped_column(Date)
    nieuwe_einddatum: Mapped[date | None] = mapped_column(Date)

    def to_contract(self) -> duo.Verlenging:
        return duo.Verlenging(
            verlenging_id=self.verlenging_id,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            ambtshalve=self.ambtshalve,
            aangevraagd_op=self.aangevraagd_op,
            besluit=duo.Verlengingsbesluit(self.besluit),
            besluitdatum=self.besluitdatum,
            ingangsdatum=self.ingangsdatum,
            nieuwe_einddatum=self.nieuwe_einddatum,
        )


class DuoBoete(_VanPlicht, Base):
    __tablename__ = "duo_boete"

    duo_boete_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    opgelegd_op: Mapped[date] = mapped_column(Date)
    grond: Mapped[str] = mapped_column(String(40))
    bedrag_in_centen: Mapped[int] = mapped_column(Integer)

    def to_contract(self) -> duo.DuoBoete:
        return duo.DuoBoete(
            duo_boete_id=self.duo_boete_id,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            opgelegd_op=self.opgelegd_op,
            grond=duo.DuoBoetegrond(self.grond),
            bedrag_in_centen=self.bedrag_in_centen,
        )


class Signaal(_VanPlicht, Base):
    __tablename__ = "duo_signaal"

    signaal_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    # The gemeente it is for (the linked gemeente when raised); its list reads filter on it.
    gemeentecode: Mapped[str] = mapped_column(String(4), index=True)
    dossier_id: Mapped[str | None] = mapped_column(String(ID))
    klasse: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(60))
    codelijst_versie: Mapped[int] = mapped_column(Integer)
    betreft: Mapped[str] = mapped_column(String(40))
    betreft_id: Mapped[str | None] = mapped_column(String(ID))
    aangemaakt_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    afgehandeld_door: Mapped[str | None] = mapped_column(String(ID))
    # Who ticked it off is the user (in the contract) AND the client that called (kept here for
    # the trail: which application of which organisation did it).
    afgehandeld_door_client: Mapped[str | None] = mapped_column(String(200))
    afgehandeld_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def to_contract(self) -> duo.Signaal:
        return duo.Signaal(
            signaal_id=self.signaal_id,
            gemeentecode=self.gemeentecode,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            dossier_id=self.dossier_id,
            klasse=duo.Signaalklasse(self.klasse),
            code=duo.Signaalcode(self.code),
            codelijst_versie=self.codelijst_versie,
            betreft=duo.SignaalBetreft(self.betreft),
            betreft_id=self.betreft_id,
            aangemaakt_op=self.aangemaakt_op,
            status=duo.Signaalstatus(self.status),
            afgehandeld_door=self.afgehandeld_door,
            afgehandeld_op=self.afgehandeld_op,
        )


class Handhavingsverzoek(_VanPlicht, Base):
    """DUO's incidental request to one gemeente for the fines it imposed (seed 002 section 4.7:
    "Indien het nodig is om deze gegevens te delen, neemt DUO contact op met de gemeente [...]
    Dit zijn incidentele verzoeken"). The gemeente asked may be an earlier one (after a move)."""

    __tablename__ = "duo_handhavingsverzoek"

    handhavingsverzoek_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    gemeentecode: Mapped[str] = mapped_column(String(4))
    handhavingsmaatregel_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    datum: Mapped[date] = mapped_column(Date)

    def to_contract(self) -> gemeente.Handhavingsverzoek:
        return gemeente.Handhavingsverzoek(
            handhavingsverzoek_id=self.handhavingsverzoek_id,
            gemeentecode=self.gemeentecode,
            inburgeringsplicht_id=self.inburgeringsplicht_id,
            handhavingsmaatregel_ids=self.handhavingsmaatregel_ids,
            datum=self.datum,
        )


# --- what DUO learned from the gemeente's source ------------------------------------------


class GemeenteDossier(Base):
    """The gemeente's dossier of a person and the plicht it belongs to (from the dossier's
    ``inburgeringsplichtId``, read at the gemeente's source)."""

    __tablename__ = "duo_gemeente_dossier"

    dossier_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    gemeentecode: Mapped[str] = mapped_column(String(4))
    inburgeringsplicht_id: Mapped[str] = mapped_column(
        ForeignKey("duo_inburgeringsplicht.inburgeringsplicht_id"), index=True
    )


class GemeentePip(Base):
    """A PIP version as DUO received it (the facts its rules need)."""

    __tablename__ = "duo_gemeente_pip"

    pip_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("duo_gemeente_dossier.dossier_id"))
    versie: Mapped[int] = mapped_column(Integer)
    vaststellingsdatum: Mapped[date] = mapped_column(Date)
    leerroute: Mapped[str] = mapped_column(String(30))
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GemeenteAanbod(Base):
    __tablename__ = "duo_gemeente_aanbod"

    inburgeringsaanbod_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    pip_id: Mapped[str] = mapped_column(ForeignKey("duo_gemeente_pip.pip_id"))
    datum_aanbod: Mapped[date] = mapped_column(Date)
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GemeenteTraject(Base):
    """A MAP or PVT traject's outcome as the gemeente registered it (seed 002 section 3.4.5:
    DUO "heeft deze informatie nodig om te kunnen bepalen of de inburgeringsplichtige aan de
    inburgeringsplicht heeft voldaan")."""

    __tablename__ = "duo_gemeente_traject"

    traject_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    soort: Mapped[str] = mapped_column(String(10))  # map | pvt
    dossier_id: Mapped[str] = mapped_column(ForeignKey("duo_gemeente_dossier.dossier_id"))
    afgerond: Mapped[bool | None] = mapped_column(Boolean)
    datum_afgerond: Mapped[date | None] = mapped_column(Date)
    reden_niet_afgerond: Mapped[str | None] = mapped_column(String(60))
    verwijtbaar: Mapped[bool | None] = mapped_column(Boolean)
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GemeenteUren(Base):
    """Hours the gemeente delivered on request (urenverantwoording)."""

    __tablename__ = "duo_gemeente_uren"

    urenverantwoording_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("duo_gemeente_dossier.dossier_id"))
    peildatum: Mapped[date] = mapped_column(Date)
    uren_taal: Mapped[int] = mapped_column(Integer)
    uren_participatie: Mapped[int | None] = mapped_column(Integer)
    reden: Mapped[str] = mapped_column(String(30))
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
