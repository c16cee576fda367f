"""The gemeente's enforcement of the inspanningsverplichting: pure rules, no I/O, no framework.

Warnings and fines (``Maatregelsoort``) for missing the brede intake and for not keeping the
PIP's agreements, with the law's amounts and caps. Every rule quotes its source in
``/work/shared/seeds`` (seed 002 is the "Handreiking gegevensuitwisseling gemeenten en
ketenpartners", seed 003 a gemeente's beleidsplan, seed 004 the VNG "Uitvoeringstoets").
Amounts are euro cents (ints), as ``BedragInCenten`` in the contracts: no float ever holds
money. Dates are Dutch calendar dates; callers take "today" from ``keten_core.clock``.

A refusal is a ``Weigeringsreden`` (a Dutch reason code), so the API can turn it into a
problem+json answer without parsing text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from keten_contracts.resources.gemeente import (
    Handhavingsmaatregel,
    Maatregelreden,
    Maatregelsoort,
)

__all__ = [
    "INTAKEBOETE_CENTEN",
    "MAX_BOETE_PER_OVERTREDING_CENTEN",
    "MAX_BOETE_PER_TERMIJN_CENTEN",
    "MAX_UITNODIGINGEN",
    "OPBOUW_HERSTART_NA",
    "Besluit",
    "BoeteVoorstel",
    "Maatregel",
    "ParticipatiewetSanctie",
    "Weigeringsreden",
    "beoordeel_boete",
    "beoordeel_intakeboete",
    "intake_zonder_medewerking",
    "intakeboete_mogelijk",
    "is_intakereden",
    "opbouw_rang",
    "participatiewet_sanctie",
]

# Seed 004 section 3.2.6 (Handhaving): "Gemeenten kunnen een boete opleggen van € 250 per
# overtreding wanneer inburgeringsplichtigen ook na een tweede oproep niet verschijnen."
INTAKEBOETE_CENTEN = 250_00

# Seed 004 section 3.2.6: "De maximale boete die door de gemeente opgelegd kan worden voor het
# verwijtbaar niet of onvoldoende meewerken aan de afspraken uit het PIP, is € 800 per
# overtreding. Het maximale boetebedrag dat een gemeente kan opleggen gedurende de
# inburgeringstermijn van drie jaar is € 2.400."
MAX_BOETE_PER_OVERTREDING_CENTEN = 800_00
MAX_BOETE_PER_TERMIJN_CENTEN = 2_400_00

# Seed 002 section 4.7: "Als er zich tussen twee overtredingen van de afspraken in het PIP een
# periode van 12 maanden of langer bevindt, begint de opbouw opnieuw."
OPBOUW_HERSTART_NA = relativedelta(months=12)

# Seed 001 (taak 3, "Oproepen inburgeringsplichtige voor brede intake"): "Als de
# inburgeringsplichtige na 3 oproepen niet verschijnt of onvoldoende meewerkt, voltooit
# gemeente de brede intake in afwezigheid van de inburgeringsplichtige."
MAX_UITNODIGINGEN = 3

# The reasons that are intake offences; the others break the PIP's agreements (MAP and PVT
# participation are agreements in the PIP, seed 001 taak 7).
_INTAKEREDENEN = frozenset(
    {Maatregelreden.NIET_VERSCHENEN_INTAKE, Maatregelreden.NIET_MEEWERKEN_INTAKE}
)


def is_intakereden(reden: Maatregelreden) -> bool:
    """Whether ``reden`` is an intake offence (``beoordeel_intakeboete``), not a PIP one."""
    return reden in _INTAKEREDENEN


class Weigeringsreden(StrEnum):
    """Why a proposed fine may not be imposed (codes for problem+json)."""

    GEEN_VERWIJTBAARHEID = "geen-verwijtbaarheid"
    AL_GESANCTIONEERD_PARTICIPATIEWET = "al-gesanctioneerd-participatiewet"
    BEDRAG_ONGELDIG = "bedrag-ongeldig"
    BUITEN_TERMIJN = "buiten-termijn"
    NOG_GEEN_TWEEDE_OPROEP_GEMIST = "nog-geen-tweede-oproep-gemist"
    GEMISTE_OPROEPEN_AL_BEBOET = "gemiste-oproepen-al-beboet"
    BOVEN_MAXIMUM_PER_OVERTREDING = "boven-maximum-per-overtreding"
    BOVEN_MAXIMUM_VOOR_OPBOUW = "boven-maximum-voor-opbouw"
    BOVEN_MAXIMUM_PER_TERMIJN = "boven-maximum-per-termijn"


@dataclass(frozen=True)
class Maatregel:
    """A warning or fine already imposed (the rule's view of a ``Handhavingsmaatregel``)."""

    datum: date
    soort: Maatregelsoort
    reden: Maatregelreden
    bedrag_in_centen: int | None = None
    verwijtbaar: bool = True
    participatiewet_maatregel_id: str | None = None

    @classmethod
    def uit_contract(cls, maatregel: Handhavingsmaatregel) -> Maatregel:
        return cls(
            datum=maatregel.datum,
            soort=maatregel.soort,
            reden=maatregel.reden,
            bedrag_in_centen=maatregel.bedrag_in_centen,
            verwijtbaar=maatregel.verwijtbaar,
            participatiewet_maatregel_id=maatregel.participatiewet_maatregel_id,
        )


@dataclass(frozen=True)
class BoeteVoorstel:
    """A fine the gemeente proposes to impose."""

    datum: date
    reden: Maatregelreden
    bedrag_in_centen: int
    verwijtbaar: bool
    participatiewet_maatregel_id: str | None = None


@dataclass(frozen=True)
class Besluit:
    """The outcome: allowed, or refused with one reason.

    ``rang`` is the offence's place in the current opbouw (1 = first offence of a series),
    ``maximum_in_centen`` the highest amount this offence could carry (0 when no fine may be
    imposed at all), so a clerk sees what would be allowed instead."""

    weigeringsreden: Weigeringsreden | None
    rang: int
    maximum_in_centen: int

    @property
    def toegestaan(self) -> bool:
        return self.weigeringsreden is None


def intake_zonder_medewerking(gemiste_uitnodigingen: int) -> bool:
    """Whether the gemeente completes the brede intake without the person: after 3 missed
    invitations (seed 001 taak 3, quoted at ``MAX_UITNODIGINGEN``). Seed 002 section 3.4.2
    adds what follows: "Indien de inburgeringsplichtige driemaal niet verschijnt op de afspraak
    voor de Brede Intake of de leerbaarheidstoets niet aflegt, wordt de PIP eenzijdig
    vastgesteld en gaat de gemeente over tot handhaving." """
    if gemiste_uitnodigingen < 0:
        raise ValueError("a count of missed invitations is never negative")
    return gemiste_uitnodigingen >= MAX_UITNODIGINGEN


def intakeboete_mogelijk(gemiste_uitnodigingen: int) -> bool:
    """Whether missing the intake may be fined yet: only from the second missed invitation.

    Seed 004 section 3.2.6: a fine "wanneer inburgeringsplichtigen ook na een tweede oproep
    niet verschijnen". Seed 001 (taak 3) orders the steps: "De gemeente geeft een waarschuwing
    bij niet verschijnen [...] Gemeente stelt in het boetebesluit een nieuwe termijn vast om te
    verschijnen. Als de inburgeringsplichtige voor de tweede keer niet verschijnt of meewerkt,
    legt het College weer een boete op." So: first miss a warning, second and third a fine."""
    if gemiste_uitnodigingen < 0:
        raise ValueError("a count of missed invitations is never negative")
    return gemiste_uitnodigingen >= 2


def opbouw_rang(voorgaande: Iterable[Maatregel], datum: date) -> int:
    """The place of an offence on ``datum`` in the opbouw of PIP offences (1 = first).

    Seed 003 section 5.4: "De boetes zijn trapsgewijs opgebouwd. Een eerste overtreding weegt
    aanzienlijk minder zwaar dan bijvoorbeeld een derde." Seed 002 section 4.7: "Als er zich
    tussen twee overtredingen van de afspraken in het PIP een periode van 12 maanden of langer
    bevindt, begint de opbouw opnieuw." So the build-up is the count of offences in a series,
    and a gap of 12 months or more between two consecutive offences starts a new series.
    Every recorded measure for a PIP offence marks an offence, a warning as much as a fine (the
    seed speaks of offences, not of fines); intake offences are not "afspraken in het PIP"."""
    data = sorted(m.datum for m in voorgaande if m.reden not in _INTAKEREDENEN and m.datum <= datum)
    rang = 1
    vorige: date | None = None
    for overtreding in [*data, datum]:
        if vorige is not None:
            # "12 maanden of langer": on the day 12 months later the series restarts.
            rang = 1 if overtreding >= vorige + OPBOUW_HERSTART_NA else rang + 1
        vorige = overtreding
    return rang


def _boetes_in_termijn(voorgaande: Iterable[Maatregel], start: date, einde: date) -> int:
    return sum(
        m.bedrag_in_centen or 0
        for m in voorgaande
        if m.soort is Maatregelsoort.BOETE and start <= m.datum <= einde
    )


def _gemeenschappelijke_weigering(voorstel: BoeteVoorstel) -> Weigeringsreden | None:
    # Seed 002 section 4.7: "Als er geen sprake is van verwijtbaarheid, zal de gemeente, gelet
    # op artikel 5:41 van de Awb, geen boete opleggen aan de inburgeringsplichtige."
    if not voorstel.verwijtbaar:
        return Weigeringsreden.GEEN_VERWIJTBAARHEID
    # Seed 002 section 4.2: "een inburgeringsplichtige kan geen bestuurlijke boete krijgen in
    # het kader van de Wet inburgering, wanneer zijn of haar uitkering al voor dezelfde gedrag
    # is verlaagd"; seed 003 section 5.4: "wanneer een gemeente handhaaft op grond van de
    # Participatiewet, handhaving op grond van de Wet inburgering niet mogelijk is". The
    # contract's marker links the conduct to that Participatiewet measure.
    if voorstel.participatiewet_maatregel_id is not None:
        return Weigeringsreden.AL_GESANCTIONEERD_PARTICIPATIEWET
    if voorstel.bedrag_in_centen <= 0:
        return Weigeringsreden.BEDRAG_ONGELDIG
    return None


def beoordeel_intakeboete(
    voorstel: BoeteVoorstel, gemiste_uitnodigingen: int, eerdere_intakeboetes: int = 0
) -> Besluit:
    """May the fine for missing (or not cooperating with) the brede intake be imposed?

    At most ``INTAKEBOETE_CENTEN`` per offence (seed 004 section 3.2.6), from the second missed
    invitation (``intakeboete_mogelijk``), culpable and not sanctioned under the
    Participatiewet. Intake fines fall before the PIP, so before the termijn whose cap
    ``beoordeel_boete`` guards; they are not part of the PIP opbouw (``rang`` is always 1).

    One fine per missed invitation from the second (the first earns the warning, seed 001 taak
    3, quoted at ``intakeboete_mogelijk``), so ``eerdere_intakeboetes`` (the intake fines
    already imposed) must stay below ``gemiste_uitnodigingen - 1``: seed 002 section 4.7,
    "iemand [kan] niet twee keer voor eenzelfde feit beboet worden"."""
    if voorstel.reden not in _INTAKEREDENEN:
        raise ValueError(f"{voorstel.reden.value} is no intake offence: use beoordeel_boete")
    if eerdere_intakeboetes < 0:
        raise ValueError("a count of fines is never negative")
    gemeenschappelijk = _gemeenschappelijke_weigering(voorstel)
    if gemeenschappelijk is not None:
        return Besluit(gemeenschappelijk, 1, 0)
    if not intakeboete_mogelijk(gemiste_uitnodigingen):
        return Besluit(Weigeringsreden.NOG_GEEN_TWEEDE_OPROEP_GEMIST, 1, 0)
    if eerdere_intakeboetes >= gemiste_uitnodigingen - 1:
        return Besluit(Weigeringsreden.GEMISTE_OPROEPEN_AL_BEBOET, 1, 0)
    if voorstel.bedrag_in_centen > INTAKEBOETE_CENTEN:
        return Besluit(Weigeringsreden.BOVEN_MAXIMUM_PER_OVERTREDING, 1, INTAKEBOETE_CENTEN)
    return Besluit(None, 1, INTAKEBOETE_CENTEN)


def beoordeel_boete(
    voorgaande: Sequence[Maatregel],
    voorstel: BoeteVoorstel,
    *,
    termijn_start: date,
    termijn_einde: date,
    staffel: Sequence[int] | None = None,
) -> Besluit:
    """May a fine for not keeping the PIP's agreements be imposed?

    ``voorgaande`` holds the measures already imposed on this person (not the proposal).
    ``termijn_start`` is the PIP date, ``termijn_einde`` the end DUO set (it may be extended).
    ``staffel`` optionally gives the maximum in cents for the 1st, 2nd, ... offence of a series
    (the last entry holds for every later one): the seeds say the fines are "trapsgewijs
    opgebouwd" but not by which amounts, so those come from the Besluit or the gemeente's
    beleidsregels; without one only the per-offence maximum applies.

    The checks, in order: culpability, Participatiewet, a positive amount, inside the termijn,
    the per-offence maximum (seed 004 section 3.2.6), the staffel for the offence's ``rang``,
    then the per-termijn cap on the SUM of fines (seed 004: "Het maximale boetebedrag dat een
    gemeente kan opleggen gedurende de inburgeringstermijn van drie jaar is € 2.400"; the sum
    may reach it exactly)."""
    if voorstel.reden in _INTAKEREDENEN:
        raise ValueError(f"{voorstel.reden.value} is an intake offence: use beoordeel_intakeboete")
    rang = opbouw_rang(voorgaande, voorstel.datum)
    gemeenschappelijk = _gemeenschappelijke_weigering(voorstel)
    if gemeenschappelijk is not None:
        return Besluit(gemeenschappelijk, rang, 0)
    # The PIP's agreements exist from the PIP date (seed 002 section 3.4.3: its date "is de
    # startdatum van de wettelijke inburgeringstermijn") to the termijn's end, after which DUO
    # enforces the result (seed 002 section 4.6).
    if not termijn_start <= voorstel.datum <= termijn_einde:
        return Besluit(Weigeringsreden.BUITEN_TERMIJN, rang, 0)

    resterend = max(
        0,
        MAX_BOETE_PER_TERMIJN_CENTEN - _boetes_in_termijn(voorgaande, termijn_start, termijn_einde),
    )
    per_overtreding = MAX_BOETE_PER_OVERTREDING_CENTEN
    voor_rang = per_overtreding
    if staffel:
        # A staffel never lifts an offence above the law's per-offence maximum.
        voor_rang = min(per_overtreding, staffel[min(rang, len(staffel)) - 1])
    maximum = min(voor_rang, resterend)

    if voorstel.bedrag_in_centen > per_overtreding:
        return Besluit(Weigeringsreden.BOVEN_MAXIMUM_PER_OVERTREDING, rang, maximum)
    if voorstel.bedrag_in_centen > voor_rang:
        return Besluit(Weigeringsreden.BOVEN_MAXIMUM_VOOR_OPBOUW, rang, maximum)
    if voorstel.bedrag_in_centen > resterend:
        return Besluit(Weigeringsreden.BOVEN_MAXIMUM_PER_TERMIJN, rang, maximum)
    return Besluit(None, rang, maximum)


@dataclass(frozen=True)
class ParticipatiewetSanctie:
    """A Participatiewet measure (uitkeringsverlaging) as the rule sees it."""

    participatiewet_maatregel_id: str
    gedraging: Maatregelreden
    besluitdatum: date


def participatiewet_sanctie(
    sancties: Iterable[ParticipatiewetSanctie], reden: Maatregelreden, datum: date
) -> str | None:
    """The Participatiewet measure that already sanctioned the conduct of a fine for ``reden``
    on ``datum``, or None.

    Seed 002 section 4.2: "een inburgeringsplichtige kan geen bestuurlijke boete krijgen in het
    kader van de Wet inburgering, wanneer zijn of haar uitkering al voor dezelfde gedrag is
    verlaagd". The seeds do not say how "dezelfde gedrag" is recognised; the measure records
    the conduct as the inburgering reason code (``ParticipatiewetMaatregel.gedraging``). Taken
    here: the same code, decided less than 12 months before the fine's date (12 months or more
    apart starts a new series in the opbouw, ``OPBOUW_HERSTART_NA``) or at any time after it (a
    benefit lowered later for this conduct still forbids the fine). In doubt the rule stops
    the fine: a withheld fine can be reconsidered, a double punishment cannot be undone."""
    for sanctie in sorted(sancties, key=lambda s: s.besluitdatum, reverse=True):
        if sanctie.gedraging is reden and sanctie.besluitdatum > datum - OPBOUW_HERSTART_NA:
            return sanctie.participatiewet_maatregel_id
    return None
