"""Build, check and describe one SWI delivery file: canonical XML valid against the layout's XSD.

lxml, because it does both things the delivery needs in one well-kept library: validation
against an XSD 1.0 schema and canonical XML (C14N 2.0), on top of libxml2.

Determinism: the file is a function of the header and the records only. Records are sorted by
BSN, then dossier id (``SwiRecord.sorteersleutel``); lists inside a record are sorted by the
models; the XML is C14N 2.0 without whitespace between elements; no wall-clock time goes in
(the build time is in the manifest). The same snapshot always gives the same bytes, so a
checksum identifies a delivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final

from lxml import etree
from pydantic import BaseModel

from keten_contracts.swi.records import (
    LAYOUT_VERSION,
    Sectieaantallen,
    SwiHeader,
    SwiManifest,
    SwiRecord,
)

NAMESPACE: Final = f"urn:nl:inburgering:swi:{LAYOUT_VERSION}"
XSD_BESTAND: Final = f"swi-{LAYOUT_VERSION}.xsd"
ROOT: Final = "levering"

# A list field is written as repeated elements with a singular name (no wrapper element).
_ITEM_NAMEN: Final = {
    "wijzigingen": "wijziging",
    "cursussen": "cursus",
    "voortgangsgesprekken": "voortgangsgesprek",
    "waarschuwingen": "waarschuwing",
    "boetes": "boete",
}


def xsd_path() -> Path:
    """Where the layout's XSD is (shipped in the package: package-data ``swi/*.xsd``)."""
    return Path(str(resources.files("keten_contracts.swi").joinpath(XSD_BESTAND)))


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(xsd_path()), _parser()))


def _parser() -> etree.XMLParser:
    # A delivery is data: no DTDs, no entities, no network.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False
    )


def bestandsnaam(header: SwiHeader) -> str:
    """File name of a delivery, e.g. ``swi-1.0_0363_2026-Q3_v1.xml``."""
    return (
        f"swi-{header.layout_versie}_{header.gemeentecode}_{header.kwartaal}"
        f"_v{header.levering_versie}.xml"
    )


def _tekst(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _append(parent: etree._Element, name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _append(parent, _ITEM_NAMEN[name], item)
        return
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    if isinstance(value, BaseModel):
        _append_model(element, value)
    else:
        element.text = _tekst(value)


def _append_model(element: etree._Element, model: BaseModel) -> None:
    # Field order of the model is the xs:sequence order of the XSD.
    for name, info in type(model).model_fields.items():
        _append(element, info.alias or name, getattr(model, name))


def check_records(header: SwiHeader, records: Sequence[SwiRecord]) -> None:
    """The rules XSD 1.0 cannot state: one record per BSN, no date after the peildatum (the
    file is built from the quarter's snapshot frozen at cut-off). Raises ``ValueError``."""
    seen: set[str] = set()
    for record in records:
        if record.persoon.bsn in seen:
            raise ValueError("one record per inburgeringsplichtige per quarter: a BSN repeats")
        seen.add(record.persoon.bsn)
        if any(d > header.peildatum for d in record.datums()):
            raise ValueError(
                f"record {record.dossier_id} holds a date after {header.peildatum} "
                f"(not the snapshot of {header.kwartaal})"
            )


def render_levering(header: SwiHeader, records: Iterable[SwiRecord]) -> bytes:
    """The delivery file: canonical XML (C14N 2.0, UTF-8) of the header and the records,
    sorted by BSN then dossier id. Raises ``ValueError`` for records that break the layout."""
    ordered = sorted(records, key=SwiRecord.sorteersleutel)
    check_records(header, ordered)
    root = etree.Element(f"{{{NAMESPACE}}}{ROOT}", nsmap={"swi": NAMESPACE})
    _append(root, "header", header)
    for record in ordered:
        _append(root, "record", record)
    xml = etree.tostring(root, method="c14n2", with_comments=False)
    errors = validate_levering(xml)
    if errors:  # the models and the XSD disagree: a bug in the layout, never send it
        raise ValueError("the delivery does not match its XSD: " + "; ".join(errors))
    return xml


def validate_levering(xml: bytes) -> list[str]:
    """Errors of ``xml`` against the layout's XSD (empty: valid)."""
    try:
        document = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = _schema()
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def sectieaantallen(records: Iterable[SwiRecord]) -> Sectieaantallen:
    """Counts per section of a delivery."""
    recs = list(records)
    begeleidingen = [r.begeleiding for r in recs if r.begeleiding is not None]
    handhavingen = [r.handhaving for r in recs if r.handhaving is not None]
    return Sectieaantallen(
        records=len(recs),
        brede_intake=sum(r.brede_intake is not None for r in recs),
        lbt=sum(r.lbt is not None for r in recs),
        pip=sum(r.pip is not None for r in recs),
        pip_wijzigingen=sum(len(r.pip.wijzigingen) for r in recs if r.pip is not None),
        cursussen=sum(len(r.cursussen) for r in recs),
        map=sum(r.map is not None for r in recs),
        pvt=sum(r.pvt is not None for r in recs),
        maatschappelijke_begeleiding=sum(
            b.maatschappelijke_begeleiding is not None for b in begeleidingen
        ),
        financieel_ontzorgen=sum(b.financieel_ontzorgen is not None for b in begeleidingen),
        stimuleren_financiele_zelfredzaamheid=sum(
            b.stimuleren_financiele_zelfredzaamheid is not None for b in begeleidingen
        ),
        voortgangsgesprekken=sum(len(b.voortgangsgesprekken) for b in begeleidingen),
        waarschuwingen=sum(len(h.waarschuwingen) for h in handhavingen),
        boetes=sum(len(h.boetes) for h in handhavingen),
    )


def build_manifest(
    header: SwiHeader, records: Iterable[SwiRecord], xml: bytes, *, aangemaakt_op: datetime
) -> SwiManifest:
    """The manifest of a delivery file: counts, checksum of ``xml`` and the build time (given
    by the caller: the contracts read no clock)."""
    return SwiManifest(
        gemeentecode=header.gemeentecode,
        kwartaal=header.kwartaal,
        levering_versie=header.levering_versie,
        layout_versie=header.layout_versie,
        bestandsnaam=bestandsnaam(header),
        aantallen=sectieaantallen(records),
        sha256=hashlib.sha256(xml).hexdigest(),
        aangemaakt_op=aangemaakt_op,
    )
