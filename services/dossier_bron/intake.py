"""The brede intake's rules: invitations, attendance and completion. Pure functions of plain
values, no I/O. The counts come from ``handhaving`` (``MAX_UITNODIGINGEN``,
``intake_zonder_medewerking``): this module only applies them to an intake's invitations.

Seed 001 (taak 3, "Oproepen inburgeringsplichtige voor brede intake"): "Als de
inburgeringsplichtige na 3 oproepen niet verschijnt of onvoldoende meewerkt, voltooit gemeente
de brede intake in afwezigheid van de inburgeringsplichtige." Seed 002 section 3.4.2: "Indien
de inburgeringsplichtige driemaal niet verschijnt op de afspraak voor de Brede Intake [...],
wordt de PIP eenzijdig vastgesteld en gaat de gemeente over tot handhaving."
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from .handhaving import MAX_UITNODIGINGEN, intake_zonder_medewerking

__all__ = [
    "IntakeWeigering",
    "beoordeel_afronding",
    "beoordeel_uitnodiging",
    "gemist",
    "verschenen",
]


class IntakeWeigering(StrEnum):
    """Why an intake step is refused (codes for problem+json)."""

    MAX_UITNODIGINGEN = "max-uitnodigingen"
    AL_AFGEROND = "intake-al-afgerond"
    AL_VERSCHENEN = "al-verschenen"
    ONBEKENDE_UITNODIGING = "onbekende-uitnodiging"
    NIET_VERSCHENEN = "niet-verschenen"
    TE_WEINIG_GEMIST = "te-weinig-uitnodigingen-gemist"


Uitnodigingen = Sequence[Mapping[str, Any]]


def gemist(uitnodigingen: Uitnodigingen) -> int:
    """Invitations the person is recorded NOT to have come to (unknown is not missed)."""
    return sum(1 for u in uitnodigingen if u.get("verschenen") is False)


def verschenen(uitnodigingen: Uitnodigingen) -> bool:
    return any(u.get("verschenen") is True for u in uitnodigingen)


def beoordeel_uitnodiging(uitnodigingen: Uitnodigingen, afgerond: bool) -> IntakeWeigering | None:
    """May the gemeente send another invitation? Not after the third (seed 001 taak 3: after
    3 invitations the intake is completed without the person), not once the person came, not
    after completion."""
    if afgerond:
        return IntakeWeigering.AL_AFGEROND
    if verschenen(uitnodigingen):
        return IntakeWeigering.AL_VERSCHENEN
    if len(uitnodigingen) >= MAX_UITNODIGINGEN:
        return IntakeWeigering.MAX_UITNODIGINGEN
    return None


def beoordeel_afronding(
    uitnodigingen: Uitnodigingen, afgerond: bool, zonder_medewerking: bool
) -> IntakeWeigering | None:
    """May the intake be completed? With the person: they came to an invitation. Without
    them: only after 3 missed invitations (``handhaving.intake_zonder_medewerking``)."""
    if afgerond:
        return IntakeWeigering.AL_AFGEROND
    if zonder_medewerking:
        if not intake_zonder_medewerking(gemist(uitnodigingen)):
            return IntakeWeigering.TE_WEINIG_GEMIST
        return None
    if not verschenen(uitnodigingen):
        return IntakeWeigering.NIET_VERSCHENEN
    return None
