"""The klantprofiel as a PDF, as TVS offers it (seed 002 section 3.x: "Het klantprofiel is als
PDF te downloaden [...]. Onderaan het klantprofiel staan de naam en contactgegevens van de
casemanager die te benaderen is voor overdracht of toelichting.").

``render_klantprofiel`` renders a *view*: what ``BronLezing.lever`` returned for the caller,
never the stored profile, so the PDF holds exactly the fields the caller may read (a field the
view leaves empty is not printed). reportlab's platypus lays out the document.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, Final
from xml.sax.saxutils import escape

from pydantic import BaseModel
from pydantic.alias_generators import to_snake
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

__all__ = ["render_klantprofiel"]

# Printed at the bottom, as in TVS.
CASEMANAGER_VELD: Final = "coaContactpersoon"
LEEG: Final = "-"


def _label(wire_name: str) -> str:
    """``gevolgdeOpleidingen`` -> ``Gevolgde opleidingen``."""
    return to_snake(wire_name).replace("_", " ").capitalize()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, Mapping):
        return "; ".join(f"{_label(k)}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(_text(item) for item in value) if value else LEEG
    return str(value)


def _rows(values: Mapping[str, Any], style: Any) -> list[list[Flowable]]:
    return [
        [Paragraph(_escape(_label(name)), style), Paragraph(_escape(_text(value)), style)]
        for name, value in values.items()
    ]


def _escape(text: str) -> str:
    # Paragraph reads a small XML markup: the profile's text is data, not markup.
    return escape(text).replace("\n", "<br/>")


def _table(rows: list[list[Flowable]]) -> Table:
    table = Table(rows, colWidths=[55 * mm, 115 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
            ]
        )
    )
    return table


def render_klantprofiel(view: BaseModel) -> bytes:
    """The PDF of a klantprofiel view (the caller's projection)."""
    # The same JSON the caller would get from the API: wire names, no empty fields.
    values: dict[str, Any] = view.model_dump(mode="json", by_alias=True, exclude_none=True)
    casemanager = values.pop(CASEMANAGER_VELD, None)
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    # The document's metadata names the resource, never the person.
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Klantprofiel {values.get('klantprofielId', '')}".strip(),
        author="COA (coa-adapter)",
        subject="Klantprofiel",
    )
    story: list[Flowable] = [
        Paragraph("Klantprofiel", styles["Title"]),
        _table(_rows(values, styles["BodyText"])),
    ]
    if casemanager is not None:
        story += [
            Spacer(1, 8 * mm),
            Paragraph("Casemanager COA (voor overdracht of toelichting)", styles["Heading2"]),
            _table(_rows(casemanager, styles["BodyText"])),
        ]
    document.build(story)
    return buffer.getvalue()
