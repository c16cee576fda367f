"""The leerroute rules of the PIP: termijn start, switch, afschaling and intensiteit.

Pure functions of dates and values, no I/O, no framework. Every rule quotes its source in
``/work/shared/seeds`` (seed 001 is the VNG "Handreiking gemeentelijke gegevensverwerking",
seed 002 the "Handreiking gegevensuitwisseling gemeenten en ketenpartners", seed 003 a
gemeente's beleidsplan). A refusal is a ``Weigeringsreden`` (a Dutch reason code), so the API
can turn it into a problem+json answer without parsing text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from keten_contracts.common import Doelgroep, Leerroute, Taalniveau

__all__ = [
    "AFSCHALEN_NA_UREN",
    "INBURGERINGSTERMIJN",
    "WISSELEN_TOT",
    "Z_ROUTE_UREN",
    "Intensiteitseis",
    "LeerrouteBesluit",
    "Weigeringsreden",
    "beoordeel_afschaling",
    "beoordeel_intensiteit",
    "beoordeel_wissel",
    "mag_afschalen",
    "mag_wisselen",
    "termijn_einde",
    "termijn_start",
    "vereiste_intensiteit",
]

# Seed 002 section 3.4.3: "De datum waarop het PIP wordt vastgesteld (dagtekening beschikking)
# is de startdatum van de wettelijke inburgeringstermijn van drie jaar."
INBURGERINGSTERMIJN = relativedelta(years=3)

# Seed 002 section 3.4.4: "Inburgeringsplichtigen kunnen natuurlijk ook wijzigen van leerroute,
# dit kan tot maximaal 1,5 jaar na de start inburgeringstermijn (bij de onderwijsroute kan dit
# gedurende de hele termijn)." Seed 003 section 5.3.6: "in de eerste 1,5 jaar".
WISSELEN_TOT = relativedelta(years=1, months=6)

# Seed 002 section 3.4.4: "Indien dit niet haalbaar is kan worden afgeschaald van B1 naar A2 na
# 600 uur taalles"; section 4.4: "Afschalen [...] is mogelijk als er tenminste 600 uur aan
# taalles is gevolgd"; seed 003 section 5.3.6.2: "Dit is mogelijk na 600 uur taalonderwijs."
AFSCHALEN_NA_UREN = 600

# Seed 002 section 3.4.4: "Voor de Z route is dit standaard 800 uur"; seed 001 (taak 10): "De
# gemeente draagt zorg voor een aanbod 800 uur Taal en 800 uur Participatie."
Z_ROUTE_UREN = 800


class Weigeringsreden(StrEnum):
    """Why a PIP change or value is refused (codes for problem+json)."""

    GEEN_WISSEL = "geen-wissel"
    VOOR_START_TERMIJN = "voor-start-termijn"
    NA_WISSELTERMIJN = "na-wisseltermijn"
    NA_EINDE_TERMIJN = "na-einde-termijn"
    ALLEEN_B1_NAAR_A2 = "alleen-b1-naar-a2"
    TE_WEINIG_UREN = "te-weinig-uren"
    INTENSITEIT_VERPLICHT = "intensiteit-verplicht"
    INTENSITEIT_NIET_800 = "intensiteit-niet-800"
    GEEN_INTENSITEIT_VOOR_DOELGROEP = "geen-intensiteit-voor-doelgroep"
    VOOR_INWERKINGTREDING = "voor-inwerkingtreding"
    VOOR_VORIGE_VERSIE = "voor-vorige-versie"
    TE_VER_VOORUIT = "te-ver-vooruit"


@dataclass(frozen=True)
class LeerrouteBesluit:
    """The outcome of a leerroute rule: allowed, or refused with one reason."""

    weigeringsreden: Weigeringsreden | None = None

    @property
    def toegestaan(self) -> bool:
        return self.weigeringsreden is None


def termijn_start(pip_datum: date) -> date:
    """The start of the inburgeringstermijn: the PIP's date itself (seed 002 section 3.4.3,
    quoted at ``INBURGERINGSTERMIJN``). A PIP change leaves it as it is (seed 002 section 4.4:
    "De vastgestelde inburgeringstermijn wijzigt hierdoor niet"), so pass the FIRST PIP's
    date."""
    return pip_datum


def termijn_einde(pip_datum: date) -> date:
    """The initial end of the termijn: three years after the PIP date. DUO sets the real end
    and may extend it; prefer DUO's date when the dossier holds it."""
    return termijn_start(pip_datum) + INBURGERINGSTERMIJN


def beoordeel_wissel(
    van: Leerroute,
    naar: Leerroute,
    start: date,
    datum: date,
    einde: date | None = None,
) -> LeerrouteBesluit:
    """May the person switch from leerroute ``van`` to ``naar`` on ``datum``?

    ``start`` is the termijn's start (``termijn_start`` of the first PIP), ``einde`` its end
    (default: three years later; pass DUO's date after an extension). Up to and including the
    day 1.5 years after the start (seed 002 section 3.4.4, quoted at ``WISSELEN_TOT``); out of
    the onderwijsroute during the whole termijn. The exception is read as leaving the
    onderwijsroute: seed 002 section 3.4.7 names the switch it means, "Het wisselen van
    leerroute (van onderwijsroute naar B1-route)"; a late switch INTO it is refused."""
    if van is naar:
        return LeerrouteBesluit(Weigeringsreden.GEEN_WISSEL)
    if datum < start:
        return LeerrouteBesluit(Weigeringsreden.VOOR_START_TERMIJN)
    if datum > (einde if einde is not None else start + INBURGERINGSTERMIJN):
        return LeerrouteBesluit(Weigeringsreden.NA_EINDE_TERMIJN)
    if van is not Leerroute.ONDERWIJSROUTE and datum > start + WISSELEN_TOT:
        return LeerrouteBesluit(Weigeringsreden.NA_WISSELTERMIJN)
    return LeerrouteBesluit()


def mag_wisselen(
    van: Leerroute, naar: Leerroute, start: date, datum: date, einde: date | None = None
) -> bool:
    """``beoordeel_wissel`` as a yes/no."""
    return beoordeel_wissel(van, naar, start, datum, einde).toegestaan


def beoordeel_afschaling(van: Taalniveau, naar: Taalniveau, uren_gevolgd: int) -> LeerrouteBesluit:
    """May the target level be lowered from ``van`` to ``naar`` after ``uren_gevolgd`` hours
    of language lessons? Only B1 -> A2, and only after at least 600 hours (seed 002 section
    3.4.4, quoted at ``AFSCHALEN_NA_UREN``: "van B1 naar A2 na 600 uur taalles")."""
    if uren_gevolgd < 0:
        raise ValueError("hours followed are never negative")
    if (van, naar) != (Taalniveau.B1, Taalniveau.A2):
        return LeerrouteBesluit(Weigeringsreden.ALLEEN_B1_NAAR_A2)
    if uren_gevolgd < AFSCHALEN_NA_UREN:
        return LeerrouteBesluit(Weigeringsreden.TE_WEINIG_UREN)
    return LeerrouteBesluit()


def mag_afschalen(uren_gevolgd: int) -> bool:
    """Whether B1 -> A2 is allowed after ``uren_gevolgd`` hours of language lessons."""
    return beoordeel_afschaling(Taalniveau.B1, Taalniveau.A2, uren_gevolgd).toegestaan


class Intensiteitseis(StrEnum):
    """What the PIP must say about the leerroute's intensity (hours)."""

    VERBODEN = "verboden"  # not for this target group: no hours may be recorded
    NIET_VEREIST = "niet-vereist"  # onderwijsroute: need not be given
    VERPLICHT = "verplicht"  # B1: the gemeente sets the hours, no legal minimum or maximum
    VAST = "vast"  # Z-route: Z_ROUTE_UREN


def vereiste_intensiteit(leerroute: Leerroute, doelgroep: Doelgroep) -> Intensiteitseis:
    """The intensity the PIP needs for ``leerroute`` and ``doelgroep``.

    Seed 002 section 3.4.4: "artikel 15 in de nieuwe Wet inburgering bepaalt dat de gemeente
    vaststelt wat de intensiteit is van voor asielstatushouders – de leerroute. Dit is voor de
    B1 route verplicht. Voor de Z route is dit standaard 800 uur en bij de onderwijsroute hoeft
    dit niet worden doorgegeven." and "Er is dus wettelijk geen minimum of maximum aantal uren
    vastgelegd binnen de B1-route." Contracts rule 14, seed 001 (taak 7): "Intensiteit
    leerroute wordt alleen vastgelegd voor de doelgroep asielstatushouders (niet voor
    gezinsmigranten en overige migranten)." """
    if doelgroep is not Doelgroep.ASIELSTATUSHOUDER:
        return Intensiteitseis.VERBODEN
    return {
        Leerroute.B1: Intensiteitseis.VERPLICHT,
        Leerroute.Z_ROUTE: Intensiteitseis.VAST,
        Leerroute.ONDERWIJSROUTE: Intensiteitseis.NIET_VEREIST,
    }[leerroute]


def beoordeel_intensiteit(
    leerroute: Leerroute, doelgroep: Doelgroep, intensiteit_uren: int | None
) -> LeerrouteBesluit:
    """Whether a PIP's ``intensiteit_uren`` fits ``vereiste_intensiteit``. The onderwijsroute
    accepts a value as well as none: the seed says it "hoeft niet" be given, not that it may
    not."""
    eis = vereiste_intensiteit(leerroute, doelgroep)
    if eis is Intensiteitseis.VERBODEN and intensiteit_uren is not None:
        return LeerrouteBesluit(Weigeringsreden.GEEN_INTENSITEIT_VOOR_DOELGROEP)
    # "verplicht" asks for a real number of hours: zero hours plans no lessons at all.
    if eis is Intensiteitseis.VERPLICHT and not intensiteit_uren:
        return LeerrouteBesluit(Weigeringsreden.INTENSITEIT_VERPLICHT)
    if eis is Intensiteitseis.VAST and intensiteit_uren != Z_ROUTE_UREN:
        return LeerrouteBesluit(Weigeringsreden.INTENSITEIT_NIET_800)
    return LeerrouteBesluit()


# Seed 002 section 1: "De datum van de inwerkingtreding van de nieuwe wet is 1 januari 2022." No
# PIP under this law is dated before it.
INWERKINGTREDING = date(2022, 1, 1)
# A beschikking is dated when it is decided; a year ahead is a typing error, not a plan (and
# every deadline computed from it would run past the workday calendar).
MAX_VOORUIT = relativedelta(years=1)


def beoordeel_versiedatum(
    datum: date, vorige: date | None, vandaag: date
) -> Weigeringsreden | None:
    """A PIP version's date: not before the law, not before the version it changes (the
    history only moves forward), not more than a year ahead of today."""
    if datum < INWERKINGTREDING:
        return Weigeringsreden.VOOR_INWERKINGTREDING
    if vorige is not None and datum < vorige:
        return Weigeringsreden.VOOR_VORIGE_VERSIE
    if datum > vandaag + MAX_VOORUIT:
        return Weigeringsreden.TE_VER_VOORUIT
    return None
