"""The SWI record layout: one record per inburgeringsplichtige per quarter, in sections.

What goes in follows the SWI list of seed 001_6bf09e723ef6bb05.txt (row "Centraal Bureau voor
de Statistiek", items a-i) and seed 004_e8b3bff006360911.txt (bijlage B, "Te verstrekken aan
CBS": "Persoonsgegevens waaronder BSN [...]"), restricted to what the contracts already let CBS
read (the ``x-lezers`` tags granting ``Rol.CBS``; ``keten_contracts.swi.bron`` names the source
field of each item and the tests check CBS may read it). A record is the state at the end of
the quarter (``peildatum``): dates of what happened up to then, never a date after it.

Every field carries its classification (``veld``): the file is personal data. The BSN is item
a of art. 9.9 Besluit (50 years, like every BSN field); nothing else in a record is an item of
art. 9.9 (no name, address, date of birth, vrijstelling or ontheffing), so the rest is
"5 jaar na beëindiging inburgeringsplicht".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Annotated, Final, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from keten_contracts.classification import Bewaartermijn, Classificatie, veld
from keten_contracts.common import Bsn, ContractModel, Gemeentecode, Kwartaal, OpaqueId
from keten_contracts.envelope import contains_bsn
from keten_contracts.swi.codelijsten import (
    Cursusdeelname,
    Cursussoort,
    Handhavingsreden,
    IntakeAfronding,
    LbtUitkomst,
    Opleidingsniveau,
    PipWijzigingCode,
    SwiAlfabetisering,
    SwiDoelgroep,
    SwiLeerroute,
    Trajectstatus,
)

# The version of this layout. It is in the XSD's namespace and file name (swi-<version>.xsd)
# and in every delivery's header; any change to the layout or a code list raises it.
LAYOUT_VERSION: Final = "1.0"

GEEN = Classificatie.GEEN
PERS = Classificatie.PERSOONSGEGEVEN
IDENT = Classificatie.IDENTIFICEREND
JAAR50 = Bewaartermijn.VIJFTIG_JAAR

# domain.md section 8: "at most EUR 800 per offence".
MAX_BOETE_IN_CENTEN: Final = 80_000


def _geen_bsn(value: str) -> str:
    if contains_bsn(value):
        raise ValueError("must not contain a BSN")
    return value


# The one name in the layout ("naam cursusinstelling", seed 001 item e): a name, not a
# countable item, so no code list; bounded and BSN-free.
Instellingsnaam = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$"), AfterValidator(_geen_bsn)
]


def kwartaal_einde(kwartaal: str) -> date:
    """Last day of a quarter such as ``2026-Q3`` (the peildatum of its delivery)."""
    match = re.fullmatch(r"(\d{4})-Q([1-4])", kwartaal)
    if match is None:
        raise ValueError(f"not a quarter: {kwartaal!r}")
    jaar, q = int(match[1]), int(match[2])
    return date(jaar, 12, 31) if q == 4 else date(jaar, 3 * q + 1, 1) - timedelta(days=1)


class Persoon(ContractModel):
    """Seed 004 bijlage B: "Persoonsgegevens waaronder BSN". Only the BSN identifies: CBS links
    it to its own registers, so no name, address or date of birth is sent (minimisation)."""

    bsn: Bsn = veld("Burgerservicenummer.", IDENT, bewaartermijn=JAAR50, bsn=True)
    doelgroep: SwiDoelgroep = veld("Target group.", PERS)
    vestigingsdatum: date | None = veld(
        "Date of BRP registration in the gemeente.", PERS, default=None
    )


class Kenmerken(ContractModel):
    """Seed 001 row CBS, items h and i."""

    opleidingsniveau: Opleidingsniveau | None = veld(
        "Highest education level (ISCED 2011).", PERS, default=None
    )
    alfabetisering: SwiAlfabetisering | None = veld(
        "Illiteracy / other-alphabet literacy.", PERS, default=None
    )


class BredeIntake(ContractModel):
    """Participation in the brede intake (item a): first conversation, completion and how."""

    eerste_gesprek_op: date | None = veld("Date of the first conversation.", PERS, default=None)
    afgerond_op: date | None = veld("Date completed.", PERS, default=None)
    afronding: IntakeAfronding | None = veld(
        "Completed with the person or without (3 missed invitations).", PERS, default=None
    )

    @model_validator(mode="after")
    def _afronding_met_datum(self) -> Self:
        if (self.afgerond_op is None) != (self.afronding is None):
            raise ValueError("afgerondOp and afronding go together")
        return self


class Lbt(ContractModel):
    """The leerbaarheidstoets (item c): "afname; uitslag"."""

    afgenomen: bool = veld("LBT taken.", PERS)
    uitkomst: LbtUitkomst | None = veld("Outcome (only when taken).", PERS, default=None)

    @model_validator(mode="after")
    def _uitkomst_alleen_na_afname(self) -> Self:
        if self.uitkomst is not None and not self.afgenomen:
            raise ValueError("an LBT not taken has no uitkomst")
        return self


class PipWijziging(ContractModel):
    soort: PipWijzigingCode = veld("Kind of change (switch, scale-down, ...).", PERS)
    datum: date = veld("Date of the change.", PERS)
    vorige_leerroute: SwiLeerroute | None = veld(
        "Leerroute before a switch (switches only).", PERS, default=None
    )

    @model_validator(mode="after")
    def _vorige_route_alleen_bij_wisseling(self) -> Self:
        gewisseld = self.soort is PipWijzigingCode.LEERROUTE_GEWISSELD
        if gewisseld != (self.vorige_leerroute is not None):
            raise ValueError("vorigeLeerroute is given for a switch of leerroute, and only then")
        return self


class Pip(ContractModel):
    """Items b and d: the PIP decided (its date starts the termijn), the current leerroute and
    every change so far (switch, scale-down B1 -> A2, ...)."""

    vaststellingsdatum: date = veld("Date of the first PIP (start of the termijn).", PERS)
    leerroute: SwiLeerroute = veld("Current leerroute.", PERS)
    wijzigingen: list[PipWijziging] = veld(
        "Changes of the PIP so far, oldest first.", PERS, default_factory=list
    )

    @field_validator("wijzigingen")
    @classmethod
    def _op_volgorde(cls, value: list[PipWijziging]) -> list[PipWijziging]:
        # Canonical order, so the same facts always give the same bytes.
        return sorted(value, key=lambda w: (w.datum, w.soort.value))


class Cursus(ContractModel):
    """Item e: "naam cursusinstelling; deelname; soort cursus"."""

    soort: Cursussoort = veld("Kind of course.", PERS)
    instelling: Instellingsnaam = veld("Name of the cursusinstelling.", GEEN)
    deelname: Cursusdeelname = veld("Participation.", PERS)
    startdatum: date | None = veld("Realised start.", PERS, default=None)

    @model_validator(mode="after")
    def _start_na_aanmelding(self) -> Self:
        if self.deelname is Cursusdeelname.AANGEMELD and self.startdatum is not None:
            raise ValueError("a course not started has no startdatum")
        return self


class Traject(ContractModel):
    """MAP or PVT (item a): participation and outcome."""

    status: Trajectstatus = veld("Planned, running, completed or not completed.", PERS)
    startdatum: date | None = veld("Realised start.", PERS, default=None)

    @model_validator(mode="after")
    def _start_past_bij_status(self) -> Self:
        if self.status is Trajectstatus.GEPLAND and self.startdatum is not None:
            raise ValueError("a planned traject has no startdatum")
        if self.status is Trajectstatus.LOPEND and self.startdatum is None:
            raise ValueError("a running traject has a startdatum")
        return self


class Periode(ContractModel):
    startdatum: date = veld("Start.", PERS)
    einddatum: date | None = veld("End (none while running).", PERS, default=None)

    @model_validator(mode="after")
    def _eind_na_start(self) -> Self:
        if self.einddatum is not None and self.einddatum < self.startdatum:
            raise ValueError("einddatum lies before startdatum")
        return self


class Begeleiding(ContractModel):
    """Item a: maatschappelijke begeleiding and "het ontzorgen"; seed 002_774eb578c0679392.txt
    (section 4.1) keeps two periods apart: the financieel ontzorgen ("minimaal de eerste zes
    maanden") and the stimuleren financiële zelfredzaamheid, of which "Het CBS zal hierover
    gegevens uitvragen, waaronder 'startdatum en einddatum stimuleren financiële
    zelfredzaamheid'". Voortgangsgesprekken of gezins- en overige migranten "indien [...]
    geregistreerd" (section 3.4.7)."""

    maatschappelijke_begeleiding: Periode | None = veld(
        "Maatschappelijke begeleiding.", PERS, default=None
    )
    financieel_ontzorgen: Periode | None = veld(
        "Financieel ontzorgen (fixed charges paid from the bijstand).", PERS, default=None
    )
    stimuleren_financiele_zelfredzaamheid: Periode | None = veld(
        "Stimuleren financiële zelfredzaamheid (apart from the ontzorgen period).",
        PERS,
        default=None,
    )
    voortgangsgesprekken: list[date] = veld(
        "Dates of registered voortgangsgesprekken.", PERS, default_factory=list
    )

    @field_validator("voortgangsgesprekken")
    @classmethod
    def _op_datum(cls, value: list[date]) -> list[date]:
        return sorted(value)


class Waarschuwing(ContractModel):
    datum: date = veld("Date.", PERS)
    reden: Handhavingsreden = veld("Reason.", PERS)


class Boete(ContractModel):
    datum: date = veld("Date.", PERS)
    reden: Handhavingsreden = veld("Reason.", PERS)
    bedrag_in_centen: int = veld(
        "Amount in euro cents (at most EUR 800 per offence).",
        PERS,
        ge=1,
        le=MAX_BOETE_IN_CENTEN,
    )


class Handhaving(ContractModel):
    """Seed 002 section 4.7: "waarschuwingen (aantal en reden) en boetes (aantal, reden en
    hoogte)"; the number is the number of elements."""

    waarschuwingen: list[Waarschuwing] = veld("Warnings.", PERS, default_factory=list)
    boetes: list[Boete] = veld("Fines.", PERS, default_factory=list)

    # Canonical order, so the same facts always give the same bytes.
    @field_validator("waarschuwingen")
    @classmethod
    def _waarschuwingen_op_volgorde(cls, value: list[Waarschuwing]) -> list[Waarschuwing]:
        return sorted(value, key=lambda w: (w.datum, w.reden.value))

    @field_validator("boetes")
    @classmethod
    def _boetes_op_volgorde(cls, value: list[Boete]) -> list[Boete]:
        return sorted(value, key=lambda b: (b.datum, b.reden.value, b.bedrag_in_centen))


class SwiRecord(ContractModel):
    """One inburgeringsplichtige in one quarter's delivery of one gemeente."""

    dossier_id: OpaqueId = veld("Record id: the dossier at the gemeente's source.", GEEN)
    persoon: Persoon = veld("Who (BSN) and target group.", IDENT)
    kenmerken: Kenmerken | None = veld("Education level and literacy.", PERS, default=None)
    brede_intake: BredeIntake | None = veld("Brede intake.", PERS, default=None)
    lbt: Lbt | None = veld("Leerbaarheidstoets.", PERS, default=None)
    pip: Pip | None = veld("PIP and leerroute.", PERS, default=None)
    cursussen: list[Cursus] = veld("Courses of the leerroute.", PERS, default_factory=list)
    map: Traject | None = veld("Module Arbeidsmarkt en Participatie.", PERS, default=None)
    pvt: Traject | None = veld("Participatieverklaringstraject.", PERS, default=None)
    begeleiding: Begeleiding | None = veld(
        "Maatschappelijke begeleiding, ontzorgen, voortgangsgesprekken.", PERS, default=None
    )
    handhaving: Handhaving | None = veld("Warnings and fines.", PERS, default=None)

    @field_validator("cursussen")
    @classmethod
    def _cursussen_op_volgorde(cls, value: list[Cursus]) -> list[Cursus]:
        return sorted(
            value,
            key=lambda c: (c.soort.value, c.instelling, c.startdatum or date.min, c.deelname.value),
        )

    @model_validator(mode="after")
    def _ontzorgen_alleen_asielstatushouders(self) -> Self:
        # Seed 002 section 4.1: "Het ontzorgen geldt alleen voor asielstatushouders met een
        # bijstandsuitkering."
        if (
            self.begeleiding is not None
            and self.begeleiding.financieel_ontzorgen is not None
            and self.persoon.doelgroep is not SwiDoelgroep.ASIELSTATUSHOUDER
        ):
            raise ValueError("financieel ontzorgen is for asielstatushouders only")
        return self

    def sorteersleutel(self) -> tuple[str, str]:
        """The stated order of records in a delivery: BSN, then record id (dossier id)."""
        return (self.persoon.bsn, self.dossier_id)

    def datums(self) -> Iterator[date]:
        """Every date in the record (to check none lies after the peildatum)."""
        yield from _datums(self)


def _datums(value: object) -> Iterator[date]:
    if isinstance(value, date):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _datums(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            yield from _datums(item)


class SwiHeader(ContractModel):
    """The header of a delivery file. No wall-clock time: the build time is in the manifest,
    so the same snapshot always gives the same bytes."""

    gemeentecode: Gemeentecode = veld("The gemeente delivering.", GEEN)
    kwartaal: Kwartaal = veld("Quarter, e.g. 2026-Q3.", GEEN)
    levering_versie: int = veld(
        "Version of this quarter's delivery: 1, then +1 for each correction (a delivered "
        "version is never rewritten; a new version replaces it as a whole).",
        GEEN,
        ge=1,
        le=999,
    )
    layout_versie: Literal["1.0"] = veld("Version of the record layout.", GEEN, default="1.0")

    @property
    def peildatum(self) -> date:
        return kwartaal_einde(self.kwartaal)


class Sectieaantallen(ContractModel):
    """Counts per section of one delivery file (aggregates: no personal data)."""

    records: int = veld("Records (persons).", GEEN, ge=0)
    brede_intake: int = veld("Records with a brede intake.", GEEN, ge=0)
    lbt: int = veld("Records with an LBT section.", GEEN, ge=0)
    pip: int = veld("Records with a PIP.", GEEN, ge=0)
    pip_wijzigingen: int = veld("PIP changes.", GEEN, ge=0)
    cursussen: int = veld("Courses.", GEEN, ge=0)
    map: int = veld("Records with a MAP.", GEEN, ge=0)
    pvt: int = veld("Records with a PVT.", GEEN, ge=0)
    maatschappelijke_begeleiding: int = veld("Maatschappelijke begeleiding periods.", GEEN, ge=0)
    financieel_ontzorgen: int = veld("Financieel ontzorgen periods.", GEEN, ge=0)
    stimuleren_financiele_zelfredzaamheid: int = veld(
        "Stimuleren financiële zelfredzaamheid periods.", GEEN, ge=0
    )
    voortgangsgesprekken: int = veld("Voortgangsgesprekken.", GEEN, ge=0)
    waarschuwingen: int = veld("Warnings.", GEEN, ge=0)
    boetes: int = veld("Fines.", GEEN, ge=0)


class SwiManifest(ContractModel):
    """What describes one delivery file: the only place its build time is written."""

    gemeentecode: Gemeentecode = veld("The gemeente delivering.", GEEN)
    kwartaal: Kwartaal = veld("Quarter delivered.", GEEN)
    levering_versie: int = veld("Version of this quarter's delivery.", GEEN, ge=1, le=999)
    layout_versie: Literal["1.0"] = veld("Version of the record layout.", GEEN)
    bestandsnaam: str = veld("Name of the delivery file.", GEEN, max_length=100)
    aantallen: Sectieaantallen = veld("Counts per section.", GEEN)
    sha256: str = veld("SHA-256 of the file's bytes (hex).", GEEN, pattern=r"^[0-9a-f]{64}$")
    aangemaakt_op: datetime = veld("When the file was built (with its offset).", GEEN)

    @field_validator("aangemaakt_op")
    @classmethod
    def _met_tijdzone(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("aangemaaktOp needs a UTC offset")
        return value
