"""COA's rules for a statushouder, the koppeling and the klantprofiel: pure functions and values,
no I/O and no framework (``control.py`` applies them in a unit of work).

Where the rules come from:

- Seed 002_774eb578c0679392.txt (section 3.x, COA): "Zolang de inburgeringsplichtige in het AZC
  verblijft, kan de casemanager de gegevens in het klantprofiel wijzigen of aanvullen. Daarna
  niet meer." -> ``controleer_wijzigbaar``: frozen after vertrek from the AZC.
- Same section: "Er zijn drie momenten waarop het COA het klantprofiel aanbiedt aan de
  vestigingsgemeente via een notificatie: 1. bij koppeling aan de gemeente, 2. bij de warme
  overdracht naar de gemeente; 3. bij verhuizing naar en inschrijving in de gemeente vanuit het
  AZC." -> ``BIJ_KOPPELING``, ``BIJ_WARME_OVERDRACHT_GEHOUDEN``, ``BIJ_VESTIGING``.
- Same section: "het klantprofiel in TVS [is] geen gegarandeerde set [...] Het kan dus dat
  sommige velden leeg zijn, ook omdat het vullen van het klantprofiel stapsgewijs gaat totdat de
  inburgeringsplichtige het AZC verlaat." -> every change while in the AZC is a new version and a
  ``klantprofiel.gewijzigd`` event (seed 004 section 4.3.2: "Mogelijk kunnen gemeenten door COA
  via notificatieberichten op de hoogte worden gesteld wanneer er gegevens [...] zijn gewijzigd").
- The ``versie`` counts content versions: an offer (``klantprofiel.aangeboden``) offers the
  current version and raises none; ``warme-overdracht.gehouden`` records which one was offered.
- Seed 002 section 2.2: the transfer runs via "het klantprofiel en nareisprofiel in het
  Taakstelling Volgsysteem (TVS)" -> a change of the nareisprofiel is also offered on its own
  (``nareisprofiel.aangeboden``).
- Seed 004 section 4.3.2: "Nadat een statushouder aan een gemeente is gekoppeld, ontvangt de
  gemeente een bericht van het COA. Vanaf dat moment kan de betreffende gemeente een set van
  gegevens van de statushouder inzien" -> only the gemeente of the *current* koppeling reads;
  a re-link (``herkoppeling``) withdraws the old koppeling, so the old gemeente loses access.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from keten_contracts.common import Aanbiedmoment
from keten_contracts.events.catalogue import TYPE_PREFIX

__all__ = [
    "BIJ_KOPPELING",
    "BIJ_VESTIGING",
    "BIJ_WARME_OVERDRACHT_GEHOUDEN",
    "BIJ_WARME_OVERDRACHT_GEPLAND",
    "KLANTPROFIEL_AANGEBODEN",
    "KLANTPROFIEL_GEWIJZIGD",
    "KOPPELING_VASTGESTELD",
    "NAREISPROFIEL_AANGEBODEN",
    "VESTIGING_GEMELD",
    "WARME_OVERDRACHT_GEHOUDEN",
    "WARME_OVERDRACHT_GEPLAND",
    "Melding",
    "Regelovertreding",
    "controleer_herkoppeling",
    "controleer_vestiging",
    "controleer_warme_overdracht_houden",
    "controleer_warme_overdracht_plannen",
    "controleer_wijzigbaar",
    "meldingen_bij_wijziging",
]

KOPPELING_VASTGESTELD: Final = f"{TYPE_PREFIX}koppeling.vastgesteld.v1"
KLANTPROFIEL_AANGEBODEN: Final = f"{TYPE_PREFIX}klantprofiel.aangeboden.v1"
KLANTPROFIEL_GEWIJZIGD: Final = f"{TYPE_PREFIX}klantprofiel.gewijzigd.v1"
NAREISPROFIEL_AANGEBODEN: Final = f"{TYPE_PREFIX}nareisprofiel.aangeboden.v1"
WARME_OVERDRACHT_GEPLAND: Final = f"{TYPE_PREFIX}warme-overdracht.gepland.v1"
WARME_OVERDRACHT_GEHOUDEN: Final = f"{TYPE_PREFIX}warme-overdracht.gehouden.v1"
VESTIGING_GEMELD: Final = f"{TYPE_PREFIX}vestiging.gemeld.v1"


class Regelovertreding(Exception):
    """A control action that COA's rules do not allow in the person's current state (the
    control API answers 409). ``detail`` is safe to show: it names no personal data."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Melding:
    """One thin event to emit: its type and, for ``klantprofiel.aangeboden``, the moment."""

    type: str
    aanbiedmoment: Aanbiedmoment | None = None


def _aangeboden(moment: Aanbiedmoment) -> Melding:
    return Melding(KLANTPROFIEL_AANGEBODEN, moment)


# The three moments (seed 002, quoted in the module docstring), in the order they are emitted.
BIJ_KOPPELING: Final = (Melding(KOPPELING_VASTGESTELD), _aangeboden(Aanbiedmoment.KOPPELING))
BIJ_WARME_OVERDRACHT_GEPLAND: Final = (Melding(WARME_OVERDRACHT_GEPLAND),)
BIJ_WARME_OVERDRACHT_GEHOUDEN: Final = (
    Melding(WARME_OVERDRACHT_GEHOUDEN),
    _aangeboden(Aanbiedmoment.WARME_OVERDRACHT),
)
BIJ_VESTIGING: Final = (Melding(VESTIGING_GEMELD), _aangeboden(Aanbiedmoment.VESTIGING))


def controleer_wijzigbaar(*, vertrokken: bool) -> None:
    """The casemanager may change the klantprofiel only while the person is in the AZC."""
    if vertrokken:
        raise Regelovertreding(
            "The klantprofiel is frozen: the person has left the AZC (seed 002: 'Zolang de "
            "inburgeringsplichtige in het AZC verblijft, kan de casemanager de gegevens in het "
            "klantprofiel wijzigen of aanvullen. Daarna niet meer.')."
        )


def meldingen_bij_wijziging(
    *, gekoppeld: bool, gewijzigd: bool, nareisprofiel_gewijzigd: bool
) -> tuple[Melding, ...]:
    """The events of a change to the klantprofiel (after ``controleer_wijzigbaar``).

    Nothing when nothing changed (no new version either). Nothing before the koppeling: no
    gemeente may read the profile yet, and the koppeling moment offers it as it is then."""
    if not gewijzigd or not gekoppeld:
        return ()
    if nareisprofiel_gewijzigd:
        return (Melding(KLANTPROFIEL_GEWIJZIGD), Melding(NAREISPROFIEL_AANGEBODEN))
    return (Melding(KLANTPROFIEL_GEWIJZIGD),)


def controleer_herkoppeling(
    *, huidige_gemeentecode: str | None, nieuwe_gemeentecode: str, vertrokken: bool
) -> bool:
    """May the person be linked to ``nieuwe_gemeentecode`` now? True when an earlier koppeling
    must be withdrawn (a re-link: access moves to the new gemeente), False for the first one.

    Only while in the AZC: after vestiging the person lives in the gemeente, and a move from
    there is a verhuizing between gemeenten (DUO and the gemeenten), no longer COA's matter."""
    if vertrokken:
        raise Regelovertreding(
            "The person has left the AZC; a later move is a verhuizing, not a koppeling."
        )
    if huidige_gemeentecode == nieuwe_gemeentecode:
        raise Regelovertreding(f"The person is already linked to gemeente {nieuwe_gemeentecode}.")
    return huidige_gemeentecode is not None


def controleer_warme_overdracht_plannen(*, gekoppeld: bool, vertrokken: bool) -> None:
    """The warme overdracht is the meeting before vestiging with the linked gemeente (seed 004
    section 4.3.2: "Dit gesprek zal bij voorkeur plaatsvinden op het AZC")."""
    if not gekoppeld:
        raise Regelovertreding("The person is not linked to a gemeente yet.")
    if vertrokken:
        raise Regelovertreding("The person has left the AZC; the hand-over is over.")


def controleer_warme_overdracht_houden(
    *, al_gehouden: bool, bij_huidige_koppeling: bool, vertrokken: bool
) -> None:
    """A planned warme overdracht is held once, with the gemeente the person is linked to now,
    before the person leaves the AZC."""
    if al_gehouden:
        raise Regelovertreding("This warme overdracht has already been held.")
    if not bij_huidige_koppeling:
        raise Regelovertreding(
            "This warme overdracht belongs to a withdrawn koppeling (the person was re-linked)."
        )
    if vertrokken:
        raise Regelovertreding("The person has left the AZC; the hand-over is over.")


def controleer_vestiging(*, gekoppeld: bool, vertrokken: bool) -> None:
    """Vestiging: the person leaves the AZC for the linked gemeente, once."""
    if not gekoppeld:
        raise Regelovertreding("The person is not linked to a gemeente yet.")
    if vertrokken:
        raise Regelovertreding("The person has already left the AZC.")
