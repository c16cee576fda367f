"""DUO's rules: pure functions of dates and values, no I/O, no framework.

Where a rule comes from is quoted from the sources (``/work/shared/seeds``, seed 002 is the
"Handreiking gegevensuitwisseling gemeenten en ketenpartners nieuwe Wet inburgering"). Dates are
Dutch calendar dates; callers take "today" from ``keten_core.clock``. Workdays are counted by
``keten_core.termijnen`` (Algemene termijnenwet), never here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from keten_contracts.common import Doelgroep, Leerroute
from keten_contracts.resources.duo import (
    SIGNAALCODELIJST,
    Omvang,
    Ontheffingsomvang,
    Signaalcode,
    Termijnsoort,
)
from keten_core.termijnen import werkdagen_tussen

__all__ = [
    "AANBOD_UITERLIJK",
    "INBURGERINGSTERMIJN",
    "REGISTRATIE_WERKDAGEN",
    "GeenBsn",
    "TeLaatAanbod",
    "ambtshalve_verlenging",
    "beeindigt_plicht",
    "krijgt_aanbod",
    "meldt_vestiging",
    "nieuw_id",
    "signaalcode_te_laat",
    "te_laat_aanbod",
    "te_laat_geregistreerd",
    "termijn_einde",
    "termijnen_bij_pip",
    "vereist_bsn",
]

# Seed 002 section 3.4.3: "De datum waarop het PIP wordt vastgesteld (dagtekening beschikking)
# is de startdatum van de wettelijke inburgeringstermijn van drie jaar."
INBURGERINGSTERMIJN = relativedelta(years=3)

# Seed 002 section 3.4.4: "Na de Brede Intake en het opstellen van de PIP doet de gemeente
# binnen maximaal drie maanden een concreet inburgeringsaanbod aan de asielstatushouder."
AANBOD_UITERLIJK = relativedelta(months=3)

# Seed 002 section 4.4 (Aandachtspunt): gemeenten registreren gegevens voor DUO "zo snel
# mogelijk [...] ten hoogste tien werkdagen na optreden van de gebeurtenis".
REGISTRATIE_WERKDAGEN = 10


def nieuw_id(prefix: str) -> str:
    """An opaque id (``ibpg-3e5a70c1...``): random, so it says nothing about the person and
    never carries a BSN."""
    return f"{prefix}-{secrets.token_hex(8)}"


class GeenBsn(ValueError):
    """Seed 002 section 3.2: "DUO stelt de inburgeringsplicht pas vast als de inburgeraar over
    een BSN beschikt." """

    def __init__(self) -> None:
        super().__init__("DUO decides an inburgeringsplicht only for a person with a BSN")


def vereist_bsn(bsn: str | None) -> str:
    """The BSN a plicht is decided for; ``GeenBsn`` without one."""
    if not bsn:
        raise GeenBsn()
    return bsn


def termijn_einde(pip_datum: date) -> date:
    """The end of the inburgeringstermijn: the PIP date plus three years (seed 002 section
    3.4.3, quoted at ``INBURGERINGSTERMIJN``). 29 February plus three years is 28 February."""
    return pip_datum + INBURGERINGSTERMIJN


def termijnen_bij_pip(pip_datum: date, leerroute: Leerroute | None) -> dict[Termijnsoort, date]:
    """The termijnen DUO sets from a PIP: the plicht's, and the MAP and PVT deadlines.

    Seed 002 section 4.8: "Binnen deze termijn moet de inburgeringsplichtige de leerroute, de
    MAP en de PVT hebben afgerond", so the MAP and PVT deadlines are the termijn's end. Section
    3.4.4: "Wanneer de inburgeringsplichtige de Onderwijsroute volgt, is de MAP niet
    verplicht, de PVT wel": no MAP deadline in the onderwijsroute."""
    einde = termijn_einde(pip_datum)
    termijnen = {Termijnsoort.INBURGERINGSPLICHT: einde, Termijnsoort.PVT: einde}
    if leerroute is not Leerroute.ONDERWIJSROUTE:
        termijnen[Termijnsoort.MAP] = einde
    return termijnen


@dataclass(frozen=True)
class TeLaatAanbod:
    """An offer later than three months after the PIP: how late, and the extended end."""

    uiterste_aanboddatum: date
    vertraging_dagen: int
    nieuwe_einddatum: date


def te_laat_aanbod(pip_datum: date, aanbod_datum: date) -> bool:
    """Whether the inburgeringsaanbod came later than three months after the PIP (seed 002
    section 4.8: DUO "kan dit afleiden als de datum start inburgeringsaanbod langer is dan 3
    maanden na vaststelling pip"). On the day itself it is in time."""
    return aanbod_datum > pip_datum + AANBOD_UITERLIJK


def krijgt_aanbod(doelgroep: Doelgroep) -> bool:
    """Whether the gemeente owes the person an inburgeringsaanbod, and so whether the
    late-offer rule applies. Seed 002 section 3.4.3: "Onderdeel van het PIP van de
    asielstatushouder is een inburgeringsaanbod voor taal. Aan de gezinsmigrant doet de
    gemeente geen inburgeringsaanbod (wel MAP en PVT)." """
    return doelgroep is Doelgroep.ASIELSTATUSHOUDER


def ambtshalve_verlenging(pip_datum: date, aanbod_datum: date) -> TeLaatAanbod | None:
    """The ex-officio extension for a late offer, or None when the offer was in time.

    Seed 002 section 3.4.4: "Wanneer deze termijn van drie maanden wordt overschreden, is dat
    van invloed op de inburgeringstermijn. DUO zal in dit geval ambtshalve de termijn verlengen
    6 maanden voor het einde van de initiële inburgeringstermijn." The sources say WHEN DUO
    extends (six months before the end), not BY HOW MUCH; domain.md is silent too. The person
    lost the days the offer was late, so the termijn is extended by exactly that delay (the
    days after the three-month limit up to the offer). DUO decides it at once instead of six
    months before the end, so the gemeente sees the new end date as soon as the cause is known.
    """
    if not te_laat_aanbod(pip_datum, aanbod_datum):
        return None
    uiterste = pip_datum + AANBOD_UITERLIJK
    vertraging = aanbod_datum - uiterste
    return TeLaatAanbod(uiterste, vertraging.days, termijn_einde(pip_datum) + vertraging)


def te_laat_geregistreerd(gebeurtenis: date, geregistreerd: date) -> bool:
    """Whether chain data was registered later than ``REGISTRATIE_WERKDAGEN`` workdays after
    the event (seed 002 section 4.4, quoted there). Workdays per the Algemene termijnenwet
    (``keten_core.termijnen``): weekends and feestdagen such as 5 May or Hemelvaartsdag do not
    count."""
    return werkdagen_tussen(gebeurtenis, geregistreerd) > REGISTRATIE_WERKDAGEN


# The late registration of a resource raises the informatief signaal of the code list
# (version 2) for that resource: the data is there, it came late.
_TE_LAAT_CODES = {
    "pip": Signaalcode.PIP_TE_LAAT_GEREGISTREERD,
    "pip-wijziging": Signaalcode.PIP_TE_LAAT_GEREGISTREERD,
    "inburgeringsaanbod": Signaalcode.INBURGERINGSAANBOD_TE_LAAT_GEREGISTREERD,
    "map": Signaalcode.MAP_TE_LAAT_GEREGISTREERD,
    "pvt": Signaalcode.PVT_TE_LAAT_GEREGISTREERD,
}


def signaalcode_te_laat(soort: str) -> Signaalcode:
    """The signaal code for a late registration of ``soort`` (a key of ``_TE_LAAT_CODES``)."""
    code = _TE_LAAT_CODES[soort]
    assert code in SIGNAALCODELIJST
    return code


def beeindigt_plicht(omvang: Omvang | Ontheffingsomvang) -> bool:
    """Whether a vrijstelling or ontheffing ends the plicht: only a full one. Seed 002 section
    4.4: "Eventueel leidt de vrijstelling tot een volledige beëindiging van de
    inburgeringsplicht" and "volledige ontheffing kan leiden tot beëindiging van de
    inburgeringsplicht"; a partial one or adapted exam conditions leave it running."""
    return omvang.value == "geheel"


def meldt_vestiging(doelgroep: Doelgroep) -> bool:
    """Whether DUO notifies the gemeente of a BRP registration: for gezins- and overige
    migranten. Seed 002 section 3.3: "DUO controleert deze inschrijvingen in het GBA dagelijks
    en stuurt die gemeente dan gelijk een bericht." Asielstatushouders are announced by COA
    (section 3.2)."""
    return doelgroep is not Doelgroep.ASIELSTATUSHOUDER
