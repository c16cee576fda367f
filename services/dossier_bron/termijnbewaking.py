"""The deadline watch's rules, as pure functions of dates (no I/O; "today" comes from the
caller, who reads ``keten_core.clock``). ``bewaking`` applies them to the dossiers.

Three deadlines of the chain (domain primer section 8):

- **PIP within 10 weeks of the BRP registration.** Seed 004 (section 3.3, "Direct na
  vestiging in gemeente"): "Gemeente stelt binnen tien weken na inschrijving van de
  inburgeringsplichtige in de BRP een PIP op"; seed 003: "Het PIP moet uiterlijk tien weken na
  inschrijving in de gemeente door de inburgeraar zijn ondertekend."
- **Inburgeringsaanbod within 3 months of the PIP** (asielstatushouders: the gemeente buys
  their education). Seed 002 section 3.4.4: "Na de Brede Intake en het opstellen van de PIP
  doet de gemeente binnen maximaal drie maanden een concreet inburgeringsaanbod aan de
  asielstatushouder. Wanneer deze termijn van drie maanden wordt overschreden, [...] zal [DUO]
  ambtshalve de termijn verlengen".
- **Chain registration within 10 workdays.** Seed 002 section 4.4 (Aandachtspunt): gemeenten
  registreren gegevens voor DUO "zo snel mogelijk [...], ten hoogste tien werkdagen na
  optreden van de gebeurtenis die geregistreerd moet worden. Dit betekent dus dat na het
  opmaken van de PIP-beschikking [...] gegevens worden ingevoerd in het portaal van DUO." In
  this chain registering a PIP version at dossier-bron is what tells DUO (``pip.*`` events,
  DUO fetches it), so a version registered more than 10 workdays after its date reached DUO
  late. (MAP and PVT completion fall under the same rule; their registration is not watched
  here.)

Calendar terms (weeks, months) that end on a weekend or feestdag run to the next workday (art.
1 lid 1 Algemene termijnenwet, ``verleng_tot_werkdag``); the workday term counts workdays.
A deadline is overdue when what it asks happened after its last day, or has not happened and
today is past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from dateutil.relativedelta import relativedelta

from keten_contracts.common import Doelgroep
from keten_contracts.resources.gemeente import BewaakteTermijn
from keten_core.termijnen import plus_werkdagen, verleng_tot_werkdag

__all__ = [
    "AANBOD_BINNEN",
    "PIP_BINNEN",
    "REGISTRATIE_WERKDAGEN",
    "Overschrijding",
    "aanbod_overschreden",
    "pip_overschreden",
    "registratie_overschreden",
    "te_laat",
]

PIP_BINNEN: Final = timedelta(weeks=10)
AANBOD_BINNEN: Final = relativedelta(months=3)
REGISTRATIE_WERKDAGEN: Final = 10


@dataclass(frozen=True)
class Overschrijding:
    """One overdue deadline: which, from which date, its last day on time."""

    termijn: BewaakteTermijn
    referentiedatum: date
    uiterste_datum: date


def te_laat(uiterste_datum: date, gedaan_op: date | None, vandaag: date) -> bool:
    """Done after the last day, or not done and the last day has passed."""
    if gedaan_op is not None:
        return gedaan_op > uiterste_datum
    return vandaag > uiterste_datum


def pip_overschreden(
    brp_inschrijving: date | None, pip_datum: date | None, vandaag: date
) -> Overschrijding | None:
    """The PIP (its first version's date) against 10 weeks after the BRP registration."""
    if brp_inschrijving is None:
        return None  # not settled yet: no term runs
    uiterste = verleng_tot_werkdag(brp_inschrijving + PIP_BINNEN)
    if not te_laat(uiterste, pip_datum, vandaag):
        return None
    return Overschrijding(BewaakteTermijn.PIP_NA_BRP_INSCHRIJVING, brp_inschrijving, uiterste)


def aanbod_overschreden(
    doelgroep: Doelgroep | None,
    pip_datum: date | None,
    aanbod_datum: date | None,
    vandaag: date,
) -> Overschrijding | None:
    """The inburgeringsaanbod against 3 months after the (first) PIP: asielstatushouders only
    (a gezins- or overige migrant gets no offer from the gemeente)."""
    if doelgroep is not Doelgroep.ASIELSTATUSHOUDER or pip_datum is None:
        return None
    uiterste = verleng_tot_werkdag(pip_datum + AANBOD_BINNEN)
    if not te_laat(uiterste, aanbod_datum, vandaag):
        return None
    return Overschrijding(BewaakteTermijn.INBURGERINGSAANBOD_NA_PIP, pip_datum, uiterste)


def registratie_overschreden(gebeurtenis: date, geregistreerd_op: date) -> Overschrijding | None:
    """A PIP version registered more than 10 workdays after its date."""
    uiterste = plus_werkdagen(gebeurtenis, REGISTRATIE_WERKDAGEN)
    if not te_laat(uiterste, geregistreerd_op, geregistreerd_op):
        return None
    return Overschrijding(BewaakteTermijn.PIP_REGISTRATIE, gebeurtenis, uiterste)
