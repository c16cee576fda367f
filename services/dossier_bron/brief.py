"""The invitation letter for the brede intake, as a PDF (reportlab's platypus, as
``coa_adapter.pdf``).

Issue 10: "no BSN in an invitation or any letter it renders". The letter is built from named
arguments only (name, address, date, number of the invitation); there is no parameter through
which a BSN could reach it, and the letter says which dossier by nothing but its opaque id.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from .handhaving import MAX_UITNODIGINGEN

__all__ = ["render_uitnodiging"]


def render_uitnodiging(
    *,
    voornamen: str,
    geslachtsnaam: str,
    adres: dict[str, Any],
    datum: date,
    volgnummer: int,
    kenmerk: str,
) -> bytes:
    """The PDF of invitation ``volgnummer`` (1..3) for the brede intake on ``datum``."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        title="Uitnodiging brede intake",
        author="dossier-bron",
    )
    straat = f"{adres.get('straat', '')} {adres.get('huisnummer', '')}".strip()
    plaats = f"{adres.get('postcode', '')} {adres.get('woonplaats', '')}".strip()
    regels = [
        f"{voornamen} {geslachtsnaam}",
        straat,
        plaats,
    ]
    tekst = (
        f"U bent uitgenodigd voor de brede intake op {datum.isoformat()}. "
        f"Dit is uitnodiging {volgnummer} van {MAX_UITNODIGINGEN}."
    )
    if volgnummer == MAX_UITNODIGINGEN:
        # Seed 001 taak 3: after 3 invitations the intake is completed without the person.
        tekst += (
            " Komt u niet, dan rondt de gemeente de brede intake af zonder u en stelt zij uw "
            "PIP zonder u vast."
        )
    story: list[Any] = [Paragraph("Uitnodiging brede intake", styles["Title"])]
    story += [Paragraph(escape(r), styles["Normal"]) for r in regels if r]
    story += [
        Spacer(1, 8 * mm),
        Paragraph(escape(f"Kenmerk: {kenmerk}"), styles["Normal"]),
        Spacer(1, 4 * mm),
        Paragraph(escape(tekst), styles["Normal"]),
    ]
    document.build(story)
    return buffer.getvalue()
