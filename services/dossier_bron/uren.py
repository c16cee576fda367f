"""The hours an aanbieder reported, summed: pure functions, no I/O, no framework.

What counts is the hours the person actually followed: seed 002 section 3.4.4 (DUO "kijkt
[...] naar de daadwerkelijk gevolgde lesuren") and section 4.4 ("Afschalen naar een andere
leerroute is mogelijk als er tenminste 600 uur aan taalles is gevolgd"). So the language hours
are the ``urenAanwezig`` of the voortgang reports, period by period; the absence is summed
beside them, never into them (seed 002 section 3.4.7, B1-route: "Aantal uren geoorloofd en
ongeoorloofd verzuim naast aanwezige uren bij taalonderwijs").

A correction is a new report that names the one it corrects (``corrigeert``); the original is
kept, but only the last report of each correction chain counts ("corrected hours counted
once"). Periods of reports that count may not overlap: the same hours reported twice as two
reports would count twice, so a second report over an already reported period is refused and
the aanbieder corrects the first instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "Urenmelding",
    "Urentelling",
    "geldende",
    "overlappende",
    "per_opdracht",
    "tel",
]


@dataclass(frozen=True)
class Urenmelding:
    """The hours of one voortgang report over one period."""

    rapport_id: str
    opdracht_id: str
    periode_van: date
    periode_tot: date
    uren_aanwezig: int
    uren_afwezig_geoorloofd: int = 0
    uren_afwezig_ongeoorloofd: int = 0
    # The report this one corrects (and so supersedes), if any.
    corrigeert: str | None = None

    def __post_init__(self) -> None:
        if self.periode_tot < self.periode_van:
            raise ValueError("periode_tot lies before periode_van")
        if (
            min(self.uren_aanwezig, self.uren_afwezig_geoorloofd, self.uren_afwezig_ongeoorloofd)
            < 0
        ):
            raise ValueError("hours are never negative")


@dataclass(frozen=True)
class Urentelling:
    """A sum of hours and the reports it counted (what a decision rested on)."""

    aanwezig: int = 0
    afwezig_geoorloofd: int = 0
    afwezig_ongeoorloofd: int = 0
    rapporten: tuple[str, ...] = field(default=())

    def __add__(self, other: Urentelling) -> Urentelling:
        return Urentelling(
            self.aanwezig + other.aanwezig,
            self.afwezig_geoorloofd + other.afwezig_geoorloofd,
            self.afwezig_ongeoorloofd + other.afwezig_ongeoorloofd,
            self.rapporten + other.rapporten,
        )


def geldende(meldingen: Iterable[Urenmelding]) -> list[Urenmelding]:
    """The reports that count: every report no other report corrects (the end of each
    correction chain), in the given order."""
    alle = list(meldingen)
    gecorrigeerd = {m.corrigeert for m in alle if m.corrigeert is not None}
    return [m for m in alle if m.rapport_id not in gecorrigeerd]


def tel(meldingen: Iterable[Urenmelding], peildatum: date | None = None) -> Urentelling:
    """The hours of the reports that count (``geldende``), summed; with ``peildatum`` only
    the periods that ended by then (``Urenverantwoording.peildatum``: "Hours up to this
    date"; a period still running is not yet realised)."""
    totaal = Urentelling()
    for m in geldende(meldingen):
        if peildatum is not None and m.periode_tot > peildatum:
            continue
        totaal += Urentelling(
            m.uren_aanwezig,
            m.uren_afwezig_geoorloofd,
            m.uren_afwezig_ongeoorloofd,
            (m.rapport_id,),
        )
    return totaal


def per_opdracht(meldingen: Iterable[Urenmelding]) -> dict[str, Urentelling]:
    """``tel`` per opdracht (a correction stays on the opdracht of the report it corrects)."""
    groepen: dict[str, list[Urenmelding]] = {}
    for m in meldingen:
        groepen.setdefault(m.opdracht_id, []).append(m)
    return {opdracht: tel(groep) for opdracht, groep in groepen.items()}


def overlappende(
    van: date, tot: date, meldingen: Iterable[Urenmelding], *, behalve: str | None = None
) -> list[str]:
    """The reports that count whose period shares a day with ``van``..``tot`` (both
    inclusive), leaving out ``behalve`` (the report a correction replaces)."""
    return [
        m.rapport_id
        for m in geldende(meldingen)
        if m.rapport_id != behalve and m.periode_van <= tot and van <= m.periode_tot
    ]


def past_in_periode(van: date, tot: date, *uren: int) -> bool:
    """Whether each count of hours fits in the clock hours of ``van``..``tot`` (both inclusive):
    more is a typing error, and summed over a traject it breaks every total (the contract's
    ``Uren`` ends at 10,000; schemathesis summed past it)."""
    klokuren = ((tot - van).days + 1) * 24
    return all(u <= klokuren for u in uren)
