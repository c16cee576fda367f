"""dossier-bron's rules for opening a dossier, as pure functions of plain values (no I/O).

- **Which gemeenten this source serves** (``Gemeenten``): one dossier-bron may serve several
  gemeenten (a shared-service centre); each dossier belongs to one of them, whose OIN will be
  the ``source`` of its events. An event for a gemeente it does not serve is not its business.
- **Facts with their source** (``Feit``, ``Herkomst``): what the gemeente registers from
  COA's koppeling and klantprofiel and from DUO's inburgeringsplicht, each value with the
  system, resource and moment it came from. Domain primer section 6: "history must show on
  which data a decision was based".
- **Which source wins** (``neemt_over``): a later fact of the same field replaces an earlier
  one; the koppeling and plicht ids are what they are.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from keten_contracts.common import Doelgroep
from keten_contracts.parties import is_gemeentecode

__all__ = [
    "BRONSYSTEEM_COA",
    "BRONSYSTEEM_DUO",
    "Feit",
    "Gemeenten",
    "Herkomst",
    "feiten_uit_klantprofiel",
    "feiten_uit_koppeling",
    "feiten_uit_plicht",
    "gewijzigd",
    "nieuw_id",
    "waarde_json",
]

BRONSYSTEEM_COA: Final = "coa-adapter"
BRONSYSTEEM_DUO: Final = "duo-adapter"


def nieuw_id(prefix: str = "dos") -> str:
    """An opaque id (never derived from the BSN or anything else about the person)."""
    return f"{prefix}-{secrets.token_hex(8)}"


class Gemeenten:
    """The gemeenten this dossier-bron serves: gemeentecode -> the gemeente's OIN
    (``KETEN_GEMEENTEN='{"0363": "00000001002564440000"}'``)."""

    def __init__(self, oins: Mapping[str, str]) -> None:
        for code, oin in oins.items():
            if not is_gemeentecode(code):
                raise ValueError(f"{code!r} is not a CBS gemeentecode")
            if not (len(oin) == 20 and oin.isdigit()):
                raise ValueError(f"the OIN of gemeente {code} is not 20 digits")
        self._oins = dict(oins)

    @classmethod
    def uit_json(cls, text: str | None) -> Gemeenten:
        return cls(json.loads(text) if text else {})

    def bedient(self, gemeentecode: str | None) -> bool:
        """Only a gemeente this source serves gets a dossier here: another gemeente's person
        is none of its business (the wall between gemeenten starts at the inbox)."""
        return gemeentecode is not None and gemeentecode in self._oins

    def oin(self, gemeentecode: str) -> str:
        return self._oins[gemeentecode]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self._oins)


@dataclass(frozen=True)
class Herkomst:
    """Where a fact came from: the source system, the resource and its id there (and its
    version, for a klantprofiel), and the moment the source registered it (the event's
    ``time``: when the source committed the change, not when dossier-bron read it)."""

    systeem: str
    resource: str
    resource_id: str
    moment: datetime
    versie: int | None = None


@dataclass(frozen=True)
class Feit:
    """One field's value (JSON-ready) with its herkomst."""

    veld: str
    waarde: Any
    herkomst: Herkomst


def waarde_json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _feiten(values: Mapping[str, Any], herkomst: Herkomst) -> list[Feit]:
    # An empty field at the source is no fact: the klantprofiel "is filled gradually (fields
    # may be empty)", and an empty field must not erase what another source already said.
    return [Feit(veld, waarde_json(v), herkomst) for veld, v in values.items() if v is not None]


def feiten_uit_koppeling(koppeling: Any, herkomst: Herkomst) -> list[Feit]:
    """What the gemeente keeps of COA's koppeling (the gemeente's view of it)."""
    return _feiten(
        {
            "koppelingId": koppeling.koppeling_id,
            "klantprofielId": koppeling.klantprofiel_id,
            "vestigingsdatum": koppeling.vestigingsdatum,
        },
        herkomst,
    )


def feiten_uit_klantprofiel(profiel: Any, herkomst: Herkomst) -> list[Feit]:
    """The person's naw and contact data from the klantprofiel. Seed 004 (bijlage B, "Te
    ontvangen van COA"): "Persoons-/contactgegevens (naw, BSN, telefoonnummer, mailadres)".
    The rest of the profile stays at COA and is read there when the intake needs it (data stays
    at the source)."""
    return _feiten(
        {
            "bsn": profiel.bsn,
            "voornamen": profiel.voornamen,
            "geslachtsnaam": profiel.geslachtsnaam,
            "geboortedatum": profiel.geboortedatum,
            "adres": profiel.adres,
            "telefoon": profiel.telefoonnummer,
            "email": profiel.mailadres,
        },
        herkomst,
    )


def feiten_uit_plicht(plicht: Any, herkomst: Herkomst) -> list[Feit]:
    """DUO's plicht: its id, the BSN DUO decided it for, the doelgroep and the right to
    maatschappelijke begeleiding. Domain primer section 3: "plicht vastgesteld, doelgroep,
    recht op maatschappelijke begeleiding"."""
    return _feiten(
        {
            "inburgeringsplichtId": plicht.inburgeringsplicht_id,
            "bsn": plicht.bsn,
            "doelgroep": Doelgroep(plicht.doelgroep),
            "rechtMaatschappelijkeBegeleiding": plicht.recht_maatschappelijke_begeleiding,
        },
        herkomst,
    )


def gewijzigd(huidig: Any, feit: Feit) -> bool:
    """Whether ``feit`` says something new about its field: a repeated offer of the same value
    (the klantprofiel offered again at warme overdracht) adds no history row."""
    return huidig != feit.waarde
