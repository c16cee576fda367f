"""Field classification: what kind of data a field holds, how long it is kept, who may read it.

Every field of every resource and event data model carries these tags in its pydantic
``json_schema_extra``, so they show in the rendered JSON Schema (``x-classificatie``,
``x-bewaartermijn``, ``x-lezers``, ``x-bsn``) and the policy reads them from the same place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from keten_contracts.parties import Rol

X_CLASSIFICATIE: Final = "x-classificatie"
X_BEWAARTERMIJN: Final = "x-bewaartermijn"
X_LEZERS: Final = "x-lezers"
X_BSN: Final = "x-bsn"


class Classificatie(StrEnum):
    """What a field says about a person (AVG terms)."""

    # Identifies a person directly: BSN, name, address, date of birth, phone, e-mail.
    IDENTIFICEREND = "identificerend"
    # Any other fact about an identifiable person: leerroute, results, dates of their journey.
    PERSOONSGEGEVEN = "persoonsgegeven"
    # Special category (art. 9 AVG), e.g. health or religion. The chain stores none: health
    # data is refused (domain.md section 6); religion only decides "geestelijk bedienaar" at
    # DUO and is never exchanged. Kept in the vocabulary so the policy can name and deny it.
    BIJZONDER = "bijzonder"
    # Says nothing about a person: codes, versions, organisation ids and the opaque resource
    # ids. Opaque ids are random and meaningless outside their source; resolving one needs an
    # authorised fetch where the source applies this policy (architecture.md principle 2).
    GEEN = "geen"

    @property
    def is_persoonsgegeven(self) -> bool:
        return self is not Classificatie.GEEN


class Bewaartermijn(StrEnum):
    """Retention class (art. 9.9 Besluit inburgering).

    Seed 001 (VNG Handreiking gegevensverwerking, "Bewaartermijnen nieuwe Wet inburgering"):
    "Volgens artikel 9.9 van het Besluit inburgering is de bewaartermijn voor de volgende
    gegevens 50 jaar: a BSN, b naamgegevens, c adresgegevens, d woonplaats, e geboortedatum,
    f gegevens die betrekking hebben op gehele of gedeeltelijke vrijstelling van de
    inburgeringsplicht, g gegevens die betrekking hebben op een ontheffing van de
    inburgeringsplicht, h de datum en de wijze waarop aan de inburgeringsplicht is voldaan."
    and "Alle andere gegevens worden 5 jaar na beëindiging inburgeringsplicht of na overlijden
    van de inburgeringsplichtige, verwijderd."

    Only a field that holds one of the items a-h carries ``VIJFTIG_JAAR``; a field that nests
    other data too (e.g. contact data with phone and e-mail) does not: its nested fields carry
    their own class.
    """

    # Only the items a-h of art. 9.9 (list above).
    VIJFTIG_JAAR = "50-jaar"
    # Everything else about the person. The value keeps its released spelling; the term runs
    # from the end of the inburgeringsplicht or the death of the person, whichever comes first.
    VIJF_JAAR_NA_EINDE_PLICHT = "5-jaar-na-einde-plicht"
    # Not personal data: art. 9.9 does not apply; the record it sits in decides.
    NVT = "n.v.t."

    @property
    def beschrijving(self) -> str:
        """What the class means, for the catalogue."""
        return _BEWAARTERMIJN_BESCHRIJVING[self]


_BEWAARTERMIJN_BESCHRIJVING: Final[dict[Bewaartermijn, str]] = {
    Bewaartermijn.VIJFTIG_JAAR: (
        "kept 50 years: only BSN, name, address, residence, date of birth, vrijstelling data, "
        "ontheffing data, and the date and way the inburgeringsplicht was met (art. 9.9 "
        "Besluit inburgering)"
    ),
    Bewaartermijn.VIJF_JAAR_NA_EINDE_PLICHT: (
        "deleted 5 years after the end of the inburgeringsplicht or the death of the person "
        "(art. 9.9 Besluit inburgering: everything else)"
    ),
    Bewaartermijn.NVT: "not personal data; the record it sits in decides",
}


def veld(
    description: str,
    classificatie: Classificatie,
    *,
    bewaartermijn: Bewaartermijn | None = None,
    lezers: Iterable[Rol] | None = None,
    bsn: bool = False,
    default: Any = ...,
    **kwargs: Any,
) -> Any:
    """A pydantic ``Field`` with its classification tags.

    ``lezers`` are the roles that may read the field of a resource (event data fields have
    none: who receives an event is decided per event type). ``bsn`` marks a BSN field, which the
    policy never shows to roles without a legal ground for it, whatever ``lezers`` says.
    """
    if classificatie is Classificatie.BIJZONDER:
        raise ValueError("special category data has no field in this chain (domain.md §6)")
    if bewaartermijn is None:
        bewaartermijn = (
            Bewaartermijn.NVT
            if classificatie is Classificatie.GEEN
            else Bewaartermijn.VIJF_JAAR_NA_EINDE_PLICHT
        )
    if classificatie is Classificatie.GEEN and bewaartermijn is not Bewaartermijn.NVT:
        raise ValueError("a field that is no personal data has no art. 9.9 retention class")
    extra: dict[str, Any] = {
        X_CLASSIFICATIE: classificatie.value,
        X_BEWAARTERMIJN: bewaartermijn.value,
    }
    if lezers is not None:
        extra[X_LEZERS] = sorted(r.value for r in set(lezers))
    if bsn:
        extra[X_BSN] = True
    return Field(default, description=description, json_schema_extra=extra, **kwargs)


@dataclass(frozen=True)
class FieldTags:
    classificatie: Classificatie
    bewaartermijn: Bewaartermijn
    lezers: frozenset[Rol] | None
    bsn: bool


def tags_of(info: FieldInfo) -> FieldTags:
    """The tags of one field; raises ``LookupError`` for an untagged field."""
    extra = info.json_schema_extra
    if not isinstance(extra, dict) or X_CLASSIFICATIE not in extra:
        raise LookupError("field has no classification")
    raw_lezers = extra.get(X_LEZERS)
    lezers = frozenset(Rol(str(r)) for r in raw_lezers) if isinstance(raw_lezers, list) else None
    return FieldTags(
        classificatie=Classificatie(str(extra[X_CLASSIFICATIE])),
        bewaartermijn=Bewaartermijn(str(extra[X_BEWAARTERMIJN])),
        lezers=lezers,
        bsn=bool(extra.get(X_BSN, False)),
    )


def field_tags(model: type[BaseModel]) -> dict[str, FieldTags]:
    """Tags of every field of ``model`` by Python field name."""
    return {name: tags_of(info) for name, info in model.model_fields.items()}


def nested_models(model: type[BaseModel]) -> list[type[BaseModel]]:
    """``model`` and every model used inside it, depth first, without repeats."""
    seen: list[type[BaseModel]] = []

    def visit(m: type[BaseModel]) -> None:
        if m in seen:
            return
        seen.append(m)
        for info in m.model_fields.values():
            for inner in _models_in(info.annotation):
                visit(inner)

    visit(model)
    return seen


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_models_in(arg))
    return found
