"""Contracts 0.2, "Tests that can fail": every reader of a field has a seed row behind it, and
every data item of a seed row reaches its receiving party (``keten_contracts.grondslagen``).

- (a) every field of every non-owner view is granted by a seed row naming that role, or is
  technical (``TECHNISCH``): adding a reader the seeds do not grant fails here;
- (b) every data item of every row is carried by fields the row's role can actually read:
  removing a field or narrowing a reader fails here;
- (c) the table names only fields that exist, and quotes the seeds as they are written.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from keten_contracts.classification import Classificatie, tags_of
from keten_contracts.common import Opdrachtsoort
from keten_contracts.grondslagen import (
    SEED_RIJEN,
    TECHNISCH,
    Gegeven,
    SeedRij,
    grondslag_van,
    render_grondslagen_markdown,
)
from keten_contracts.parties import Rol
from keten_contracts.policy import may_read, project_op_verzoek, view_model
from keten_contracts.resources import all_resources, get_resource

GEMEENTECODE = "0363"  # the example rows' gemeente


def _slug(text: str, size: int = 48) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:size]


# --- (a) every reader has a ground -------------------------------------------------------------

# Real contract defects found with this table: the role reads a field no seed row grants it.
# Strict: when the contract (or the table, with a row that does name it) is fixed, the xfail
# passes and must be removed here.
# Defects the table found are fixed (DUO no longer reads the aanbieder's name; the LBT taker's
# reads rest on its verwerker row); a new one is listed here as a strict xfail until fixed.
DEFECTEN: dict[tuple[str, Rol, str], str] = {}


def _non_owner_view_fields() -> list[tuple[str, Rol, str]]:
    cases = []
    for rd in all_resources():
        if rd.beheer:
            continue  # the chain's own operations: no person, no seed row
        for rol in Rol:
            if rol is rd.owner:
                continue
            view = view_model(rd.name, rol, same_gemeente=True)
            if view is not None:
                cases += [(rd.name, rol, name) for name in view.model_fields]
    return cases


def _view_param(case: tuple[str, Rol, str]) -> object:
    resource, rol, name = case
    marks = [pytest.mark.xfail(strict=True, reason=DEFECTEN[case])] if case in DEFECTEN else []
    return pytest.param(resource, rol, name, id=f"{resource}:{rol.value}:{name}", marks=marks)


@pytest.mark.parametrize(
    ("resource", "rol", "name"), [_view_param(c) for c in _non_owner_view_fields()]
)
def test_every_field_a_non_owner_reads_is_granted_by_a_seed_row(resource, rol, name):
    grounds = grondslag_van(resource, rol, name)
    assert grounds, (
        f"{rol.value} reads {resource}.{name}, but no seed row naming {rol.value} maps an item "
        "to it and it is no technical field: add the row item to keten_contracts.grondslagen "
        "(quoting the seed), or take the reader off the field"
    )
    for ground in grounds:
        # A ground must name this role: the table is per receiving party.
        assert ground.technisch is not None or (ground.rij and rol in ground.rij.rollen)


def test_the_defect_list_names_only_real_views():
    # A stale entry (the reader was removed) would hide nothing; keep the list honest.
    cases = set(_non_owner_view_fields())
    assert set(DEFECTEN) <= cases


def test_a_role_no_row_names_gets_no_ground():
    # CBS may not have the name (seed 001 row "Centraal Bureau voor de Statistiek" lists no
    # naam); an aanbieder no dossier field at all.
    assert grondslag_van("dossier", Rol.CBS, "geslachtsnaam") == []
    assert grondslag_van("dossier", Rol.MAP_AANBIEDER, "bsn") == []
    assert grondslag_van("opdracht", Rol.MAP_AANBIEDER, "bsn") == []
    # Wire names work too.
    assert grondslag_van("pip", Rol.DUO, "taalniveauEerstePip") == grondslag_van(
        "pip", Rol.DUO, "taalniveau_eerste_pip"
    )
    assert grondslag_van("pip", Rol.DUO, "taalniveauEerstePip")


# --- (b) every item reaches its party ----------------------------------------------------------


def _readable(rol: Rol, resource: str, name: str) -> bool:
    """The permissive context: the linked gemeente, and for an opdracht a soort (and gemeente)
    the role's task fits; any such row will do."""
    if resource != "opdracht":
        return may_read(rol, resource, name, same_gemeente=True)
    return any(
        may_read(
            rol,
            resource,
            name,
            same_gemeente=True,
            opdrachtsoort=soort.value,
            gemeentecode=GEMEENTECODE,
        )
        for soort in Opdrachtsoort
    )


def _op_verzoek_readable(resource: str, name: str) -> bool:
    """What DUO gets of a fine under a request that names it (rules 3, 4)."""
    if resource != "handhavingsmaatregel":
        return False
    maatregel = _example("handhavingsmaatregel")
    verzoek = _example("handhavingsverzoek")
    shown = project_op_verzoek(
        maatregel,
        verzoek,
        gemeentecode=verzoek.gemeentecode,
        inburgeringsplicht_id=verzoek.inburgeringsplicht_id,
    )
    return shown is not None and name in type(shown).model_fields


def _example(resource: str):
    rd = get_resource(resource)
    return rd.model.model_validate(dict(rd.example))


def _item_id(rij: SeedRij, gegeven: Gegeven) -> str:
    return f"{rij.id}:{_slug(gegeven.label)}"


ITEMS = [(rij, gegeven) for rij in SEED_RIJEN for gegeven in rij.gegevens]
CARRIED = [(r, g, rol) for r, g in ITEMS if g.buiten_keten is None for rol in sorted(r.rollen)]


@pytest.mark.parametrize(
    ("rij", "gegeven", "rol"),
    [pytest.param(r, g, rol, id=f"{_item_id(r, g)}:{rol.value}") for r, g, rol in CARRIED],
)
def test_every_row_item_is_carried_by_fields_its_role_reads(rij, gegeven, rol):
    assert gegeven.velden, f"{rij.id}: '{gegeven.tekst}' is mapped to no field"
    check = _op_verzoek_readable if gegeven.op_verzoek else None
    for resource, name in gegeven.velden:
        if check is not None:
            assert rol is Rol.DUO, "only DUO's request opens a purpose-bound read"
            assert check(resource, name), (
                f"{rij.id} '{gegeven.tekst}': DUO's request does not open {resource}.{name}"
            )
        else:
            assert _readable(rol, resource, name), (
                f"{rij.id} '{gegeven.tekst}': {rol.value} cannot read {resource}.{name}"
            )


@pytest.mark.parametrize(
    ("rij", "gegeven"),
    [pytest.param(r, g, id=_item_id(r, g)) for r, g in ITEMS if g.buiten_keten is not None],
)
def test_an_item_outside_the_chain_says_why_and_has_no_field(rij, gegeven):
    # Minimisation is a choice: it is written down, and such an item cannot sneak a field in.
    assert gegeven.velden == ()
    assert len(gegeven.buiten_keten or "") > 20


# --- (c) the table itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rij", "gegeven", "resource", "name"),
    [
        pytest.param(r, g, res, name, id=f"{_item_id(r, g)}:{res}.{name}")
        for r, g in ITEMS
        for res, name in g.velden
    ],
)
def test_every_mapped_field_exists(rij, gegeven, resource, name):
    rd = get_resource(resource)
    assert name in rd.model.model_fields, f"{rij.id}: {resource} has no field {name!r}"


def test_row_ids_are_unique_and_rows_name_a_receiver():
    ids = [rij.id for rij in SEED_RIJEN]
    assert len(ids) == len(set(ids))
    for rij in SEED_RIJEN:
        assert rij.rollen and rij.gegevens, rij.id


@pytest.mark.parametrize("grond", TECHNISCH, ids=lambda t: t.naam)
def test_technical_grounds_cover_only_fields_without_personal_data(grond):
    for resource, name in sorted(grond.velden):
        info = get_resource(resource).model.model_fields.get(name)
        assert info is not None, f"{grond.naam}: {resource}.{name} does not exist"
        assert tags_of(info).classificatie is Classificatie.GEEN, f"{resource}.{name}"
    # Fail closed: a personal-data field never gets a technical ground, whatever the list says.
    for rd in all_resources():
        for name, info in rd.model.model_fields.items():
            if tags_of(info).classificatie is not Classificatie.GEEN:
                assert not any(grond.geldt_voor(rd.name, name, rol) for rol in Rol)


def test_the_id_rule_matches_opaque_ids_by_type_not_by_name():
    (ids,) = [t for t in TECHNISCH if t.opaque_ids]
    assert ids.geldt_voor("dossier", "dossier_id", Rol.DUO)
    assert ids.geldt_voor("handhavingsverzoek", "handhavingsmaatregel_ids", Rol.GEMEENTE)
    # An OpaqueId that is personal data (who ticked a signaal off) is no technical field.
    assert not ids.geldt_voor("signaal", "afgehandeld_door", Rol.GEMEENTE)
    assert not ids.geldt_voor("dossier", "bsn", Rol.DUO)


def _seeds_dir() -> Path:
    # /work/<repo>/tests/contract/this.py -> /work/shared/seeds (CI checks out shared/ beside)
    return Path(__file__).resolve().parents[3] / "shared" / "seeds"


def _normalised(text: str) -> str:
    # Markup of the converted tables (tags, bullets, cell bars) and line breaks aside.
    text = re.sub(r"<[^>]+>", " ", text).replace("•", " ").replace("|", " ")
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("rij", SEED_RIJEN, ids=lambda r: r.id)
def test_rows_and_items_are_quoted_as_the_seed_writes_them(rij):
    path = _seeds_dir() / rij.seed
    if not path.exists():
        pytest.skip("shared/seeds is not beside the repository")
    seed = _normalised(path.read_text(encoding="utf-8"))
    quotes = [rij.naam] + [q for g in rij.gegevens for q in (g.tekst, g.kop) if q]
    missing = [q for q in quotes if _normalised(q) not in seed]
    assert not missing, f"{rij.id}: not in {rij.seed}: {missing}"


def test_the_catalogue_section_shows_a_ground_per_field_of_every_view():
    text = render_grondslagen_markdown()
    for resource, rol, _name in _non_owner_view_fields():
        assert f"### {resource}: `{rol.value}`" in text
    # Only the known defects show without a ground.
    assert text.count("**none**") == len(DEFECTEN)
    assert "seed 001, Gegevenslevering door gemeenten: Minister van SZW/DUO" in text
