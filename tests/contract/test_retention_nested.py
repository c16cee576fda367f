"""Contracts 0.2, "Tests that can fail": retention classes checked where the data sits, through
nested models (sub-models, lists of sub-models, Optional, unions), by path from each resource.

Art. 9.9 Besluit inburgering as ``classification.Bewaartermijn`` quotes seed 001: "a BSN, b
naamgegevens, c adresgegevens, d woonplaats, e geboortedatum, f gegevens die betrekking hebben
op gehele of gedeeltelijke vrijstelling van de inburgeringsplicht, g gegevens die betrekking
hebben op een ontheffing van de inburgeringsplicht, h de datum en de wijze waarop aan de
inburgeringsplicht is voldaan" are kept 50 years; "Alle andere gegevens worden 5 jaar na
beëindiging inburgeringsplicht [...] verwijderd".

``test_classification.py`` matches (model, field name) pairs; here every node is reached by
its path from a root (``opdracht.contactgegevens.adres.woonplaats``), a BSN is found by its type
(``common.Bsn``) wherever it is nested, and a node kept 50 years may nest nothing kept shorter.
"""

from __future__ import annotations

import importlib
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo

from keten_contracts.classification import Bewaartermijn, Classificatie, tags_of, veld
from keten_contracts.common import Bsn, ContractModel
from keten_contracts.events import all_event_types
from keten_contracts.grondslagen import annotation_metadata
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources import all_resources

JAAR50 = Bewaartermijn.VIJFTIG_JAAR
ADRESSEN = ("klantprofiel.adres", "dossier.adres", "opdracht.contactgegevens.adres")

# Each item of art. 9.9 (as classification.Bewaartermijn lists it) -> the paths that hold it.
# Item a is found by type instead (every node typed ``Bsn``, see ``_is_bsn``), so a BSN nested
# anywhere is held to it without being listed. Whose data it is matters: a family member's year
# of birth (klantprofiel.gezinssamenstelling.geboortejaar) or a COA staff member's name
# (*.coaContactpersoon.naam) is no item: art. 9.9 is about the inburgeringsplichtige.
ART_9_9: dict[str, frozenset[str]] = {
    "a BSN": frozenset(),
    "b naamgegevens": frozenset(
        {
            "klantprofiel.voornamen",
            "klantprofiel.geslachtsnaam",
            "dossier.voornamen",
            "dossier.geslachtsnaam",
            "opdracht.contactgegevens.voornamen",
            "opdracht.contactgegevens.geslachtsnaam",
        }
    ),
    # An address as a whole is the item, and so is each part but the residence (item d).
    "c adresgegevens": frozenset(
        {*ADRESSEN, *(f"{a}.{d}" for a in ADRESSEN for d in ("straat", "huisnummer", "postcode"))}
    ),
    "d woonplaats": frozenset(f"{a}.woonplaats" for a in ADRESSEN),
    "e geboortedatum": frozenset({"klantprofiel.geboortedatum", "dossier.geboortedatum"}),
    "f gegevens die betrekking hebben op gehele of gedeeltelijke vrijstelling van de "
    "inburgeringsplicht": frozenset(
        {"vrijstelling.omvang", "vrijstelling.onderdelen", "vrijstelling.besluitdatum"}
    ),
    "g gegevens die betrekking hebben op een ontheffing van de inburgeringsplicht": frozenset(
        {"ontheffing.omvang", "ontheffing.onderdelen", "ontheffing.besluitdatum"}
    ),
    "h de datum en de wijze waarop aan de inburgeringsplicht is voldaan": frozenset(
        {
            "inburgeringsplicht.datum_voldaan",
            "inburgeringsplicht.wijze_voldaan",
            "diploma.soort",
            "diploma.datum",
        }
    ),
}
ITEM_PATHS = frozenset().union(*ART_9_9.values())


@dataclass(frozen=True)
class Knoop:
    """One field, reached by its path from a root model."""

    pad: str
    info: FieldInfo

    @property
    def bewaartermijn(self) -> Bewaartermijn:
        return tags_of(self.info).bewaartermijn


def _models_in(annotation: object) -> Iterator[type[BaseModel]]:
    """Models used in an annotation: through Optional, unions, lists, dicts and Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def knopen(pad: str, model: type[BaseModel], stack: tuple[type, ...] = ()) -> Iterator[Knoop]:
    """Every field of ``model`` and of the models nested in it, depth first, by path."""
    for name, info in model.model_fields.items():
        here = f"{pad}.{name}"
        yield Knoop(here, info)
        for inner in _models_in(info.annotation):
            if inner not in stack:  # a model that nests itself is walked once per branch
                yield from knopen(here, inner, (*stack, model))


# The validator that makes a string a BSN (elfproef): found by type, never by field name.
_BSN_VALIDATOR = next(m for m in typing.get_args(Bsn)[1:] if isinstance(m, AfterValidator))


def _is_bsn(info: FieldInfo) -> bool:
    return any(m == _BSN_VALIDATOR for m in annotation_metadata(info))


def overtredingen(root: str, model: type[BaseModel], items: frozenset[str]) -> list[str]:
    """What breaks art. 9.9 under ``model`` read as ``root``: an item (listed in ``items`` or
    typed ``Bsn``) not kept 50 years, anything else kept 50 years, and a node kept 50 years
    that nests personal data kept shorter."""
    found: list[str] = []
    nodes = list(knopen(root, model))
    for node in nodes:
        tags = tags_of(node.info)
        item = node.pad in items or _is_bsn(node.info)
        if item and tags.bewaartermijn is not JAAR50:
            found.append(f"{node.pad}: an art. 9.9 item kept {tags.bewaartermijn.value}")
        if item and not tags.classificatie.is_persoonsgegeven:
            found.append(f"{node.pad}: an art. 9.9 item classified as no personal data")
        if not item and tags.bewaartermijn is JAAR50:
            found.append(f"{node.pad}: kept 50 years but holds no item of art. 9.9")
        if _is_bsn(node.info) and not tags.bsn:
            found.append(f"{node.pad}: a BSN without the x-bsn marker (the policy keys on it)")
    for node in nodes:
        if node.bewaartermijn is not JAAR50:
            continue
        shorter = [
            inner.pad
            for inner in nodes
            if inner.pad.startswith(node.pad + ".")
            and tags_of(inner.info).classificatie.is_persoonsgegeven
            and inner.bewaartermijn is not JAAR50
        ]
        if shorter:
            found.append(f"{node.pad}: kept 50 years as a whole but nests {shorter}")
    return found


def _swi_roots() -> list[tuple[str, type[BaseModel]]]:
    # The SWI delivery record nests the person's BSN (swi.records.Persoon.bsn); the package is
    # young, so it is walked when it is there.
    try:
        records = importlib.import_module("keten_contracts.swi.records")
    except ImportError:
        return []
    model = getattr(records, "SwiRecord", None)
    return [("swi-record", model)] if isinstance(model, type) else []


ROOTS: list[tuple[str, type[BaseModel]]] = [
    *((rd.name, rd.model) for rd in all_resources()),
    *_swi_roots(),
]
VIEWS = [
    (rd.name, rol)
    for rd in all_resources()
    for rol in Rol
    if view_model(rd.name, rol, same_gemeente=True) is not None
]


@pytest.mark.parametrize(("root", "model"), ROOTS, ids=[r for r, _ in ROOTS])
def test_art_9_9_items_and_only_they_are_kept_fifty_years_at_every_depth(root, model):
    assert overtredingen(root, model, ITEM_PATHS) == []


@pytest.mark.parametrize(("resource", "rol"), VIEWS, ids=[f"{r}:{o.value}" for r, o in VIEWS])
def test_every_view_keeps_the_retention_of_its_resource(resource, rol):
    # A view is what a role is served (and the catalogue renders): same paths, same classes.
    view = view_model(resource, rol, same_gemeente=True)
    assert view is not None
    assert overtredingen(resource, view, ITEM_PATHS) == []


@pytest.mark.parametrize("et", all_event_types(), ids=lambda et: et.type)
def test_event_data_keeps_nothing_fifty_years(et):
    # Thin events carry no personal data at all, so no art. 9.9 item either.
    assert overtredingen(et.type, et.data_model, frozenset()) == []


def test_the_table_names_existing_paths_only():
    paths = {node.pad for root, model in ROOTS for node in knopen(root, model)}
    assert ITEM_PATHS <= paths, sorted(ITEM_PATHS - paths)


def test_the_table_follows_the_list_in_classification():
    # The items are the ones classification.Bewaartermijn quotes from seed 001, a to h.
    doc = re.sub(r"\s+", " ", Bewaartermijn.__doc__ or "")
    for item in ART_9_9:
        assert item in doc, item
    assert [item[0] for item in ART_9_9] == list("abcdefgh")


def test_every_bsn_is_found_by_its_type_and_nested_ones_too():
    bsns = [n.pad for root, model in ROOTS for n in knopen(root, model) if _is_bsn(n.info)]
    assert "dossier.bsn" in bsns and "opdracht.bsn" in bsns
    assert all(p.endswith(".bsn") for p in bsns)
    if _swi_roots():
        assert "swi-record.persoon.bsn" in bsns  # a BSN inside a sub-model
    # And nothing is marked as a BSN that is not typed as one.
    marked = [n.pad for root, model in ROOTS for n in knopen(root, model) if tags_of(n.info).bsn]
    assert sorted(marked) == sorted(bsns)


# --- the check itself catches what it must ------------------------------------------------------


class _Persoon(ContractModel):
    bsn: Bsn = veld("BSN, tagged 5 years by mistake.", Classificatie.IDENTIFICEREND, bsn=True)
    telefoon: str | None = veld("Phone.", Classificatie.IDENTIFICEREND, default=None)


PERS = Classificatie.PERSOONSGEGEVEN


class _Partner(ContractModel):
    naam: str = veld("Not the inburgeraar's name.", PERS, bewaartermijn=JAAR50)


class _Dossier(ContractModel):
    personen: list[_Persoon] | None = veld("Nested list.", PERS, default=None)
    partner: _Partner | int | None = veld("Nested union.", PERS, default=None)
    contact: _Persoon = veld(
        "Kept 50 years as a whole, nests a phone.",
        Classificatie.IDENTIFICEREND,
        bewaartermijn=JAAR50,
    )


def test_the_check_finds_a_nested_bsn_kept_five_years_and_a_nested_non_item_kept_fifty():
    found = overtredingen("x", _Dossier, frozenset({"x.contact"}))
    assert any(f.startswith("x.personen.bsn: an art. 9.9 item kept 5-jaar") for f in found)
    assert any(f.startswith("x.partner.naam: kept 50 years but holds no item") for f in found)
    assert any(f.startswith("x.contact: kept 50 years as a whole but nests") for f in found)
    assert any(f.startswith("x.contact.bsn: an art. 9.9 item kept") for f in found)
