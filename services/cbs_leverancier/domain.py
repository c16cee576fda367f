"""The cbs-leverancier's rules, pure (no I/O, no clock): quarters and their cut-off, which
registrations a version of a quarter's delivery is built from, how the CBS views of a dossier's
resources become one SWI record at the peildatum, versioning and retention.

**Quarters.** ``2026-Q1`` runs from 1 January to its peildatum, 31 March (the state a record
describes: ``keten_contracts.swi.kwartaal_einde``). Its **cut-off** is the first instant of the
next quarter in the Netherlands (00:00 Europe/Amsterdam on 1 April): the snapshot of a quarter is
frozen from what was registered at the source before then, and no version of a quarter is built
before its cut-off has passed.

**What a version is built from** (``kies_versies``). The handlers keep every version of every
CBS view fetched (``Bronversie``), with the moment the source registered the change (the event's
``time``) and the order it was received in. A version of a quarter is built at a moment (the
freeze: only what was received before it counts, so any past version can be rebuilt from the
history, byte for byte):

- **version 1** is the snapshot frozen at cut-off: per resource, the last version registered
  before the cut-off;
- **a later version** (a correction) also takes a version registered after the cut-off when it
  is a late correction of a fact of the quarter: it brings at least one new date and every new
  date lies on or before the peildatum (a warning dated in March registered in April, a
  corrected PIP date). A version whose new dates lie after the peildatum is the next quarter's
  change; one that brings no new date (a status such as "MAP afgerond", for which the CBS view
  has no date) is dated by its registration, so after the cut-off it belongs to the next
  quarter too.

A delivered version is never rewritten: a correction is a new version of the quarter
(``CbsLevering``: "never a rewrite of a delivered one").

**Who is in a quarter** (``in_levering``). Seed 004 (section 3.2.7) leaves the population to
the protocol: "De precieze definities van de gegevens en de wijze en frequentie van aanlevering
worden nog verder uitgewerkt in een leverings- en gegevensprotocol." The chain's rule: a dossier
is in quarter Q's delivery of gemeente G when its chosen ``dossier`` version is G's and, at Q's
first day (``kwartaal_begin``), its inburgeringsplicht had not ended (``eindePlicht`` empty or
on or after that day) and it had not been handed over away from G (``overgedragenOp`` empty or
on or after that day). A plicht that ends within Q, and a dossier handed over within Q, still
have their record in Q (the layout has no field for either date); from the next quarter on they
are left out, and the new gemeente delivers the person from its own dossier. Both dates are
dated facts of the source, so ``kies_versies`` treats them like any other date: an end of the
plicht registered after the cut-off but dated in the quarter (or before it) is a late correction
of that quarter, one dated after the peildatum is the next quarter's.

**The record** (``bouw_records``): one per dossier in the quarter (``in_levering``) with a
chosen ``dossier`` version, mapped with ``keten_contracts.swi.bron``; anything dated after the
peildatum is left out (a planned end date becomes "still running", a later start "planned"),
because a record is the state at the peildatum and ``keten_contracts.swi.check_records`` refuses
later dates.

**Retention** (``bewaren_tot``): art. 9.9 Besluit, seed 001 ("Alle andere gegevens worden 5 jaar
na beëindiging inburgeringsplicht [...] verwijderd"); the BSN's 50 years are kept by the dossier
at the source, not by this copy (``keten_contracts.resources.cbs``). A snapshot and its file are
deleted 5 years after the first day of their quarter: by ``in_levering`` everyone in them still
had a plicht on that day (as far as the source had registered its end when the version was
frozen), so none is kept longer than art. 9.9 allows. An end registered only after the freeze
is left out by the quarter's next version; the version before it keeps that person's record
at most as much longer as the end was registered late.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Final

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel

from keten_contracts.common import ContractModel
from keten_contracts.resources.gemeente import Begeleidingsoort, Maatregelsoort
from keten_contracts.swi import (
    Begeleiding,
    Boete,
    BredeIntake,
    Cursus,
    Handhaving,
    Kenmerken,
    Lbt,
    Periode,
    Persoon,
    Pip,
    PipWijziging,
    SwiRecord,
    Traject,
    Waarschuwing,
    kwartaal_einde,
)
from keten_contracts.swi.bron import (
    ALFABETISERING,
    BEGELEIDING_VELD,
    CURSUSDEELNAME,
    CURSUSSOORT,
    DOELGROEP,
    HANDHAVINGSREDEN,
    LBT_UITKOMST,
    LEERROUTE,
    OPLEIDINGSNIVEAU,
    PIP_WIJZIGING,
    intake_afronding,
    trajectstatus,
)
from keten_contracts.swi.codelijsten import Cursusdeelname, SwiDoelgroep, Trajectstatus
from keten_core.clock import AMSTERDAM

__all__ = [
    "BEWAARJAREN",
    "RESOURCES",
    "Bronversie",
    "afsluitmoment",
    "bewaren_tot",
    "bouw_records",
    "datums",
    "in_levering",
    "kies_versies",
    "kwartaal_begin",
    "kwartaal_van",
    "mag_bevriezen",
    "peildatum",
    "volgende_versie",
]

# The resources of dossier-bron that the SWI record is read from (keten_contracts.swi.bron).
RESOURCES: Final = frozenset(
    {"dossier", "intake", "pip", "opdracht", "map", "pvt", "begeleiding", "handhavingsmaatregel"}
)
BEWAARJAREN: Final = 5
_KWARTAAL: Final = re.compile(r"(\d{4})-Q([1-4])")


# --- quarters --------------------------------------------------------------------------------


def _deel(kwartaal: str) -> tuple[int, int]:
    match = _KWARTAAL.fullmatch(kwartaal)
    if match is None:
        raise ValueError(f"not a quarter: {kwartaal!r}")
    return int(match[1]), int(match[2])


def kwartaal_van(dag: date) -> str:
    """The quarter a date lies in: ``2026-05-12`` -> ``2026-Q2``."""
    return f"{dag.year}-Q{(dag.month - 1) // 3 + 1}"


def kwartaal_begin(kwartaal: str) -> date:
    jaar, q = _deel(kwartaal)
    return date(jaar, 3 * q - 2, 1)


def peildatum(kwartaal: str) -> date:
    """The last day of the quarter: the state its records describe."""
    _deel(kwartaal)
    return kwartaal_einde(kwartaal)


def afsluitmoment(kwartaal: str) -> datetime:
    """The cut-off: 00:00 in the Netherlands on the first day of the next quarter."""
    volgende = peildatum(kwartaal) + relativedelta(days=1)
    return datetime.combine(volgende, time(0), tzinfo=AMSTERDAM)


def mag_bevriezen(kwartaal: str, nu: datetime) -> bool:
    """A quarter's snapshot is frozen only after its cut-off."""
    return nu >= afsluitmoment(kwartaal)


def volgende_versie(bestaande: Iterable[int]) -> int:
    """Version 1 for a quarter never delivered, else one above the highest."""
    return max(bestaande, default=0) + 1


def bewaren_tot(kwartaal: str) -> date:
    """Until when a quarter's snapshot and file are kept (see the module docstring)."""
    return kwartaal_begin(kwartaal) + relativedelta(years=BEWAARJAREN)


# --- the registrations a version is built from ------------------------------------------------


@dataclass(frozen=True)
class Bronversie:
    """One fetched CBS view of one resource at dossier-bron.

    ``volgnummer`` is the order of receipt (the table's identity): the history is read in it.
    ``geregistreerd_op`` is when the source registered the change (the event's ``time``),
    ``ontvangen_op`` when this service stored it."""

    volgnummer: int
    resource: str
    resource_id: str
    dossier_id: str
    geregistreerd_op: datetime
    ontvangen_op: datetime
    view: ContractModel


def datums(value: object) -> Iterator[date]:
    """Every calendar date in a view (not timestamps)."""
    if isinstance(value, datetime):
        return
    if isinstance(value, date):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from datums(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from datums(item)


def _hoort_bij_kwartaal(
    versie: Bronversie, vorige: Bronversie | None, afsluiting: datetime, peil: date, correctie: bool
) -> bool:
    if versie.geregistreerd_op < afsluiting:
        return True
    if not correctie:
        return False
    nieuw = set(datums(versie.view)) - set(datums(vorige.view) if vorige is not None else ())
    return bool(nieuw) and max(nieuw) <= peil


def kies_versies(
    versies: Iterable[Bronversie], kwartaal: str, *, moment: datetime, correctie: bool
) -> list[Bronversie]:
    """Per resource the version a delivery of ``kwartaal`` built at ``moment`` uses (see the
    module docstring): version 1 (``correctie`` false) only what was registered before the
    cut-off, a correction also the late corrections of the quarter's facts."""
    afsluiting, peil = afsluitmoment(kwartaal), peildatum(kwartaal)
    per_resource: dict[tuple[str, str], list[Bronversie]] = defaultdict(list)
    for v in versies:
        if v.ontvangen_op < moment:
            per_resource[(v.resource, v.resource_id)].append(v)
    gekozen: list[Bronversie] = []
    for reeks in per_resource.values():
        reeks.sort(key=lambda v: v.volgnummer)
        keuze = None
        for i, versie in enumerate(reeks):
            vorige = reeks[i - 1] if i else None
            if _hoort_bij_kwartaal(versie, vorige, afsluiting, peil, correctie):
                keuze = versie
        if keuze is not None:
            gekozen.append(keuze)
    return sorted(gekozen, key=lambda v: v.volgnummer)


# --- the record at the peildatum --------------------------------------------------------------


def _tot(dag: date | None, peil: date) -> date | None:
    """A date that lies after the peildatum did not happen yet at the peildatum."""
    return dag if dag is not None and dag <= peil else None


def _laatste(versies: Sequence[Bronversie]) -> Bronversie | None:
    return max(versies, key=lambda v: v.volgnummer, default=None)


def _persoon(dossier: Any, peil: date) -> Persoon | None:
    doelgroep = getattr(dossier, "doelgroep", None)
    bsn = getattr(dossier, "bsn", None)
    if doelgroep is None or bsn is None:
        return None  # not yet an inburgeringsplichtige the SWI can place
    return Persoon(
        bsn=bsn,
        doelgroep=DOELGROEP[doelgroep],
        vestigingsdatum=_tot(getattr(dossier, "vestigingsdatum", None), peil),
    )


def _intake(intake: Any, peil: date) -> tuple[Kenmerken | None, BredeIntake | None, Lbt | None]:
    if intake is None:
        return None, None, None
    niveau = getattr(intake, "opleidingsniveau", None)
    alfa = getattr(intake, "alfabetisering", None)
    kenmerken = (
        Kenmerken(
            opleidingsniveau=None if niveau is None else OPLEIDINGSNIVEAU[niveau],
            alfabetisering=None if alfa is None else ALFABETISERING[alfa],
        )
        if niveau is not None or alfa is not None
        else None
    )
    eerste = _tot(getattr(intake, "eerste_gesprek_op", None), peil)
    afgerond = _tot(getattr(intake, "afgerond_op", None), peil)
    zonder = bool(getattr(intake, "afgerond_zonder_medewerking", False))
    brede_intake = (
        BredeIntake(
            eerste_gesprek_op=eerste,
            afgerond_op=afgerond,
            afronding=intake_afronding(afgerond, zonder),
        )
        if eerste is not None or afgerond is not None
        else None
    )
    afgenomen = bool(getattr(intake, "lbt_afgenomen", False))
    uitkomst = getattr(intake, "lbt_uitkomst", None)
    lbt = Lbt(
        afgenomen=afgenomen,
        uitkomst=LBT_UITKOMST[uitkomst] if afgenomen and uitkomst is not None else None,
    )
    return kenmerken, brede_intake, lbt


def _pip(pips: Sequence[Any], peil: date) -> Pip | None:
    """Each PIP version is its own resource: the first gives the vaststellingsdatum (start of
    the termijn), the last in force at the peildatum the leerroute, each later one a change."""
    geldig = sorted(
        (p for p in pips if p.vaststellingsdatum <= peil),
        key=lambda p: p.versie,
    )
    if not geldig:
        return None
    wijzigingen = []
    for p in geldig[1:]:
        w = getattr(p, "wijziging", None)
        if w is None or w.datum > peil:
            continue
        vorige = w.vorige_leerroute
        soort = PIP_WIJZIGING[w.soort]
        wijzigingen.append(
            PipWijziging(
                soort=soort,
                datum=w.datum,
                vorige_leerroute=None if vorige is None else LEERROUTE[vorige],
            )
        )
    return Pip(
        vaststellingsdatum=geldig[0].vaststellingsdatum,
        leerroute=LEERROUTE[geldig[-1].leerroute],
        wijzigingen=wijzigingen,
    )


def _cursus(opdracht: Any, peil: date) -> Cursus | None:
    soort = CURSUSSOORT.get(getattr(opdracht, "soort", None))
    if soort is None:
        return None  # MAP, PVT, begeleiding, LBT: sections of their own or none
    start = _tot(getattr(opdracht, "gerealiseerde_start", None), peil)
    deelname = CURSUSDEELNAME[opdracht.status]
    if getattr(opdracht, "gerealiseerde_start", None) is not None and start is None:
        deelname = Cursusdeelname.AANGEMELD  # started only after the peildatum
    return Cursus(
        soort=soort,
        instelling=opdracht.aanbieder_naam,
        deelname=deelname,
        startdatum=None if deelname is Cursusdeelname.AANGEMELD else start,
    )


def _traject(traject: Any, peil: date) -> Traject | None:
    if traject is None:
        return None
    ruwe_start = getattr(traject, "start_gerealiseerd", None)
    start = _tot(ruwe_start, peil)
    afgerond = getattr(traject, "afgerond", None)
    if ruwe_start is not None and start is None:
        afgerond = None  # started after the peildatum: planned then
    status = trajectstatus(start, afgerond)
    return Traject(status=status, startdatum=None if status is Trajectstatus.GEPLAND else start)


def _begeleiding(
    begeleidingen: Sequence[Any], doelgroep: SwiDoelgroep, peil: date
) -> Begeleiding | None:
    perioden: dict[str, Periode] = {}
    gesprekken: list[date] = []
    for b in sorted(begeleidingen, key=lambda b: b.startdatum):
        start = _tot(b.startdatum, peil)
        if start is None:
            continue
        veld = BEGELEIDING_VELD[b.soort]
        if b.soort is Begeleidingsoort.VOORTGANGSGESPREK:
            gesprekken.append(start)
            continue
        if veld == "financieel_ontzorgen" and doelgroep is not SwiDoelgroep.ASIELSTATUSHOUDER:
            continue  # seed 002 section 4.1: only asielstatushouders on bijstand
        # One period per kind: the latest started by the peildatum.
        perioden[veld] = Periode(
            startdatum=start,
            einddatum=_tot(b.einddatum, peil),
        )
    if not perioden and not gesprekken:
        return None
    return Begeleiding(**perioden, voortgangsgesprekken=gesprekken)


def _handhaving(maatregelen: Sequence[Any], peil: date) -> Handhaving | None:
    waarschuwingen, boetes = [], []
    for m in maatregelen:
        datum = m.datum
        if datum > peil:
            continue
        reden = HANDHAVINGSREDEN[m.reden]
        if m.soort is Maatregelsoort.WAARSCHUWING:
            waarschuwingen.append(Waarschuwing(datum=datum, reden=reden))
        elif m.bedrag_in_centen:
            boetes.append(Boete(datum=datum, reden=reden, bedrag_in_centen=m.bedrag_in_centen))
    if not waarschuwingen and not boetes:
        return None
    return Handhaving(waarschuwingen=waarschuwingen, boetes=boetes)


def in_levering(dossier: Any, *, gemeentecode: str, kwartaal: str) -> bool:
    """Whether a dossier (its chosen CBS view) is in ``gemeentecode``'s delivery of
    ``kwartaal`` (see the module docstring): the gemeente's, and at the quarter's first day
    neither its plicht ended nor the dossier handed over to another gemeente."""
    if getattr(dossier, "gemeentecode", None) != gemeentecode:
        return False
    begin = kwartaal_begin(kwartaal)
    for einde in (
        getattr(dossier, "einde_plicht", None),
        getattr(dossier, "overgedragen_op", None),
    ):
        if einde is not None and einde < begin:
            return False
    return True


def bouw_records(
    gekozen: Iterable[Bronversie], *, gemeentecode: str, kwartaal: str
) -> list[SwiRecord]:
    """The SWI records of ``gemeentecode`` at the quarter's peildatum from the chosen versions,
    one per dossier in the quarter (``in_levering``), in the layout's stated order (BSN, then
    dossier id)."""
    peil = peildatum(kwartaal)
    per_dossier: dict[str, dict[str, list[Bronversie]]] = defaultdict(lambda: defaultdict(list))
    for v in gekozen:
        per_dossier[v.dossier_id][v.resource].append(v)
    records: list[SwiRecord] = []
    for dossier_id, bronnen in per_dossier.items():
        dossier = _laatste(bronnen.get("dossier", ()))
        if dossier is None or not in_levering(
            dossier.view, gemeentecode=gemeentecode, kwartaal=kwartaal
        ):
            continue
        persoon = _persoon(dossier.view, peil)
        if persoon is None:
            continue
        intake = _laatste(bronnen.get("intake", ()))
        kenmerken, brede_intake, lbt = _intake(None if intake is None else intake.view, peil)
        mapv, pvt = _laatste(bronnen.get("map", ())), _laatste(bronnen.get("pvt", ()))
        cursussen = [
            c for o in bronnen.get("opdracht", ()) if (c := _cursus(o.view, peil)) is not None
        ]
        records.append(
            SwiRecord(
                dossier_id=dossier_id,
                persoon=persoon,
                kenmerken=kenmerken,
                brede_intake=brede_intake,
                lbt=lbt,
                pip=_pip([p.view for p in bronnen.get("pip", ())], peil),
                cursussen=cursussen,
                map=_traject(None if mapv is None else mapv.view, peil),
                pvt=_traject(None if pvt is None else pvt.view, peil),
                begeleiding=_begeleiding(
                    [b.view for b in bronnen.get("begeleiding", ())], persoon.doelgroep, peil
                ),
                handhaving=_handhaving(
                    [m.view for m in bronnen.get("handhavingsmaatregel", ())], peil
                ),
            )
        )
    return sorted(records, key=SwiRecord.sorteersleutel)
